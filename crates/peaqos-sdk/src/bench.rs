//! Event throughput benchmark: events per second and gas per event through concurrent
//! `submit_event` calls and through `batch_submit_events` batches, from one client.
//!
//! Behind the `bench` feature: `cargo run --release -p peaqos-sdk --features bench --example
//! bench_sdk` runs it on an embedded devnet; [`bench_events`] works against any chain where the
//! client may submit for `machine_ids`.

use std::sync::Arc;
use std::time::Instant;

use alloy::primitives::U256;
use peaqos_types::SubmitEventParams;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::client::PeaqosClient;
use crate::error::{PeaqosError, Result};

/// Figures of one benchmark run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenchReport {
    /// Events submitted in each mode.
    pub events: usize,
    /// Machines the events were spread over.
    pub machines: usize,
    /// Transactions in flight at once.
    pub concurrency: usize,
    /// Events per `batchAll`.
    pub batch_size: usize,
    /// Wall time of the single-event mode, seconds.
    pub single_secs: f64,
    /// Events per second, one transaction per event.
    pub single_events_per_sec: f64,
    /// Mean gas used per event, one transaction per event.
    pub single_gas_per_event: f64,
    /// Wall time of the batch mode, seconds.
    pub batch_secs: f64,
    /// Events per second in batches.
    pub batch_events_per_sec: f64,
    /// Mean gas used per event in batches.
    pub batch_gas_per_event: f64,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} events over {} machines, concurrency {}",
            self.events, self.machines, self.concurrency
        )?;
        writeln!(
            f,
            "submit_event        : {:>8.1} events/s  {:>9.0} gas/event  ({:.2} s)",
            self.single_events_per_sec, self.single_gas_per_event, self.single_secs
        )?;
        write!(
            f,
            "batch_submit_events : {:>8.1} events/s  {:>9.0} gas/event  ({:.2} s, batches of {})",
            self.batch_events_per_sec, self.batch_gas_per_event, self.batch_secs, self.batch_size
        )
    }
}

fn event(machine_ids: &[u64], i: usize, now: u64) -> SubmitEventParams {
    let m = machine_ids[i % machine_ids.len()];
    SubmitEventParams::revenue(
        m,
        U256::from(100 + i as u64),
        "USD",
        now.saturating_sub(i as u64 % 3600),
    )
}

async fn run_all<F, Fut>(concurrency: usize, jobs: usize, f: F) -> Result<u64>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<u64>> + Send + 'static,
{
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut set = JoinSet::new();
    for j in 0..jobs {
        let permit = sem.clone().acquire_owned().await.expect("semaphore open");
        let fut = f(j);
        set.spawn(async move {
            let r = fut.await;
            drop(permit);
            r
        });
    }
    let mut gas = 0u64;
    while let Some(r) = set.join_next().await {
        gas += r.map_err(|e| PeaqosError::rpc(None, format!("benchmark task failed: {e}")))??;
    }
    Ok(gas)
}

/// Submits `events` events spread over `machine_ids` twice: once as concurrent
/// `submit_event` calls (`concurrency` in flight), once as `batch_submit_events` batches of
/// `batch_size` (also `concurrency` in flight), and reports events/s and gas per event.
pub async fn bench_events(
    client: &PeaqosClient,
    machine_ids: &[u64],
    events: usize,
    concurrency: usize,
    batch_size: usize,
) -> Result<BenchReport> {
    if machine_ids.is_empty() || events == 0 || batch_size == 0 {
        return Err(PeaqosError::validation(
            "events",
            "non_empty",
            "benchmark needs machines, events and a batch size",
        ));
    }
    let now = client.latest_block_timestamp().await?;

    let start = Instant::now();
    let single_gas = run_all(concurrency, events, |i| {
        let c = client.clone();
        let p = event(machine_ids, i, now);
        async move { Ok(c.submit_event_receipt(&p).await?.gas_used) }
    })
    .await?;
    let single_secs = start.elapsed().as_secs_f64();

    let batches = events.div_ceil(batch_size);
    let start = Instant::now();
    let batch_gas = run_all(concurrency, batches, |b| {
        let c = client.clone();
        let ps: Vec<_> = (b * batch_size..((b + 1) * batch_size).min(events))
            .map(|i| event(machine_ids, i, now))
            .collect();
        async move { Ok(c.batch_submit_events_receipt(&ps).await?.gas_used) }
    })
    .await?;
    let batch_secs = start.elapsed().as_secs_f64();

    let n = events as f64;
    Ok(BenchReport {
        events,
        machines: machine_ids.len(),
        concurrency,
        batch_size,
        single_secs,
        single_events_per_sec: n / single_secs,
        single_gas_per_event: single_gas as f64 / n,
        batch_secs,
        batch_events_per_sec: n / batch_secs,
        batch_gas_per_event: batch_gas as f64 / n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PeaqosConfig, PrivateKey};
    use peaqos_testkit::TestNet;

    #[tokio::test]
    async fn bench_function_reports_consistent_figures() {
        let net = TestNet::start().await;
        let key = PrivateKey::from(&net.handle.signer(7));
        let c =
            PeaqosClient::new(PeaqosConfig::new(net.url(), Some(key), net.contracts())).unwrap();
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(
                c.register_for(PeaqosClient::generate_keypair().0)
                    .await
                    .unwrap(),
            );
        }
        let r = bench_events(&c, &ids, 30, 4, 10).await.unwrap();
        assert_eq!((r.events, r.machines, r.batch_size), (30, 3, 10));
        for m in &ids {
            assert_eq!(
                c.event_count(*m).await.unwrap(),
                20,
                "10 single + 10 batched per machine"
            );
        }
        assert!(r.single_gas_per_event > 0.0 && r.batch_gas_per_event > 0.0);
        assert!(r.batch_gas_per_event < r.single_gas_per_event, "{r}");
    }
}
