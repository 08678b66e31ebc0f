//! Storage: one SQL code path over `sqlx::AnyPool` for SQLite (embedded default) and PostgreSQL.
//!
//! Every chain-derived row carries its `(block, log_index)`, so the current state of a machine is
//! the latest row per key and a reorg rollback is a `DELETE ... WHERE block > ancestor` per table.
//! Only `BIGINT` and `TEXT` columns are used (addresses and hashes as lowercase `0x` hex, `uint256`
//! as decimal text), so the same SQL text runs on both databases.

use crate::error::McrError;
use alloy::primitives::{Address, B256, Bytes, U256};
use peaqos_mcr_model::DayPoint;
use peaqos_mcr_model::SourceCheck;
use peaqos_types::rating::{Rating, RevenueTrend};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

const MIGRATION_0001: &str = include_str!("../migrations/0001_init.sql");
const MIGRATION_0002: &str = include_str!("../migrations/0002_published_abi.sql");
const MIGRATION_0003: &str = include_str!("../migrations/0003_history.sql");
const MIGRATION_0004: &str = include_str!("../migrations/0004_source_checks.sql");

fn migrator() -> Migrator {
    let m = |version, name, sql| {
        Migration::new(
            version,
            Cow::Borrowed(name),
            MigrationType::Simple,
            Cow::Borrowed(sql),
            false,
        )
    };
    Migrator {
        migrations: Cow::Owned(vec![
            m(1, "init", MIGRATION_0001),
            m(2, "published_abi", MIGRATION_0002),
            m(3, "history", MIGRATION_0003),
            m(4, "source_checks", MIGRATION_0004),
        ]),
        ..Migrator::DEFAULT
    }
}

/// An event's check from its trust level and its `source_checks` row: trust level 1 without a
/// row is pending.
fn source_check_of(trust_level: i64, status: Option<&str>) -> SourceCheck {
    if trust_level != i64::from(peaqos_mcr_model::TRUST_LEVEL_ONCHAIN) {
        return SourceCheck::NotApplicable;
    }
    status.map_or(SourceCheck::Pending, SourceCheck::parse)
}

/// Lowercase `0x` hex of an address (the stored form).
pub fn addr_key(a: &Address) -> String {
    format!("{a:#x}")
}

fn parse_addr(s: &str) -> Address {
    Address::from_str(s).unwrap_or_default()
}

fn parse_b256(s: &str) -> B256 {
    B256::from_str(s).unwrap_or_default()
}

fn parse_u256(s: &str) -> U256 {
    U256::from_str(s).unwrap_or_default()
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The folded state of the machine `$1` as columns of one row over `machines m` (scalar
/// subqueries; the same SQL on SQLite and PostgreSQL), read back by [`state_of`]: the
/// registration, the latest operator, the latest status, the stakes (decimal text joined with
/// `,`), the latest NFT, the active flag's time and the latest trust override. The subqueries
/// name `$1`, not `m.machine_id`: PostgreSQL plans a correlated subquery for an average machine,
/// and on an index of a few machines that is a sequential scan of every event (measured: 2.7 ms
/// against 0.5 ms for a machine with 100 of 20,100 events).
macro_rules! state_columns {
    () => {
        "m.machine_id, m.address, m.owner, m.registered_block, \
         (SELECT o.operator FROM operators o WHERE o.machine_id = $1 \
          ORDER BY o.block DESC, o.log_index DESC LIMIT 1), \
         (SELECT s.status FROM machine_status s WHERE s.machine_id = $1 \
          ORDER BY s.block DESC, s.log_index DESC LIMIT 1), \
         (SELECT string_agg(k.amount, ',') FROM stakes k WHERE k.machine_id = $1), \
         (SELECT n.token_id FROM nfts n WHERE n.machine_id = $1 \
          ORDER BY n.block DESC, n.log_index DESC LIMIT 1), \
         (SELECT CASE WHEN f.cleared = 0 THEN f.flagged_at END FROM flags f WHERE f.machine_id = $1 \
          ORDER BY f.block DESC, f.log_index DESC LIMIT 1), \
         (SELECT t.value FROM trust_overrides t WHERE t.machine_id = $1 \
          ORDER BY t.block DESC, t.log_index DESC LIMIT 1)"
    };
}

/// How many columns [`state_columns`] has.
const STATE_COLUMNS: usize = 10;

/// The scoring fields of every event of the machine `$1` as one JSON array
/// of arrays `[event_index, event_type, value, currency, timestamp, trust_level, block,
/// block_timestamp, check status]`, by event index (a scalar subquery; SQLite's JSON functions or
/// PostgreSQL's), read back by [`scoring_events_of`].
macro_rules! scoring_events_json {
    (sqlite) => {
        scoring_events_json!("json_group_array(json_array(", ") ORDER BY e.event_index)")
    };
    (postgres) => {
        scoring_events_json!("json_agg(json_build_array(", ") ORDER BY e.event_index)::text")
    };
    ($open:literal, $close:literal) => {
        concat!(
            "(SELECT ",
            $open,
            "e.event_index, e.event_type, e.value, e.currency, e.timestamp, e.trust_level, e.block, \
             e.block_timestamp, c.status",
            $close,
            " FROM events e LEFT JOIN source_checks c ON c.machine_id = e.machine_id \
             AND c.event_index = e.event_index AND c.source_chain_id = e.source_chain_id \
             AND c.source_tx_hash = e.source_tx_hash WHERE e.machine_id = $1)"
        )
    };
}

/// Registration facts of one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineRow {
    /// On-chain machine id.
    pub machine_id: u64,
    /// Machine wallet (`machineWalletOf` at the `Registered` block).
    pub address: Address,
    /// `owner` of `Registered`: the registrant (the machine itself, or the proxy of
    /// `registerFor`).
    pub owner: Address,
    /// Block of the `Registered` log.
    pub registered_block: u64,
}

/// One event record (`EventRegistry.getEvents`) located by its `EventSubmitted` log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Machine id.
    pub machine_id: u64,
    /// Zero-based index per machine.
    pub event_index: u64,
    /// 0 revenue, 1 activity.
    pub event_type: u8,
    /// Minor units of `currency`.
    pub value: U256,
    /// ISO 4217 code (empty for activity).
    pub currency: String,
    /// Event time, unix seconds.
    pub timestamp: u64,
    /// `dataHash`.
    pub data_hash: B256,
    /// 0 self, 1 on-chain, 2 hardware.
    pub trust_level: u8,
    /// `sourceChainId`.
    pub source_chain_id: U256,
    /// `sourceTxHash`.
    pub source_tx_hash: B256,
    /// Raw metadata bytes.
    pub metadata: Bytes,
    /// Block number of the `EventSubmitted` log.
    pub block: u64,
    /// Block time, when known.
    pub block_timestamp: Option<u64>,
    /// Transaction hash of the log.
    pub tx_hash: B256,
    /// Log index in the block.
    pub log_index: u64,
    /// The source-chain check of a trust-level-1 event (read from `source_checks`; the indexer
    /// writes events with [`SourceCheck::NotApplicable`], the checker decides later).
    pub source_check: SourceCheck,
}

/// What kind of [`Anomaly`] the indexer met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyKind {
    /// A log of a followed contract that the bindings cannot decode.
    Undecodable,
    /// An event record whose type, value or currency differs from its `EventSubmitted` log.
    Mismatch,
}

impl AnomalyKind {
    /// The stored spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::Undecodable => "undecodable",
            AnomalyKind::Mismatch => "mismatch",
        }
    }
}

/// A log the indexer could not take as it came (kept, counted on `/ready`, rolled back with its
/// block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// Kind.
    pub kind: AnomalyKind,
    /// Emitting contract.
    pub address: Address,
    /// Transaction hash.
    pub tx_hash: B256,
    /// What was wrong.
    pub detail: String,
}

/// Anomaly counts of the index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnomalyCounts {
    /// Logs that could not be decoded.
    pub undecodable: u64,
    /// Event records that disagree with their log.
    pub mismatches: u64,
}

/// One decoded chain change, in log order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `Registered` (with the wallet read at its block).
    Registered(MachineRow),
    /// `OperatorSet`.
    OperatorSet {
        /// The machine.
        machine_id: u64,
        /// Its operator.
        operator: Address,
    },
    /// A status event (the status after it).
    Status {
        /// The machine.
        machine_id: u64,
        /// Its status after the event.
        status: u8,
    },
    /// `Staked`.
    Staked {
        /// The machine.
        machine_id: u64,
        /// The staked amount (wei).
        amount: U256,
    },
    /// `MachineMinted`.
    Nft {
        /// The machine.
        machine_id: u64,
        /// Its Machine NFT.
        token_id: u64,
        /// Who received the NFT.
        recipient: Address,
    },
    /// `EventSubmitted` with its record.
    Event(Box<EventRow>),
    /// `MachineFlagged`.
    Flagged {
        /// The machine.
        machine_id: u64,
        /// The event's `flaggedAt` (unix seconds).
        flagged_at: u64,
    },
    /// `FlagCleared`.
    FlagCleared {
        /// The machine.
        machine_id: u64,
    },
    /// `TrustOverrideSet`.
    TrustSet {
        /// The machine.
        machine_id: u64,
        /// The trust override, 0..=100.
        value: u8,
    },
    /// `TrustOverrideCleared`.
    TrustCleared {
        /// The machine.
        machine_id: u64,
    },
    /// A trusted DID attribute add / update (`value` Some) or a removal (`None`).
    DidAttribute {
        /// The DID account.
        account: Address,
        /// The attribute's name.
        name: String,
        /// Its new value; `None` for a removal.
        value: Option<String>,
        /// Who sent the change.
        sender: Address,
    },
    /// A log the indexer could not take as it came.
    Anomaly(Anomaly),
}

/// A located change: `(block, log_index, change)`.
pub type LocatedChange = (u64, u64, Change);

/// Everything indexed from one block range, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct RangeBatch {
    /// Changes in log order.
    pub changes: Vec<LocatedChange>,
    /// Last block of the range (the new cursor).
    pub to_block: u64,
    /// Its hash.
    pub to_hash: B256,
    /// Its timestamp.
    pub to_timestamp: u64,
    /// Hashes of blocks in the range that held logs (for reorg ancestry).
    pub block_hashes: Vec<(u64, B256)>,
}

/// The indexer's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Last fully indexed block.
    pub block: u64,
    /// Its hash.
    pub hash: B256,
    /// Its timestamp.
    pub timestamp: u64,
}

/// Current state of one machine, folded from the stored rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineState {
    /// Registration facts.
    pub machine: MachineRow,
    /// Operator: the latest `OperatorSet`, else the registering owner.
    pub operator: Address,
    /// Latest `MachineStatus` (1 Pending when no change was seen).
    pub status: u8,
    /// Sum of `Staked` amounts.
    pub staked: U256,
    /// Machine NFT token id.
    pub nft_token_id: Option<u64>,
    /// Active negative flag: unix seconds it was set.
    pub flagged_at: Option<u64>,
    /// Active trust override.
    pub trust_override: Option<u8>,
}

impl MachineState {
    /// Bonded: some stake recorded for the machine.
    pub fn bonded(&self) -> bool {
        !self.staked.is_zero()
    }

    /// `MachineStatus::Deactivated` (4).
    pub fn deactivated(&self) -> bool {
        self.status == 4
    }
}

/// Event counts of one machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounts {
    /// All events.
    pub total: u64,
    /// Revenue events.
    pub revenue: u64,
    /// Activity events.
    pub activity: u64,
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    postgres: bool,
}

/// Turns a bare file path into a SQLite URL (`mcr.sqlite` -> `sqlite://mcr.sqlite?mode=rwc`).
pub fn normalize_database_url(url: &str) -> String {
    if url.starts_with("postgres://")
        || url.starts_with("postgresql://")
        || url.starts_with("sqlite:")
    {
        url.to_owned()
    } else {
        format!("sqlite://{url}?mode=rwc")
    }
}

impl Store {
    /// Connects (SQLite path or URL, PostgreSQL URL) and runs the migrations.
    pub async fn connect(database_url: &str) -> Result<Store, McrError> {
        sqlx::any::install_default_drivers();
        let url = normalize_database_url(database_url);
        let postgres = url.starts_with("postgres");
        let memory = url.contains(":memory:");
        let mut opts = AnyPoolOptions::new().max_connections(if postgres {
            8
        } else if memory {
            1
        } else {
            4
        });
        if !postgres {
            // SQLite: one writer; WAL lets readers run beside the indexer.
            opts = opts.after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = opts.connect(&url).await?;
        migrator().run(&pool).await?;
        Ok(Store { pool, postgres })
    }

    /// True on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// The pool (for tests and tools).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The stored cursor.
    pub async fn cursor(&self) -> Result<Option<Cursor>, McrError> {
        let row = sqlx::query("SELECT block, hash, block_timestamp FROM cursor WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| Cursor {
            block: u(r.get::<i64, _>(0)),
            hash: parse_b256(&r.get::<String, _>(1)),
            timestamp: u(r.get::<i64, _>(2)),
        }))
    }

    /// Writes one indexed range and moves the cursor, atomically. Returns the machine ids
    /// touched and whether any DID attribute changed.
    pub async fn apply(&self, batch: &RangeBatch) -> Result<(Vec<u64>, bool), McrError> {
        let mut tx = self.pool.begin().await?;
        let mut touched = Vec::new();
        let mut did_changed = false;
        let mut events = Vec::new();
        let postgres = self.is_postgres();
        for (block, log_index, change) in &batch.changes {
            let (b, l) = (i(*block), i(*log_index));
            match change {
                Change::Registered(m) => {
                    touched.push(m.machine_id);
                    sqlx::query(
                        "INSERT INTO machines (machine_id, address, owner, registered_block, log_index) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (machine_id) DO NOTHING",
                    )
                    .bind(i(m.machine_id))
                    .bind(addr_key(&m.address))
                    .bind(addr_key(&m.owner))
                    .bind(b)
                    .bind(l)
                    .execute(&mut *tx)
                    .await?;
                }
                Change::OperatorSet {
                    machine_id,
                    operator,
                } => {
                    touched.push(*machine_id);
                    sqlx::query(
                        "INSERT INTO operators (machine_id, operator, block, log_index) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (block, log_index) DO NOTHING",
                    )
                    .bind(i(*machine_id))
                    .bind(addr_key(operator))
                    .bind(b)
                    .bind(l)
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Status { machine_id, status } => {
                    touched.push(*machine_id);
                    sqlx::query(
                        "INSERT INTO machine_status (machine_id, status, block, log_index) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (block, log_index) DO NOTHING",
                    )
                    .bind(i(*machine_id))
                    .bind(i64::from(*status))
                    .bind(b)
                    .bind(l)
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Staked { machine_id, amount } => {
                    touched.push(*machine_id);
                    sqlx::query(
                        "INSERT INTO stakes (machine_id, amount, block, log_index) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (block, log_index) DO NOTHING",
                    )
                    .bind(i(*machine_id))
                    .bind(amount.to_string())
                    .bind(b)
                    .bind(l)
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Nft {
                    machine_id,
                    token_id,
                    recipient,
                } => {
                    touched.push(*machine_id);
                    sqlx::query(
                        "INSERT INTO nfts (machine_id, token_id, recipient, block, log_index) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (block, log_index) DO NOTHING",
                    )
                    .bind(i(*machine_id))
                    .bind(i(*token_id))
                    .bind(addr_key(recipient))
                    .bind(b)
                    .bind(l)
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Event(e) => {
                    touched.push(e.machine_id);
                    events.push((b, l, &**e));
                }
                Change::Flagged {
                    machine_id,
                    flagged_at,
                } => {
                    touched.push(*machine_id);
                    insert_flag(&mut tx, *machine_id, *flagged_at, false, b, l).await?;
                }
                Change::FlagCleared { machine_id } => {
                    touched.push(*machine_id);
                    insert_flag(&mut tx, *machine_id, 0, true, b, l).await?;
                }
                Change::TrustSet { machine_id, value } => {
                    touched.push(*machine_id);
                    insert_override(&mut tx, *machine_id, Some(*value), b, l).await?;
                }
                Change::TrustCleared { machine_id } => {
                    touched.push(*machine_id);
                    insert_override(&mut tx, *machine_id, None, b, l).await?;
                }
                Change::DidAttribute {
                    account,
                    name,
                    value,
                    sender,
                } => {
                    did_changed = true;
                    sqlx::query(
                        "INSERT INTO did_attributes (did_account, name, value, sender, block, log_index) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (block, log_index) DO NOTHING",
                    )
                    .bind(addr_key(account))
                    .bind(name.clone())
                    .bind(value.clone())
                    .bind(addr_key(sender))
                    .bind(b)
                    .bind(l)
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Anomaly(a) => {
                    sqlx::query(
                        "INSERT INTO anomalies (block, log_index, kind, address, tx_hash, detail) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (block, log_index, kind) DO NOTHING",
                    )
                    .bind(b)
                    .bind(l)
                    .bind(a.kind.as_str())
                    .bind(addr_key(&a.address))
                    .bind(a.tx_hash.to_string())
                    .bind(a.detail.clone())
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        for chunk in events.chunks(ROWS_PER_INSERT) {
            insert_events(&mut tx, chunk, postgres).await?;
        }
        for (machine_id, day) in restated_days(&batch.changes) {
            restate_history(&mut tx, machine_id, Some(day)).await?;
        }
        let mut hashes: BTreeMap<u64, B256> = batch.block_hashes.iter().copied().collect();
        hashes.insert(batch.to_block, batch.to_hash);
        let hashes: Vec<(u64, B256)> = hashes.into_iter().collect();
        for chunk in hashes.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO block_hashes (block, hash) VALUES {} \
                 ON CONFLICT (block) DO UPDATE SET hash = excluded.hash",
                values_placeholders(chunk.len(), 2, postgres)
            );
            let mut q = sqlx::query(&sql);
            for (n, h) in chunk {
                q = q.bind(i(*n)).bind(h.to_string());
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO cursor (id, block, hash, block_timestamp) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET block = excluded.block, hash = excluded.hash, \
             block_timestamp = excluded.block_timestamp",
        )
        .bind(i(batch.to_block))
        .bind(batch.to_hash.to_string())
        .bind(i(batch.to_timestamp))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        touched.sort_unstable();
        touched.dedup();
        Ok((touched, did_changed))
    }

    /// Stored block hashes at or below `block`, newest first, at most `limit`.
    pub async fn block_hashes_below(
        &self,
        block: u64,
        limit: u32,
    ) -> Result<Vec<(u64, B256)>, McrError> {
        let rows = sqlx::query(
            "SELECT block, hash FROM block_hashes WHERE block <= $1 ORDER BY block DESC LIMIT $2",
        )
        .bind(i(block))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (u(r.get::<i64, _>(0)), parse_b256(&r.get::<String, _>(1))))
            .collect())
    }

    /// Drops everything above `ancestor` and moves the cursor there (`None`: forget the cursor,
    /// the indexer restarts from its start block).
    pub async fn rollback_to(&self, ancestor: Option<(u64, B256, u64)>) -> Result<(), McrError> {
        let mut tx = self.pool.begin().await?;
        let above = ancestor.map_or(-1, |(n, _, _)| i(n));
        for sql in [
            "DELETE FROM machines WHERE registered_block > $1",
            "DELETE FROM operators WHERE block > $1",
            "DELETE FROM machine_status WHERE block > $1",
            "DELETE FROM stakes WHERE block > $1",
            "DELETE FROM nfts WHERE block > $1",
            "DELETE FROM events WHERE block > $1",
            "DELETE FROM flags WHERE block > $1",
            "DELETE FROM trust_overrides WHERE block > $1",
            "DELETE FROM did_attributes WHERE block > $1",
            "DELETE FROM anomalies WHERE block > $1",
            "DELETE FROM block_hashes WHERE block > $1",
        ] {
            sqlx::query(sql).bind(above).execute(&mut *tx).await?;
        }
        // The history is derived: a reorg may have changed any machine's past.
        sqlx::query("DELETE FROM mcr_history")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE history_generations SET generation = generation + 1")
            .execute(&mut *tx)
            .await?;
        match ancestor {
            Some((n, h, ts)) => {
                sqlx::query(
                    "UPDATE cursor SET block = $1, hash = $2, block_timestamp = $3 WHERE id = 1",
                )
                .bind(i(n))
                .bind(h.to_string())
                .bind(i(ts))
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM cursor").execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Machine registered for `address`.
    pub async fn machine_id_by_address(&self, address: &Address) -> Result<Option<u64>, McrError> {
        let row = sqlx::query(
            "SELECT machine_id FROM machines WHERE address = $1 ORDER BY machine_id LIMIT 1",
        )
        .bind(addr_key(address))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| u(r.get::<i64, _>(0))))
    }

    /// Machine id of a Machine NFT token.
    pub async fn machine_id_by_token(&self, token_id: u64) -> Result<Option<u64>, McrError> {
        let row = sqlx::query(
            "SELECT machine_id FROM nfts WHERE token_id = $1 ORDER BY block DESC LIMIT 1",
        )
        .bind(i(token_id))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| u(r.get::<i64, _>(0))))
    }

    /// The folded state of one machine: one query, one row.
    pub async fn machine_state(&self, machine_id: u64) -> Result<Option<MachineState>, McrError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            state_columns!(),
            " FROM machines m WHERE m.machine_id = $1"
        ))
        .bind(i(machine_id))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(state_of))
    }

    /// The folded state of one machine and every event of it with the fields scoring needs
    /// ([`Store::scoring_events`]), in one query: what an uncached `/mcr` loads. One round
    /// trip and one row however many events: each query through the pool and each row of a
    /// result costs a hand-over to the connection's thread (SQLite) or a network message
    /// (PostgreSQL), which cost far more than the rows' values.
    pub async fn machine_with_events(
        &self,
        machine_id: u64,
    ) -> Result<Option<(MachineState, Vec<EventRow>)>, McrError> {
        let sql = if self.postgres {
            concat!(
                "SELECT ",
                state_columns!(),
                ", ",
                scoring_events_json!(postgres),
                " FROM machines m WHERE m.machine_id = $1"
            )
        } else {
            concat!(
                "SELECT ",
                state_columns!(),
                ", ",
                scoring_events_json!(sqlite),
                " FROM machines m WHERE m.machine_id = $1"
            )
        };
        let Some(row) = sqlx::query(sql)
            .bind(i(machine_id))
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let events = scoring_events_of(machine_id, row.try_get(STATE_COLUMNS)?)?;
        Ok(Some((state_of(&row), events)))
    }

    /// Every event of a machine, oldest (lowest index) first.
    pub async fn events(&self, machine_id: u64) -> Result<Vec<EventRow>, McrError> {
        self.events_limited(machine_id, i64::MAX).await
    }

    /// The first `limit` events of a machine, oldest first.
    pub async fn events_limited(
        &self,
        machine_id: u64,
        limit: i64,
    ) -> Result<Vec<EventRow>, McrError> {
        let rows = sqlx::query(
            "SELECT e.machine_id, e.event_index, e.event_type, e.value, e.currency, e.timestamp, e.data_hash, \
             e.trust_level, e.source_chain_id, e.source_tx_hash, e.metadata, e.block, e.block_timestamp, e.tx_hash, \
             e.log_index, c.status FROM events e LEFT JOIN source_checks c ON c.machine_id = e.machine_id \
             AND c.event_index = e.event_index AND c.source_chain_id = e.source_chain_id \
             AND c.source_tx_hash = e.source_tx_hash \
             WHERE e.machine_id = $1 ORDER BY e.event_index LIMIT $2",
        )
        .bind(i(machine_id))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| EventRow {
                machine_id: u(r.get::<i64, _>(0)),
                event_index: u(r.get::<i64, _>(1)),
                event_type: u8::try_from(r.get::<i64, _>(2)).unwrap_or(u8::MAX),
                value: parse_u256(&r.get::<String, _>(3)),
                currency: r.get::<String, _>(4),
                timestamp: u(r.get::<i64, _>(5)),
                data_hash: parse_b256(&r.get::<String, _>(6)),
                trust_level: u8::try_from(r.get::<i64, _>(7)).unwrap_or(0),
                source_chain_id: parse_u256(&r.get::<String, _>(8)),
                source_tx_hash: parse_b256(&r.get::<String, _>(9)),
                metadata: Bytes::from_str(&r.get::<String, _>(10)).unwrap_or_default(),
                block: u(r.get::<i64, _>(11)),
                block_timestamp: r.get::<Option<i64>, _>(12).map(u),
                tx_hash: parse_b256(&r.get::<String, _>(13)),
                log_index: u(r.get::<i64, _>(14)),
                source_check: source_check_of(
                    r.get::<i64, _>(7),
                    r.get::<Option<String>, _>(15).as_deref(),
                ),
            })
            .collect())
    }

    /// Every event of a machine with only the fields scoring needs (type, value, currency, time,
    /// trust, block, block time, source check), oldest first; the other fields are left at their
    /// defaults. One row: the events come as one JSON array ([`Store::machine_with_events`]).
    pub async fn scoring_events(&self, machine_id: u64) -> Result<Vec<EventRow>, McrError> {
        let sql = if self.postgres {
            concat!("SELECT ", scoring_events_json!(postgres))
        } else {
            concat!("SELECT ", scoring_events_json!(sqlite))
        };
        let row = sqlx::query(sql)
            .bind(i(machine_id))
            .fetch_one(&self.pool)
            .await?;
        scoring_events_of(machine_id, row.try_get(0)?)
    }

    /// Total number of stored events.
    pub async fn total_events(&self) -> Result<u64, McrError> {
        let r = sqlx::query("SELECT COUNT(*) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(u(r.get::<i64, _>(0)))
    }

    /// The current trusted DID attributes of an account (removed ones are absent).
    pub async fn did_attributes(
        &self,
        account: &Address,
    ) -> Result<HashMap<String, String>, McrError> {
        let rows = sqlx::query(
            "SELECT name, value FROM did_attributes WHERE did_account = $1 ORDER BY block, log_index",
        )
        .bind(addr_key(account))
        .fetch_all(&self.pool)
        .await?;
        let mut out = HashMap::new();
        for r in rows {
            let name: String = r.get(0);
            match r.get::<Option<String>, _>(1) {
                Some(v) => {
                    out.insert(name, v);
                }
                None => {
                    out.remove(&name);
                }
            }
        }
        Ok(out)
    }

    /// Machines whose operator (latest `OperatorSet`, else the registering owner) is `operator`
    /// and whose wallet is a different address (the proxy's fleet), by machine id.
    pub async fn machines_operated_by(&self, operator: &Address) -> Result<Vec<u64>, McrError> {
        let rows = sqlx::query(
            "SELECT m.machine_id FROM machines m WHERE m.address <> $1 AND COALESCE( \
               (SELECT o.operator FROM operators o WHERE o.machine_id = m.machine_id \
                ORDER BY o.block DESC, o.log_index DESC LIMIT 1), m.owner) = $1 \
             ORDER BY m.machine_id",
        )
        .bind(addr_key(operator))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| u(r.get::<i64, _>(0))).collect())
    }

    /// Undecodable logs and mismatched records in the index.
    pub async fn anomaly_counts(&self) -> Result<AnomalyCounts, McrError> {
        let rows = sqlx::query("SELECT kind, COUNT(*) FROM anomalies GROUP BY kind")
            .fetch_all(&self.pool)
            .await?;
        let mut c = AnomalyCounts::default();
        for r in rows {
            let n = u(r.get::<i64, _>(1));
            match r.get::<String, _>(0).as_str() {
                "undecodable" => c.undecodable += n,
                "mismatch" => c.mismatches += n,
                _ => {}
            }
        }
        Ok(c)
    }
}

/// A row of [`state_columns`] as the machine's state (no operator row: the owner operates; no
/// status row: 1 Pending).
fn state_of(r: &AnyRow) -> MachineState {
    let machine = MachineRow {
        machine_id: u(r.get::<i64, _>(0)),
        address: parse_addr(&r.get::<String, _>(1)),
        owner: parse_addr(&r.get::<String, _>(2)),
        registered_block: u(r.get::<i64, _>(3)),
    };
    MachineState {
        operator: r
            .get::<Option<String>, _>(4)
            .map_or(machine.owner, |o| parse_addr(&o)),
        status: r
            .get::<Option<i64>, _>(5)
            .map_or(1, |s| u8::try_from(s).unwrap_or(0)),
        staked: r
            .get::<Option<String>, _>(6)
            .unwrap_or_default()
            .split(',')
            .filter(|a| !a.is_empty())
            .fold(U256::ZERO, |acc, a| acc.saturating_add(parse_u256(a))),
        nft_token_id: r.get::<Option<i64>, _>(7).map(u),
        flagged_at: r.get::<Option<i64>, _>(8).map(u),
        trust_override: r
            .get::<Option<i64>, _>(9)
            .map(|v| u8::try_from(v.clamp(0, 100)).unwrap_or(100)),
        machine,
    }
}

/// One element of [`scoring_events_json`].
type ScoringEventJson = (
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

/// The events of [`scoring_events_json`] (`None`: PostgreSQL's aggregate over no rows).
fn scoring_events_of(machine_id: u64, json: Option<String>) -> Result<Vec<EventRow>, McrError> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let items: Vec<ScoringEventJson> =
        serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(items
        .into_iter()
        .map(
            |(index, event_type, value, currency, timestamp, trust, block, block_ts, status)| {
                EventRow {
                    machine_id,
                    event_index: u(index),
                    event_type: u8::try_from(event_type).unwrap_or(u8::MAX),
                    value: value
                        .parse::<u64>()
                        .map_or_else(|_| parse_u256(&value), U256::from),
                    currency,
                    timestamp: u(timestamp),
                    data_hash: B256::ZERO,
                    trust_level: u8::try_from(trust).unwrap_or(0),
                    source_chain_id: U256::ZERO,
                    source_tx_hash: B256::ZERO,
                    metadata: Bytes::new(),
                    block: u(block),
                    block_timestamp: block_ts.map(u),
                    tx_hash: B256::ZERO,
                    log_index: 0,
                    source_check: source_check_of(trust, status.as_deref()),
                }
            },
        )
        .collect())
}

/// Columns of one `mcr_history` row.
const HISTORY_COLUMNS: usize = 12;

/// The first day of each machine's history that a batch changes: the day of its earliest new
/// event, or day 0 (everything) for a registration, a stake, a status change, a flag or an
/// override. Operators, NFTs, DID attributes and anomalies do not enter the score.
pub fn restated_days(changes: &[LocatedChange]) -> BTreeMap<u64, u64> {
    let mut out: BTreeMap<u64, u64> = BTreeMap::new();
    for (_, _, c) in changes {
        let (id, day) = match c {
            Change::Event(e) => (e.machine_id, e.timestamp / 86_400),
            Change::Registered(m) => (m.machine_id, 0),
            Change::Staked { machine_id, .. }
            | Change::Status { machine_id, .. }
            | Change::Flagged { machine_id, .. }
            | Change::FlagCleared { machine_id }
            | Change::TrustSet { machine_id, .. }
            | Change::TrustCleared { machine_id } => (*machine_id, 0),
            Change::OperatorSet { .. }
            | Change::Nft { .. }
            | Change::DidAttribute { .. }
            | Change::Anomaly(_) => continue,
        };
        let first = out.entry(id).or_insert(day);
        *first = (*first).min(day);
    }
    out
}

/// Drops a machine's stored history from `from_day` on (`None`: all of it) and bumps its
/// generation, so a recomputation that read the rows before this change does not store them.
async fn restate_history(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    machine_id: u64,
    from_day: Option<u64>,
) -> Result<(), McrError> {
    sqlx::query("DELETE FROM mcr_history WHERE machine_id = $1 AND day >= $2")
        .bind(i(machine_id))
        .bind(i(from_day.unwrap_or(0)))
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO history_generations (machine_id, generation) VALUES ($1, 1) \
         ON CONFLICT (machine_id) DO UPDATE SET generation = history_generations.generation + 1",
    )
    .bind(i(machine_id))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The history generation of a machine (0 before any change).
    pub async fn history_generation(&self, machine_id: u64) -> Result<u64, McrError> {
        Ok(
            sqlx::query("SELECT generation FROM history_generations WHERE machine_id = $1")
                .bind(i(machine_id))
                .fetch_optional(&self.pool)
                .await?
                .map_or(0, |r| u(r.get::<i64, _>(0))),
        )
    }

    /// Stored history rows of a machine for the days `from_day..=to_day` computed with
    /// `inputs` ([`crate::history::inputs_hash`]), oldest first.
    pub async fn history_rows(
        &self,
        machine_id: u64,
        from_day: u64,
        to_day: u64,
        inputs: &str,
    ) -> Result<Vec<DayPoint>, McrError> {
        let rows = sqlx::query(
            "SELECT day, mcr_score, computed_score, mcr, revenue_trend, degraded, revenue_usd_cents, \
             revenue_events, activity_events, cumulative_events FROM mcr_history \
             WHERE machine_id = $1 AND day >= $2 AND day <= $3 AND inputs = $4 ORDER BY day",
        )
        .bind(i(machine_id))
        .bind(i(from_day))
        .bind(i(to_day))
        .bind(inputs.to_owned())
        .fetch_all(&self.pool)
        .await?;
        let byte = |v: i64| u8::try_from(v.clamp(0, 255)).unwrap_or(0);
        Ok(rows
            .iter()
            .map(|r| DayPoint {
                day: u(r.get::<i64, _>(0)),
                score: byte(r.get::<i64, _>(1)),
                computed_score: byte(r.get::<i64, _>(2)),
                rating: r.get::<String, _>(3).parse().unwrap_or(Rating::NR),
                revenue_trend: r
                    .get::<String, _>(4)
                    .parse()
                    .unwrap_or(RevenueTrend::Insufficient),
                degraded: r.get::<i64, _>(5) != 0,
                revenue_usd_cents: u(r.get::<i64, _>(6)),
                revenue_events: u(r.get::<i64, _>(7)),
                activity_events: u(r.get::<i64, _>(8)),
                cumulative_events: u(r.get::<i64, _>(9)),
            })
            .collect())
    }

    /// Stores history rows computed with `inputs` from what the store held at `generation`;
    /// stores nothing and returns `false` when the machine's past changed since (the generation
    /// moved).
    pub async fn store_history(
        &self,
        machine_id: u64,
        generation: u64,
        inputs: &str,
        rows: &[DayPoint],
    ) -> Result<bool, McrError> {
        if rows.is_empty() {
            return Ok(true);
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO history_generations (machine_id, generation) VALUES ($1, 0) \
             ON CONFLICT (machine_id) DO NOTHING",
        )
        .bind(i(machine_id))
        .execute(&mut *tx)
        .await?;
        // Takes the row's lock (PostgreSQL) / the write lock (SQLite) and checks the generation
        // under it: an indexer transaction that restates this machine either committed before
        // (no row matches) or waits until this one has committed (and then deletes the rows).
        let current = sqlx::query(
            "UPDATE history_generations SET generation = generation \
             WHERE machine_id = $1 AND generation = $2",
        )
        .bind(i(machine_id))
        .bind(i(generation))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !current {
            tx.rollback().await?;
            return Ok(false);
        }
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO mcr_history (machine_id, day, mcr_score, computed_score, mcr, revenue_trend, \
                 degraded, revenue_usd_cents, revenue_events, activity_events, cumulative_events, inputs) \
                 VALUES {} ON CONFLICT (machine_id, day) DO UPDATE SET mcr_score = excluded.mcr_score, \
                 computed_score = excluded.computed_score, mcr = excluded.mcr, \
                 revenue_trend = excluded.revenue_trend, degraded = excluded.degraded, \
                 revenue_usd_cents = excluded.revenue_usd_cents, revenue_events = excluded.revenue_events, \
                 activity_events = excluded.activity_events, cumulative_events = excluded.cumulative_events, \
                 inputs = excluded.inputs",
                values_placeholders(chunk.len(), HISTORY_COLUMNS, self.postgres)
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q
                    .bind(i(machine_id))
                    .bind(i(p.day))
                    .bind(i64::from(p.score))
                    .bind(i64::from(p.computed_score))
                    .bind(p.rating.as_str())
                    .bind(p.revenue_trend.as_str())
                    .bind(i64::from(p.degraded))
                    .bind(i(p.revenue_usd_cents))
                    .bind(i(p.revenue_events))
                    .bind(i(p.activity_events))
                    .bind(i(p.cumulative_events))
                    .bind(inputs.to_owned());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Every machine id, ascending, at most `limit`.
    pub async fn machine_ids(&self, limit: u64) -> Result<Vec<u64>, McrError> {
        let rows = sqlx::query("SELECT machine_id FROM machines ORDER BY machine_id LIMIT $1")
            .bind(i(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| u(r.get::<i64, _>(0))).collect())
    }
}

/// Rows per multi-row `INSERT` (events have the most columns): 15 columns x 1,000 rows = 15,000 parameters, under
/// both SQLite's (32,766) and PostgreSQL's (65,535) limits.
const ROWS_PER_INSERT: usize = 1_000;

/// Columns of one `events` row.
const EVENT_COLUMNS: usize = 15;

/// `($1, $2), ($3, $4)` for `rows` rows of `cols` columns on PostgreSQL, `(?, ?), (?, ?)` on
/// SQLite: SQLite resolves each numbered parameter's name with a linear scan, which makes
/// binding thousands of `$N` parameters quadratic, while anonymous `?` bind in order for free.
fn values_placeholders(rows: usize, cols: usize, postgres: bool) -> String {
    let mut s = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            if postgres {
                s.push('$');
                s.push_str(&(r * cols + c + 1).to_string());
            } else {
                s.push('?');
            }
        }
        s.push(')');
    }
    s
}

/// One multi-row `INSERT` for a run of events (at most [`ROWS_PER_INSERT`]).
async fn insert_events(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rows: &[(i64, i64, &EventRow)],
    postgres: bool,
) -> Result<(), McrError> {
    let sql = format!(
        "INSERT INTO events (machine_id, event_index, event_type, value, currency, timestamp, \
         data_hash, trust_level, source_chain_id, source_tx_hash, metadata, block, block_timestamp, \
         tx_hash, log_index) VALUES {} ON CONFLICT (machine_id, event_index) DO NOTHING",
        values_placeholders(rows.len(), EVENT_COLUMNS, postgres)
    );
    let mut q = sqlx::query(&sql);
    for (b, l, e) in rows {
        q = q
            .bind(i(e.machine_id))
            .bind(i(e.event_index))
            .bind(i64::from(e.event_type))
            .bind(e.value.to_string())
            .bind(e.currency.clone())
            .bind(i(e.timestamp))
            .bind(e.data_hash.to_string())
            .bind(i64::from(e.trust_level))
            .bind(e.source_chain_id.to_string())
            .bind(e.source_tx_hash.to_string())
            .bind(e.metadata.to_string())
            .bind(*b)
            .bind(e.block_timestamp.map(i))
            .bind(e.tx_hash.to_string())
            .bind(*l);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

async fn insert_flag(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    machine_id: u64,
    flagged_at: u64,
    cleared: bool,
    b: i64,
    l: i64,
) -> Result<(), McrError> {
    sqlx::query(
        "INSERT INTO flags (machine_id, flagged_at, cleared, block, log_index) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (block, log_index) DO NOTHING",
    )
    .bind(i(machine_id))
    .bind(i(flagged_at))
    .bind(i64::from(cleared))
    .bind(b)
    .bind(l)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_override(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    machine_id: u64,
    value: Option<u8>,
    b: i64,
    l: i64,
) -> Result<(), McrError> {
    sqlx::query(
        "INSERT INTO trust_overrides (machine_id, value, block, log_index) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (block, log_index) DO NOTHING",
    )
    .bind(i(machine_id))
    .bind(value.map(i64::from))
    .bind(b)
    .bind(l)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A trust-level-1 event whose source-chain check is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCheckTask {
    /// Machine id.
    pub machine_id: u64,
    /// Event index.
    pub event_index: u64,
    /// The machine's address (who must have been paid).
    pub machine: Address,
    /// `sourceChainId`.
    pub source_chain_id: U256,
    /// `sourceTxHash`.
    pub source_tx_hash: B256,
    /// Event time (the first history day a changed check restates).
    pub timestamp: u64,
    /// Earlier attempts that ended pending.
    pub attempts: u64,
}

/// How many trust-level-1 events stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceCheckCounts {
    /// Not decided yet (never checked, or the RPC failed and a retry is scheduled).
    pub pending: u64,
    /// Verified against the source chain.
    pub verified: u64,
    /// Checked and refused.
    pub unverified: u64,
}

impl Store {
    /// Trust-level-1 events never checked (for their current source) or pending and due at
    /// `now`, oldest block first.
    pub async fn due_source_checks(
        &self,
        now: u64,
        limit: u64,
    ) -> Result<Vec<SourceCheckTask>, McrError> {
        let rows = sqlx::query(
            "SELECT e.machine_id, e.event_index, m.address, e.source_chain_id, e.source_tx_hash, e.timestamp, \
             COALESCE(c.attempts, 0) FROM events e JOIN machines m ON m.machine_id = e.machine_id \
             LEFT JOIN source_checks c ON c.machine_id = e.machine_id AND c.event_index = e.event_index \
             AND c.source_chain_id = e.source_chain_id AND c.source_tx_hash = e.source_tx_hash \
             WHERE e.trust_level = 1 AND (c.status IS NULL OR (c.status = 'pending' AND c.next_check_at <= $1)) \
             ORDER BY e.block, e.log_index LIMIT $2",
        )
        .bind(i(now))
        .bind(i(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| SourceCheckTask {
                machine_id: u(r.get::<i64, _>(0)),
                event_index: u(r.get::<i64, _>(1)),
                machine: parse_addr(&r.get::<String, _>(2)),
                source_chain_id: parse_u256(&r.get::<String, _>(3)),
                source_tx_hash: parse_b256(&r.get::<String, _>(4)),
                timestamp: u(r.get::<i64, _>(5)),
                attempts: u(r.get::<i64, _>(6)),
            })
            .collect())
    }

    /// Records the outcome of a check (`Pending`: retried at `next_check_at`). When the event's
    /// scored tier changes (it becomes verified, or stops being so) the machine's stored history
    /// is restated from the event's day. Returns whether the tier changed.
    pub async fn record_source_check(
        &self,
        task: &SourceCheckTask,
        status: SourceCheck,
        reason: &str,
        now: u64,
        next_check_at: u64,
    ) -> Result<bool, McrError> {
        let mut tx = self.pool.begin().await?;
        let before = sqlx::query(
            "SELECT status FROM source_checks WHERE machine_id = $1 AND event_index = $2 \
             AND source_chain_id = $3 AND source_tx_hash = $4",
        )
        .bind(i(task.machine_id))
        .bind(i(task.event_index))
        .bind(task.source_chain_id.to_string())
        .bind(task.source_tx_hash.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .map_or(SourceCheck::Pending, |r| {
            SourceCheck::parse(&r.get::<String, _>(0))
        });
        let attempts = if status == SourceCheck::Pending {
            task.attempts + 1
        } else {
            task.attempts
        };
        sqlx::query(
            "INSERT INTO source_checks (machine_id, event_index, source_chain_id, source_tx_hash, status, reason, \
             attempts, checked_at, next_check_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (machine_id, event_index) DO UPDATE SET source_chain_id = excluded.source_chain_id, \
             source_tx_hash = excluded.source_tx_hash, status = excluded.status, reason = excluded.reason, \
             attempts = excluded.attempts, checked_at = excluded.checked_at, next_check_at = excluded.next_check_at",
        )
        .bind(i(task.machine_id))
        .bind(i(task.event_index))
        .bind(task.source_chain_id.to_string())
        .bind(task.source_tx_hash.to_string())
        .bind(status.as_str().to_owned())
        .bind(reason.to_owned())
        .bind(i(attempts))
        .bind(i(now))
        .bind(i(next_check_at))
        .execute(&mut *tx)
        .await?;
        let changed = (before == SourceCheck::Verified) != (status == SourceCheck::Verified);
        if changed {
            restate_history(&mut tx, task.machine_id, Some(task.timestamp / 86_400)).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The reason stored with each checked event of a machine, by event index.
    pub async fn source_check_reasons(
        &self,
        machine_id: u64,
    ) -> Result<BTreeMap<u64, String>, McrError> {
        let rows = sqlx::query(
            "SELECT c.event_index, c.reason FROM source_checks c JOIN events e ON c.machine_id = e.machine_id \
             AND c.event_index = e.event_index AND c.source_chain_id = e.source_chain_id \
             AND c.source_tx_hash = e.source_tx_hash WHERE c.machine_id = $1",
        )
        .bind(i(machine_id))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (u(r.get::<i64, _>(0)), r.get::<String, _>(1)))
            .collect())
    }

    /// Makes the events refused for lack of an RPC for `chain_id` due again (the service now has
    /// one). Returns how many.
    pub async fn requeue_unconfigured(&self, chain_id: u64) -> Result<u64, McrError> {
        let r = sqlx::query(
            "UPDATE source_checks SET status = 'pending', next_check_at = 0 \
             WHERE status = 'unverified' AND source_chain_id = $1 AND reason LIKE $2",
        )
        .bind(chain_id.to_string())
        .bind(format!("{}%", crate::verify::NO_RPC_REASON))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Trust-level-1 events by check status, over all machines.
    pub async fn source_check_counts(&self) -> Result<SourceCheckCounts, McrError> {
        let rows = sqlx::query(
            "SELECT COALESCE(c.status, 'pending'), COUNT(*) FROM events e LEFT JOIN source_checks c \
             ON c.machine_id = e.machine_id AND c.event_index = e.event_index \
             AND c.source_chain_id = e.source_chain_id AND c.source_tx_hash = e.source_tx_hash \
             WHERE e.trust_level = 1 GROUP BY COALESCE(c.status, 'pending')",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = SourceCheckCounts::default();
        for r in &rows {
            let n = u(r.get::<i64, _>(1));
            match SourceCheck::parse(&r.get::<String, _>(0)) {
                SourceCheck::Verified => out.verified += n,
                SourceCheck::Unverified => out.unverified += n,
                _ => out.pending += n,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(id: u64, block: u64) -> LocatedChange {
        let a = Address::with_last_byte(u8::try_from(id).unwrap());
        (
            block,
            0,
            Change::Registered(MachineRow {
                machine_id: id,
                address: a,
                owner: a,
                registered_block: block,
            }),
        )
    }

    #[tokio::test]
    async fn apply_fold_and_rollback_on_sqlite() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        assert_eq!(store.cursor().await.unwrap(), None);
        let batch = RangeBatch {
            changes: vec![
                machine(1, 5),
                (
                    5,
                    1,
                    Change::Staked {
                        machine_id: 1,
                        amount: U256::from(7),
                    },
                ),
                (
                    6,
                    0,
                    Change::Flagged {
                        machine_id: 1,
                        flagged_at: 100,
                    },
                ),
                (
                    6,
                    1,
                    Change::TrustSet {
                        machine_id: 1,
                        value: 80,
                    },
                ),
            ],
            to_block: 6,
            to_hash: B256::with_last_byte(6),
            to_timestamp: 60,
            block_hashes: vec![(5, B256::with_last_byte(5))],
        };
        let (touched, did) = store.apply(&batch).await.unwrap();
        assert_eq!(touched, vec![1]);
        assert!(!did);
        let s = store.machine_state(1).await.unwrap().unwrap();
        assert!(s.bonded());
        assert_eq!(s.flagged_at, Some(100));
        assert_eq!(s.trust_override, Some(80));
        // applying the same batch again changes nothing (idempotent)
        store.apply(&batch).await.unwrap();
        assert_eq!(store.machine_state(1).await.unwrap().unwrap(), s);
        let batch2 = RangeBatch {
            changes: vec![
                (7, 0, Change::FlagCleared { machine_id: 1 }),
                (7, 1, Change::TrustCleared { machine_id: 1 }),
                machine(2, 8),
            ],
            to_block: 8,
            to_hash: B256::with_last_byte(8),
            to_timestamp: 80,
            block_hashes: vec![(7, B256::with_last_byte(7))],
        };
        store.apply(&batch2).await.unwrap();
        let s = store.machine_state(1).await.unwrap().unwrap();
        assert_eq!((s.flagged_at, s.trust_override), (None, None));
        assert_eq!(
            s.operator, s.machine.owner,
            "no OperatorSet: the owner operates"
        );
        assert_eq!(
            store.anomaly_counts().await.unwrap(),
            AnomalyCounts::default()
        );
        // machine 3 registered by a proxy (OperatorSet), an undecodable log and a mismatch
        let proxy = Address::with_last_byte(0xee);
        let wallet = Address::with_last_byte(3);
        let anomaly = |kind| Anomaly {
            kind,
            address: Address::with_last_byte(0xa3),
            tx_hash: B256::with_last_byte(1),
            detail: "x".into(),
        };
        let batch3 = RangeBatch {
            changes: vec![
                (
                    9,
                    0,
                    Change::Registered(MachineRow {
                        machine_id: 3,
                        address: wallet,
                        owner: proxy,
                        registered_block: 9,
                    }),
                ),
                (
                    9,
                    1,
                    Change::OperatorSet {
                        machine_id: 3,
                        operator: proxy,
                    },
                ),
                (9, 2, Change::Anomaly(anomaly(AnomalyKind::Undecodable))),
                (10, 0, Change::Anomaly(anomaly(AnomalyKind::Mismatch))),
                (10, 1, Change::Anomaly(anomaly(AnomalyKind::Undecodable))),
            ],
            to_block: 10,
            to_hash: B256::with_last_byte(10),
            to_timestamp: 100,
            block_hashes: vec![(9, B256::with_last_byte(9))],
        };
        store.apply(&batch3).await.unwrap();
        store.apply(&batch3).await.unwrap();
        assert_eq!(
            store.anomaly_counts().await.unwrap(),
            AnomalyCounts {
                undecodable: 2,
                mismatches: 1
            },
            "counted once however often the range is applied"
        );
        let s3 = store.machine_state(3).await.unwrap().unwrap();
        assert_eq!((s3.machine.address, s3.operator), (wallet, proxy));
        assert_eq!(store.machines_operated_by(&proxy).await.unwrap(), vec![3]);
        assert!(
            store
                .machines_operated_by(&wallet)
                .await
                .unwrap()
                .is_empty()
        );
        store
            .rollback_to(Some((9, B256::with_last_byte(9), 90)))
            .await
            .unwrap();
        assert_eq!(
            store.anomaly_counts().await.unwrap(),
            AnomalyCounts {
                undecodable: 1,
                mismatches: 0
            },
            "anomalies roll back with their block"
        );
        store
            .rollback_to(Some((8, B256::with_last_byte(8), 80)))
            .await
            .unwrap();
        assert!(store.machine_state(3).await.unwrap().is_none());
        assert!(store.machines_operated_by(&proxy).await.unwrap().is_empty());
        assert!(store.machine_state(2).await.unwrap().is_some());
        assert_eq!(store.block_hashes_below(8, 10).await.unwrap().len(), 4);
        store
            .rollback_to(Some((6, B256::with_last_byte(6), 60)))
            .await
            .unwrap();
        assert!(store.machine_state(2).await.unwrap().is_none());
        let s = store.machine_state(1).await.unwrap().unwrap();
        assert_eq!((s.flagged_at, s.trust_override), (Some(100), Some(80)));
        assert_eq!(store.cursor().await.unwrap().unwrap().block, 6);
    }

    /// A database indexed with the earlier contracts (migration 1 only) is rebuilt by
    /// migration 2: its rows are gone and the new schema works.
    #[tokio::test]
    async fn an_index_of_the_earlier_abi_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let url = normalize_database_url(&dir.path().join("old.sqlite").display().to_string());
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new().connect(&url).await.unwrap();
        let mut only_first = migrator();
        only_first.migrations.to_mut().truncate(1);
        only_first.run(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO machines (machine_id, address, operator, bond, registered_block, log_index) \
             VALUES (1, '0x01', '0x01', '1', 1, 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO cursor (id, block, hash, block_timestamp) VALUES (1, 9, '0x00', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        let store = Store::connect(&url).await.unwrap();
        assert_eq!(store.cursor().await.unwrap(), None, "indexing starts again");
        assert!(store.machine_state(1).await.unwrap().is_none());
        store
            .apply(&RangeBatch {
                changes: vec![machine(1, 5)],
                to_block: 5,
                to_hash: B256::with_last_byte(5),
                to_timestamp: 50,
                block_hashes: vec![],
            })
            .await
            .unwrap();
        assert!(store.machine_state(1).await.unwrap().is_some());
        store.close().await;
    }

    #[test]
    fn values_placeholders_number_rows_then_columns() {
        assert_eq!(values_placeholders(1, 1, true), "($1)");
        assert_eq!(
            values_placeholders(2, 3, true),
            "($1, $2, $3), ($4, $5, $6)"
        );
        let big = values_placeholders(ROWS_PER_INSERT, EVENT_COLUMNS, true);
        assert!(big.ends_with(&format!("${})", ROWS_PER_INSERT * EVENT_COLUMNS)));
        assert_eq!(values_placeholders(2, 2, false), "(?, ?), (?, ?)");
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            normalize_database_url("mcr.sqlite"),
            "sqlite://mcr.sqlite?mode=rwc"
        );
        assert_eq!(
            normalize_database_url("postgres://x@h/db"),
            "postgres://x@h/db"
        );
        assert_eq!(normalize_database_url("sqlite::memory:"), "sqlite::memory:");
    }
}
