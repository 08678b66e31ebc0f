//! Crash recovery with injected crashes, on SQLite and PostgreSQL: the service stops between the
//! journal write and the broadcast, or between the broadcast and the confirmation, while five
//! owners fund concurrently; a restart on the same database pays every request exactly once.
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
