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

/// Figures of one load run.
struct Figures {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

/// Runs `call(i)` for i in 0..n with at most `concurrency` in flight; `call` answers success.
async fn load<F, Fut>(n: usize, concurrency: usize, call: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let start = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..n {
        let permit = Arc::clone(&sem)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let fut = call(i);
        set.spawn(async move {
            let t = Instant::now();
            let ok = fut.await;
            drop(permit);
            (t.elapsed(), ok)
        });
    }
    let mut lat = Vec::with_capacity(n);
    let mut errors = 0;
    while let Some(r) = set.join_next().await {
        match r {
            Ok((d, ok)) => {
                lat.push(d);
                errors += usize::from(!ok);
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = start.elapsed();
    lat.sort_unstable();
    Figures {
        requests: n,
        errors,
        elapsed,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
    }
}

fn client() -> Result<reqwest::Client, CliError> {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| CliError::network(format!("HTTP client: {e}")))
}

fn report(args: &BenchArgs, label: &str, concurrency: usize, f: &Figures) -> Result<(), CliError> {
    let per_sec = f.requests as f64 / f.elapsed.as_secs_f64().max(1e-9);
    if args.json {
        crate::outln!(
            "{}",
            json!({"target": label, "requests": f.requests, "errors": f.errors,
                   "concurrency": concurrency, "seconds": f.elapsed.as_secs_f64(),
                   "perSec": per_sec, "p50Ms": ms(f.p50), "p99Ms": ms(f.p99)})
        )?;
    } else {
        crate::outln!(
            "{label}: {} requests, {} errors, {:.0}/s, p50 {:.2} ms, p99 {:.2} ms ({concurrency} in flight)",
            f.requests,
            f.errors,
            per_sec,
            ms(f.p50),
            ms(f.p99)
        )?;
    }
    Ok(())
}

/// Runs the load mode.
pub(super) async fn run(args: &BenchArgs, target: LoadTarget, ui: &Ui) -> Result<(), CliError> {
    let devnet = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral())
        .await
        .map_err(|e| CliError::network(format!("cannot start the embedded devnet: {e}")))?;
    let dir = tempfile::tempdir().map_err(|e| CliError::config(format!("temp dir: {e}")))?;
    let n = args.requests as usize;
    let c = args.concurrency as usize;
    let result = match target {
        LoadTarget::Mcr => mcr(args, &devnet, dir.path(), n, c, ui).await,
        LoadTarget::GasStation => gas_station(args, &devnet, dir.path(), n, c, ui).await,
    };
    devnet
        .shutdown()
        .await
        .map_err(|e| CliError::network(format!("devnet shutdown: {e}")))?;
    result
}

async fn mcr(
    args: &BenchArgs,
    devnet: &peaqos_devnet::DevnetHandle,
    dir: &std::path::Path,
    n: usize,
    c: usize,
    ui: &Ui,
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
    ui.info(format!(
        "  machine {id} with 100 revenue events; {n} requests per run"
    ));
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
        let f = load(n, c, |_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                match http.get(&url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
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
        report(args, label, c, &f)?;
        if let Some(body) = body {
            let nginx = format!("nginx static /mcr ({} B, same body)", body.len());
            match super::suite::Nginx::start(&body).await {
                Ok(ng) => {
                    let url = ng.url();
                    let f = load(n, c, |_| {
                        let (http, url) = (http.clone(), url.clone());
                        async move {
                            match http.get(&url).send().await {
                                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                                Err(_) => false,
                            }
                        }
                    })
                    .await;
                    report(args, &nginx, c, &f)?;
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
    let f = load(n, c, |i| {
        let owners = Arc::clone(&owners);
        let fut = post(
            "/faucet/fund",
            json!({"ownerAddress": owners[i].0,
                   "targetWalletAddress": format!("{:#x}", PeaqosClient::generate_keypair().0),
                   "chainId": "devnet", "twoFactorCode": owners[i].1}),
        );
        async move {
            fut.await
                .is_some_and(|(ok, v)| ok && v["status"] == "success")
        }
    })
    .await;
    gs.shutdown()
        .await
        .map_err(|e| CliError::network(format!("Gas Station shutdown: {e}")))?;
    report(args, "gas-station fundings", c, &f)
}
