//! The indexer against the devnet the way it reads peaq mainnet: event records from
//! `getEvents` (batched per machine and range, never one call per event, every field round-trips),
//! the wallet of `registerFor` machines from `machineWalletOf`, the status events (a reactivated
//! machine gets its status back from `getMachineStatus` at the log's block), logs it cannot
//! decode counted on `/ready`, and the Identity NFT's `tokenURI` resolving to the Machine Card.

use crate::common::*;
use alloy::network::TransactionBuilder;
use alloy::primitives::{B256, Bytes, U256, hex};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{SolCall, SolEvent};
use axum::extract::State;
use parking_lot::Mutex;
use peaqos_contracts::{AdminFlags, EventRegistry, IdentityRegistry};
use peaqos_testkit::{Ev, EvExt, TestNet, activity, mined, mined_tx, revenue};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A JSON-RPC proxy in front of the devnet that counts `eth_call`s by selector and every other
/// request by method.
#[derive(Clone, Default)]
struct Counts(Arc<Mutex<HashMap<String, usize>>>);

impl Counts {
    fn get(&self, key: &str) -> usize {
        self.0.lock().get(key).copied().unwrap_or(0)
    }

    fn note(&self, req: &Value) {
        let method = req["method"].as_str().unwrap_or("?");
        let key = if method == "eth_call" {
            let call = &req["params"][0];
            let data = call["input"]
                .as_str()
                .or(call["data"].as_str())
                .unwrap_or("");
            format!("eth_call:{}", data.get(..10).unwrap_or(data))
        } else {
            method.to_owned()
        };
        *self.0.lock().entry(key).or_default() += 1;
    }
}

async fn counting_proxy(upstream: String) -> (String, Counts) {
    let counts = Counts::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::post(
                |State((client, upstream, counts)): State<(reqwest::Client, String, Counts)>,
                 body: axum::body::Bytes| async move {
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    match &v {
                        Value::Array(batch) => batch.iter().for_each(|r| counts.note(r)),
                        r => counts.note(r),
                    }
                    let answer = client
                        .post(&upstream)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                        .bytes()
                        .await
                        .unwrap();
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        answer,
                    )
                },
            ),
        )
        .with_state((client, upstream, counts.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, counts)
}

fn selector(s: [u8; 4]) -> String {
    format!("eth_call:{}", hex::encode_prefixed(s))
}

/// 600 events of one machine and 3 of another in one range: three `getEvents` calls of at most
/// `MAX_QUERY_LIMIT()` (256) records for the first, one for the second, `MAX_QUERY_LIMIT()` read
/// once, no `getEventAt`; every field of every record is stored as submitted.
async fn records_from_get_events(kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(kind, dir.path(), "records").await;
    let net = TestNet::start().await;
    let a = net.funded_key(10).await;
    let a_id = net.register(&a).await;
    let b = net.funded_key(10).await;
    let b_id = net.register(&b).await;
    let now = net.chain_time().await;
    let many: Vec<Ev> = (0..600u64)
        .map(|k| Ev {
            data_hash: B256::with_last_byte((k % 250) as u8 + 1),
            source_chain_id: U256::from(k % 3),
            source_tx_hash: B256::repeat_byte((k % 7) as u8),
            metadata: format!("{{\"k\":{k}}}").into_bytes().into(),
            trust_level: (k % 3) as u8,
            ..if k % 2 == 0 {
                revenue(100 + k, now - (k % 90) * DAY, 0)
            } else {
                activity(now - (k % 90) * DAY, 0)
            }
        })
        .collect();
    net.submit(&a, a_id, &many).await;
    let few = vec![
        Ev::revenue("EUR", now - 2 * DAY),
        Ev::revenue("JPY", now - DAY),
        Ev {
            metadata: Bytes::from_static(b"plain"),
            ..Ev::activity(now)
        },
    ];
    let head = net.submit(&b, b_id, &few).await;

    let (proxy, counts) = counting_proxy(net.url()).await;
    let mut c = peaqos_mcr::McrServiceConfig::devnet(proxy, net.contracts());
    c.database_url = db;
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.rate_limit_per_minute = 0;
    c.initial_log_range = 10_000;
    let svc = peaqos_mcr::spawn(c).await.unwrap();
    svc.wait_for_block(head, WAIT).await.unwrap();

    assert_eq!(
        counts.get(&selector(EventRegistry::getEventsCall::SELECTOR)),
        4,
        "3 calls for 600 records + 1 for 3: {:?}",
        counts.0.lock()
    );
    assert_eq!(
        counts.get(&selector(EventRegistry::MAX_QUERY_LIMITCall::SELECTOR)),
        1
    );
    assert_eq!(
        counts.get(&selector(EventRegistry::getEventAtCall::SELECTOR)),
        0
    );
    assert_eq!(
        counts.get(&selector(IdentityRegistry::machineWalletOfCall::SELECTOR)),
        2,
        "one wallet read per Registered"
    );

    for (id, sent) in [(a_id, &many), (b_id, &few)] {
        let stored = svc.store().events(id).await.unwrap();
        assert_eq!(stored.len(), sent.len());
        for (k, (e, s)) in stored.iter().zip(sent.iter()).enumerate() {
            assert_eq!(e.event_index, k as u64);
            assert_eq!(
                (e.event_type, e.value, e.currency.as_str()),
                (s.event_type, s.value, s.currency.as_str())
            );
            assert_eq!(U256::from(e.timestamp), s.timestamp);
            assert_eq!(
                (
                    e.data_hash,
                    e.trust_level,
                    e.source_chain_id,
                    e.source_tx_hash
                ),
                (
                    s.data_hash,
                    s.trust_level,
                    s.source_chain_id,
                    s.source_tx_hash
                )
            );
            assert_eq!(e.metadata, s.metadata);
            assert!(e.block > 0 && e.tx_hash != B256::ZERO);
        }
    }
    let (_, r) = get(&svc.url(), "/ready").await;
    assert_eq!(r["index"]["undecodable_logs"], 0, "{r}");
    assert_eq!(r["index"]["record_mismatches"], 0, "{r}");
    let (s, m) = get(&svc.url(), &format!("/mcr/{}", a.address())).await;
    assert_eq!(s, 200);
    assert_eq!(m["event_count"], 600);
    assert_eq!(m["revenue_event_count"], 300);
    svc.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_from_get_events_sqlite() {
    records_from_get_events(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL; CI runs it with --ignored"]
async fn records_from_get_events_postgres() {
    records_from_get_events(Db::Postgres).await;
}

/// Init code of a contract whose every call emits `LOG1(topic0 = calldata[0..32],
/// data = calldata[32..])`.
const EMITTER_INIT: &str = "60128060 0b6000396000f3 60203603806020600037600035906000a100";

/// A log with `MachineFlagged`'s topic0 but without its indexed machine id, from the address
/// the service takes for AdminFlags: not decodable. It is kept, warned about, counted on
/// `/ready` (also after a restart), and indexing goes on past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_logs_are_counted_on_ready() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("u.sqlite").display().to_string();
    let net = TestNet::start().await;
    let deployer = net.provider(3);
    let init: Vec<u8> = hex::decode(EMITTER_INIT.replace(' ', "")).unwrap();
    let r = mined_tx(
        &deployer,
        TransactionRequest::default().with_deploy_code(init),
    )
    .await;
    let emitter = r.contract_address.expect("deployed");
    let mut data = AdminFlags::MachineFlagged::SIGNATURE_HASH.to_vec();
    data.extend_from_slice(&[0u8; 64]);
    let r = mined_tx(
        &deployer,
        TransactionRequest::default()
            .with_to(emitter)
            .with_input(Bytes::from(data)),
    )
    .await;
    assert_eq!(r.inner.logs().len(), 1);
    let bad_block = r.block_number.unwrap();
    // a regular machine after it is still indexed
    let key = net.funded_key(10).await;
    net.register(&key).await;

    let mut contracts = net.contracts();
    contracts.admin_flags = Some(emitter);
    let tune = |c: &mut peaqos_mcr::McrServiceConfig| {
        c.contracts = contracts;
    };
    let svc = mcr(&net, &db, tune).await;
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();
    assert!(svc.indexed_block() > bad_block);
    let (s, r) = get(&svc.url(), "/ready").await;
    assert_eq!(
        s, 200,
        "an undecodable log does not make the service unready: {r}"
    );
    assert_eq!(r["index"]["undecodable_logs"], 1, "{r}");
    assert_eq!(r["index"]["record_mismatches"], 0, "{r}");
    assert_eq!(
        svc.status()
            .undecodable_logs
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    let (s, _) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
    assert_eq!(s, 200);
    svc.shutdown().await.unwrap();

    let svc = mcr(&net, &db, tune).await;
    let (_, r) = get(&svc.url(), "/ready").await;
    assert_eq!(r["index"]["undecodable_logs"], 1, "kept in the index: {r}");
    svc.shutdown().await.unwrap();
}

/// Status events through the API: verified, deactivated (NR, card inactive), reactivated back
/// to Verified (the restored status read at the log's block); a proxied machine's wallet comes
/// from `machineWalletOf`; an FX-degraded machine; the Identity NFT's tokenURI is its card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_wallets_degraded_and_token_uri() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let svc = mcr(
        &net,
        &dir.path().join("s.sqlite").display().to_string(),
        |_| {},
    )
    .await;
    let base = svc.url();
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    let owner = net.provider(0);
    let reg0 = IdentityRegistry::new(net.contracts().identity_registry, &owner);
    let keyp = net.provider_for(key.clone());
    let reg_machine = IdentityRegistry::new(net.contracts().identity_registry, &keyp);
    let idu = U256::from(id);

    let status_of = |v: &Value| v["peaqos"]["status"].as_str().unwrap().to_owned();
    let b = mined(reg0.verifyMachine(idu)).await.block_number.unwrap();
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&base, &format!("/machine/{}", key.address())).await;
    assert_eq!(status_of(&v), "Verified");

    let b = mined(reg_machine.deactivateMachine(idu))
        .await
        .block_number
        .unwrap();
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&base, &format!("/machine/{}", key.address())).await;
    assert_eq!(status_of(&v), "Deactivated");
    assert_eq!(v["peaqos"]["mcr"], "NR");
    let (_, c) = get(&base, &format!("/machines/{id}")).await;
    assert_eq!(c["active"], false);

    let b = mined(reg_machine.reactivateMachine(idu))
        .await
        .block_number
        .unwrap();
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&base, &format!("/machine/{}", key.address())).await;
    assert_eq!(status_of(&v), "Verified", "the status before deactivation");
    let (_, c) = get(&base, &format!("/machines/{id}")).await;
    assert_eq!(c["active"], true);

    // a proxied machine: the wallet is the machine, the proxy its operator
    let proxy = net.funded_key(10).await;
    let machine = alloy::signers::local::PrivateKeySigner::random();
    let pid = net.register_for(&proxy, machine.address()).await;
    // FX-degraded: a EUR revenue event dated before the first ECB quote
    let old = Ev::revenue("EUR", 800_000_000);
    let b = net.submit(&key, id, &[old]).await;
    svc.wait_for_block(b.max(net.head().await), WAIT)
        .await
        .unwrap();
    let (s, v) = get(&base, &format!("/machine/{}", machine.address())).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["peaqos"]["machine_id"], pid);
    assert_eq!(
        v["peaqos"]["operator"],
        format!("did:peaq:{}", proxy.address())
    );
    let (_, m) = get(&base, &format!("/mcr/{}", key.address())).await;
    assert_eq!(m["mcr_degraded"], true, "{m}");

    // the Identity NFT's tokenURI is the Machine Card
    mined(reg0.setBaseURI(base.clone())).await;
    let uri = reg0.tokenURI(idu).call().await.unwrap();
    assert_eq!(uri, format!("{base}/machines/{id}"));
    let card: Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(&uri)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(card["type"], "peaqos:registration:v1");
    assert_eq!(card["name"], format!("Machine #{id}"));
    assert_eq!(card["registrations"][0]["machineId"], id);
    assert_eq!(
        card["registrations"][0]["machineRegistry"],
        format!(
            "eip155:31337:{}",
            net.contracts().identity_registry.to_checksum(None)
        )
    );
    let (s, e) = get(&base, "/machines/424242").await;
    assert_eq!(s, 404);
    assert!(e["detail"].as_str().unwrap().contains("424242"));
    svc.shutdown().await.unwrap();
}
