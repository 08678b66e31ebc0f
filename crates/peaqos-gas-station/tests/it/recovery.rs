//! Recovery paths the node provokes (no crash points): a broadcast whose outcome is unknown
//! (the RPC link fails after the node took the transaction, and the follow-up lookup fails too),
//! and a hot-wallet nonce consumed outside the service ("nonce too low").

use crate::common::*;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::rpc::types::TransactionRequest;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A JSON-RPC proxy on 127.0.0.1 in front of the devnet. While `broken`, it forwards
/// `eth_sendRawTransaction` to the node (the node takes the transaction) but answers 502, and
/// answers 502 to transaction lookups without forwarding them: the client cannot know the outcome.
#[derive(Clone)]
struct FlakyRpc {
    upstream: String,
    broken: Arc<AtomicBool>,
    client: alloy::transports::http::reqwest::Client,
}

const UNKNOWN_ID: &str = "6f1d2c9e-8a47-4b35-9d0e-2f6a1b7c3d41";
const AFTER_SPEND_ID: &str = "0b9e4f7a-3c12-4d8e-a5f6-7e2d9c1b0a53";

const LOOKUPS: [&str; 2] = ["eth_getTransactionByHash", "eth_getTransactionReceipt"];

async fn relay(State(p): State<FlakyRpc>, body: Bytes) -> Response {
    let method = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["method"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let broken = p.broken.load(Ordering::SeqCst);
    if broken && LOOKUPS.contains(&method.as_str()) {
        return (StatusCode::BAD_GATEWAY, "upstream unavailable").into_response();
    }
    let upstream = p
        .client
        .post(&p.upstream)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("devnet reachable")
        .bytes()
        .await
        .expect("devnet answers");
    if broken && method == "eth_sendRawTransaction" {
        return (StatusCode::BAD_GATEWAY, "connection reset").into_response();
    }
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        upstream.to_vec(),
    )
        .into_response()
}

async fn start_proxy(upstream: String) -> (String, Arc<AtomicBool>) {
    let broken = Arc::new(AtomicBool::new(false));
    let state = FlakyRpc {
        upstream,
        broken: Arc::clone(&broken),
        client: alloy::transports::http::reqwest::Client::new(),
    };
    let app = axum::Router::new()
        .route("/", axum::routing::post(relay))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, broken)
}

async fn outcome_unknown_is_finished_by_the_reconciler(db: Db) {
    let mut env = Env::start(db).await;
    let (proxy, broken) = start_proxy(env.devnet.url()).await;
    env.restart(|c| c.chains[0].rpc_url = proxy.clone()).await;
    let (owner, uri) = {
        let owner = new_owner();
        let uri = env.enrol(&owner).await;
        (owner, uri)
    };
    let first = random_address();
    let r = env.fund(&owner, first, &env.code(&uri), None).await;
    assert_eq!(r.0, 200, "{}", r.1);
    env.clock.advance(30);

    // The node takes the transfer, but neither its answer nor the lookup gets back.
    broken.store(true, Ordering::SeqCst);
    let target = random_address();
    let r = env
        .fund(&owner, target, &env.code(&uri), Some(UNKNOWN_ID))
        .await;
    assert_error(&r, 502, "CHAIN_RPC_ERROR");
    assert!(
        r.1["message"].as_str().unwrap().contains("outcome unknown"),
        "{}",
        r.1
    );
    assert_eq!(env.balance(target).await, peaq(2), "the node did take it");
    let journal = env.gs().service().journal(31337).await.unwrap();
    let entry = journal
        .iter()
        .find(|j| j.request_id == UNKNOWN_ID)
        .expect("the transfer stays journalled");
    assert_eq!(entry.status, "signed");
    // The same request again while the link is down: still in flight, never paid twice.
    env.clock.advance(30);
    let r = env
        .fund(&owner, target, &env.code(&uri), Some(UNKNOWN_ID))
        .await;
    assert_error(&r, 409, "DUPLICATE_REQUEST");

    // The link heals; one reconciler pass finds the receipt and finishes the request.
    broken.store(false, Ordering::SeqCst);
    env.gs().service().reconcile_all().await;
    let journal = env.gs().service().journal(31337).await.unwrap();
    assert!(
        journal.iter().all(|j| j.status == "confirmed"),
        "{journal:?}"
    );
    env.clock.advance(30);
    let r = env
        .fund(&owner, target, &env.code(&uri), Some(UNKNOWN_ID))
        .await;
    assert_error(&r, 409, "REQUEST_ALREADY_PROCESSED");
    assert_eq!(r.1["data"]["status"], "success", "{}", r.1);
    assert_eq!(env.balance(target).await, peaq(2), "paid exactly once");

    // The nonce reserved for the unknown broadcast is not reused: the next transfer follows it.
    env.clock.advance(30);
    let next = random_address();
    let r = env.fund(&owner, next, &env.code(&uri), None).await;
    assert_eq!(r.0, 200, "{}", r.1);
    let nonces: Vec<i64> = env
        .gs()
        .service()
        .journal(31337)
        .await
        .unwrap()
        .iter()
        .map(|j| j.nonce)
        .collect();
    assert_eq!(nonces, vec![0, 1, 2]);
    assert_eq!(env.nonce(env.hot.address()).await, 3);
}
both_dbs!(
    outcome_unknown_,
    outcome_unknown_is_finished_by_the_reconciler
);

async fn nonce_taken_outside_the_service(db: Db) {
    let env = Env::start(db).await;
    let owner = new_owner();
    let uri = env.enrol(&owner).await;
    let r = env
        .fund(&owner, random_address(), &env.code(&uri), None)
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
    // The operator spends from the hot wallet by hand: the service's next nonce is taken.
    let hot = env.devnet.provider_for(env.hot.clone());
    peaqos_testkit::mined_tx(
        &hot,
        TransactionRequest::default()
            .with_to(Address::repeat_byte(7))
            .with_value(U256::from(1)),
    )
    .await;
    assert_eq!(env.nonce(env.hot.address()).await, 2);

    env.clock.advance(30);
    let target = random_address();
    let r = env
        .fund(&owner, target, &env.code(&uri), Some(AFTER_SPEND_ID))
        .await;
    assert_eq!(r.0, 200, "the service re-reads the nonce: {}", r.1);
    assert_eq!(env.balance(target).await, peaq(2));
    let journal = env.gs().service().journal(31337).await.unwrap();
    let entry = journal
        .iter()
        .find(|j| j.request_id == AFTER_SPEND_ID)
        .unwrap();
    assert_eq!(entry.nonce, 2);
    assert_eq!(entry.status, "confirmed");
    assert_eq!(env.nonce(env.hot.address()).await, 3);
}
both_dbs!(nonce_taken_outside_, nonce_taken_outside_the_service);
