//! Historical state: what every account and storage slot held at the end of any past block.
//!
//! Instead of copying the state per block, the chain records a *pre-image* the first time a block
//! changes a key: `(block, value before that block)`. The value of a key at the end of block `n`
//! is then the pre-image of the first change after `n`, or the current value when nothing changed
//! it since. Memory grows with the number of changed keys per block (like the blocks and receipts
//! the devnet already keeps), and a lookup is one binary search.

use alloy::primitives::{Address, B256, U256};
use revm::DatabaseRef;
use revm::bytecode::Bytecode;
use revm::database::{CacheDB, EmptyDB};
use revm::state::{AccountInfo, EvmState};
use std::collections::HashMap;

/// Pre-images of changed accounts and slots, per block, oldest first.
#[derive(Debug, Clone, Default)]
pub struct StateHistory {
    accounts: HashMap<Address, Vec<(u64, Option<AccountInfo>)>>,
    storage: HashMap<(Address, U256), Vec<(u64, U256)>>,
}

fn push_once<T>(entries: &mut Vec<(u64, T)>, block: u64, before: impl FnOnce() -> T) {
    if entries.last().is_none_or(|(b, _)| *b < block) {
        entries.push((block, before()));
    }
}

fn at<T: Clone>(entries: &[(u64, T)], n: u64) -> Option<T> {
    let i = entries.partition_point(|(b, _)| *b <= n);
    entries.get(i).map(|(_, v)| v.clone())
}

impl StateHistory {
    /// Records the pre-image of `who`'s account for `block` (once per block).
    pub fn note_account(&mut self, db: &CacheDB<EmptyDB>, block: u64, who: Address) {
        push_once(self.accounts.entry(who).or_default(), block, || {
            db.basic_ref(who).ok().flatten()
        });
    }

    /// Records the pre-image of one slot for `block` (once per block).
    pub fn note_slot(&mut self, db: &CacheDB<EmptyDB>, block: u64, who: Address, slot: U256) {
        push_once(self.storage.entry((who, slot)).or_default(), block, || {
            db.storage_ref(who, slot).unwrap_or_default()
        });
    }

    /// Records the pre-images of everything `state` is about to change in `db` (call it right
    /// before `db.commit(state)`): touched accounts, changed slots, and every stored slot of an
    /// account whose storage the commit clears (created or self-destructed).
    pub fn note_commit(&mut self, db: &CacheDB<EmptyDB>, block: u64, state: &EvmState) {
        for (who, account) in state {
            if !account.is_touched() {
                continue;
            }
            self.note_account(db, block, *who);
            if account.is_created() || account.is_selfdestructed() {
                let stored: Vec<U256> = db
                    .cache
                    .accounts
                    .get(who)
                    .map(|a| a.storage.keys().copied().collect())
                    .unwrap_or_default();
                for slot in stored {
                    self.note_slot(db, block, *who, slot);
                }
            }
            for (slot, value) in &account.storage {
                if value.is_changed() {
                    self.note_slot(db, block, *who, *slot);
                }
            }
        }
    }

    /// The account at the end of block `n`, when a later block changed it.
    fn account_at(&self, who: &Address, n: u64) -> Option<Option<AccountInfo>> {
        self.accounts.get(who).and_then(|e| at(e, n))
    }

    /// The slot at the end of block `n`, when a later block changed it.
    fn slot_at(&self, who: Address, slot: U256, n: u64) -> Option<U256> {
        self.storage.get(&(who, slot)).and_then(|e| at(e, n))
    }

    /// Forgets pre-images needed only for states before block `floor` (kept: queries at `floor`
    /// and later).
    pub fn prune_below(&mut self, floor: u64) {
        self.accounts.retain(|_, e| {
            e.retain(|(b, _)| *b > floor);
            !e.is_empty()
        });
        self.storage.retain(|_, e| {
            e.retain(|(b, _)| *b > floor);
            !e.is_empty()
        });
    }

    /// Number of recorded pre-images (accounts + slots).
    pub fn len(&self) -> usize {
        self.accounts.values().map(Vec::len).sum::<usize>()
            + self.storage.values().map(Vec::len).sum::<usize>()
    }

    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A read-only view of the state at the end of one block (or the current state).
#[derive(Debug, Clone, Copy)]
pub struct StateAt<'a> {
    db: &'a CacheDB<EmptyDB>,
    past: Option<(&'a StateHistory, u64)>,
}

impl<'a> StateAt<'a> {
    /// The current state.
    pub fn current(db: &'a CacheDB<EmptyDB>) -> Self {
        Self { db, past: None }
    }

    /// The state at the end of block `n`, given the pre-images recorded since.
    pub fn past(db: &'a CacheDB<EmptyDB>, history: &'a StateHistory, n: u64) -> Self {
        Self {
            db,
            past: Some((history, n)),
        }
    }

    /// Balance.
    pub fn balance(&self, who: Address) -> U256 {
        self.info(who).map(|a| a.balance).unwrap_or_default()
    }

    /// Nonce.
    pub fn nonce(&self, who: Address) -> u64 {
        self.info(who).map(|a| a.nonce).unwrap_or_default()
    }

    /// Deployed code.
    pub fn code(&self, who: Address) -> alloy::primitives::Bytes {
        match self.info(who) {
            Some(info) => match info.code {
                Some(code) => code.original_bytes(),
                None => self
                    .db
                    .code_by_hash_ref(info.code_hash)
                    .map(|c| c.original_bytes())
                    .unwrap_or_default(),
            },
            None => alloy::primitives::Bytes::new(),
        }
    }

    /// Storage word.
    pub fn storage(&self, who: Address, slot: U256) -> U256 {
        self.storage_ref(who, slot).unwrap_or_default()
    }

    fn info(&self, who: Address) -> Option<AccountInfo> {
        self.basic_ref(who).ok().flatten()
    }
}

impl DatabaseRef for StateAt<'_> {
    type Error = <CacheDB<EmptyDB> as DatabaseRef>::Error;

    fn basic_ref(&self, who: Address) -> Result<Option<AccountInfo>, Self::Error> {
        if let Some((h, n)) = self.past
            && let Some(info) = h.account_at(&who, n)
        {
            return Ok(info);
        }
        self.db.basic_ref(who)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.db.code_by_hash_ref(code_hash)
    }

    fn storage_ref(&self, who: Address, slot: U256) -> Result<U256, Self::Error> {
        if let Some((h, n)) = self.past
            && let Some(v) = h.slot_at(who, slot, n)
        {
            return Ok(v);
        }
        self.db.storage_ref(who, slot)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.db.block_hash_ref(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(balance: u64) -> AccountInfo {
        AccountInfo {
            balance: U256::from(balance),
            ..Default::default()
        }
    }

    #[test]
    fn values_at_past_blocks_come_from_the_first_later_pre_image() {
        let a = Address::with_last_byte(1);
        let slot = U256::from(7);
        let mut db = CacheDB::new(EmptyDB::default());
        let mut h = StateHistory::default();
        // block 1 creates the account with 10 and writes slot 7 = 1
        h.note_account(&db, 1, a);
        h.note_slot(&db, 1, a, slot);
        db.insert_account_info(a, account(10));
        db.insert_account_storage(a, slot, U256::from(1)).unwrap();
        // block 3 changes both twice; only the first pre-image of the block counts
        h.note_account(&db, 3, a);
        h.note_slot(&db, 3, a, slot);
        db.insert_account_info(a, account(20));
        db.insert_account_storage(a, slot, U256::from(2)).unwrap();
        h.note_account(&db, 3, a);
        h.note_slot(&db, 3, a, slot);
        db.insert_account_info(a, account(30));
        db.insert_account_storage(a, slot, U256::from(3)).unwrap();

        let at = |n| StateAt::past(&db, &h, n);
        assert_eq!(at(0).balance(a), U256::ZERO);
        assert!(at(0).basic_ref(a).unwrap().is_none(), "did not exist yet");
        assert_eq!(at(0).storage(a, slot), U256::ZERO);
        for n in [1, 2] {
            assert_eq!(at(n).balance(a), U256::from(10));
            assert_eq!(at(n).storage(a, slot), U256::from(1));
        }
        for n in [3, 9] {
            assert_eq!(at(n).balance(a), U256::from(30));
            assert_eq!(at(n).storage(a, slot), U256::from(3));
        }
        assert_eq!(StateAt::current(&db).balance(a), U256::from(30));
        assert_eq!(h.len(), 4);

        h.prune_below(2);
        assert_eq!(h.len(), 2, "only block 3's pre-images remain");
        assert_eq!(StateAt::past(&db, &h, 2).balance(a), U256::from(10));
    }
}
