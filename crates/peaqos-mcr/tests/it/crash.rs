//! The MCR indexer's crash campaign: the service, in a child process (this test binary re-run
//! on [`mcr_child`]) indexing a devnet one block per range, is killed with SIGKILL five times
//! mid-backfill, each run resuming from the cursor the last one committed; the scores it then
//! serves equal a clean run's, machine by machine.

use crate::common::*;
use peaqos_testkit::{TestNet, activity, revenue};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "PEAQOS_MCR_TEST_CHILD";

#[derive(serde::Serialize, serde::Deserialize)]
struct ChildConfig {
    rpc: String,
    contracts: peaqos_types::network::ContractAddresses,
    db: String,
    url_file: PathBuf,
}

fn slow(c: &mut peaqos_mcr::McrServiceConfig) {
    // one block per eth_getLogs range: the backfill takes many committed steps
    c.initial_log_range = 1;
    c.max_log_range = 1;
    c.poll_interval = Duration::from_millis(20);
    c.rate_limit_per_minute = 0;
}

/// The service process of [`killed_mid_backfill_five_times_scores_as_a_clean_run`]; only runs
/// when that test starts it (ignored otherwise).
#[tokio::test]
#[ignore = "started as a child process by the MCR crash test"]
async fn mcr_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let c: ChildConfig = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut cfg = peaqos_mcr::McrServiceConfig::devnet(c.rpc, c.contracts);
    cfg.database_url = c.db;
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    slow(&mut cfg);
    let mut svc = peaqos_mcr::spawn(cfg).await.unwrap();
    std::fs::write(&c.url_file, svc.url()).unwrap();
    svc.wait().await.unwrap();
}

async fn ready(url: &str) -> Option<Value> {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{url}/ready"))
        .send()
        .await
        .ok()?;
    r.json().await.ok()
}

#[tokio::test]
async fn killed_mid_backfill_five_times_scores_as_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let now = net.chain_time().await;
    // 4 machines, each with 12 submissions (one block each) of revenue and activity
    let mut dids = Vec::new();
    for m in 0..4u64 {
        let key = net.funded_key(10).await;
        let id = net.register(&key).await;
        for b in 0..12u64 {
            let ts = now - (60 - b * 5) * DAY;
            net.submit(
                &key,
                id,
                &[revenue(100 * (m + 1) + b, ts, 1), activity(ts + 60, 0)],
            )
            .await;
        }
        dids.push(format!("did:peaq:{}", key.address()));
    }
    let head = net.head().await;
    assert!(head >= 50, "{head} blocks to backfill");

    let db = dir.path().join("crashed.sqlite").display().to_string();
    let mut killed_at = Vec::new();
    for round in 1..=5u64 {
        let url_file = dir.path().join(format!("url-{round}"));
        let cfg = dir.path().join(format!("child-{round}.json"));
        std::fs::write(
            &cfg,
            serde_json::to_vec(&ChildConfig {
                rpc: net.url(),
                contracts: net.contracts(),
                db: db.clone(),
                url_file: url_file.clone(),
            })
            .unwrap(),
        )
        .unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash::mcr_child", "--ignored", "--nocapture"])
            .env(CHILD_ENV, &cfg)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the MCR child");
        // kill it once it has indexed past round/6 of the chain (it resumed from the last run's
        // cursor, so each run makes progress), before it is synced
        let target = head * round / 6;
        let deadline = Instant::now() + Duration::from_secs(120);
        let at = loop {
            assert!(Instant::now() < deadline, "round {round}: no progress");
            if let Some(status) = child.try_wait().unwrap() {
                panic!("round {round}: the MCR child ended: {status}");
            }
            if let Ok(url) = std::fs::read_to_string(&url_file)
                && let Some(r) = ready(&url).await
            {
                let indexed = r["index"]["indexed_block"].as_u64().unwrap_or(0);
                if indexed >= target {
                    break indexed;
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        child.kill().unwrap(); // SIGKILL
        assert!(!child.wait().unwrap().success());
        assert!(
            at < head,
            "round {round}: killed mid-backfill ({at} of {head})"
        );
        killed_at.push(at);
    }
    eprintln!("MCR crash campaign: SIGKILL at blocks {killed_at:?} of {head}");

    // the survivor finishes the backfill; a clean run indexes from scratch
    let crashed = mcr(&net, &db, slow).await;
    let clean_db = dir.path().join("clean.sqlite").display().to_string();
    let clean = mcr(&net, &clean_db, slow).await;
    crashed.wait_for_block(head, WAIT).await.unwrap();
    clean.wait_for_block(head, WAIT).await.unwrap();
    for did in &dids {
        let (s, a) = get(&crashed.url(), &format!("/mcr/{did}")).await;
        let (_, b) = get(&clean.url(), &format!("/mcr/{did}")).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["event_count"], 24, "{a}");
        for k in [
            "mcr_score",
            "mcr",
            "event_count",
            "revenue_event_count",
            "activity_event_count",
            "total_revenue",
            "average_revenue_per_event",
            "revenue_trend",
            "last_updated",
        ] {
            assert_eq!(a[k], b[k], "{did} {k}: crashed {a} clean {b}");
        }
        // every term must agree but those read off the wall clock at each request (`now`, the
        // fractional days since the last event): time passes between the two requests
        let mut ea = settled_explain(&crashed.url(), did).await;
        let mut eb = settled_explain(&clean.url(), did).await;
        assert_eq!(without_clock(&mut ea), 2, "{ea}");
        assert_eq!(without_clock(&mut eb), 2, "{eb}");
        assert_eq!(ea, eb, "{did}: explain differs");
    }
    crashed.shutdown().await.unwrap();
    clean.shutdown().await.unwrap();
}

/// Removes every term read off the wall clock (`now`, `days_since_last_event`) from `v`,
/// returning how many there were.
fn without_clock(v: &mut serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(o) => {
            let here = ["now", "days_since_last_event"]
                .into_iter()
                .filter(|k| o.remove(*k).is_some())
                .count();
            here + o.values_mut().map(without_clock).sum::<usize>()
        }
        serde_json::Value::Array(a) => a.iter_mut().map(without_clock).sum(),
        _ => 0,
    }
}

/// `/mcr/{did}/explain` once the background source-chain checks of the machine's events are
/// done (none pending): until then the two services may stand at different points of that
/// queue.
async fn settled_explain(url: &str, did: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (s, e) = get(url, &format!("/mcr/{did}/explain")).await;
        assert_eq!(s, 200, "{e}");
        if e["source_verification"]["pending"] == 0 {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "source checks still pending: {e}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
