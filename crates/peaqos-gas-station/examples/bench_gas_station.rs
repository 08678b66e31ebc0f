//! Fundings per second: an embedded devnet (instant mining), a Gas Station on 127.0.0.1 with
//! SQLite (or PostgreSQL when PEAQOS_TEST_POSTGRES_URL is set and `--db postgres`), N enrolled
//! owners, then N fundings of N distinct targets sent by C concurrent HTTP clients. Every
//! funding goes the full path: 2FA check, limits, claim, balance check, journal, broadcast,
//! receipt.
//!
//! ```text
//! cargo run -p peaqos-gas-station --example bench_gas_station -- [--fundings 400] [--concurrency 1,8,32] [--db sqlite|postgres]
//! ```

use alloy::signers::local::PrivateKeySigner;
use peaqos_gas_station::{
    ChainSettings, Clock, FundingLimits, GasStationConfig, ManualClock, ServerKey, current_code_for,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

async fn post(
    client: &alloy::transports::http::reqwest::Client,
    url: &str,
    body: Value,
) -> (u16, Value) {
    let r = client.post(url).json(&body).send().await.expect("request");
    (r.status().as_u16(), r.json().await.expect("json"))
}

#[tokio::main]
async fn main() {
    let fundings: usize = arg("--fundings")
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let levels: Vec<usize> = arg("--concurrency")
        .unwrap_or_else(|| "1,8,32".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let db = arg("--db").unwrap_or_else(|| "sqlite".into());
    let devnet = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral())
        .await
        .expect("devnet");
    println!(
        "Gas Station benchmark: {fundings} fundings per level, db={db}, devnet instant mining"
    );
    println!(
        "{:>12} {:>12} {:>14} {:>12} {:>12}",
        "concurrency", "fundings", "fundings/s", "p50 ms", "p99 ms"
    );
    for (round, &c) in levels.iter().enumerate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database_url = if db == "postgres" {
            let base = std::env::var("PEAQOS_TEST_POSTGRES_URL")
                .expect("PEAQOS_TEST_POSTGRES_URL for --db postgres");
            use sqlx::Connection;
            let name = format!("gs_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&base).await.expect("postgres");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create db");
            format!("{}/{name}", base.rsplit_once('/').expect("db url").0)
        } else {
            format!("sqlite://{}", dir.path().join("bench.db").display())
        };
        // A different dev account per level so each level starts from a fresh hot wallet.
        let hot: PrivateKeySigner = devnet.signer(1 + round as u32 % 8);
        let limits = FundingLimits {
            owner_daily_cap: alloy::primitives::U256::MAX,
            wallet_daily_cap: alloy::primitives::U256::MAX,
            ..FundingLimits::default()
        };
        let clock = ManualClock::new(1_700_000_000);
        let mut cfg = GasStationConfig::new(
            database_url,
            ServerKey::generate(),
            vec![ChainSettings::new(31337, devnet.url(), hot).with_limits(limits)],
        );
        cfg.port = 0;
        cfg.clock = Arc::new(clock.clone());
        cfg.reconcile_interval_secs = 0;
        let gs = peaqos_gas_station::spawn(cfg).await.expect("gas station");
        let client = alloy::transports::http::reqwest::Client::new();
        // Enrol the owners (not timed).
        let mut owners = Vec::with_capacity(fundings);
        for _ in 0..fundings {
            let owner = PrivateKeySigner::random().address().to_checksum(None);
            let (_, v) = post(
                &client,
                &format!("{}/2fa/setup", gs.url()),
                json!({"ownerAddress": owner}),
            )
            .await;
            let uri = v["data"]["otpauthUri"].as_str().expect("uri").to_owned();
            let code = current_code_for(&uri, clock.now()).expect("code");
            let (s, _) = post(
                &client,
                &format!("{}/2fa/confirm", gs.url()),
                json!({"ownerAddress": owner, "twoFactorCode": code}),
            )
            .await;
            assert_eq!(s, 200);
            owners.push((owner, uri));
        }
        clock.advance(30);
        let queue = Arc::new(parking_lot::Mutex::new(owners));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..c {
            let (queue, client, url, clock) =
                (queue.clone(), client.clone(), gs.url(), clock.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let Some((owner, uri)) = queue.lock().pop() else {
                        break;
                    };
                    let target = PrivateKeySigner::random().address();
                    let code = current_code_for(&uri, clock.now()).expect("code");
                    let t = Instant::now();
                    let (s, v) = post(
                        &client,
                        &format!("{url}/faucet/fund"),
                        json!({
                        "ownerAddress": owner, "targetWalletAddress": format!("{target:#x}"),
                        "chainId": "devnet", "twoFactorCode": code}),
                    )
                    .await;
                    assert_eq!(s, 200, "{v}");
                    assert_eq!(v["status"], "success");
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            }));
        }
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.expect("client"));
        }
        let secs = started.elapsed().as_secs_f64();
        lat.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "{:>12} {:>12} {:>14.1} {:>12.1} {:>12.1}",
            c,
            lat.len(),
            lat.len() as f64 / secs,
            pct(0.5),
            pct(0.99)
        );
        gs.shutdown().await.expect("shutdown");
    }
    devnet.shutdown().await.expect("devnet shutdown");
}
