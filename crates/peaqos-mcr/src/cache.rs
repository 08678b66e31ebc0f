//! The response cache: per machine, `MCR_CACHE_TTL` seconds, dropped as soon as the indexer
//! writes anything for that machine; degraded results are never stored.
//!
//! Three guarantees beyond a plain TTL map:
//! - a view computed from rows read *before* an invalidation is never stored *after* it (each
//!   computation takes a ticket; [`Cache::invalidate`] and [`Cache::clear`] void the tickets out);
//! - concurrent misses for one machine compute once ([`Cache::get_or_compute`]): the first caller
//!   loads and scores, the others wait for its result instead of loading the same rows again;
//! - a hit takes no global lock and does no serialization: the maps are sharded
//!   ([`dashmap::DashMap`]), and an [`Entry`] keeps the response bodies built from its view
//!   the first time they are asked for ([`Entry::mcr_body`], [`Entry::profile_body`]), so a hit
//!   is two map lookups and a clone of [`Bytes`].

use axum::body::Bytes;
use dashmap::DashMap;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use alloy::primitives::Address;

use crate::view::MachineView;

/// One machine's cached view and the response bodies serialized from it.
#[derive(Debug)]
pub struct Entry {
    /// The scored view.
    pub view: Arc<MachineView>,
    at: Instant,
    epoch: u64,
    mcr: OnceLock<Bytes>,
    profile: OnceLock<Bytes>,
}

impl Entry {
    fn new(view: Arc<MachineView>, epoch: u64) -> Self {
        Self {
            view,
            at: Instant::now(),
            epoch,
            mcr: OnceLock::new(),
            profile: OnceLock::new(),
        }
    }

    /// The `/mcr/{did}` body (serialized once per entry).
    pub fn mcr_body(&self) -> Bytes {
        self.mcr
            .get_or_init(|| json_bytes(&crate::view::mcr_doc(&self.view)))
            .clone()
    }

    /// The `/machine/{did}` and `/metadata/{id}` body, when one was stored for this entry.
    pub fn profile_body(&self) -> Option<Bytes> {
        self.profile.get().cloned()
    }

    /// Keeps a `/machine/{did}` body built from this entry's view and rows the indexer
    /// invalidates this entry for (the caller leaves out bodies with live parts).
    pub fn set_profile_body(&self, body: Bytes) {
        let _ = self.profile.set(body);
    }
}

/// `value` as JSON bytes, exactly as `axum::Json` writes it.
pub(crate) fn json_bytes<T: serde::Serialize>(value: &T) -> Bytes {
    let mut buf = Vec::with_capacity(512);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => Bytes::from(buf),
        // the wire documents have no maps with non-string keys: cannot happen
        Err(e) => Bytes::from(format!("{{\"detail\":\"serialization failed: {e}\"}}")),
    }
}

#[derive(Debug, Default)]
struct Slot {
    /// Bumped by `invalidate`.
    generation: u64,
    entry: Option<Arc<Entry>>,
}

/// Proof of the cache's generation for one machine when a computation started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    epoch: u64,
    generation: u64,
}

/// Cache of computed machine views keyed by machine id.
#[derive(Debug)]
pub struct Cache {
    ttl: Duration,
    slots: DashMap<u64, Slot>,
    /// Bumped by `clear`; entries of an older epoch are never served.
    epoch: AtomicU64,
    /// Registered address -> machine id, with the epoch it was read in.
    by_address: DashMap<Address, (u64, u64)>,
    /// Machine NFT token id -> machine id, with the epoch it was read in.
    by_token: DashMap<u64, (u64, u64)>,
    inflight: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
}

impl Cache {
    /// A cache with this TTL (zero disables it).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slots: DashMap::new(),
            epoch: AtomicU64::new(0),
            by_address: DashMap::new(),
            by_token: DashMap::new(),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    /// Whether caching is on.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    fn current_epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// A fresh entry.
    pub fn entry(&self, machine_id: u64) -> Option<Arc<Entry>> {
        if !self.enabled() {
            return None;
        }
        let epoch = self.current_epoch();
        let expired = {
            let slot = self.slots.get(&machine_id)?;
            match &slot.entry {
                Some(e) if e.epoch == epoch && e.at.elapsed() < self.ttl => {
                    return Some(Arc::clone(e));
                }
                Some(_) => true,
                None => false,
            }
        };
        if expired && let Some(mut slot) = self.slots.get_mut(&machine_id) {
            slot.entry = None;
        }
        None
    }

    /// A fresh entry's view.
    pub fn get(&self, machine_id: u64) -> Option<Arc<MachineView>> {
        self.entry(machine_id).map(|e| Arc::clone(&e.view))
    }

    /// The ticket to take before reading the rows a view is computed from.
    pub fn ticket(&self, machine_id: u64) -> Ticket {
        let epoch = self.current_epoch();
        Ticket {
            epoch,
            generation: self.slots.get(&machine_id).map_or(0, |s| s.generation),
        }
    }

    /// Stores a view unless caching is off, the view is degraded, or the machine was invalidated
    /// since `ticket` was taken (the view may miss what the indexer wrote meanwhile).
    pub fn put(&self, machine_id: u64, ticket: Ticket, view: Arc<MachineView>) -> bool {
        self.put_entry(machine_id, ticket, Arc::new(Entry::new(view, ticket.epoch)))
    }

    fn put_entry(&self, machine_id: u64, ticket: Ticket, entry: Arc<Entry>) -> bool {
        if !self.enabled() || entry.view.result.degraded {
            return false;
        }
        // the slot's shard lock orders this against `invalidate`; an entry stored just before
        // a `clear` carries the old epoch and is never served
        let mut slot = self.slots.entry(machine_id).or_default();
        if slot.generation != ticket.generation || self.current_epoch() != ticket.epoch {
            return false;
        }
        slot.entry = Some(entry);
        true
    }

    /// The cached entry, or one built from the result of `compute` (stored when allowed). With
    /// caching on, concurrent callers for one machine share one computation; with caching off
    /// every caller computes (each answer must reflect the index at its own request time).
    pub async fn get_or_compute<F, Fut, E>(
        &self,
        machine_id: u64,
        compute: F,
    ) -> Result<Option<Arc<Entry>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<MachineView>, E>>,
    {
        if !self.enabled() {
            let epoch = self.current_epoch();
            return Ok(compute()
                .await?
                .map(|v| Arc::new(Entry::new(Arc::new(v), epoch))));
        }
        if let Some(e) = self.entry(machine_id) {
            return Ok(Some(e));
        }
        let lock = Arc::clone(self.inflight.lock().entry(machine_id).or_default());
        let result = {
            let _turn = lock.lock().await;
            match self.entry(machine_id) {
                Some(e) => Ok(Some(e)),
                None => {
                    let ticket = self.ticket(machine_id);
                    compute().await.map(|v| {
                        v.map(|v| {
                            let e = Arc::new(Entry::new(Arc::new(v), ticket.epoch));
                            self.put_entry(machine_id, ticket, Arc::clone(&e));
                            e
                        })
                    })
                }
            }
        };
        let mut inflight = self.inflight.lock();
        // the map's reference and ours: nobody else is waiting
        if Arc::strong_count(&lock) == 2 {
            inflight.remove(&machine_id);
        }
        result
    }

    /// The machine id registered for `address`, as last read through [`Cache::remember_address`]
    /// since the last [`Cache::clear`] (a registration is only undone by a reorg, which clears).
    /// Kept with caching off too: the mapping never goes stale between clears.
    pub fn machine_by_address(&self, address: &Address) -> Option<u64> {
        lookup(self, &self.by_address, address)
    }

    /// Remembers a registration read after `ticket` was taken.
    pub fn remember_address(&self, address: Address, machine_id: u64, ticket: Ticket) {
        if self.current_epoch() == ticket.epoch {
            self.by_address.insert(address, (machine_id, ticket.epoch));
        }
    }

    /// The machine id holding Machine NFT `token_id`, as last read through
    /// [`Cache::remember_token`] since the last [`Cache::clear`].
    pub fn machine_by_token(&self, token_id: u64) -> Option<u64> {
        lookup(self, &self.by_token, &token_id)
    }

    /// Remembers a mint read after `ticket` was taken.
    pub fn remember_token(&self, token_id: u64, machine_id: u64, ticket: Ticket) {
        if self.current_epoch() == ticket.epoch {
            self.by_token.insert(token_id, (machine_id, ticket.epoch));
        }
    }

    /// Drops one machine's entry and voids its outstanding tickets.
    pub fn invalidate(&self, machine_id: u64) {
        let mut slot = self.slots.entry(machine_id).or_default();
        slot.entry = None;
        slot.generation += 1;
    }

    /// Drops everything and voids every outstanding ticket.
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.slots.clear();
        self.by_address.clear();
        self.by_token.clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        let epoch = self.current_epoch();
        self.slots
            .iter()
            .filter(|s| s.entry.as_ref().is_some_and(|e| e.epoch == epoch))
            .count()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lookup<K: std::hash::Hash + Eq>(
    c: &Cache,
    map: &DashMap<K, (u64, u64)>,
    key: &K,
) -> Option<u64> {
    let epoch = c.current_epoch();
    map.get(key).and_then(|v| (v.1 == epoch).then_some(v.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MachineRow, MachineState};
    use alloy::primitives::{Address, U256};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn view(bond: u64) -> MachineView {
        let state = MachineState {
            machine: MachineRow {
                machine_id: 1,
                address: Address::with_last_byte(1),
                owner: Address::with_last_byte(1),
                registered_block: 1,
            },
            operator: Address::with_last_byte(1),
            status: 1,
            staked: U256::from(bond),
            nft_token_id: None,
            flagged_at: None,
            trust_override: None,
        };
        crate::view::build_view(
            state,
            &[],
            peaqos_mcr_model::FxTable::embedded(),
            &peaqos_mcr_model::ScoringConfig::default(),
            1_700_000_000,
        )
    }

    #[test]
    fn a_view_read_before_an_invalidation_is_not_stored_after_it() {
        let c = Cache::new(Duration::from_secs(60));
        let t = c.ticket(1);
        c.invalidate(1);
        assert!(!c.put(1, t, Arc::new(view(1))));
        assert!(c.get(1).is_none());
        // another machine's invalidation does not void machine 1's ticket
        let t = c.ticket(1);
        c.invalidate(2);
        assert!(c.put(1, t, Arc::new(view(1))));
        assert!(c.get(1).is_some());
        // clear voids every ticket
        let t = c.ticket(1);
        c.clear();
        assert!(!c.put(1, t, Arc::new(view(1))));
        assert!(c.is_empty());
    }

    #[test]
    fn registrations_are_kept_until_a_clear_and_never_from_before_it() {
        for ttl in [Duration::from_secs(60), Duration::ZERO] {
            let c = Cache::new(ttl);
            let a = Address::with_last_byte(7);
            c.remember_address(a, 3, c.ticket(0));
            c.remember_token(9, 3, c.ticket(0));
            assert_eq!(c.machine_by_address(&a), Some(3));
            assert_eq!(c.machine_by_token(9), Some(3));
            c.invalidate(3);
            assert_eq!(
                c.machine_by_address(&a),
                Some(3),
                "events do not undo a registration"
            );
            let before = c.ticket(0);
            c.clear();
            assert_eq!(c.machine_by_address(&a), None, "a reorg may have");
            assert_eq!(c.machine_by_token(9), None);
            c.remember_address(a, 4, before);
            c.remember_token(9, 4, before);
            assert_eq!(
                c.machine_by_address(&a),
                None,
                "read before the clear: not kept"
            );
            assert_eq!(c.machine_by_token(9), None);
        }
    }

    #[test]
    fn an_entry_keeps_its_bodies() {
        let c = Cache::new(Duration::from_secs(60));
        assert!(c.put(1, c.ticket(1), Arc::new(view(1))));
        let e = c.entry(1).unwrap();
        let body = e.mcr_body();
        assert_eq!(
            body,
            serde_json::to_vec(&crate::view::mcr_doc(&e.view)).unwrap()
        );
        assert_eq!(
            body.as_ptr(),
            c.entry(1).unwrap().mcr_body().as_ptr(),
            "built once"
        );
        assert!(e.profile_body().is_none());
        e.set_profile_body(Bytes::from_static(b"{}"));
        assert_eq!(
            c.entry(1).unwrap().profile_body().as_deref(),
            Some(&b"{}"[..])
        );
        c.invalidate(1);
        assert!(c.entry(1).is_none());
    }

    #[test]
    fn disabled_cache_stores_nothing() {
        let c = Cache::new(Duration::ZERO);
        assert!(!c.put(1, c.ticket(1), Arc::new(view(1))));
        assert!(c.get(1).is_none());
    }

    /// Eight concurrent misses for one machine: the first computes while the others queue behind
    /// it (the current-thread runtime runs every spawned task up to its first wait before the
    /// test task resumes), then all get the same view.
    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_misses_compute_once() {
        let c = Arc::new(Cache::new(Duration::from_secs(60)));
        let computed = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (c, computed, release) = (c.clone(), computed.clone(), release.clone());
            tasks.push(tokio::spawn(async move {
                c.get_or_compute(1, || async move {
                    computed.fetch_add(1, Ordering::SeqCst);
                    release.notified().await;
                    Ok::<_, ()>(Some(view(1)))
                })
                .await
                .unwrap()
                .unwrap()
            }));
        }
        tokio::task::yield_now().await;
        release.notify_waiters();
        let mut views = Vec::new();
        for t in tasks {
            views.push(t.await.unwrap());
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        assert!(views.iter().all(|v| Arc::ptr_eq(v, &views[0])));
        assert!(c.inflight.lock().is_empty(), "no waiter left behind");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn unknown_machines_and_errors_are_not_cached() {
        let c = Cache::new(Duration::from_secs(60));
        let none = c
            .get_or_compute(5, || async { Ok::<_, ()>(None) })
            .await
            .unwrap();
        assert!(none.is_none() && c.is_empty());
        let err = c.get_or_compute(5, || async { Err::<Option<MachineView>, _>("db down") });
        assert_eq!(err.await.unwrap_err(), "db down");
        assert!(c.is_empty());
    }
}
