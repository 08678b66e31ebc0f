//! The bundler's mempool: accepted operations waiting for a bundle, one per `(sender, nonce)`
//! (a replacement must raise both fees by 10%), and its file: JSON written atomically (a temporary
//! file in the same directory, synced, then renamed over the old one), so that the pool survives a
//! restart. The file names its chain and EntryPoint; a bundler refuses a file of another one.

use crate::error::BundlerError;
use crate::userop::UserOperation;
use alloy::primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Layout version of the mempool file.
pub const FILE_VERSION: u32 = 1;

/// One waiting operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolEntry {
    /// The operation.
    pub user_operation: UserOperation,
    /// Its hash (for the pool's EntryPoint and chain).
    pub user_op_hash: B256,
    /// Arrival order.
    pub seq: u64,
}

/// What [`Mempool::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A new operation.
    New,
    /// It replaced the operation with this hash (same sender and nonce, higher fees).
    Replaced(B256),
    /// The very same operation was already waiting.
    AlreadyKnown,
}

/// The waiting operations, in arrival order.
#[derive(Debug, Default)]
pub struct Mempool {
    entries: Vec<PoolEntry>,
    next_seq: u64,
    capacity: usize,
}

fn bumped(old: U256) -> U256 {
    // At least 10% more (rounded up), and more than before.
    old.saturating_add(((old + U256::from(9)) / U256::from(10)).max(U256::from(1)))
}

impl Mempool {
    /// An empty pool holding at most `capacity` operations.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Vec::new(),
            next_seq: 0,
            capacity,
        }
    }

    /// Number of waiting operations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds `op` (hash `hash`). Another operation with the same sender and nonce is replaced when
    /// both fees are at least 10% higher, else this is refused as underpriced (-32602).
    pub fn add(&mut self, op: UserOperation, hash: B256) -> Result<Added, BundlerError> {
        if self.entries.iter().any(|e| e.user_op_hash == hash) {
            return Ok(Added::AlreadyKnown);
        }
        if let Some(i) = self.entries.iter().position(|e| {
            e.user_operation.sender == op.sender && e.user_operation.nonce == op.nonce
        }) {
            let old = &self.entries[i].user_operation;
            if op.max_fee_per_gas < bumped(old.max_fee_per_gas)
                || op.max_priority_fee_per_gas < bumped(old.max_priority_fee_per_gas)
            {
                return Err(BundlerError::InvalidParams(format!(
                    "replacement UserOperation underpriced: an operation of {} with nonce {} is waiting; raise maxFeePerGas and maxPriorityFeePerGas by at least 10% to replace it",
                    op.sender, op.nonce
                )));
            }
            let replaced = self.entries[i].user_op_hash;
            self.entries[i] = PoolEntry {
                user_operation: op,
                user_op_hash: hash,
                seq: self.take_seq(),
            };
            return Ok(Added::Replaced(replaced));
        }
        if self.entries.len() >= self.capacity {
            return Err(BundlerError::MempoolFull(self.capacity));
        }
        let seq = self.take_seq();
        self.entries.push(PoolEntry {
            user_operation: op,
            user_op_hash: hash,
            seq,
        });
        Ok(Added::New)
    }

    fn take_seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// Removes the operation `hash`; whether it was there.
    pub fn remove(&mut self, hash: &B256) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| &e.user_op_hash != hash);
        before != self.entries.len()
    }

    /// Whether `hash` is waiting.
    pub fn contains(&self, hash: &B256) -> bool {
        self.entries.iter().any(|e| &e.user_op_hash == hash)
    }

    /// Up to `max` operations for the next bundle: highest `maxPriorityFeePerGas` first, then
    /// arrival order; at most one operation that deploys a given sender (`initCode`).
    pub fn select(&self, max: usize) -> Vec<PoolEntry> {
        let mut all: Vec<&PoolEntry> = self.entries.iter().collect();
        all.sort_by(|a, b| {
            b.user_operation
                .max_priority_fee_per_gas
                .cmp(&a.user_operation.max_priority_fee_per_gas)
                .then(a.seq.cmp(&b.seq))
        });
        let mut deploying: Vec<Address> = Vec::new();
        let mut out = Vec::new();
        for e in all {
            if out.len() >= max {
                break;
            }
            let op = &e.user_operation;
            if !op.init_code.is_empty() {
                if deploying.contains(&op.sender) {
                    continue;
                }
                deploying.push(op.sender);
            }
            out.push(e.clone());
        }
        out
    }

    /// Every waiting operation, in arrival order.
    pub fn entries(&self) -> &[PoolEntry] {
        &self.entries
    }

    /// Empties the pool.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// The mempool file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolFile {
    /// [`FILE_VERSION`].
    pub version: u32,
    /// The chain the operations are for.
    pub chain_id: u64,
    /// The EntryPoint they are for.
    pub entry_point: Address,
    /// The waiting operations, in arrival order.
    pub operations: Vec<PoolEntry>,
}

/// Reads the mempool file at `path` (`None` when it does not exist) and checks that it is for
/// `chain_id` and `entry_point`.
pub fn load(
    path: &Path,
    chain_id: u64,
    entry_point: Address,
) -> Result<Option<PoolFile>, BundlerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(BundlerError::Persist {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let bad = |reason: String| BundlerError::MempoolFile {
        path: path.to_path_buf(),
        reason,
    };
    let file: PoolFile =
        serde_json::from_str(&text).map_err(|e| bad(format!("not a mempool file: {e}")))?;
    if file.version != FILE_VERSION {
        return Err(bad(format!(
            "layout version {} (this bundler reads {FILE_VERSION})",
            file.version
        )));
    }
    if file.chain_id != chain_id || file.entry_point != entry_point {
        return Err(bad(format!(
            "it holds operations for chain {} and EntryPoint {}, not chain {chain_id} and EntryPoint {entry_point}: use another --mempool-file",
            file.chain_id, file.entry_point
        )));
    }
    Ok(Some(file))
}

/// Writes `file` to `path` atomically: a temporary file next to it, synced, renamed over it.
pub fn save(path: &Path, file: &PoolFile) -> Result<(), BundlerError> {
    let err = |source: std::io::Error| BundlerError::Persist {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mempool.json".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let json = serde_json::to_vec_pretty(file).map_err(|e| err(std::io::Error::other(e)))?;
    {
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(&json).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(sender: u8, nonce: u64, fee: u64) -> UserOperation {
        UserOperation {
            sender: Address::repeat_byte(sender),
            nonce: U256::from(nonce),
            max_fee_per_gas: U256::from(fee),
            max_priority_fee_per_gas: U256::from(fee),
            ..Default::default()
        }
    }

    fn h(n: u8) -> B256 {
        B256::repeat_byte(n)
    }

    #[test]
    fn one_operation_per_sender_and_nonce_replaced_only_with_10_percent_more() {
        let mut p = Mempool::new(10);
        assert_eq!(p.add(op(1, 0, 100), h(1)).unwrap(), Added::New);
        assert_eq!(p.add(op(1, 0, 100), h(1)).unwrap(), Added::AlreadyKnown);
        let e = p.add(op(1, 0, 109), h(2)).unwrap_err();
        assert_eq!(e.code(), -32602, "{e}");
        assert_eq!(p.add(op(1, 0, 110), h(3)).unwrap(), Added::Replaced(h(1)));
        assert_eq!(p.len(), 1);
        assert!(p.contains(&h(3)) && !p.contains(&h(1)));
        // Another nonce of the same sender is another operation.
        assert_eq!(p.add(op(1, 1, 1), h(4)).unwrap(), Added::New);
        // Zero fees need a raise too.
        assert_eq!(p.add(op(2, 0, 0), h(5)).unwrap(), Added::New);
        assert!(p.add(op(2, 0, 0), h(6)).is_err());
        assert_eq!(p.add(op(2, 0, 1), h(7)).unwrap(), Added::Replaced(h(5)));
    }

    #[test]
    fn capacity_is_enforced() {
        let mut p = Mempool::new(2);
        p.add(op(1, 0, 1), h(1)).unwrap();
        p.add(op(2, 0, 1), h(2)).unwrap();
        let e = p.add(op(3, 0, 1), h(3)).unwrap_err();
        assert_eq!(e.code(), -32000);
        // A replacement does not need room.
        assert!(p.add(op(2, 0, 2), h(4)).is_ok());
        assert!(p.remove(&h(1)));
        assert!(!p.remove(&h(1)));
        p.add(op(3, 0, 1), h(3)).unwrap();
        p.clear();
        assert!(p.is_empty());
    }

    #[test]
    fn selection_by_priority_fee_then_arrival_with_one_deployment_per_sender() {
        let mut p = Mempool::new(10);
        p.add(op(1, 0, 5), h(1)).unwrap();
        p.add(op(2, 0, 9), h(2)).unwrap();
        p.add(op(3, 0, 5), h(3)).unwrap();
        let deploy = |n| UserOperation {
            init_code: vec![0xfa; 24].into(),
            ..op(4, n, 1)
        };
        p.add(deploy(0), h(4)).unwrap();
        p.add(deploy(1), h(5)).unwrap();
        let order: Vec<B256> = p.select(10).iter().map(|e| e.user_op_hash).collect();
        assert_eq!(order, vec![h(2), h(1), h(3), h(4)]);
        assert_eq!(p.select(2).len(), 2);
    }

    #[test]
    fn file_round_trip_is_atomic_and_bound_to_chain_and_entry_point() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/mempool.json");
        let ep = peaqos_types::constants::ENTRY_POINT_V06;
        assert!(load(&path, 1, ep).unwrap().is_none());
        let mut p = Mempool::new(10);
        p.add(op(1, 0, 5), h(1)).unwrap();
        let file = PoolFile {
            version: FILE_VERSION,
            chain_id: 1,
            entry_point: ep,
            operations: p.entries().to_vec(),
        };
        save(&path, &file).unwrap();
        let back = load(&path, 1, ep).unwrap().unwrap();
        assert_eq!(back.operations, file.operations);
        // Only the file itself remains in the directory (no temporary left behind).
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("mempool.json")]);
        let e = load(&path, 2, ep).unwrap_err();
        assert!(e.to_string().contains("chain 1"), "{e}");
        assert!(load(&path, 1, Address::ZERO).is_err());
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            load(&path, 1, ep).unwrap_err(),
            BundlerError::MempoolFile { .. }
        ));
    }
}
