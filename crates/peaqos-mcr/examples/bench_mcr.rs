//! MCR service benchmark: indexing rate from a devnet pre-filled with N events (on peaq's
//! published ABIs: `EventSubmitted` logs, the records read with `EventRegistry.getEvents` in
//! batches of `MAX_QUERY_LIMIT()`), and cached vs uncached `/mcr` throughput under a bounded
//! loopback load.
//!
//! `cargo run --release -p peaqos-mcr --features bench --example bench_mcr -- [EVENTS] [REQUESTS] [CONCURRENCY]`
//! (defaults 20000 2000 16; set PEAQOS_TEST_POSTGRES_URL to also index into PostgreSQL and measure
//! the uncached `/mcr` on it).

use alloy::network::EthereumWallet;
use alloy::primitives::{Bytes, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use peaqos_contracts::precompiles::Batch;
use peaqos_contracts::{EventRegistry, IdentityRegistry};
use peaqos_mcr::indexer::IndexedContracts;
use peaqos_types::constants::{BATCH_PRECOMPILE_ADDRESS, DID_PRECOMPILE_ADDRESS};
use std::time::{Duration, Instant};

/// The same `/mcr` JSON served as a static file by nginx (when an `nginx` binary is on PATH or
/// in /usr/sbin), loaded like the MCR service, in the same run: the cached path's yardstick.
async fn nginx_comparison(
    mcr_url: &str,
    requests: usize,
    concurrency: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let Some(nginx) = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
    else {
        println!("nginx comparison: no nginx binary (Debian: apt-get install nginx-light)");
        return Ok(());
    };
    let body = reqwest::Client::builder()
        .no_proxy()
        .build()?
        .get(mcr_url)
        .send()
        .await?
        .bytes()
        .await?;
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join("www"))?;
    std::fs::write(dir.path().join("www/mcr.json"), &body)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let conf = dir.path().join("nginx.conf");
    let d = dir.path().display();
    std::fs::write(
        &conf,
        format!(
            "worker_processes 2; daemon off; pid {d}/nginx.pid; error_log {d}/error.log;\n\
             events {{ worker_connections 4096; }}\n\
             http {{ access_log off; client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; \
             uwsgi_temp_path {d}; scgi_temp_path {d}; \
             server {{ listen 127.0.0.1:{port}; root {d}/www; default_type application/json; }} }}\n"
        ),
    )?;
    let mut child = std::process::Command::new(&nginx)
        .arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(&conf)
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("nginx did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let h = peaqos_mcr::bench::bench_http(
        &format!("http://127.0.0.1:{port}/mcr.json"),
        requests,
        concurrency,
    )
    .await;
    // wrk (C, far lighter than the reqwest client on a 2-core machine), when installed: the
    // same two URLs, one after the other, 2 threads, `concurrency` connections, 5 s each
    for (label, url) in [
        ("MCR cached /mcr", mcr_url.to_owned()),
        (
            "nginx static /mcr JSON",
            format!("http://127.0.0.1:{port}/mcr.json"),
        ),
    ] {
        match wrk(&url, concurrency) {
            Some(line) => {
                println!("wrk {label}: {line} (2 threads, {concurrency} connections, 5 s)")
            }
            None => println!("wrk {label}: not measured (no wrk; Debian: apt-get install wrk)"),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let h = h?;
    println!(
        "nginx static /mcr JSON ({} bytes, 2 workers): {} requests, {} failed, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms (concurrency {concurrency})",
        body.len(),
        h.requests,
        h.failures,
        h.per_sec(),
        h.p50.as_secs_f64() * 1e3,
        h.p99.as_secs_f64() * 1e3
    );
    Ok(())
}

/// `wrk -t2 -c<connections> -d5s url`: its "Requests/sec" and latency lines, or `None` without wrk.
fn wrk(url: &str, connections: usize) -> Option<String> {
    let out = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{}", connections.max(2)),
            "-d5s",
            "--latency",
            url,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let pick = |key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let errors = pick("Non-2xx").unwrap_or_else(|| "no non-2xx".into());
    Some(format!(
        "{}, {}, {}, {errors}",
        pick("Requests/sec:")?,
        pick("50%").unwrap_or_default(),
        pick("99%").unwrap_or_default()
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let events = args.first().copied().unwrap_or(20_000);
    let requests = args.get(1).copied().unwrap_or(2_000);
    let concurrency = args.get(2).copied().unwrap_or(16);

    let net = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral()).await?;
    let d = net.deployment();
    let url = net.url();
    let provider_for = |k: PrivateKeySigner| {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(k))
            .connect_http(url.parse().unwrap())
            .erased()
    };
    let now = provider_for(net.signer(0))
        .get_block(alloy::eips::BlockId::latest())
        .await?
        .unwrap()
        .header
        .timestamp;

    // machine 1 (dev account 1) gets `events` events, machine 2 (dev account 2) 100
    let mut ids = Vec::new();
    for i in [1u32, 2] {
        let p = provider_for(net.signer(i));
        let reg = IdentityRegistry::new(d.identity_registry, &p);
        let bond = reg.minBond().call().await?;
        let r = reg
            .register()
            .value(bond)
            .send()
            .await?
            .get_receipt()
            .await?;
        let e = r
            .inner
            .logs()
            .iter()
            .find_map(|l| IdentityRegistry::Registered::decode_log(&l.inner).ok())
            .unwrap();
        ids.push(e.machineId);
    }
    let fill = Instant::now();
    for (who, n) in [(1u32, events), (2u32, 100)] {
        let p = provider_for(net.signer(who));
        let batch = Batch::new(BATCH_PRECOMPILE_ADDRESS, &p);
        let id = ids[who as usize - 1];
        let mut left = n;
        let mut k = 0u64;
        while left > 0 {
            let m = left.min(256);
            let calls: Vec<Bytes> = (0..m)
                .map(|_| {
                    k += 1;
                    let ts = now - (k % 120) * 86_400 - 60;
                    EventRegistry::submitEventCall {
                        machineId: id,
                        eventType: (k % 2) as u8,
                        value: U256::from(if k.is_multiple_of(2) { 250 } else { 0 }),
                        currency: if k.is_multiple_of(2) {
                            "USD".into()
                        } else {
                            String::new()
                        },
                        timestamp: U256::from(ts),
                        dataHash: Default::default(),
                        trustLevel: 1,
                        sourceChainId: U256::ZERO,
                        sourceTxHash: Default::default(),
                        metadata: Bytes::new(),
                    }
                    .abi_encode()
                    .into()
                })
                .collect();
            let r = batch
                .batchAll(vec![d.event_registry; m], vec![], calls, vec![])
                .gas(55_000_000)
                .send()
                .await?
                .get_receipt()
                .await?;
            assert!(r.status());
            left -= m;
        }
    }
    let head = provider_for(net.signer(0)).get_block_number().await?;
    let limit = EventRegistry::new(d.event_registry, provider_for(net.signer(0)))
        .MAX_QUERY_LIMIT()
        .call()
        .await?;
    println!(
        "filled devnet: {} events in {} blocks ({:.1} s); records read with getEvents, up to {limit} per call",
        events + 100,
        head + 1,
        fill.elapsed().as_secs_f64()
    );

    let contracts = IndexedContracts {
        identity_registry: d.identity_registry,
        identity_staking: d.identity_staking,
        event_registry: d.event_registry,
        machine_nft: d.machine_nft,
        admin_flags: Some(d.admin_flags),
        did_registry: DID_PRECOMPILE_ADDRESS,
    };
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.sqlite").display().to_string();
    let r = peaqos_mcr::bench::bench_indexing(&url, contracts, &db, 10_000).await?;
    println!(
        "indexing (SQLite file): {} events, {} blocks in {:.3} s = {:.0} events/s",
        r.events,
        r.blocks,
        r.elapsed.as_secs_f64(),
        r.events_per_sec()
    );
    let (load, score) = peaqos_mcr::bench::bench_view(&db, 1, 5).await?;
    println!(
        "uncached /mcr work for the {events}-event machine: load {:.1} ms + convert and score {:.1} ms (median of 5)",
        load.as_secs_f64() * 1e3,
        score.as_secs_f64() * 1e3
    );
    // the PostgreSQL database stays until the end: the uncached /mcr is measured on it too
    let mut postgres = None;
    if let Ok(pg) = std::env::var("PEAQOS_TEST_POSTGRES_URL") {
        use sqlx::Connection;
        let name = format!("mcr_bench_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&pg).await?;
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await?;
        let url_pg = format!("{}/{name}", pg.rsplit_once('/').unwrap().0);
        let r = peaqos_mcr::bench::bench_indexing(&url, contracts, &url_pg, 10_000).await?;
        println!(
            "indexing (PostgreSQL): {} events in {:.3} s = {:.0} events/s",
            r.events,
            r.elapsed.as_secs_f64(),
            r.events_per_sec()
        );
        let (load, score) = peaqos_mcr::bench::bench_view(&url_pg, 1, 5).await?;
        println!(
            "uncached /mcr work for the {events}-event machine (PostgreSQL): load {:.1} ms + convert and score {:.1} ms (median of 5)",
            load.as_secs_f64() * 1e3,
            score.as_secs_f64() * 1e3
        );
        postgres = Some((conn, name, url_pg));
    }

    let machine2 = net.signer(2).address();
    let machine1 = net.signer(1).address();
    let mut runs = vec![("cached", 3600u64, db.clone()), ("uncached", 0, db.clone())];
    if let Some((_, _, url_pg)) = &postgres {
        runs.push(("uncached, PostgreSQL", 0, url_pg.clone()));
    }
    for (label, ttl, database_url) in runs {
        let mut c = peaqos_mcr::McrServiceConfig::devnet(url.clone(), {
            let mut a = peaqos_types::network::AGUNG_ADDRESSES;
            a.identity_registry = d.identity_registry;
            a.identity_staking = d.identity_staking;
            a.event_registry = d.event_registry;
            a.machine_nft = d.machine_nft;
            a.admin_flags = Some(d.admin_flags);
            a
        });
        c.database_url = database_url;
        c.listen = "127.0.0.1:0".parse()?;
        c.cache_ttl = Duration::from_secs(ttl);
        c.rate_limit_per_minute = 0;
        let svc = peaqos_mcr::spawn(c).await?;
        svc.wait_for_block(head, Duration::from_secs(120)).await?;
        let h = peaqos_mcr::bench::bench_http(
            &format!("{}/mcr/{machine2}", svc.url()),
            requests,
            concurrency,
        )
        .await?;
        println!(
            "/mcr {label} (100 events): {} requests, {} failed, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms (concurrency {concurrency})",
            h.requests,
            h.failures,
            h.per_sec(),
            h.p50.as_secs_f64() * 1e3,
            h.p99.as_secs_f64() * 1e3
        );
        if label == "cached" {
            nginx_comparison(
                &format!("{}/mcr/{machine2}", svc.url()),
                requests,
                concurrency,
            )
            .await?;
        }
        let n = (requests / 20).max(10);
        let h = peaqos_mcr::bench::bench_http(
            &format!("{}/mcr/{machine1}", svc.url()),
            n,
            concurrency.min(4),
        )
        .await?;
        println!(
            "/mcr {label} ({events} events): {} requests, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms (concurrency {})",
            h.requests,
            h.per_sec(),
            h.p50.as_secs_f64() * 1e3,
            h.p99.as_secs_f64() * 1e3,
            concurrency.min(4)
        );
        svc.shutdown().await?;
    }
    if let Some((mut conn, name, _)) = postgres {
        sqlx::Executor::execute(
            &mut conn,
            format!("DROP DATABASE {name} WITH (FORCE)").as_str(),
        )
        .await?;
    }
    net.shutdown().await?;
    Ok(())
}
