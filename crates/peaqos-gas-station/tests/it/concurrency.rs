//! Concurrency: idempotency under 50 concurrent duplicates, 200 concurrent distinct fundings with
//! contiguous nonces and two replicas sharing a hot wallet, on SQLite and PostgreSQL. (Injected
//! crashes need test-only hooks: they are the library's own tests, `src/crash_tests.rs`.)

use crate::common::*;
use std::sync::Arc;
use tokio::task::JoinSet;

async fn same_request_id_50_times(db: Db) {
    let env = Env::start(db).await;
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
    let env = Env::start(db).await;
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

/// Two replicas on one database sharing one hot wallet (the journal's unique nonce index is the
/// arbiter): 60 concurrent fundings split between them all land, each paid once, on contiguous
/// nonces.
async fn two_replicas_share_a_hot_wallet(db: Db) {
    let env = Env::start(db).await;
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
