//! The response cache: per machine, `MCR_CACHE_TTL` seconds, dropped as soon as the indexer
//! writes anything for that machine; degraded results are never stored.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::view::MachineView;

/// Cache of computed machine views keyed by machine id.
#[derive(Debug)]
pub struct Cache {
    ttl: Duration,
    map: Mutex<HashMap<u64, (Instant, Arc<MachineView>)>>,
}

impl Cache {
    /// A cache with this TTL (zero disables it).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::new(HashMap::new()),
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
        let mut m = self.map.lock();
        match m.get(&machine_id) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(Arc::clone(v)),
            Some(_) => {
                m.remove(&machine_id);
                None
            }
            None => None,
        }
    }

    /// Stores a view unless caching is off or the view is degraded.
    pub fn put(&self, machine_id: u64, view: Arc<MachineView>) {
        if self.enabled() && !view.result.degraded {
            self.map.lock().insert(machine_id, (Instant::now(), view));
        }
    }

    /// Drops one machine's entry.
    pub fn invalidate(&self, machine_id: u64) {
        self.map.lock().remove(&machine_id);
    }

    /// Drops everything.
    pub fn clear(&self) {
        self.map.lock().clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
