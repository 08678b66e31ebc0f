//! Concurrency and crash recovery: idempotency under 50 concurrent duplicates, 200 concurrent
//! distinct fundings with contiguous nonces, and injected crashes between journal write and
//! broadcast and between broadcast and confirmation, on SQLite and PostgreSQL.

mod common;

use alloy::primitives::Address;
use common::*;
use peaqos_gas_station::CrashPoint;
use std::sync::Arc;
use tokio::task::JoinSet;

async fn same_request_id_50_times(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let env = Arc::new(env);
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let target = random_address();
    let id = uuid::Uuid::new_v4().to_string();
    let code = env.code(&uri);
    let mut set = JoinSet::new();
    for _ in 0..50 {
        let (env, owner, code, id) = (env.clone(), owner.clone(), code.clone(), id.clone());
        set.spawn(async move { env.fund(&owner, target, &code, Some(&id)).await });
    }
    let mut success = 0;
    let mut hashes = std::collections::HashSet::new();
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        match r.1["status"].as_str().unwrap() {
            "success" => {
                success += 1;
                hashes.insert(r.1["data"]["txHash"].as_str().unwrap().to_owned());
            }
            "error" => {
                let code = r.1["code"].as_str().unwrap();
                assert!(
                    code == "DUPLICATE_REQUEST" || code == "REQUEST_ALREADY_PROCESSED",
                    "{}",
                    r.1
                );
                assert_eq!(r.0, 409);
                if let Some(h) = r.1["data"]["txHash"].as_str() {
                    hashes.insert(h.to_owned());
                }
            }
            other => panic!("unexpected {other}: {}", r.1),
        }
    }
    assert_eq!(success, 1);
    assert_eq!(hashes.len(), 1, "every answer names the same transfer");
    assert_eq!(env.balance(target).await, peaq(2));
    assert_eq!(env.nonce(env.hot.address()).await, 1);
    assert_eq!(env.gs().service().journal(31337).await.unwrap().len(), 1);
}
both_dbs!(same_request_id_50_times_, same_request_id_50_times);

/// Enrols `n` owners concurrently; returns (owner, otpauth URI).
async fn enrol_many(env: &Arc<Env>, n: usize) -> Vec<(String, String)> {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let env = env.clone();
        set.spawn(async move {
            let owner = new_owner();
            let (s, v) = env
                .post("/2fa/setup", serde_json::json!({"ownerAddress": owner}))
                .await;
            assert_eq!(s, 200, "{v}");
            let uri = v["data"]["otpauthUri"].as_str().unwrap().to_owned();
            let (s, v) = env
                .post(
                    "/2fa/confirm",
                    serde_json::json!({"ownerAddress": owner, "twoFactorCode": env.code(&uri)}),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            (owner, uri)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    env.clock.advance(30);
    out
}

async fn distinct_200_concurrent(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let env = Arc::new(env);
    let owners = enrol_many(&env, 200).await;
    let start_nonce = env.nonce(env.hot.address()).await;
    let mut set = JoinSet::new();
    let mut targets = Vec::new();
    for (owner, uri) in owners {
        let target = random_address();
        targets.push(target);
        let env = env.clone();
        set.spawn(async move { env.fund(&owner, target, &env.code(&uri), None).await });
    }
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        assert_eq!(r.0, 200, "{}", r.1);
        assert_eq!(r.1["status"], "success");
    }
    for t in &targets {
        assert_eq!(env.balance(*t).await, peaq(2));
    }
    assert_eq!(env.nonce(env.hot.address()).await, start_nonce + 200);
    let journal = env.gs().service().journal(31337).await.unwrap();
    let nonces: Vec<i64> = journal.iter().map(|j| j.nonce).collect();
    assert_eq!(
        nonces,
        (start_nonce as i64..start_nonce as i64 + 200).collect::<Vec<_>>()
    );
    assert!(journal.iter().all(|j| j.status == "confirmed"));
}
both_dbs!(distinct_200_concurrent_, distinct_200_concurrent);

/// Crash at `point` while 5 owners fund 5 targets concurrently, restart, retry every request:
/// every target is funded exactly once and the hot wallet's nonces have no gap.
async fn crash_and_restart(db: Db, point: CrashPoint) {
    let Some(mut env) = Env::start(db).await else {
        return;
    };
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

/// Two replicas on one database sharing one hot wallet (the journal's unique nonce index is the
/// arbiter): 60 concurrent fundings split between them all land, each paid once, on contiguous
/// nonces.
async fn two_replicas_share_a_hot_wallet(db: Db) {
    let Some(env) = Env::start(db).await else {
        return;
    };
    let env = Arc::new(env);
    let mut cfg = env.config();
    cfg.replica_id = "second".into();
    let second = peaqos_gas_station::spawn(cfg)
        .await
        .expect("second replica");
    let urls = [env.url(), second.url()];
    let owners = enrol_many(&env, 60).await;
    let start_nonce = env.nonce(env.hot.address()).await;
    let mut set = JoinSet::new();
    let mut targets = Vec::new();
    for (i, (owner, uri)) in owners.into_iter().enumerate() {
        let target = random_address();
        targets.push(target);
        let env = env.clone();
        let url = urls[i % 2].clone();
        set.spawn(async move {
            let body = serde_json::json!({
                "ownerAddress": owner,
                "targetWalletAddress": target.to_checksum(None),
                "chainId": "devnet",
                "twoFactorCode": env.code(&uri),
            });
            EnvRef {
                url,
                client: env.client.clone(),
            }
            .post("/faucet/fund", body)
            .await
        });
    }
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        assert_eq!(r.0, 200, "{}", r.1);
        assert_eq!(r.1["status"], "success", "{}", r.1);
    }
    for t in &targets {
        assert_eq!(env.balance(*t).await, peaq(2), "paid exactly once");
    }
    assert_eq!(env.nonce(env.hot.address()).await, start_nonce + 60);
    let journal = env.gs().service().journal(31337).await.unwrap();
    assert_eq!(
        journal.iter().map(|j| j.nonce).collect::<Vec<_>>(),
        (start_nonce as i64..start_nonce as i64 + 60).collect::<Vec<_>>()
    );
    assert!(journal.iter().all(|j| j.status == "confirmed"));
    second.shutdown().await.unwrap();
}
both_dbs!(
    two_replicas_share_a_hot_wallet_,
    two_replicas_share_a_hot_wallet
);

struct EnvRef {
    url: String,
    client: alloy::transports::http::reqwest::Client,
}

impl EnvRef {
    async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

async fn crash_after_journal(db: Db) {
    crash_and_restart(db, CrashPoint::AfterJournal).await;
}
both_dbs!(crash_after_journal_, crash_after_journal);

async fn crash_after_broadcast(db: Db) {
    crash_and_restart(db, CrashPoint::AfterBroadcast).await;
}
both_dbs!(crash_after_broadcast_, crash_after_broadcast);
