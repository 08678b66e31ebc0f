//! `peaqos bench --target mcr|gas-station`: bounded HTTP load on services started in this
//! process over an embedded devnet (loopback only, rate limits off), printing requests, errors,
//! throughput and p50 / p99 latency. The load campaign of docs/RELIABILITY.md.

use super::{BenchArgs, ms, percentile};
use crate::CliError;
use crate::ui::Ui;
use alloy::primitives::U256;
use alloy::transports::http::reqwest;
use clap::ValueEnum;
use peaqos_sdk::{PeaqosClient, PeaqosConfig, PrivateKey, SubmitEventParams};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// What `--target` loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoadTarget {
    /// `GET /mcr/{did}` of a machine with 100 events: cached, then uncached (TTL 0).
    Mcr,
    /// `POST /faucet/fund`, every funding a distinct enrolled owner and target.
    GasStation,
}

/// How long one load run lasts: a count of requests, or a wall-clock bound.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bound {
    /// Exactly this many requests.
    Requests(usize),
    /// New requests until this much time has passed; the ones in flight then still finish.
    Duration(Duration),
}

/// Figures of one load run.
struct Figures {
    requests: usize,
    /// Failed requests by kind ("HTTP 503", "transport", ...), in order of kind.
    errors: BTreeMap<String, usize>,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Figures {
    fn error_count(&self) -> usize {
        self.errors.values().sum()
    }
}

/// Runs `call(i)` for i = 0, 1, ... within `bound` with at most `concurrency` in flight;
/// `call` answers success or the kind of its failure.
async fn load<F, Fut>(bound: Bound, concurrency: usize, call: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let start = Instant::now();
    let mut set = JoinSet::new();
    let mut lat = Vec::new();
    let mut errors = BTreeMap::new();
    let mut tally = |r: Result<(Duration, Result<(), String>), tokio::task::JoinError>| match r {
        Ok((d, ok)) => {
            lat.push(d);
            if let Err(kind) = ok {
                *errors.entry(kind).or_insert(0) += 1;
            }
        }
        Err(e) => *errors.entry(format!("task: {e}")).or_insert(0) += 1,
    };
    let mut i = 0;
    loop {
        let more = match bound {
            Bound::Requests(n) => i < n,
            Bound::Duration(d) => start.elapsed() < d,
        };
        if !more {
            break;
        }
        let permit = Arc::clone(&sem)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        if matches!(bound, Bound::Duration(d) if start.elapsed() >= d) {
            break;
        }
        let fut = call(i);
        set.spawn(async move {
            let t = Instant::now();
            let ok = fut.await;
            drop(permit);
            (t.elapsed(), ok)
        });
        i += 1;
        // collect what finished so a long run does not keep every finished task
        while let Some(r) = set.try_join_next() {
            tally(r);
        }
    }
    while let Some(r) = set.join_next().await {
        tally(r);
    }
    let elapsed = start.elapsed();
    lat.sort_unstable();
    Figures {
        requests: i,
        errors,
        elapsed,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
    }
}

/// `GET url`: success on a 2xx whose body arrives, else the kind of failure.
async fn get(http: reqwest::Client, url: String) -> Result<(), String> {
    let r = http.get(&url).send().await.map_err(|_| "transport")?;
    let status = r.status();
    if !status.is_success() {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    r.bytes().await.map_err(|_| "body")?;
    Ok(())
}

fn client() -> Result<reqwest::Client, CliError> {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| CliError::network(format!("HTTP client: {e}")))
}

/// Prints one run's figures; a run with errors adds its line to `failures`.
fn report(
    args: &BenchArgs,
    label: &str,
    concurrency: usize,
    f: &Figures,
    failures: &mut Vec<String>,
) -> Result<(), CliError> {
    let per_sec = f.requests as f64 / f.elapsed.as_secs_f64().max(1e-9);
    let errors = f.error_count();
    if args.json {
        crate::outln!(
            "{}",
            json!({"target": label, "requests": f.requests, "errors": errors,
                   "errorKinds": f.errors,
                   "concurrency": concurrency, "seconds": f.elapsed.as_secs_f64(),
                   "perSec": per_sec, "p50Ms": ms(f.p50), "p99Ms": ms(f.p99)})
        )?;
    } else {
        crate::outln!(
            "{label}: {} requests, {errors} errors, {:.0}/s, p50 {:.2} ms, p99 {:.2} ms ({concurrency} in flight, {:.1} s)",
            f.requests,
            per_sec,
            ms(f.p50),
            ms(f.p99),
            f.elapsed.as_secs_f64()
        )?;
    }
    if errors > 0 {
        let kinds: Vec<String> = f.errors.iter().map(|(k, n)| format!("{n} {k}")).collect();
        failures.push(format!(
            "{label}: {errors} of {} requests failed ({})",
            f.requests,
            kinds.join(", ")
        ));
    }
    Ok(())
}

/// Runs the load mode; any failed request makes it fail (exit 1) after every run has printed.
pub(super) async fn run(args: &BenchArgs, target: LoadTarget, ui: &Ui) -> Result<(), CliError> {
    let bound = match args.duration {
        Some(secs) => Bound::Duration(Duration::from_secs(secs)),
        None => Bound::Requests(args.requests as usize),
    };
    if let (LoadTarget::GasStation, Bound::Duration(_)) = (target, bound) {
        return Err(CliError::user(
            "--duration applies to --target mcr; Gas Station fundings are bounded by --requests \
             (each funding needs an owner enrolled before the clock starts)",
        ));
    }
    let devnet = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral())
        .await
        .map_err(|e| CliError::network(format!("cannot start the embedded devnet: {e}")))?;
    let dir = tempfile::tempdir().map_err(|e| CliError::config(format!("temp dir: {e}")))?;
    let c = args.concurrency as usize;
    let mut failures = Vec::new();
    let result = match target {
        LoadTarget::Mcr => mcr(args, &devnet, dir.path(), bound, c, ui, &mut failures).await,
        LoadTarget::GasStation => {
            let n = args.requests as usize;
            gas_station(args, &devnet, dir.path(), n, c, ui, &mut failures).await
        }
    };
    devnet
        .shutdown()
        .await
        .map_err(|e| CliError::network(format!("devnet shutdown: {e}")))?;
    result?;
    if failures.is_empty() {
        return Ok(());
    }
    for f in &failures {
        eprintln!("failure: {f}");
    }
    Err(CliError::user(format!(
        "load: {} failed: {}",
        match failures.len() {
            1 => "1 run".to_owned(),
            n => format!("{n} runs"),
        },
        failures.join("; ")
    )))
}

async fn mcr(
    args: &BenchArgs,
    devnet: &peaqos_devnet::DevnetHandle,
    dir: &std::path::Path,
    bound: Bound,
    c: usize,
    ui: &Ui,
    failures: &mut Vec<String>,
) -> Result<(), CliError> {
    let contracts = devnet.deployment().contract_addresses();
    let machine = PeaqosClient::new(PeaqosConfig::new(
        devnet.url(),
        Some(PrivateKey::from(&peaqos_devnet::genesis::dev_signer(1))),
        contracts,
    ))?;
    let id = machine.register_machine().await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let events: Vec<SubmitEventParams> = (0..100u64)
        .map(|i| SubmitEventParams::revenue(id, U256::from(500), "USD", now - (99 - i) * 86_400))
        .collect();
    machine.batch_submit_events_receipt(&events).await?;
    let did = format!("did:peaq:{}", machine.address());
    ui.info(match bound {
        Bound::Requests(n) => {
            format!("  machine {id} with 100 revenue events; {n} requests per run")
        }
        Bound::Duration(d) => format!(
            "  machine {id} with 100 revenue events; {} s per run",
            d.as_secs()
        ),
    });
    let db = dir.join("mcr.sqlite").display().to_string();
    for (label, ttl) in [("mcr cached", 3600u64), ("mcr uncached", 0)] {
        let mut cfg = peaqos_mcr::McrServiceConfig::devnet(devnet.url(), contracts);
        cfg.database_url = db.clone();
        cfg.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        cfg.rate_limit_per_minute = 0;
        cfg.cache_ttl = Duration::from_secs(ttl);
        let svc = peaqos_mcr::spawn(cfg)
            .await
            .map_err(|e| CliError::network(format!("MCR service: {e}")))?;
        let head = alloy::providers::Provider::get_block_number(machine.provider())
            .await
            .map_err(|e| CliError::network(format!("eth_blockNumber: {e}")))?;
        svc.wait_for_block(head, Duration::from_secs(60))
            .await
            .map_err(|e| CliError::network(format!("MCR indexing: {e}")))?;
        let url = format!("{}/mcr/{did}", svc.url());
        let http = client()?;
        let f = load(bound, c, |_| get(http.clone(), url.clone())).await;
        // the cached body as a static file behind nginx, loaded the same way: the peer's figure
        let body = match ttl {
            0 => None,
            _ => match http.get(&url).send().await {
                Ok(r) => r.bytes().await.ok(),
                Err(_) => None,
            },
        };
        svc.shutdown()
            .await
            .map_err(|e| CliError::network(format!("MCR shutdown: {e}")))?;
        report(args, label, c, &f, failures)?;
        if let Some(body) = body {
            let nginx = format!("nginx static /mcr ({} B, same body)", body.len());
            match super::suite::Nginx::start(&body).await {
                Ok(ng) => {
                    let url = ng.url();
                    let f = load(bound, c, |_| get(http.clone(), url.clone())).await;
                    report(args, &nginx, c, &f, failures)?;
                }
                Err(why) if args.json => {
                    crate::outln!("{}", json!({"target": nginx, "notMeasured": why}))?;
                }
                Err(why) => crate::outln!("{nginx}: not measured: {why}")?,
            }
        }
    }
    Ok(())
}

async fn gas_station(
    args: &BenchArgs,
    devnet: &peaqos_devnet::DevnetHandle,
    dir: &std::path::Path,
    n: usize,
    c: usize,
    ui: &Ui,
    failures: &mut Vec<String>,
) -> Result<(), CliError> {
    use peaqos_gas_station::{ChainSettings, GasStationConfig, ServerKey};
    let chain = ChainSettings::new(31337, devnet.url(), peaqos_devnet::genesis::dev_signer(8));
    let mut cfg = GasStationConfig::new(
        format!("sqlite://{}", dir.join("gs.sqlite").display()),
        ServerKey::generate(),
        vec![chain],
    );
    cfg.port = 0;
    let gs = peaqos_gas_station::spawn(cfg)
        .await
        .map_err(|e| CliError::network(format!("Gas Station: {e}")))?;
    let base = gs.url();
    let http = client()?;
    let post = |path: &str, body: Value| {
        let (http, url) = (http.clone(), format!("{base}{path}"));
        async move {
            let r = http.post(url).json(&body).send().await.ok()?;
            let ok = r.status().is_success();
            let v: Value = r.json().await.ok()?;
            Some((ok, v))
        }
    };
    // one owner per funding (a TOTP code pays once per step; the confirming code once more)
    ui.info(format!("  enrolling {n} owners"));
    let mut owners = Vec::with_capacity(n);
    for _ in 0..n {
        let owner = format!("{:#x}", PeaqosClient::generate_keypair().0);
        let (_, s) = post("/2fa/setup", json!({"ownerAddress": owner}))
            .await
            .ok_or_else(|| CliError::network("Gas Station setup failed"))?;
        let uri = s["data"]["otpauthUri"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let code = peaqos_gas_station::current_code_for(&uri, now)
            .map_err(|e| CliError::network(format!("TOTP: {e}")))?;
        let (ok, v) = post(
            "/2fa/confirm",
            json!({"ownerAddress": owner, "twoFactorCode": code}),
        )
        .await
        .ok_or_else(|| CliError::network("Gas Station confirm failed"))?;
        if !ok {
            return Err(CliError::network(format!("Gas Station confirm: {v}")));
        }
        owners.push((owner, code));
    }
    let owners = Arc::new(owners);
    let f = load(Bound::Requests(n), c, |i| {
        let owners = Arc::clone(&owners);
        let fut = post(
            "/faucet/fund",
            json!({"ownerAddress": owners[i].0,
                   "targetWalletAddress": format!("{:#x}", PeaqosClient::generate_keypair().0),
                   "chainId": "devnet", "twoFactorCode": owners[i].1}),
        );
        async move {
            match fut.await {
                None => Err("transport or non-JSON answer".to_owned()),
                Some((true, v)) if v["status"] == "success" => Ok(()),
                Some((_, v)) => Err(format!(
                    "refused ({})",
                    v["code"].as_str().unwrap_or("no code")
                )),
            }
        }
    })
    .await;
    gs.shutdown()
        .await
        .map_err(|e| CliError::network(format!("Gas Station shutdown: {e}")))?;
    report(args, "gas-station fundings", c, &f, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn failed_requests_are_counted_by_kind_and_fail_the_run() {
        let f = load(Bound::Requests(10), 3, |i| async move {
            match i % 5 {
                0 => Err("HTTP 503".to_owned()),
                1 => Err("transport".to_owned()),
                _ => Ok(()),
            }
        })
        .await;
        assert_eq!(f.requests, 10);
        assert_eq!(f.error_count(), 4);
        assert_eq!(
            f.errors
                .iter()
                .map(|(k, n)| (k.as_str(), *n))
                .collect::<Vec<_>>(),
            [("HTTP 503", 2), ("transport", 2)]
        );
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            a: BenchArgs,
        }
        use clap::Parser;
        let t = T::try_parse_from(["t", "--target", "mcr", "--json"]).unwrap();
        let mut failures = Vec::new();
        report(&t.a, "mcr cached", 3, &f, &mut failures).unwrap();
        assert_eq!(
            failures,
            ["mcr cached: 4 of 10 requests failed (2 HTTP 503, 2 transport)"]
        );
        let ok = load(Bound::Requests(4), 2, |_| async { Ok(()) }).await;
        report(&t.a, "mcr uncached", 2, &ok, &mut failures).unwrap();
        assert_eq!(failures.len(), 1, "a run without errors adds no failure");
    }
}
