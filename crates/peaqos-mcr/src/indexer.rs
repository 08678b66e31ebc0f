//! The chain indexer: reads the chain the way it is on peaq mainnet. `eth_getLogs` over the
//! peaqOS contracts and the DID precompile says what changed; `EventSubmitted` logs say which
//! machine has new events and the records come from `EventRegistry.getEvents` at the log's
//! block (batched per machine and range); `Registered` is completed with `machineWalletOf` and
//! `MachineReactivated` with `getMachineStatus`, both at the log's block. It writes one
//! transaction per block range, resumes from its cursor, waits for confirmations, survives
//! reorgs, adapts its range to what the node accepts, and keeps every log it cannot decode (and
//! every record that disagrees with its log) as a counted anomaly.

use crate::cache::Cache;
use crate::error::McrError;
use crate::store::{
    Anomaly, AnomalyKind, Change, Cursor, EventRow, LocatedChange, MachineRow, RangeBatch, Store,
};
use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use futures::stream::{self, StreamExt, TryStreamExt};
use parking_lot::Mutex;
use peaqos_contracts::precompiles::DidRegistry;
use peaqos_contracts::{AdminFlags, EventRegistry, IdentityRegistry, IdentityStaking, MachineNFT};
use peaqos_types::identity::MachineStatus;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// The addresses the indexer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedContracts {
    /// IdentityRegistry.
    pub identity_registry: Address,
    /// IdentityStaking.
    pub identity_staking: Address,
    /// EventRegistry.
    pub event_registry: Address,
    /// MachineNFT.
    pub machine_nft: Address,
    /// AdminFlags (optional on a deployment).
    pub admin_flags: Option<Address>,
    /// The DID precompile.
    pub did_registry: Address,
}

impl IndexedContracts {
    /// Every followed address.
    pub fn addresses(&self) -> Vec<Address> {
        let mut v = vec![
            self.identity_registry,
            self.identity_staking,
            self.event_registry,
            self.machine_nft,
        ];
        v.extend(self.admin_flags);
        v.push(self.did_registry);
        v
    }
}

/// Tuning of the indexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexerSettings {
    /// First block to index.
    pub start_block: u64,
    /// Blocks to wait behind the head.
    pub confirmations: u64,
    /// First `eth_getLogs` range width.
    pub initial_range: u64,
    /// Widest range.
    pub max_range: u64,
    /// Sleep between polls once caught up.
    pub poll_interval: Duration,
    /// View calls (`getEvents`, `machineWalletOf`, ...) in flight at once.
    pub rpc_concurrency: usize,
}

/// Default [`IndexerSettings::rpc_concurrency`].
pub const DEFAULT_RPC_CONCURRENCY: usize = 8;

/// Upper bound on the records asked for in one `getEvents` call, whatever `MAX_QUERY_LIMIT()`
/// says (keeps one answer around a megabyte).
pub const RECORDS_PER_CALL_CAP: u64 = 1_000;

impl Default for IndexerSettings {
    fn default() -> Self {
        Self {
            start_block: 0,
            confirmations: 10,
            initial_range: 1_000,
            max_range: 10_000,
            poll_interval: Duration::from_secs(2),
            rpc_concurrency: DEFAULT_RPC_CONCURRENCY,
        }
    }
}

/// Live indexer figures shared with the API.
#[derive(Debug)]
pub struct IndexerStatus {
    indexed: watch::Sender<u64>,
    /// Latest head seen.
    pub head: AtomicU64,
    /// Timestamp of the last indexed block.
    pub indexed_timestamp: AtomicU64,
    /// Whether the last RPC exchange succeeded.
    pub rpc_connected: AtomicBool,
    /// Whether the index has reached the safe head at least once.
    pub synced: AtomicBool,
    /// Whether a cursor exists at all.
    pub has_cursor: AtomicBool,
    /// Current `eth_getLogs` range width.
    pub range: AtomicU64,
    /// Reorgs handled since start.
    pub reorgs: AtomicU64,
    /// Logs in the index that could not be decoded.
    pub undecodable_logs: AtomicU64,
    /// Event records in the index that disagree with their `EventSubmitted` log.
    pub record_mismatches: AtomicU64,
    /// Last error, if any.
    pub last_error: Mutex<Option<String>>,
}

impl IndexerStatus {
    /// A fresh status.
    pub fn new(initial_range: u64) -> Arc<Self> {
        Arc::new(Self {
            indexed: watch::channel(0).0,
            head: AtomicU64::new(0),
            indexed_timestamp: AtomicU64::new(0),
            rpc_connected: AtomicBool::new(false),
            synced: AtomicBool::new(false),
            has_cursor: AtomicBool::new(false),
            range: AtomicU64::new(initial_range),
            reorgs: AtomicU64::new(0),
            undecodable_logs: AtomicU64::new(0),
            record_mismatches: AtomicU64::new(0),
            last_error: Mutex::new(None),
        })
    }

    /// Last fully indexed block.
    pub fn indexed_block(&self) -> u64 {
        *self.indexed.borrow()
    }

    /// A receiver that changes whenever the indexed block moves.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.indexed.subscribe()
    }

    /// `head - indexed` (0 when unknown).
    pub fn lag(&self) -> u64 {
        self.head
            .load(Ordering::Relaxed)
            .saturating_sub(self.indexed_block())
    }

    fn set_indexed(&self, block: u64, timestamp: u64) {
        self.indexed_timestamp.store(timestamp, Ordering::Relaxed);
        self.has_cursor.store(true, Ordering::Relaxed);
        self.indexed.send_replace(block);
    }
}

/// Pure range arithmetic: grow after success, shrink after a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdaptiveRange {
    /// Current width.
    pub current: u64,
    /// Upper bound.
    pub max: u64,
}

impl AdaptiveRange {
    /// Doubles the width (up to `max`).
    pub fn grow(&mut self) {
        self.current = self.current.saturating_mul(2).min(self.max).max(1);
    }

    /// Halves the width; `false` when it already was 1 (the refusal is not about the range).
    pub fn shrink(&mut self) -> bool {
        if self.current <= 1 {
            return false;
        }
        self.current = (self.current / 2).max(1);
        true
    }
}

fn to_u64(v: U256, what: &str) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("{what} {v} does not fit 64 bits"))
}

/// An `EventSubmitted` log: which record to read, and what the record must agree with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLog {
    /// Machine id (topic 1).
    pub machine_id: u64,
    /// Event index (topic 2).
    pub event_index: u64,
    /// `eventType` of the log.
    pub event_type: u8,
    /// `value` of the log.
    pub value: U256,
    /// Topic 3: `keccak256(bytes(currency))`.
    pub currency_topic: B256,
}

/// A decoded log: a change as it is, or one that needs a read at the log's block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A change complete from the log alone.
    Change(Change),
    /// `Registered`: the machine wallet is read with `machineWalletOf` at the log's block.
    Registered {
        /// The machine.
        machine_id: u64,
        /// Its owner (the registrant).
        owner: Address,
    },
    /// `MachineReactivated`: the restored status is read with `getMachineStatus` at the block.
    Reactivated {
        /// The machine.
        machine_id: u64,
    },
    /// `EventSubmitted`: the record is read with `getEvents`.
    Event(EventLog),
    /// Decoded, and nothing the index keeps (a DID attribute written by a stranger, an event of
    /// a followed contract the index does not use).
    Ignored,
}

/// Decodes one log of a followed contract with the bindings' generated event decoders.
/// `Err` carries why the log could not be decoded (it is counted, never dropped silently).
pub fn decode_log(contracts: &IndexedContracts, log: &Log) -> Result<Decoded, String> {
    use alloy::sol_types::SolEventInterface;
    let inner = &log.inner;
    let (topics, data) = (inner.data.topics(), inner.data.data.as_ref());
    let at = inner.address;
    let err = |e: alloy::sol_types::Error| e.to_string();
    if at == contracts.identity_registry {
        use IdentityRegistry::IdentityRegistryEvents as E;
        return Ok(match E::decode_raw_log(topics, data).map_err(err)? {
            E::Registered(e) => Decoded::Registered {
                machine_id: to_u64(e.machineId, "machineId")?,
                owner: e.owner,
            },
            E::OperatorSet(e) => Decoded::Change(Change::OperatorSet {
                machine_id: to_u64(e.machineId, "machineId")?,
                operator: e.operator,
            }),
            E::MachineVerified(e) => status(e.machineId, MachineStatus::Verified)?,
            E::MachineRejected(e) => status(e.machineId, MachineStatus::Rejected)?,
            E::MachineDeactivated(e) => status(e.machineId, MachineStatus::Deactivated)?,
            E::MachineReactivated(e) => Decoded::Reactivated {
                machine_id: to_u64(e.machineId, "machineId")?,
            },
            _ => Decoded::Ignored,
        });
    }
    if at == contracts.identity_staking {
        use IdentityStaking::IdentityStakingEvents as E;
        return Ok(match E::decode_raw_log(topics, data).map_err(err)? {
            E::Staked(e) => Decoded::Change(Change::Staked {
                machine_id: to_u64(e.machineId, "machineId")?,
                amount: e.amount,
            }),
            _ => Decoded::Ignored,
        });
    }
    if at == contracts.event_registry {
        use EventRegistry::EventRegistryEvents as E;
        return Ok(match E::decode_raw_log(topics, data).map_err(err)? {
            E::EventSubmitted(e) => Decoded::Event(EventLog {
                machine_id: to_u64(e.machineId, "machineId")?,
                event_index: to_u64(e.eventIndex, "eventIndex")?,
                event_type: e.eventType,
                value: e.value,
                currency_topic: e.currency,
            }),
            _ => Decoded::Ignored,
        });
    }
    if at == contracts.machine_nft {
        use MachineNFT::MachineNFTEvents as E;
        return Ok(match E::decode_raw_log(topics, data).map_err(err)? {
            E::MachineMinted(e) => Decoded::Change(Change::Nft {
                machine_id: to_u64(e.machineId, "machineId")?,
                token_id: to_u64(e.tokenId, "tokenId")?,
                recipient: e.recipient,
            }),
            _ => Decoded::Ignored,
        });
    }
    if Some(at) == contracts.admin_flags {
        use AdminFlags::AdminFlagsEvents as E;
        return Ok(match E::decode_raw_log(topics, data).map_err(err)? {
            E::MachineFlagged(e) => Decoded::Change(Change::Flagged {
                machine_id: to_u64(e.machineId, "machineId")?,
                flagged_at: u64::try_from(e.flaggedAt).unwrap_or(u64::MAX),
            }),
            E::FlagCleared(e) => Decoded::Change(Change::FlagCleared {
                machine_id: to_u64(e.machineId, "machineId")?,
            }),
            E::TrustOverrideSet(e) => Decoded::Change(Change::TrustSet {
                machine_id: to_u64(e.machineId, "machineId")?,
                value: u8::try_from(e.value.min(U256::from(100))).unwrap_or(100),
            }),
            E::TrustOverrideCleared(e) => Decoded::Change(Change::TrustCleared {
                machine_id: to_u64(e.machineId, "machineId")?,
            }),
            _ => Decoded::Ignored,
        });
    }
    if at == contracts.did_registry {
        use DidRegistry::DidRegistryEvents as E;
        return match E::decode_raw_log(topics, data).map_err(err)? {
            E::AddAttribute(e) => trusted_attribute(e.sender, e.did_account, &e.name, &e.value),
            E::UpdateAttribute(e) => trusted_attribute(e.sender, e.did_account, &e.name, &e.value),
            // No sender on the log. Only the attribute's creator may remove it, and the DID
            // owner's own attribute can only be created by the owner, so a removal never
            // deletes something a stranger could not already have prevented.
            E::RemoveAttribte(e) => {
                let name = String::from_utf8(e.name.to_vec())
                    .map_err(|_| "attribute name is not UTF-8".to_owned())?;
                Ok(Decoded::Change(Change::DidAttribute {
                    account: e.did_account,
                    name,
                    value: None,
                    sender: e.did_account,
                }))
            }
        };
    }
    Err(format!("log of {at}, which the index does not follow"))
}

fn status(machine_id: U256, s: MachineStatus) -> Result<Decoded, String> {
    Ok(Decoded::Change(Change::Status {
        machine_id: to_u64(machine_id, "machineId")?,
        status: s.as_u8(),
    }))
}

/// A DID attribute is trusted only when written by the DID account itself.
fn trusted_attribute(
    sender: Address,
    account: Address,
    name: &[u8],
    value: &[u8],
) -> Result<Decoded, String> {
    if sender != account {
        return Ok(Decoded::Ignored);
    }
    let name =
        String::from_utf8(name.to_vec()).map_err(|_| "attribute name is not UTF-8".to_owned())?;
    let value = String::from_utf8_lossy(value).into_owned();
    Ok(Decoded::Change(Change::DidAttribute {
        account,
        name,
        value: Some(value),
        sender,
    }))
}

/// The topic0 values the indexer asks for.
pub fn followed_topics() -> Vec<B256> {
    vec![
        IdentityRegistry::Registered::SIGNATURE_HASH,
        IdentityRegistry::OperatorSet::SIGNATURE_HASH,
        IdentityRegistry::MachineVerified::SIGNATURE_HASH,
        IdentityRegistry::MachineRejected::SIGNATURE_HASH,
        IdentityRegistry::MachineDeactivated::SIGNATURE_HASH,
        IdentityRegistry::MachineReactivated::SIGNATURE_HASH,
        IdentityStaking::Staked::SIGNATURE_HASH,
        EventRegistry::EventSubmitted::SIGNATURE_HASH,
        MachineNFT::MachineMinted::SIGNATURE_HASH,
        AdminFlags::MachineFlagged::SIGNATURE_HASH,
        AdminFlags::FlagCleared::SIGNATURE_HASH,
        AdminFlags::TrustOverrideSet::SIGNATURE_HASH,
        AdminFlags::TrustOverrideCleared::SIGNATURE_HASH,
        DidRegistry::AddAttribute::SIGNATURE_HASH,
        DidRegistry::UpdateAttribute::SIGNATURE_HASH,
        DidRegistry::RemoveAttribte::SIGNATURE_HASH,
    ]
}

/// Where a log sits: `(block, log_index)` plus what an anomaly row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Located {
    block: u64,
    log_index: u64,
    address: Address,
    tx_hash: B256,
    block_timestamp: Option<u64>,
}

/// One `getEvents` call: `limit` records of `machine_id` from `offset`, read at `block`, for
/// the logs `logs` (one per record, in index order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRead {
    /// Machine id.
    pub machine_id: u64,
    /// First index.
    pub offset: u64,
    /// Block of the last log of the run (the records are append-only, so every earlier one is
    /// there too).
    pub block: u64,
    /// Indices into the caller's log list, one per record.
    pub logs: Vec<usize>,
}

/// Plans the `getEvents` reads for a range: per machine, runs of consecutive event indices, each
/// cut into calls of at most `max_limit` records, read at the block of the run's last log.
/// `events[i] = (block, log)`. A repeated index is read once (its first log).
pub fn plan_record_reads(events: &[(u64, &EventLog)], max_limit: u64) -> Vec<RecordRead> {
    let max_limit = usize::try_from(max_limit.max(1)).unwrap_or(usize::MAX);
    let mut by_machine: BTreeMap<u64, Vec<(u64, u64, usize)>> = BTreeMap::new();
    for (i, (block, e)) in events.iter().enumerate() {
        by_machine
            .entry(e.machine_id)
            .or_default()
            .push((e.event_index, *block, i));
    }
    let mut reads = Vec::new();
    for (machine_id, mut v) in by_machine {
        v.sort_unstable();
        v.dedup_by_key(|(index, _, _)| *index);
        let mut run: Vec<(u64, u64, usize)> = Vec::new();
        let flush = |run: &mut Vec<(u64, u64, usize)>, reads: &mut Vec<RecordRead>| {
            for chunk in run.chunks(max_limit) {
                reads.push(RecordRead {
                    machine_id,
                    offset: chunk[0].0,
                    block: chunk.iter().map(|c| c.1).max().unwrap_or(0),
                    logs: chunk.iter().map(|c| c.2).collect(),
                });
            }
            run.clear();
        };
        for item in v {
            if run.last().is_some_and(|last| last.0 + 1 != item.0) {
                flush(&mut run, &mut reads);
            }
            run.push(item);
        }
        flush(&mut run, &mut reads);
    }
    reads
}

/// Checks a record against its log: `None` when they agree, else what differs.
pub fn cross_check(log: &EventLog, record: &EventRegistry::MachineEvent) -> Option<String> {
    let mut diffs = Vec::new();
    if record.machineId != U256::from(log.machine_id) {
        diffs.push(format!(
            "machineId {} (log {})",
            record.machineId, log.machine_id
        ));
    }
    if record.eventType != log.event_type {
        diffs.push(format!(
            "eventType {} (log {})",
            record.eventType, log.event_type
        ));
    }
    if record.value != log.value {
        diffs.push(format!("value {} (log {})", record.value, log.value));
    }
    if keccak256(record.currency.as_bytes()) != log.currency_topic {
        diffs.push(format!(
            "keccak256(currency {:?}) != log topic {}",
            record.currency, log.currency_topic
        ));
    }
    (!diffs.is_empty()).then(|| {
        format!(
            "record {} of machine {}: {}",
            log.event_index,
            log.machine_id,
            diffs.join(", ")
        )
    })
}

fn event_row(log: &EventLog, r: EventRegistry::MachineEvent, at: &Located) -> EventRow {
    EventRow {
        machine_id: log.machine_id,
        event_index: log.event_index,
        event_type: r.eventType,
        value: r.value,
        currency: r.currency,
        timestamp: u64::try_from(r.timestamp).unwrap_or(u64::MAX),
        data_hash: r.dataHash,
        trust_level: r.trustLevel,
        source_chain_id: r.sourceChainId,
        source_tx_hash: r.sourceTxHash,
        metadata: r.metadata,
        block: at.block,
        block_timestamp: at.block_timestamp,
        tx_hash: at.tx_hash,
        log_index: at.log_index,
        source_check: peaqos_mcr_model::SourceCheck::NotApplicable,
    }
}

/// Outcome of one indexing step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Indexed a range up to this block (more may follow).
    Indexed {
        /// The range's last block.
        to: u64,
        /// Logs the range held.
        logs: usize,
    },
    /// Rolled back to this block after a reorg.
    RolledBack {
        /// The common ancestor kept; `None` when nothing was kept.
        to: Option<u64>,
    },
    /// Nothing to do: the index is at the safe head.
    CaughtUp,
}

/// The indexer.
#[derive(Debug, Clone)]
pub struct Indexer {
    provider: DynProvider,
    store: Store,
    contracts: IndexedContracts,
    settings: IndexerSettings,
    status: Arc<IndexerStatus>,
    cache: Arc<Cache>,
    range: Arc<Mutex<AdaptiveRange>>,
    max_query_limit: Arc<tokio::sync::OnceCell<u64>>,
}

struct Header {
    hash: B256,
    parent_hash: B256,
    timestamp: u64,
}

fn rpc_err(e: impl std::fmt::Display) -> McrError {
    McrError::Rpc(e.to_string())
}

impl Indexer {
    /// A new indexer.
    pub fn new(
        provider: DynProvider,
        store: Store,
        contracts: IndexedContracts,
        settings: IndexerSettings,
        status: Arc<IndexerStatus>,
        cache: Arc<Cache>,
    ) -> Self {
        let range = AdaptiveRange {
            current: settings.initial_range.clamp(1, settings.max_range.max(1)),
            max: settings.max_range.max(1),
        };
        Self {
            provider,
            store,
            contracts,
            settings,
            status,
            cache,
            range: Arc::new(Mutex::new(range)),
            max_query_limit: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// `EventRegistry.MAX_QUERY_LIMIT()`, read once, bounded to 1..=[`RECORDS_PER_CALL_CAP`].
    pub async fn max_query_limit(&self) -> Result<u64, McrError> {
        self.max_query_limit
            .get_or_try_init(|| async {
                let er = EventRegistry::new(self.contracts.event_registry, &self.provider);
                let v =
                    er.MAX_QUERY_LIMIT().call().await.map_err(|e| {
                        McrError::Rpc(format!("EventRegistry.MAX_QUERY_LIMIT(): {e}"))
                    })?;
                Ok(u64::try_from(v)
                    .unwrap_or(u64::MAX)
                    .clamp(1, RECORDS_PER_CALL_CAP))
            })
            .await
            .copied()
    }

    async fn refresh_anomaly_counts(&self) -> Result<(), McrError> {
        let c = self.store.anomaly_counts().await?;
        self.status
            .undecodable_logs
            .store(c.undecodable, Ordering::Relaxed);
        self.status
            .record_mismatches
            .store(c.mismatches, Ordering::Relaxed);
        Ok(())
    }

    async fn header(&self, n: u64) -> Result<Option<Header>, McrError> {
        let b = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(n))
            .await
            .map_err(rpc_err)?;
        Ok(b.map(|b| Header {
            hash: b.header.hash,
            parent_hash: b.header.parent_hash,
            timestamp: b.header.timestamp,
        }))
    }

    /// Loads the stored cursor into the status (call once before [`Indexer::run`]).
    pub async fn load_cursor(&self) -> Result<Option<Cursor>, McrError> {
        let c = self.store.cursor().await?;
        self.refresh_anomaly_counts().await?;
        if let Some(c) = c {
            self.status.set_indexed(c.block, c.timestamp);
        }
        Ok(c)
    }

    /// One step: reorg check, then one range.
    pub async fn step(&self) -> Result<Step, McrError> {
        let head = self.provider.get_block_number().await.map_err(rpc_err)?;
        self.status.head.store(head, Ordering::Relaxed);
        self.status.rpc_connected.store(true, Ordering::Relaxed);
        let safe = head.saturating_sub(self.settings.confirmations);
        let cursor = self.store.cursor().await?;
        if let Some(c) = cursor {
            // Parent-hash check: the next block must build on the stored cursor hash (or, when
            // there is no next block yet, the cursor block must still be there unchanged).
            let consistent = if head > c.block {
                self.header(c.block + 1)
                    .await?
                    .is_none_or(|h| h.parent_hash == c.hash)
            } else {
                self.header(c.block)
                    .await?
                    .is_some_and(|h| h.hash == c.hash)
            };
            if !consistent {
                return self.handle_reorg(c).await;
            }
        }
        let from = cursor.map_or(self.settings.start_block, |c| c.block + 1);
        if from > safe {
            self.status.synced.store(true, Ordering::Relaxed);
            return Ok(Step::CaughtUp);
        }
        loop {
            let width = self.range.lock().current;
            let to = safe.min(from.saturating_add(width - 1));
            let Some(to_header) = self.header(to).await? else {
                return Ok(Step::CaughtUp);
            };
            let filter = Filter::new()
                .from_block(from)
                .to_block(to)
                .address(self.contracts.addresses())
                .event_signature(followed_topics());
            match self.provider.get_logs(&filter).await {
                Ok(logs) => {
                    self.range.lock().grow();
                    self.status
                        .range
                        .store(self.range.lock().current, Ordering::Relaxed);
                    let n = logs.len();
                    self.write_range(from, to, &to_header, &logs).await?;
                    if to >= safe {
                        self.status.synced.store(true, Ordering::Relaxed);
                    }
                    return Ok(Step::Indexed { to, logs: n });
                }
                Err(e) => {
                    let shrunk = self.range.lock().shrink();
                    self.status
                        .range
                        .store(self.range.lock().current, Ordering::Relaxed);
                    tracing::debug!(from, to, error = %e, "eth_getLogs refused; shrinking the range");
                    if !shrunk {
                        return Err(rpc_err(e));
                    }
                }
            }
        }
    }

    async fn write_range(
        &self,
        _from: u64,
        to: u64,
        to_header: &Header,
        logs: &[Log],
    ) -> Result<(), McrError> {
        let mut block_hashes = Vec::new();
        let mut decoded: Vec<(Located, Decoded)> = Vec::with_capacity(logs.len());
        let mut anomalies = 0usize;
        for log in logs {
            if log.removed {
                continue;
            }
            let (Some(block), Some(log_index)) = (log.block_number, log.log_index) else {
                tracing::warn!(address = %log.address(), tx = ?log.transaction_hash, "log without block number or log index in an eth_getLogs answer: skipped");
                continue;
            };
            if let Some(h) = log.block_hash
                && block_hashes.last().is_none_or(|(b, _)| *b != block)
            {
                block_hashes.push((block, h));
            }
            let at = Located {
                block,
                log_index,
                address: log.address(),
                tx_hash: log.transaction_hash.unwrap_or_default(),
                block_timestamp: log
                    .block_timestamp
                    .or((block == to).then_some(to_header.timestamp)),
            };
            match decode_log(&self.contracts, log) {
                Ok(d) => decoded.push((at, d)),
                Err(reason) => {
                    anomalies += 1;
                    tracing::warn!(
                        block,
                        log_index,
                        address = %at.address,
                        topic0 = ?log.topic0(),
                        tx = %at.tx_hash,
                        %reason,
                        "undecodable log: kept as an anomaly and counted on /ready (undecodable_logs)"
                    );
                    decoded.push((
                        at,
                        Decoded::Change(Change::Anomaly(Anomaly {
                            kind: AnomalyKind::Undecodable,
                            address: at.address,
                            tx_hash: at.tx_hash,
                            detail: format!("topic0 {:?}: {reason}", log.topic0()),
                        })),
                    ));
                }
            }
        }
        let (changes, mismatches) = self.resolve(decoded).await?;
        anomalies += mismatches;
        let batch = RangeBatch {
            changes,
            to_block: to,
            to_hash: to_header.hash,
            to_timestamp: to_header.timestamp,
            block_hashes,
        };
        let (touched, did_changed) = self.store.apply(&batch).await?;
        if did_changed {
            self.cache.clear();
        } else {
            for id in touched {
                self.cache.invalidate(id);
            }
        }
        if anomalies > 0 {
            self.refresh_anomaly_counts().await?;
        }
        self.status.set_indexed(to, to_header.timestamp);
        Ok(())
    }

    /// Completes the decoded logs with the reads at their blocks (wallets, restored statuses,
    /// event records) and returns the changes in log order plus the number of records that
    /// disagreed with their log.
    async fn resolve(
        &self,
        decoded: Vec<(Located, Decoded)>,
    ) -> Result<(Vec<LocatedChange>, usize), McrError> {
        let concurrency = self.settings.rpc_concurrency.max(1);
        let registry = IdentityRegistry::new(self.contracts.identity_registry, &self.provider);
        let events = EventRegistry::new(self.contracts.event_registry, &self.provider);

        // Registered -> machineWalletOf, Reactivated -> getMachineStatus (at the log's block).
        let point_reads: Vec<(usize, u64, bool)> = decoded
            .iter()
            .enumerate()
            .filter_map(|(i, (_, d))| match d {
                Decoded::Registered { machine_id, .. } => Some((i, *machine_id, true)),
                Decoded::Reactivated { machine_id } => Some((i, *machine_id, false)),
                _ => None,
            })
            .collect();
        let point_results: Vec<(usize, Change)> = stream::iter(point_reads)
            .map(|(i, machine_id, wallet)| {
                let at = decoded[i].0;
                let registry = &registry;
                let owner = match &decoded[i].1 {
                    Decoded::Registered { owner, .. } => *owner,
                    _ => Address::ZERO,
                };
                async move {
                    let block = BlockId::number(at.block);
                    let id = U256::from(machine_id);
                    if wallet {
                        let address = registry
                            .machineWalletOf(id)
                            .block(block)
                            .call()
                            .await
                            .map_err(|e| {
                                McrError::Rpc(format!(
                                    "machineWalletOf({machine_id}) at block {}: {e}",
                                    at.block
                                ))
                            })?;
                        Ok::<_, McrError>((
                            i,
                            Change::Registered(MachineRow {
                                machine_id,
                                address,
                                owner,
                                registered_block: at.block,
                            }),
                        ))
                    } else {
                        let status = registry
                            .getMachineStatus(id)
                            .block(block)
                            .call()
                            .await
                            .map_err(|e| {
                                McrError::Rpc(format!(
                                    "getMachineStatus({machine_id}) at block {}: {e}",
                                    at.block
                                ))
                            })?;
                        Ok((i, Change::Status { machine_id, status }))
                    }
                }
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;

        // EventSubmitted -> getEvents, per machine and run of indices.
        let event_logs: Vec<(usize, u64, &EventLog)> = decoded
            .iter()
            .enumerate()
            .filter_map(|(i, (at, d))| match d {
                Decoded::Event(e) => Some((i, at.block, e)),
                _ => None,
            })
            .collect();
        let mut record_results: Vec<(usize, Change)> = Vec::new();
        let mut mismatches = 0usize;
        if !event_logs.is_empty() {
            let limit = self.max_query_limit().await?;
            let plan_input: Vec<(u64, &EventLog)> =
                event_logs.iter().map(|(_, b, e)| (*b, *e)).collect();
            let reads = plan_record_reads(&plan_input, limit);
            let answers: Vec<(RecordRead, Vec<EventRegistry::MachineEvent>)> = stream::iter(reads)
                .map(|r| {
                    let events = &events;
                    async move {
                        let n = r.logs.len() as u64;
                        let records = events
                            .getEvents(
                                U256::from(r.machine_id),
                                U256::from(r.offset),
                                U256::from(n),
                            )
                            .block(BlockId::number(r.block))
                            .call()
                            .await
                            .map_err(|e| {
                                McrError::Rpc(format!(
                                    "getEvents({}, {}, {n}) at block {}: {e}",
                                    r.machine_id, r.offset, r.block
                                ))
                            })?;
                        if records.len() as u64 != n {
                            return Err(McrError::Rpc(format!(
                                "getEvents({}, {}, {n}) at block {} returned {} records",
                                r.machine_id,
                                r.offset,
                                r.block,
                                records.len()
                            )));
                        }
                        Ok((r, records))
                    }
                })
                .buffer_unordered(concurrency)
                .try_collect()
                .await?;
            for (read, records) in answers {
                for (k, record) in read.logs.iter().zip(records) {
                    let (i, _, log) = event_logs[*k];
                    let at = decoded[i].0;
                    if let Some(diff) = cross_check(log, &record) {
                        mismatches += 1;
                        tracing::warn!(
                            block = at.block,
                            log_index = at.log_index,
                            tx = %at.tx_hash,
                            %diff,
                            "event record disagrees with its EventSubmitted log: stored as read, counted on /ready (record_mismatches)"
                        );
                        record_results.push((
                            i,
                            Change::Anomaly(Anomaly {
                                kind: AnomalyKind::Mismatch,
                                address: at.address,
                                tx_hash: at.tx_hash,
                                detail: diff,
                            }),
                        ));
                    }
                    record_results.push((i, Change::Event(Box::new(event_row(log, record, &at)))));
                }
            }
        }

        let mut completed: Vec<Option<Vec<Change>>> = vec![None; decoded.len()];
        for (i, c) in point_results.into_iter().chain(record_results) {
            completed[i].get_or_insert_with(Vec::new).push(c);
        }
        let mut changes = Vec::with_capacity(decoded.len());
        for (i, (at, d)) in decoded.into_iter().enumerate() {
            match d {
                Decoded::Change(c) => changes.push((at.block, at.log_index, c)),
                Decoded::Ignored => {}
                Decoded::Registered { .. } | Decoded::Reactivated { .. } | Decoded::Event(_) => {
                    for c in completed[i].take().unwrap_or_default() {
                        changes.push((at.block, at.log_index, c));
                    }
                }
            }
        }
        Ok((changes, mismatches))
    }

    async fn handle_reorg(&self, cursor: Cursor) -> Result<Step, McrError> {
        // Walk the stored hashes back until one still matches the chain: the common ancestor.
        let mut below = cursor.block;
        let mut ancestor: Option<(u64, B256, u64)> = None;
        'search: loop {
            let stored = self.store.block_hashes_below(below, 64).await?;
            if stored.is_empty() {
                break;
            }
            for (n, h) in &stored {
                if let Some(hdr) = self.header(*n).await?
                    && hdr.hash == *h
                {
                    ancestor = Some((*n, *h, hdr.timestamp));
                    break 'search;
                }
            }
            match stored.last() {
                Some((n, _)) if *n > 0 => below = n - 1,
                _ => break,
            }
        }
        tracing::warn!(cursor = cursor.block, ancestor = ?ancestor.map(|a| a.0), "chain reorganisation: rolling back");
        self.store.rollback_to(ancestor).await?;
        self.refresh_anomaly_counts().await?;
        self.cache.clear();
        self.status.reorgs.fetch_add(1, Ordering::Relaxed);
        match ancestor {
            Some((n, _, ts)) => self.status.set_indexed(n, ts),
            None => {
                self.status.has_cursor.store(false, Ordering::Relaxed);
                self.status
                    .indexed
                    .send_replace(self.settings.start_block.saturating_sub(1));
            }
        }
        Ok(Step::RolledBack {
            to: ancestor.map(|a| a.0),
        })
    }

    /// Runs until `shutdown` flips to true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        if let Err(e) = self.load_cursor().await {
            tracing::error!(error = %e, "cannot read the cursor");
        }
        loop {
            if *shutdown.borrow() {
                return;
            }
            let wait = match self.step().await {
                Ok(Step::Indexed { to, .. }) => {
                    *self.status.last_error.lock() = None;
                    if to
                        < self
                            .status
                            .head
                            .load(Ordering::Relaxed)
                            .saturating_sub(self.settings.confirmations)
                    {
                        None
                    } else {
                        Some(self.settings.poll_interval)
                    }
                }
                Ok(Step::RolledBack { .. }) => None,
                Ok(Step::CaughtUp) => {
                    *self.status.last_error.lock() = None;
                    Some(self.settings.poll_interval)
                }
                Err(e) => {
                    if matches!(e, McrError::Rpc(_)) {
                        self.status.rpc_connected.store(false, Ordering::Relaxed);
                    }
                    tracing::warn!(error = %e, "indexer step failed");
                    *self.status.last_error.lock() = Some(e.to_string());
                    Some(self.settings.poll_interval)
                }
            };
            if let Some(d) = wait {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn range_stays_within_bounds(start in 1u64..20_000, max in 1u64..20_000, ops in proptest::collection::vec(any::<bool>(), 0..64)) {
            let mut r = AdaptiveRange { current: start.min(max), max };
            for grow in ops {
                if grow { r.grow() } else { r.shrink(); }
                prop_assert!(r.current >= 1 && r.current <= max);
            }
        }
    }

    #[test]
    fn shrink_reports_exhaustion() {
        let mut r = AdaptiveRange { current: 2, max: 8 };
        assert!(r.shrink());
        assert_eq!(r.current, 1);
        assert!(!r.shrink());
        r.grow();
        r.grow();
        r.grow();
        r.grow();
        assert_eq!(r.current, 8);
    }

    fn contracts() -> IndexedContracts {
        IndexedContracts {
            identity_registry: Address::with_last_byte(0xa1),
            identity_staking: Address::with_last_byte(0xa2),
            event_registry: Address::with_last_byte(0xa3),
            machine_nft: Address::with_last_byte(0xa4),
            admin_flags: Some(Address::with_last_byte(0xa5)),
            did_registry: Address::with_last_byte(0xa6),
        }
    }

    fn rpc_log<E: SolEvent>(address: Address, event: &E) -> Log {
        Log {
            inner: alloy::primitives::Log {
                address,
                data: event.encode_log_data(),
            },
            block_number: Some(5),
            log_index: Some(0),
            ..Log::default()
        }
    }

    fn raw_log(address: Address, topics: Vec<B256>, data: Vec<u8>) -> Log {
        Log {
            inner: alloy::primitives::Log::new(address, topics, data.into()).unwrap(),
            block_number: Some(5),
            log_index: Some(0),
            ..Log::default()
        }
    }

    #[test]
    fn decodes_every_followed_event_with_the_bindings() {
        let c = contracts();
        let who = Address::with_last_byte(7);
        let e = EventRegistry::EventSubmitted {
            machineId: U256::from(3),
            eventIndex: U256::from(9),
            eventType: 0,
            value: U256::from(250),
            currency: keccak256("USD"),
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.event_registry, &e)),
            Ok(Decoded::Event(EventLog {
                machine_id: 3,
                event_index: 9,
                event_type: 0,
                value: U256::from(250),
                currency_topic: keccak256("USD"),
            }))
        );
        let r = IdentityRegistry::Registered {
            machineId: U256::from(4),
            machineURI: "http://x/machines/4".into(),
            owner: who,
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.identity_registry, &r)),
            Ok(Decoded::Registered {
                machine_id: 4,
                owner: who
            })
        );
        let o = IdentityRegistry::OperatorSet {
            machineId: U256::from(4),
            operator: who,
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.identity_registry, &o)),
            Ok(Decoded::Change(Change::OperatorSet {
                machine_id: 4,
                operator: who
            }))
        );
        let d = IdentityRegistry::MachineDeactivated {
            machineId: U256::from(4),
            by: who,
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.identity_registry, &d)),
            Ok(Decoded::Change(Change::Status {
                machine_id: 4,
                status: 4
            }))
        );
        let v = IdentityRegistry::MachineVerified {
            machineId: U256::from(4),
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.identity_registry, &v)),
            Ok(Decoded::Change(Change::Status {
                machine_id: 4,
                status: 2
            }))
        );
        let re = IdentityRegistry::MachineReactivated {
            machineId: U256::from(4),
            by: who,
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.identity_registry, &re)),
            Ok(Decoded::Reactivated { machine_id: 4 })
        );
        let s = IdentityStaking::Staked {
            machineId: U256::from(4),
            owner: who,
            amount: U256::from(1),
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.identity_staking, &s)),
            Ok(Decoded::Change(Change::Staked {
                machine_id: 4,
                amount: U256::from(1)
            }))
        );
        let m = MachineNFT::MachineMinted {
            tokenId: U256::from(1),
            machineId: U256::from(4),
            recipient: who,
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.machine_nft, &m)),
            Ok(Decoded::Change(Change::Nft {
                machine_id: 4,
                token_id: 1,
                recipient: who
            }))
        );
        // a decodable event the index does not use
        let t = IdentityRegistry::Transfer {
            from: Address::ZERO,
            to: who,
            tokenId: U256::from(4),
        };
        assert_eq!(
            decode_log(&c, &rpc_log(c.identity_registry, &t)),
            Ok(Decoded::Ignored)
        );
    }

    #[test]
    fn undecodable_logs_say_why() {
        let c = contracts();
        // EventSubmitted's topic0 without its indexed topics (an older, all-data layout)
        let legacy = raw_log(
            c.event_registry,
            vec![EventRegistry::EventSubmitted::SIGNATURE_HASH],
            vec![0; 64],
        );
        assert!(decode_log(&c, &legacy).is_err());
        // a topic0 no event of the contract has
        let unknown = raw_log(c.machine_nft, vec![B256::repeat_byte(9)], vec![]);
        assert!(decode_log(&c, &unknown).is_err());
        // truncated data
        let mut short = rpc_log(
            c.identity_staking,
            &IdentityStaking::Staked {
                machineId: U256::from(1),
                owner: Address::ZERO,
                amount: U256::from(1),
            },
        );
        short.inner.data = alloy::primitives::LogData::new_unchecked(
            short.inner.data.topics().to_vec(),
            vec![1, 2, 3].into(),
        );
        assert!(decode_log(&c, &short).is_err());
        // a machine id beyond 64 bits
        let huge = IdentityRegistry::MachineVerified {
            machineId: U256::MAX,
        };
        let why = decode_log(&c, &rpc_log(c.identity_registry, &huge)).unwrap_err();
        assert!(why.contains("does not fit"), "{why}");
        // a log of an address the index does not follow
        let e = IdentityRegistry::MachineVerified {
            machineId: U256::from(1),
        };
        assert!(decode_log(&c, &rpc_log(Address::with_last_byte(1), &e)).is_err());
    }

    fn ev(machine_id: u64, event_index: u64) -> EventLog {
        EventLog {
            machine_id,
            event_index,
            event_type: 1,
            value: U256::ZERO,
            currency_topic: keccak256(""),
        }
    }

    #[test]
    fn record_reads_batch_per_machine_and_run() {
        // machine 1: indices 0..600 over blocks 10..15; machine 2: 5, 6 and (after a gap) 9
        let mut logs: Vec<(u64, EventLog)> = (0..600).map(|i| (10 + i / 120, ev(1, i))).collect();
        logs.push((12, ev(2, 5)));
        logs.push((12, ev(2, 6)));
        logs.push((13, ev(2, 9)));
        logs.push((13, ev(2, 9))); // a repeated index is read once
        let input: Vec<(u64, &EventLog)> = logs.iter().map(|(b, e)| (*b, e)).collect();
        let reads = plan_record_reads(&input, 256);
        let summary: Vec<(u64, u64, usize, u64)> = reads
            .iter()
            .map(|r| (r.machine_id, r.offset, r.logs.len(), r.block))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, 0, 256, 12),
                (1, 256, 256, 14),
                (1, 512, 88, 14),
                (2, 5, 2, 12),
                (2, 9, 1, 13),
            ]
        );
        // every record is mapped back to its own log
        for r in &reads {
            for (k, i) in r.logs.iter().enumerate() {
                assert_eq!(logs[*i].1.machine_id, r.machine_id);
                assert_eq!(logs[*i].1.event_index, r.offset + k as u64);
            }
        }
        assert!(plan_record_reads(&[], 256).is_empty());
    }

    #[test]
    fn records_are_cross_checked_against_their_log() {
        let log = EventLog {
            machine_id: 3,
            event_index: 1,
            event_type: 0,
            value: U256::from(250),
            currency_topic: keccak256("USD"),
        };
        let mut record = EventRegistry::MachineEvent {
            machineId: U256::from(3),
            eventType: 0,
            value: U256::from(250),
            timestamp: U256::from(1),
            dataHash: B256::ZERO,
            trustLevel: 1,
            sourceChainId: U256::ZERO,
            sourceTxHash: B256::ZERO,
            metadata: Default::default(),
            currency: "USD".into(),
        };
        assert_eq!(cross_check(&log, &record), None);
        record.currency = "EUR".into();
        record.value = U256::from(251);
        let diff = cross_check(&log, &record).unwrap();
        assert!(
            diff.contains("value 251") && diff.contains("currency"),
            "{diff}"
        );
        record.currency = "USD".into();
        record.value = U256::from(250);
        record.eventType = 1;
        assert!(cross_check(&log, &record).unwrap().contains("eventType"));
    }

    #[test]
    fn stranger_did_attribute_is_ignored() {
        let me = Address::with_last_byte(1);
        let stranger = Address::with_last_byte(2);
        assert_eq!(
            trusted_attribute(stranger, me, b"machineId", b"7"),
            Ok(Decoded::Ignored)
        );
        assert_eq!(
            trusted_attribute(me, me, b"machineId", b"7"),
            Ok(Decoded::Change(Change::DidAttribute {
                account: me,
                name: "machineId".into(),
                value: Some("7".into()),
                sender: me
            }))
        );
    }
}
