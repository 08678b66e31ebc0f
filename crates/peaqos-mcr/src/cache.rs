//! The response cache: per machine, `MCR_CACHE_TTL` seconds, dropped as soon as the indexer
//! writes anything for that machine; degraded results are never stored.
//!
//! Two guarantees beyond a plain TTL map:
//! - a view computed from rows read *before* an invalidation is never stored *after* it (each
//!   computation takes a ticket; [`Cache::invalidate`] and [`Cache::clear`] void the tickets out);
//! - concurrent misses for one machine compute once ([`Cache::get_or_compute`]): the first caller
//!   loads and scores, the others wait for its result instead of loading the same rows again.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::view::MachineView;

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<u64, (Instant, Arc<MachineView>)>,
    /// Bumped per machine by `invalidate`.
    generations: HashMap<u64, u64>,
    /// Bumped by `clear`.
    epoch: u64,
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
    inner: Mutex<Inner>,
    inflight: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
}

impl Cache {
    /// A cache with this TTL (zero disables it).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Inner::default()),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    /// Whether caching is on.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// A fresh entry.
    pub fn get(&self, machine_id: u64) -> Option<Arc<MachineView>> {
        if !self.enabled() {
            return None;
        }
        let mut m = self.inner.lock();
        match m.entries.get(&machine_id) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(Arc::clone(v)),
            Some(_) => {
                m.entries.remove(&machine_id);
                None
            }
            None => None,
        }
    }

    /// The ticket to take before reading the rows a view is computed from.
    pub fn ticket(&self, machine_id: u64) -> Ticket {
        let m = self.inner.lock();
        Ticket {
            epoch: m.epoch,
            generation: m.generations.get(&machine_id).copied().unwrap_or(0),
        }
    }

    /// Stores a view unless caching is off, the view is degraded, or the machine was invalidated
    /// since `ticket` was taken (the view may miss what the indexer wrote meanwhile).
    pub fn put(&self, machine_id: u64, ticket: Ticket, view: Arc<MachineView>) -> bool {
        if !self.enabled() || view.result.degraded {
            return false;
        }
        let mut m = self.inner.lock();
        let current = Ticket {
            epoch: m.epoch,
            generation: m.generations.get(&machine_id).copied().unwrap_or(0),
        };
        if current != ticket {
            return false;
        }
        m.entries.insert(machine_id, (Instant::now(), view));
        true
    }

    /// The cached view, or the result of `compute` (stored when allowed). With caching on,
    /// concurrent callers for one machine share one computation; with caching off every caller
    /// computes (each answer must reflect the index at its own request time).
    pub async fn get_or_compute<F, Fut, E>(
        &self,
        machine_id: u64,
        compute: F,
    ) -> Result<Option<Arc<MachineView>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<MachineView>, E>>,
    {
        if !self.enabled() {
            return Ok(compute().await?.map(Arc::new));
        }
        if let Some(v) = self.get(machine_id) {
            return Ok(Some(v));
        }
        let lock = Arc::clone(self.inflight.lock().entry(machine_id).or_default());
        let result = {
            let _turn = lock.lock().await;
            match self.get(machine_id) {
                Some(v) => Ok(Some(v)),
                None => {
                    let ticket = self.ticket(machine_id);
                    compute().await.map(|v| {
                        v.map(|v| {
                            let v = Arc::new(v);
                            self.put(machine_id, ticket, Arc::clone(&v));
                            v
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

    /// Drops one machine's entry and voids its outstanding tickets.
    pub fn invalidate(&self, machine_id: u64) {
        let mut m = self.inner.lock();
        m.entries.remove(&machine_id);
        *m.generations.entry(machine_id).or_default() += 1;
    }

    /// Drops everything and voids every outstanding ticket.
    pub fn clear(&self) {
        let mut m = self.inner.lock();
        m.entries.clear();
        m.generations.clear();
        m.epoch += 1;
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
