//! Crash recovery with injected crashes, on SQLite and PostgreSQL: the service stops between the
//! journal write and the broadcast, or between the broadcast and the confirmation, while five
//! owners fund concurrently; a restart on the same database pays every request exactly once.
//! The crash campaign (docs/RELIABILITY.md) does the same under load: 200 concurrent requests,
//! 50 of them sharing 10 requestIds, at each crash point.
//!
//! The crash points (`GasStationConfig::crash_after`) exist in test builds of this crate only,
//! so no other build, and no binary, carries them. The harness is the integration tests' own
//! (`tests/it/common`).

#[path = "../tests/it/common/mod.rs"]
#[macro_use]
mod common;

use crate::config::CrashPoint;
use alloy::primitives::Address;
use common::*;
use std::sync::Arc;
use tokio::task::JoinSet;

/// Crash at `point` while 5 owners fund 5 targets concurrently, restart, retry every request:
/// every target is funded exactly once and the hot wallet's nonces have no gap.
async fn crash_and_restart(db: Db, point: CrashPoint) {
    let mut env = Env::start(db).await;
    env.restart(|c| c.crash_after = Some(point)).await;
    let shared = Arc::new(EnvRef {
        url: env.url(),
        client: env.client.clone(),
    });
    let owners: Vec<(String, String)> = {
        let mut v = Vec::new();
        for _ in 0..5 {
            let owner = new_owner();
            let (_, s) = env
                .post("/2fa/setup", serde_json::json!({"ownerAddress": owner}))
                .await;
            let uri = s["data"]["otpauthUri"].as_str().unwrap().to_owned();
            let (st, _) = env
                .post(
                    "/2fa/confirm",
                    serde_json::json!({"ownerAddress": owner, "twoFactorCode": env.code(&uri)}),
                )
                .await;
            assert_eq!(st, 200);
            v.push((owner, uri));
        }
        env.clock.advance(30);
        v
    };
    let targets: Vec<Address> = (0..5).map(|_| random_address()).collect();
    let ids: Vec<String> = (0..5).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let mut set = JoinSet::new();
    for i in 0..5 {
        let shared = shared.clone();
        let body = serde_json::json!({
            "ownerAddress": owners[i].0, "targetWalletAddress": format!("{:#x}", targets[i]),
            "chainId": "devnet", "twoFactorCode": env.code(&owners[i].1), "requestId": ids[i]});
        set.spawn(async move { shared.post("/faucet/fund", body).await });
    }
    let mut crashed = 0;
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        if r.1["code"] == "INTERNAL_ERROR" {
            assert_eq!(r.0, 500);
            crashed += 1;
        } else {
            assert_eq!(r.0, 200, "before the crash: {}", r.1);
        }
    }
    assert!(crashed >= 1);
    assert!(env.gs().service().has_crashed());
    let journal = env.gs().service().journal(31337).await.unwrap();
    assert!(
        journal.iter().any(|j| j.status == "signed"),
        "a journalled, unconfirmed transfer"
    );
    let mut before = 0;
    for t in &targets {
        before += usize::from(!env.balance(*t).await.is_zero());
    }
    match point {
        CrashPoint::AfterJournal => assert!(before < 5),
        CrashPoint::AfterBroadcast => assert!(before >= 1),
    }

    // "Restart": a new process on the same database and chain, no fault injection.
    env.restart(|c| c.crash_after = None).await;
    env.clock.advance(30);
    for i in 0..5 {
        let r = env
            .fund(
                &owners[i].0,
                targets[i],
                &env.code(&owners[i].1),
                Some(&ids[i]),
            )
            .await;
        match r.0 {
            200 => assert_eq!(r.1["status"], "success", "{}", r.1),
            409 => {
                assert_eq!(r.1["code"], "REQUEST_ALREADY_PROCESSED", "{}", r.1);
                assert_eq!(r.1["data"]["status"], "success", "{}", r.1);
            }
            _ => panic!("after restart: {}", r.1),
        }
    }
    for t in &targets {
        assert_eq!(env.balance(*t).await, peaq(2), "funded exactly once");
    }
    assert_eq!(env.nonce(env.hot.address()).await, 5);
    let journal = env.gs().service().journal(31337).await.unwrap();
    assert_eq!(
        journal.iter().map(|j| j.nonce).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert!(journal.iter().all(|j| j.status == "confirmed"));
    // And the next funding continues at nonce 5.
    env.clock.advance(30);
    let t = random_address();
    let r = env
        .fund(&owners[0].0, t, &env.code(&owners[0].1), None)
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(env.nonce(env.hot.address()).await, 6);
}
async fn crash_after_journal(db: Db) {
    crash_and_restart(db, CrashPoint::AfterJournal).await;
}
both_dbs!(crash_after_journal_, crash_after_journal);

async fn crash_after_broadcast(db: Db) {
    crash_and_restart(db, CrashPoint::AfterBroadcast).await;
}
both_dbs!(crash_after_broadcast_, crash_after_broadcast);

/// The crash campaign: 200 concurrent fundings (150 distinct requests, 50 more sharing 10
/// requestIds five times each) when the service stops at `point`; restart, retry every request
/// with its requestId. Every answer before the crash is a success, a documented conflict or the
/// crash's INTERNAL_ERROR (safe to retry); after the restart every target is funded exactly
/// once, the hot wallet's nonces are contiguous and all confirmed, and no request pays twice.
async fn crash_under_load(db: Db, point: CrashPoint) {
    const DISTINCT: usize = 150;
    const SHARED_IDS: usize = 10;
    const COPIES: usize = 5;
    let mut env = Env::start(db).await;
    env.restart(|c| c.crash_after = Some(point)).await;
    // one owner per funding: a TOTP code pays once per time step
    let mut owners: Vec<(String, String)> = Vec::new();
    for _ in 0..DISTINCT + SHARED_IDS {
        let owner = new_owner();
        let (_, s) = env
            .post("/2fa/setup", serde_json::json!({"ownerAddress": owner}))
            .await;
        let uri = s["data"]["otpauthUri"].as_str().unwrap().to_owned();
        let (st, v) = env
            .post(
                "/2fa/confirm",
                serde_json::json!({"ownerAddress": owner, "twoFactorCode": env.code(&uri)}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        owners.push((owner, uri));
    }
    env.clock.advance(30);
    let targets: Vec<Address> = (0..owners.len()).map(|_| random_address()).collect();
    let ids: Vec<String> = (0..owners.len())
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let body = |i: usize, env: &Env| {
        serde_json::json!({
            "ownerAddress": owners[i].0, "targetWalletAddress": format!("{:#x}", targets[i]),
            "chainId": "devnet", "twoFactorCode": env.code(&owners[i].1), "requestId": ids[i]})
    };
    let shared = Arc::new(EnvRef {
        url: env.url(),
        client: env.client.clone(),
    });
    let mut set = JoinSet::new();
    let plan: Vec<usize> = (0..DISTINCT)
        .chain((DISTINCT..DISTINCT + SHARED_IDS).flat_map(|i| std::iter::repeat_n(i, COPIES)))
        .collect();
    assert_eq!(plan.len(), 200);
    for &i in &plan {
        let shared = shared.clone();
        let b = body(i, &env);
        set.spawn(async move { shared.post("/faucet/fund", b).await });
    }
    let (mut ok, mut conflicts, mut crashed) = (0, 0, 0);
    while let Some(r) = set.join_next().await {
        let (status, v) = r.unwrap();
        match (status, v["code"].as_str()) {
            (200, _) => {
                assert_eq!(v["status"], "success", "{v}");
                ok += 1;
            }
            (409, Some("DUPLICATE_REQUEST" | "REQUEST_ALREADY_PROCESSED")) => conflicts += 1,
            (500, Some("INTERNAL_ERROR")) => crashed += 1,
            _ => panic!("before the crash: {status} {v}"),
        }
    }
    eprintln!(
        "crash campaign {point:?}: 200 requests: {ok} success, {conflicts} conflicts, {crashed} INTERNAL_ERROR (retried)"
    );
    assert!(crashed >= 1, "the crash point was reached");
    assert_eq!(ok + conflicts + crashed, 200, "every request was answered");
    assert!(env.gs().service().has_crashed());

    // Restart on the same database and chain, no fault injection; retry everything.
    env.restart(|c| c.crash_after = None).await;
    env.clock.advance(30);
    for i in 0..owners.len() {
        let r = env
            .fund(
                &owners[i].0,
                targets[i],
                &env.code(&owners[i].1),
                Some(&ids[i]),
            )
            .await;
        match r.0 {
            200 => assert_eq!(r.1["status"], "success", "{}", r.1),
            409 => {
                assert_eq!(r.1["code"], "REQUEST_ALREADY_PROCESSED", "{}", r.1);
                assert_eq!(r.1["data"]["status"], "success", "{}", r.1);
            }
            _ => panic!("after restart: {}", r.1),
        }
    }
    for t in &targets {
        assert_eq!(env.balance(*t).await, peaq(2), "funded exactly once");
    }
    let n = owners.len() as u64;
    assert_eq!(env.nonce(env.hot.address()).await, n, "no double funding");
    let journal = env.gs().service().journal(31337).await.unwrap();
    let mut nonces: Vec<i64> = journal.iter().map(|j| j.nonce).collect();
    nonces.sort_unstable();
    assert_eq!(
        nonces,
        (0..n as i64).collect::<Vec<_>>(),
        "contiguous nonces"
    );
    assert!(journal.iter().all(|j| j.status == "confirmed"));
}

async fn load_crash_after_journal(db: Db) {
    crash_under_load(db, CrashPoint::AfterJournal).await;
}
both_dbs!(load_crash_after_journal_, load_crash_after_journal);

async fn load_crash_after_broadcast(db: Db) {
    crash_under_load(db, CrashPoint::AfterBroadcast).await;
}
both_dbs!(load_crash_after_broadcast_, load_crash_after_broadcast);
