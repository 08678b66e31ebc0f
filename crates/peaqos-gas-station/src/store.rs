//! Storage through sqlx's `Any` driver: SQLite (default, one file) or PostgreSQL (several
//! replicas sharing limits and idempotency). The SQL is portable (`$n` placeholders, TEXT and
//! BIGINT columns); only the transaction start differs:
//!
//! * SQLite: `BEGIN IMMEDIATE`, which takes the database write lock up front, so every
//!   read-check-write transaction is serialized;
//! * PostgreSQL: `BEGIN` followed by `pg_advisory_xact_lock` on the keys the transaction decides
//!   about (owner, target wallet), taken in sorted order so two transactions never deadlock.

use crate::error::GasStationError;
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Transaction};
use std::borrow::Cow;
use std::time::Duration;

/// Which database backs the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DbKind {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The database pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    kind: DbKind,
}

/// An open transaction.
pub(crate) type Tx = Transaction<'static, Any>;

fn migrator() -> Migrator {
    Migrator {
        migrations: Cow::Owned(vec![Migration::new(
            1,
            Cow::Borrowed("init"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../migrations/0001_init.sql")),
            false,
        )]),
        ..Migrator::DEFAULT
    }
}

/// What a read-check-write transaction decides about (PostgreSQL: one advisory lock each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock<'a> {
    /// An owner's 2FA state, rate limit and cap (canonical owner key).
    Owner(&'a str),
    /// A target wallet's cap on a chain (lowercase hex).
    Target {
        /// Chain id.
        chain_id: u64,
        /// Target wallet.
        wallet: &'a str,
    },
    /// A funding request id.
    Request(&'a str),
}

impl Lock<'_> {
    fn name(&self) -> String {
        match self {
            Self::Owner(k) => format!("owner:{k}"),
            Self::Target { chain_id, wallet } => format!("target:{chain_id}:{wallet}"),
            Self::Request(id) => format!("request:{id}"),
        }
    }
}

/// 64-bit advisory-lock key of a string (first 8 bytes of its BLAKE2b-512 digest).
fn lock_key(s: &str) -> i64 {
    use blake2::{Blake2b512, Digest};
    let d = Blake2b512::digest(s.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

impl Store {
    /// Connects (`sqlite://path` — created when missing — or `postgres://...`) and migrates.
    pub(crate) async fn connect(url: &str) -> Result<Self, GasStationError> {
        sqlx::any::install_default_drivers();
        let (kind, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let mut u = format!("sqlite:{rest}");
            if !u.contains("mode=") {
                u.push_str(if u.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            (DbKind::Sqlite, u)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (DbKind::Postgres, url.to_owned())
        } else {
            return Err(GasStationError::Config(
                "database URL must start with sqlite: or postgres://".into(),
            ));
        };
        let opts = AnyPoolOptions::new()
            .max_connections(if kind == DbKind::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(60));
        let opts = if kind == DbKind::Sqlite {
            opts.after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA busy_timeout = 60000",
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
        } else {
            opts
        };
        let pool = opts.connect(&url).await?;
        migrator().run(&pool).await?;
        Ok(Self { pool, kind })
    }

    /// The pool (reads outside transactions).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a serialized read-check-write transaction deciding about `locks`.
    pub(crate) async fn begin_locked(&self, locks: &[Lock<'_>]) -> Result<Tx, GasStationError> {
        match self.kind {
            DbKind::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            DbKind::Postgres => {
                let mut tx = self.pool.begin().await?;
                let mut ks: Vec<i64> = locks.iter().map(|l| lock_key(&l.name())).collect();
                ks.sort_unstable();
                ks.dedup();
                for k in ks {
                    // Wrapped so the statement returns a type the Any driver knows (not void).
                    sqlx::query("SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock($1)) AS l")
                        .bind(k)
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(tx)
            }
        }
    }

    /// Closes the pool.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Owners
// ---------------------------------------------------------------------------------------------

/// An owner's 2FA record (secrets still sealed).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct OwnerRow {
    /// Sealed confirmed secret.
    pub active_secret: Option<String>,
    /// Last accepted step of the confirmed secret.
    pub active_last_step: Option<i64>,
    /// Sealed secret waiting for confirmation.
    pub pending_secret: Option<String>,
    /// Last accepted step of the pending secret.
    pub pending_last_step: Option<i64>,
    /// Consecutive invalid codes.
    pub failed_attempts: i64,
    /// Locked until this Unix time (0: not locked).
    pub locked_until: i64,
}

impl std::fmt::Debug for OwnerRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerRow")
            .field("active", &self.active_secret.is_some())
            .field("pending", &self.pending_secret.is_some())
            .field("failed_attempts", &self.failed_attempts)
            .field("locked_until", &self.locked_until)
            .finish()
    }
}

type OwnerTuple = (
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
);

/// Reads an owner.
pub(crate) async fn get_owner(
    c: &mut AnyConnection,
    owner: &str,
) -> Result<Option<OwnerRow>, GasStationError> {
    let row: Option<OwnerTuple> = sqlx::query_as(
        "SELECT active_secret, active_last_step, pending_secret, pending_last_step, \
         failed_attempts, locked_until FROM gs_owners WHERE owner = $1",
    )
    .bind(owner)
    .fetch_optional(c)
    .await?;
    Ok(row.map(|r| OwnerRow {
        active_secret: r.0,
        active_last_step: r.1,
        pending_secret: r.2,
        pending_last_step: r.3,
        failed_attempts: r.4,
        locked_until: r.5,
    }))
}

/// Inserts or replaces an owner.
pub(crate) async fn put_owner(
    c: &mut AnyConnection,
    owner: &str,
    row: &OwnerRow,
    now: i64,
) -> Result<(), GasStationError> {
    sqlx::query(
        "INSERT INTO gs_owners (owner, active_secret, active_last_step, pending_secret, \
         pending_last_step, failed_attempts, locked_until, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (owner) DO UPDATE SET active_secret = $2, active_last_step = $3, \
         pending_secret = $4, pending_last_step = $5, failed_attempts = $6, locked_until = $7, \
         updated_at = $8",
    )
    .bind(owner)
    .bind(row.active_secret.clone())
    .bind(row.active_last_step)
    .bind(row.pending_secret.clone())
    .bind(row.pending_last_step)
    .bind(row.failed_attempts)
    .bind(row.locked_until)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// QR images
// ---------------------------------------------------------------------------------------------

/// Replaces every QR token of `owner` by a new one.
pub(crate) async fn put_qr(
    c: &mut AnyConnection,
    token: &str,
    owner: &str,
    format: &str,
    sealed_image: &str,
    expires_at: i64,
) -> Result<(), GasStationError> {
    sqlx::query("DELETE FROM gs_qr WHERE owner = $1")
        .bind(owner)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO gs_qr (token, owner, format, image, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token)
    .bind(owner)
    .bind(format)
    .bind(sealed_image)
    .bind(expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Reads a QR token: (format, sealed image, expires_at).
pub(crate) async fn get_qr(
    pool: &AnyPool,
    token: &str,
) -> Result<Option<(String, String, i64)>, GasStationError> {
    Ok(
        sqlx::query_as("SELECT format, image, expires_at FROM gs_qr WHERE token = $1")
            .bind(token)
            .fetch_optional(pool)
            .await?,
    )
}

/// Deletes QR tokens that expired before `before`.
pub(crate) async fn purge_qr(pool: &AnyPool, before: i64) -> Result<u64, GasStationError> {
    Ok(sqlx::query("DELETE FROM gs_qr WHERE expires_at < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Funding requests (claims)
// ---------------------------------------------------------------------------------------------

/// Claim states.
pub(crate) mod status {
    /// Claimed, transfer not finished.
    pub(crate) const PENDING: &str = "pending";
    /// Transfer confirmed.
    pub(crate) const SUCCESS: &str = "success";
    /// Target already funded; nothing sent.
    pub(crate) const SKIPPED: &str = "skipped";
    /// Transfer mined but reverted (nonce consumed).
    pub(crate) const FAILED: &str = "failed";
}

/// A recorded funding request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestRow {
    /// The idempotency key.
    pub request_id: String,
    /// Owner key.
    pub owner: String,
    /// Target (lowercase hex).
    pub target: String,
    /// Chain id.
    pub chain_id: i64,
    /// One of [`status`].
    pub status: String,
    /// Counted amount (decimal wei).
    pub amount: String,
    /// Final result envelope (JSON) once finished.
    pub result: Option<String>,
    /// Replica that owns the claim.
    pub replica: String,
}

type RequestTuple = (
    String,
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
);

fn request_row(r: RequestTuple) -> RequestRow {
    RequestRow {
        request_id: r.0,
        owner: r.1,
        target: r.2,
        chain_id: r.3,
        status: r.4,
        amount: r.5,
        result: r.6,
        replica: r.7,
    }
}

/// Reads a request by id.
pub(crate) async fn get_request(
    c: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<RequestRow>, GasStationError> {
    let r: Option<RequestTuple> = sqlx::query_as(
        "SELECT request_id, owner, target, chain_id, status, amount, result, replica \
         FROM gs_requests WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_optional(c)
    .await?;
    Ok(r.map(request_row))
}

/// Pending requests of a replica.
pub(crate) async fn pending_requests(
    pool: &AnyPool,
    replica: &str,
) -> Result<Vec<RequestRow>, GasStationError> {
    let rows: Vec<RequestTuple> = sqlx::query_as(
        "SELECT request_id, owner, target, chain_id, status, amount, result, replica \
         FROM gs_requests WHERE status = $1 AND replica = $2",
    )
    .bind(status::PENDING)
    .bind(replica)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(request_row).collect())
}

/// Requests of `owner` on `chain_id` created after `since` (rate limit).
pub(crate) async fn count_owner_requests_since(
    c: &mut AnyConnection,
    owner: &str,
    chain_id: i64,
    since: i64,
) -> Result<i64, GasStationError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM gs_requests WHERE owner = $1 AND chain_id = $2 AND created_at > $3",
    )
    .bind(owner)
    .bind(chain_id)
    .bind(since)
    .fetch_one(c)
    .await?)
}

/// Whose fundings a daily cap counts: the `gs_requests` column it selects on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CapScope {
    /// The owner's cap (`owner` column).
    Owner,
    /// The target wallet's cap (`target` column).
    Target,
}

impl CapScope {
    /// The query of the amounts counted against this cap (pending, succeeded and reverted
    /// fundings; skipped ones are not counted).
    fn counted_amounts_sql(self) -> &'static str {
        match self {
            Self::Owner => {
                "SELECT amount FROM gs_requests WHERE owner = $1 AND chain_id = $2 AND day = $3 \
                 AND status IN ('pending', 'success', 'failed')"
            }
            Self::Target => {
                "SELECT amount FROM gs_requests WHERE target = $1 AND chain_id = $2 AND day = $3 \
                 AND status IN ('pending', 'success', 'failed')"
            }
        }
    }
}

/// Amounts (decimal wei, as stored) counted against the `scope` cap of `who` on `day`.
pub(crate) async fn counted_amounts(
    c: &mut AnyConnection,
    scope: CapScope,
    who: &str,
    chain_id: i64,
    day: i64,
) -> Result<Vec<String>, GasStationError> {
    Ok(sqlx::query_scalar(scope.counted_amounts_sql())
        .bind(who)
        .bind(chain_id)
        .bind(day)
        .fetch_all(c)
        .await?)
}

/// Records a new pending claim.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_claim(
    c: &mut AnyConnection,
    request_id: &str,
    owner: &str,
    target: &str,
    chain_id: i64,
    amount: &str,
    day: i64,
    now: i64,
    replica: &str,
) -> Result<bool, GasStationError> {
    let n = sqlx::query(
        "INSERT INTO gs_requests (request_id, owner, target, chain_id, status, amount, day, \
         created_at, replica, result, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, NULL, $7) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(request_id)
    .bind(owner)
    .bind(target)
    .bind(chain_id)
    .bind(amount)
    .bind(day)
    .bind(now)
    .bind(replica)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Finishes a claim with its final status, counted amount and result JSON.
pub(crate) async fn finish_claim<'c>(
    db: impl sqlx::Executor<'c, Database = Any>,
    request_id: &str,
    status: &str,
    amount: &str,
    result: &str,
    now: i64,
) -> Result<(), GasStationError> {
    sqlx::query(
        "UPDATE gs_requests SET status = $2, amount = $3, result = $4, updated_at = $5 \
         WHERE request_id = $1",
    )
    .bind(request_id)
    .bind(status)
    .bind(amount)
    .bind(result)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes a pending claim whose transfer was never broadcast (the id may be retried).
pub(crate) async fn release_claim(pool: &AnyPool, request_id: &str) -> Result<(), GasStationError> {
    sqlx::query("DELETE FROM gs_requests WHERE request_id = $1 AND status = 'pending'")
        .bind(request_id)
        .execute(pool)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Hot-wallet journal
// ---------------------------------------------------------------------------------------------

/// Journal states.
pub(crate) mod journal_status {
    /// Signed and recorded; maybe broadcast.
    pub(crate) const SIGNED: &str = "signed";
    /// Accepted by the node.
    pub(crate) const SENT: &str = "sent";
    /// Receipt seen.
    pub(crate) const CONFIRMED: &str = "confirmed";
}

/// A journalled transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    /// Request the transfer pays.
    pub request_id: String,
    /// Chain.
    pub chain_id: i64,
    /// Hot wallet (lowercase hex).
    pub wallet: String,
    /// Nonce.
    pub nonce: i64,
    /// Transaction hash (0x hex).
    pub tx_hash: String,
    /// Raw signed transaction (hex, no 0x).
    pub raw_tx: String,
    /// `signed`, `sent` or `confirmed`.
    pub status: String,
}

type JournalTuple = (String, i64, String, i64, String, String, String);

/// Journals a signed transfer (before it is broadcast). `Ok(false)` when another writer (a replica sharing the hot wallet)
/// already journalled this `(chain, wallet, nonce)`: nothing is written and the caller picks
/// another nonce.
pub(crate) async fn insert_journal(
    pool: &AnyPool,
    row: &JournalRow,
    replica: &str,
    now: i64,
) -> Result<bool, GasStationError> {
    let done = sqlx::query(
        "INSERT INTO gs_journal (request_id, chain_id, wallet, nonce, tx_hash, raw_tx, status, \
         replica, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (chain_id, wallet, nonce) DO NOTHING",
    )
    .bind(&row.request_id)
    .bind(row.chain_id)
    .bind(&row.wallet)
    .bind(row.nonce)
    .bind(&row.tx_hash)
    .bind(&row.raw_tx)
    .bind(&row.status)
    .bind(replica)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Updates a journal entry's status.
pub(crate) async fn set_journal_status<'c>(
    db: impl sqlx::Executor<'c, Database = Any>,
    request_id: &str,
    status: &str,
    now: i64,
) -> Result<(), GasStationError> {
    sqlx::query("UPDATE gs_journal SET status = $2, updated_at = $3 WHERE request_id = $1")
        .bind(request_id)
        .bind(status)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Removes a journal entry whose transaction never reached the chain (nonce released).
pub(crate) async fn delete_journal(
    pool: &AnyPool,
    request_id: &str,
) -> Result<(), GasStationError> {
    sqlx::query("DELETE FROM gs_journal WHERE request_id = $1")
        .bind(request_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The journal entry of a request.
pub(crate) async fn get_journal(
    pool: &AnyPool,
    request_id: &str,
) -> Result<Option<JournalRow>, GasStationError> {
    let r: Option<JournalTuple> = sqlx::query_as(
        "SELECT request_id, chain_id, wallet, nonce, tx_hash, raw_tx, status FROM gs_journal \
         WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_optional(pool)
    .await?;
    Ok(r.map(journal_row))
}

fn journal_row(r: JournalTuple) -> JournalRow {
    JournalRow {
        request_id: r.0,
        chain_id: r.1,
        wallet: r.2,
        nonce: r.3,
        tx_hash: r.4,
        raw_tx: r.5,
        status: r.6,
    }
}

/// Unconfirmed journal entries of a wallet, by nonce.
pub(crate) async fn open_journal(
    pool: &AnyPool,
    chain_id: i64,
    wallet: &str,
) -> Result<Vec<JournalRow>, GasStationError> {
    let rows: Vec<JournalTuple> = sqlx::query_as(
        "SELECT request_id, chain_id, wallet, nonce, tx_hash, raw_tx, status FROM gs_journal \
         WHERE chain_id = $1 AND wallet = $2 AND status <> 'confirmed' ORDER BY nonce",
    )
    .bind(chain_id)
    .bind(wallet)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(journal_row).collect())
}

/// Every journal entry of a wallet, by nonce (tests, tools).
pub(crate) async fn all_journal(
    pool: &AnyPool,
    chain_id: i64,
    wallet: &str,
) -> Result<Vec<JournalRow>, GasStationError> {
    let rows: Vec<JournalTuple> = sqlx::query_as(
        "SELECT request_id, chain_id, wallet, nonce, tx_hash, raw_tx, status FROM gs_journal \
         WHERE chain_id = $1 AND wallet = $2 ORDER BY nonce",
    )
    .bind(chain_id)
    .bind(wallet)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(journal_row).collect())
}

/// Journalled nonces of a hot wallet at or above `from`, ascending.
pub(crate) async fn journal_nonces_from(
    pool: &AnyPool,
    chain_id: i64,
    wallet: &str,
    from: i64,
) -> Result<Vec<i64>, GasStationError> {
    Ok(sqlx::query_scalar(
        "SELECT nonce FROM gs_journal WHERE chain_id = $1 AND wallet = $2 AND nonce >= $3 ORDER BY nonce",
    )
    .bind(chain_id)
    .bind(wallet)
    .bind(from)
    .fetch_all(pool)
    .await?)
}

/// The lowest nonce at or above `from` that no journal row holds (`taken` ascending).
pub(crate) fn first_free_nonce(from: u64, taken: &[i64]) -> u64 {
    let mut n = from;
    for &t in taken {
        match u64::try_from(t) {
            Ok(t) if t == n => n += 1,
            Ok(t) if t > n => break,
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::first_free_nonce;

    #[test]
    fn first_free_nonce_fills_gaps() {
        assert_eq!(first_free_nonce(5, &[]), 5);
        assert_eq!(first_free_nonce(5, &[5, 6, 7]), 8);
        assert_eq!(
            first_free_nonce(5, &[5, 7, 8]),
            6,
            "a refused nonce is reused"
        );
        assert_eq!(first_free_nonce(5, &[6, 7]), 5);
        assert_eq!(first_free_nonce(0, &[0, 1, 2, 4]), 3);
    }
}
