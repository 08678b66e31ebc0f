//! The running node: the chain behind a lock, snapshots, and persistence.

use crate::chain::Chain;
use crate::error::DevnetError;
use alloy::primitives::Address;
use parking_lot::RwLock;
use peaqos_contracts::Deployment;
use std::path::PathBuf;
use std::sync::Arc;

struct Inner {
    chain: Chain,
    snapshots: Vec<(u64, Chain)>,
    next_snapshot: u64,
}

/// A shareable handle to the chain.
#[derive(Clone)]
pub struct Node {
    inner: Arc<RwLock<Inner>>,
    chain_id: u64,
    accounts: Arc<Vec<Address>>,
    deployment: Deployment,
    state_path: Option<PathBuf>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("chain_id", &self.chain_id)
            .field("deployment", &self.deployment)
            .finish_non_exhaustive()
    }
}

impl Node {
    pub(crate) fn new(
        chain: Chain,
        accounts: Vec<Address>,
        deployment: Deployment,
        state_path: Option<PathBuf>,
    ) -> Self {
        Self {
            chain_id: chain.config().chain_id,
            inner: Arc::new(RwLock::new(Inner {
                chain,
                snapshots: Vec::new(),
                next_snapshot: 1,
            })),
            accounts: Arc::new(accounts),
            deployment,
            state_path,
        }
    }

    /// Chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Dev account addresses.
    pub fn accounts(&self) -> &[Address] {
        &self.accounts
    }

    /// Contract addresses.
    pub fn deployment(&self) -> Deployment {
        self.deployment
    }

    /// Runs `f` with shared access to the chain: reads (calls, balances, receipts, logs) run
    /// side by side and never wait for each other, only for a writer.
    pub fn read<T>(&self, f: impl FnOnce(&Chain) -> T) -> T {
        f(&self.inner.read().chain)
    }

    /// Runs `f` with exclusive access to the chain.
    pub fn write<T>(&self, f: impl FnOnce(&mut Chain) -> T) -> T {
        f(&mut self.inner.write().chain)
    }

    /// `evm_snapshot`: remembers the whole chain; returns the snapshot id.
    pub fn snapshot(&self) -> u64 {
        let mut g = self.inner.write();
        let id = g.next_snapshot;
        g.next_snapshot += 1;
        let copy = g.chain.clone();
        g.snapshots.push((id, copy));
        id
    }

    /// `evm_revert`: restores snapshot `id` and drops it and every later one.
    pub fn revert(&self, id: u64) -> bool {
        let mut g = self.inner.write();
        let Some(pos) = g.snapshots.iter().position(|(s, _)| *s == id) else {
            return false;
        };
        let (_, chain) = g.snapshots.swap_remove(pos);
        g.snapshots.retain(|(s, _)| *s < id);
        g.chain = chain;
        true
    }

    /// Writes the state file (when the node has one); returns its path.
    pub fn save(&self) -> Result<String, DevnetError> {
        let Some(path) = &self.state_path else {
            return Err(crate::error::Unsupported::NoStateFile.into());
        };
        let g = self.inner.read();
        crate::persist::save(&g.chain, &self.deployment, path)?;
        Ok(path.display().to_string())
    }

    /// The state file, when the node has one.
    pub fn save_path(&self) -> Option<&std::path::Path> {
        self.state_path.as_deref()
    }

    /// Mines a block with whatever is pending (the block-time miner).
    pub fn mine(&self) -> u64 {
        self.inner.write().chain.mine_pending()
    }
}
