//! Benchmarks for `examples/bench_mcr.rs`, behind the `bench` feature: indexing rate against a
//! filled chain, and `/mcr` throughput under a bounded loopback load.

use crate::McrError;
use crate::cache::Cache;
use crate::indexer::{IndexedContracts, Indexer, IndexerSettings, IndexerStatus, Step};
use crate::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Result of [`bench_indexing`].
#[derive(Debug, Clone, Copy)]
pub struct IndexingBench {
    /// Events in the index at the end.
    pub events: u64,
    /// Blocks covered.
    pub blocks: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl IndexingBench {
    /// Events per second.
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Indexes a chain from block 0 to its head into a fresh database and times it.
pub async fn bench_indexing(
    rpc_url: &str,
    contracts: IndexedContracts,
    database_url: &str,
    max_range: u64,
) -> Result<IndexingBench, McrError> {
    let provider = crate::provider(rpc_url)?;
    let store = Store::connect(database_url).await?;
    let settings = IndexerSettings {
        start_block: 0,
        confirmations: 0,
        initial_range: max_range,
        max_range,
        poll_interval: Duration::from_millis(10),
        rpc_concurrency: crate::indexer::DEFAULT_RPC_CONCURRENCY,
    };
    let status = IndexerStatus::new(max_range);
    let cache = Arc::new(Cache::new(Duration::ZERO));
    let indexer = Indexer::new(
        provider,
        store.clone(),
        contracts,
        settings,
        Arc::clone(&status),
        cache,
    );
    let start = Instant::now();
    loop {
        match indexer.step().await? {
            Step::CaughtUp => break,
            Step::Indexed { .. } | Step::RolledBack { .. } => {}
        }
    }
    let elapsed = start.elapsed();
    let events = store.total_events().await?;
    store.close().await;
    Ok(IndexingBench {
        events,
        blocks: status.indexed_block() + 1,
        elapsed,
    })
}

/// Result of [`bench_http`].
#[derive(Debug, Clone)]
pub struct HttpBench {
    /// Requests sent.
    pub requests: usize,
    /// Non-2xx answers.
    pub failures: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

impl HttpBench {
    /// Requests per second.
    pub fn per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// GETs `url` `requests` times with at most `concurrency` requests in flight.
pub async fn bench_http(
    url: &str,
    requests: usize,
    concurrency: usize,
) -> Result<HttpBench, McrError> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| McrError::Server(e.to_string()))?;
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..requests {
        let permit = Arc::clone(&sem)
            .acquire_owned()
            .await
            .map_err(|e| McrError::Server(e.to_string()))?;
        let client = client.clone();
        let url = url.to_owned();
        tasks.spawn(async move {
            let t = Instant::now();
            let ok = match client.get(&url).send().await {
                Ok(r) => {
                    let ok = r.status().is_success();
                    let _ = r.bytes().await;
                    ok
                }
                Err(_) => false,
            };
            drop(permit);
            (t.elapsed(), ok)
        });
    }
    let mut lat = Vec::with_capacity(requests);
    let mut failures = 0;
    while let Some(r) = tasks.join_next().await {
        let (d, ok) = r.map_err(|e| McrError::Server(e.to_string()))?;
        lat.push(d);
        if !ok {
            failures += 1;
        }
    }
    let elapsed = start.elapsed();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    Ok(HttpBench {
        requests,
        failures,
        elapsed,
        p50: pct(0.5),
        p99: pct(0.99),
    })
}

/// Times the uncached work of one `/mcr` request for `machine_id` over `database_url`: loading
/// the machine and its events, and scoring them (`rounds` times; returns (load, score) medians).
pub async fn bench_view(
    database_url: &str,
    machine_id: u64,
    rounds: usize,
) -> Result<(Duration, Duration), McrError> {
    let store = Store::connect(database_url).await?;
    let fx = peaqos_mcr_model::FxTable::embedded();
    let config = peaqos_mcr_model::ScoringConfig::default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (mut load, mut score) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        let (state, events) = store
            .machine_with_events(machine_id)
            .await?
            .ok_or_else(|| McrError::Config("unknown machine".into()))?;
        load.push(t.elapsed());
        let t = Instant::now();
        let v = crate::view::build_view(state, &events, fx, &config, now);
        std::hint::black_box(&v);
        score.push(t.elapsed());
    }
    store.close().await;
    load.sort_unstable();
    score.sort_unstable();
    Ok((load[load.len() / 2], score[score.len() / 2]))
}
