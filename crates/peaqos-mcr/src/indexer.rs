//! The chain indexer: follows the peaqOS contracts' and the DID precompile's logs with
//! `eth_getLogs`, writes one transaction per block range, resumes from its cursor, waits for
//! confirmations, survives reorgs and adapts its range to what the node accepts.

use crate::cache::Cache;
use crate::error::McrError;
use crate::store::{Change, Cursor, EventRow, LocatedChange, MachineRow, RangeBatch, Store};
use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use parking_lot::Mutex;
use peaqos_contracts::precompiles::DidRegistry;
use peaqos_contracts::{AdminFlags, EventRegistry, IdentityRegistry, IdentityStaking, MachineNFT};
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
}

impl Default for IndexerSettings {
    fn default() -> Self {
        Self {
            start_block: 0,
            confirmations: 10,
            initial_range: 1_000,
            max_range: 10_000,
            poll_interval: Duration::from_secs(2),
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

fn to_u64(v: U256) -> Option<u64> {
    u64::try_from(v).ok()
}

/// Decodes one log into a change (`None` for logs the index ignores: untrusted DID attributes,
/// other events, malformed data).
pub fn decode_log(contracts: &IndexedContracts, log: &Log) -> Option<Change> {
    let inner = &log.inner;
    let topic0 = *inner.data.topics().first()?;
    let at = inner.address;
    if at == contracts.identity_registry {
        if topic0 == IdentityRegistry::Registered::SIGNATURE_HASH {
            let e = IdentityRegistry::Registered::decode_log(inner).ok()?;
            return Some(Change::Registered(MachineRow {
                machine_id: to_u64(e.machineId)?,
                address: e.machine,
                operator: e.operator,
                bond: e.bond,
                registered_block: log.block_number?,
            }));
        }
        if topic0 == IdentityRegistry::MachineStatusChanged::SIGNATURE_HASH {
            let e = IdentityRegistry::MachineStatusChanged::decode_log(inner).ok()?;
            return Some(Change::Status {
                machine_id: to_u64(e.machineId)?,
                status: e.newStatus,
            });
        }
    } else if at == contracts.identity_staking {
        if topic0 == IdentityStaking::Staked::SIGNATURE_HASH {
            let e = IdentityStaking::Staked::decode_log(inner).ok()?;
            return Some(Change::Staked {
                machine_id: to_u64(e.machineId)?,
                amount: e.amount,
            });
        }
    } else if at == contracts.event_registry {
        if topic0 == EventRegistry::EventSubmitted::SIGNATURE_HASH {
            let e = EventRegistry::EventSubmitted::decode_log(inner).ok()?;
            return Some(Change::Event(Box::new(EventRow {
                machine_id: to_u64(e.machineId)?,
                event_index: to_u64(e.eventIndex)?,
                submitter: e.submitter,
                event_type: e.eventType,
                value: e.value,
                currency: e.currency.clone(),
                timestamp: to_u64(e.timestamp).unwrap_or(u64::MAX),
                data_hash: e.dataHash,
                trust_level: e.trustLevel,
                source_chain_id: e.sourceChainId,
                source_tx_hash: e.sourceTxHash,
                metadata: e.metadata.clone(),
                block: log.block_number?,
                block_timestamp: log.block_timestamp,
                tx_hash: log.transaction_hash.unwrap_or_default(),
                log_index: log.log_index.unwrap_or(0),
            })));
        }
    } else if at == contracts.machine_nft {
        if topic0 == MachineNFT::MachineNFTMinted::SIGNATURE_HASH {
            let e = MachineNFT::MachineNFTMinted::decode_log(inner).ok()?;
            return Some(Change::Nft {
                machine_id: to_u64(e.machineId)?,
                token_id: to_u64(e.tokenId)?,
                recipient: e.recipient,
            });
        }
    } else if Some(at) == contracts.admin_flags {
        if topic0 == AdminFlags::MachineFlagged::SIGNATURE_HASH {
            let e = AdminFlags::MachineFlagged::decode_log(inner).ok()?;
            return Some(Change::Flagged {
                machine_id: to_u64(e.machineId)?,
                flagged_at: to_u64(e.flaggedAt).unwrap_or(u64::MAX),
            });
        }
        if topic0 == AdminFlags::FlagCleared::SIGNATURE_HASH {
            let e = AdminFlags::FlagCleared::decode_log(inner).ok()?;
            return Some(Change::FlagCleared {
                machine_id: to_u64(e.machineId)?,
            });
        }
        if topic0 == AdminFlags::TrustOverrideSet::SIGNATURE_HASH {
            let e = AdminFlags::TrustOverrideSet::decode_log(inner).ok()?;
            let value = u8::try_from(to_u64(e.value)?.min(100)).ok()?;
            return Some(Change::TrustSet {
                machine_id: to_u64(e.machineId)?,
                value,
            });
        }
        if topic0 == AdminFlags::TrustOverrideCleared::SIGNATURE_HASH {
            let e = AdminFlags::TrustOverrideCleared::decode_log(inner).ok()?;
            return Some(Change::TrustCleared {
                machine_id: to_u64(e.machineId)?,
            });
        }
    } else if at == contracts.did_registry {
        if topic0 == DidRegistry::AddAttribute::SIGNATURE_HASH {
            let e = DidRegistry::AddAttribute::decode_log(inner).ok()?;
            return trusted_attribute(e.sender, e.did_account, &e.name, &e.value);
        }
        if topic0 == DidRegistry::UpdateAttribute::SIGNATURE_HASH {
            let e = DidRegistry::UpdateAttribute::decode_log(inner).ok()?;
            return trusted_attribute(e.sender, e.did_account, &e.name, &e.value);
        }
        if topic0 == DidRegistry::RemoveAttribte::SIGNATURE_HASH {
            // No sender on the log. Only the attribute's creator may remove it, and the DID
            // owner's own attribute can only be created by the owner, so a removal never
            // deletes something a stranger could not already have prevented.
            let e = DidRegistry::RemoveAttribte::decode_log(inner).ok()?;
            let name = String::from_utf8(e.name.to_vec()).ok()?;
            return Some(Change::DidAttribute {
                account: e.did_account,
                name,
                value: None,
                sender: e.did_account,
            });
        }
    }
    None
}

/// A DID attribute is trusted only when written by the DID account itself.
fn trusted_attribute(
    sender: Address,
    account: Address,
    name: &[u8],
    value: &[u8],
) -> Option<Change> {
    if sender != account {
        return None;
    }
    let name = String::from_utf8(name.to_vec()).ok()?;
    let value = String::from_utf8_lossy(value).into_owned();
    Some(Change::DidAttribute {
        account,
        name,
        value: Some(value),
        sender,
    })
}

/// The topic0 values the indexer asks for.
pub fn followed_topics() -> Vec<B256> {
    vec![
        IdentityRegistry::Registered::SIGNATURE_HASH,
        IdentityRegistry::MachineStatusChanged::SIGNATURE_HASH,
        IdentityStaking::Staked::SIGNATURE_HASH,
        EventRegistry::EventSubmitted::SIGNATURE_HASH,
        MachineNFT::MachineNFTMinted::SIGNATURE_HASH,
        AdminFlags::MachineFlagged::SIGNATURE_HASH,
        AdminFlags::FlagCleared::SIGNATURE_HASH,
        AdminFlags::TrustOverrideSet::SIGNATURE_HASH,
        AdminFlags::TrustOverrideCleared::SIGNATURE_HASH,
        DidRegistry::AddAttribute::SIGNATURE_HASH,
        DidRegistry::UpdateAttribute::SIGNATURE_HASH,
        DidRegistry::RemoveAttribte::SIGNATURE_HASH,
    ]
}

/// Outcome of one indexing step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Indexed a range up to this block (more may follow).
    Indexed { to: u64, logs: usize },
    /// Rolled back to this block after a reorg.
    RolledBack { to: Option<u64> },
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
        }
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
        let mut changes: Vec<LocatedChange> = Vec::with_capacity(logs.len());
        let mut block_hashes = Vec::new();
        for log in logs {
            if log.removed {
                continue;
            }
            let (Some(block), Some(index)) = (log.block_number, log.log_index) else {
                continue;
            };
            if let Some(h) = log.block_hash
                && block_hashes.last().is_none_or(|(b, _)| *b != block)
            {
                block_hashes.push((block, h));
            }
            if let Some(mut change) = decode_log(&self.contracts, log) {
                if let Change::Event(e) = &mut change
                    && e.block_timestamp.is_none()
                    && block == to
                {
                    e.block_timestamp = Some(to_header.timestamp);
                }
                changes.push((block, index, change));
            }
        }
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
        self.status.set_indexed(to, to_header.timestamp);
        Ok(())
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

    #[test]
    fn stranger_did_attribute_is_ignored() {
        let me = Address::with_last_byte(1);
        let stranger = Address::with_last_byte(2);
        assert!(trusted_attribute(stranger, me, b"machineId", b"7").is_none());
        assert_eq!(
            trusted_attribute(me, me, b"machineId", b"7"),
            Some(Change::DidAttribute {
                account: me,
                name: "machineId".into(),
                value: Some("7".into()),
                sender: me
            })
        );
    }
}
