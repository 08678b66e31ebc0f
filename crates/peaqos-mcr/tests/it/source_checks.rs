//! Trust level 1 checked against the source chain with real transactions on a Base devnet: a
//! native payment to the machine and an ERC-20 `Transfer` to it verify; a reverted transaction,
//! one paying somebody else, a hash that does not exist and a chain without RPC do not; an RPC
//! outage leaves the event pending (retried, reported by `/ready`), never unverified. Unverified
//! events score at the self-reported tier.

use crate::common::*;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use peaqos_devnet::{ChainKind, DevnetConfig};
use peaqos_mcr_model::SourceCheck;
use peaqos_testkit::{TestNet, activity, mined_tx};
use std::time::{Duration, Instant};

const BASE_CHAIN: u64 = 31_338;

/// A minimal token: every call emits the ERC-20 `Transfer(caller, to, value)` log of its
/// calldata `(to, value)` (what a token's `transfer` emits; balances are not the checker's
/// business). Init code returns the 49-byte runtime
/// `PUSH1 32 CALLDATALOAD PUSH1 0 MSTORE PUSH1 0 CALLDATALOAD CALLER PUSH32 <Transfer>
/// PUSH1 32 PUSH1 0 LOG3 STOP`.
fn token_init_code() -> Bytes {
    use alloy::sol_types::SolEvent;
    let mut runtime = vec![
        0x60, 0x20, 0x35, 0x60, 0x00, 0x52, 0x60, 0x00, 0x35, 0x33, 0x7f,
    ];
    runtime.extend_from_slice(peaqos_mcr::verify::Transfer::SIGNATURE_HASH.as_slice());
    runtime.extend_from_slice(&[0x60, 0x20, 0x60, 0x00, 0xa3, 0x00]);
    assert_eq!(runtime.len(), 0x31);
    let mut init = vec![
        0x60, 0x31, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    init.extend_from_slice(&runtime);
    init.into()
}

/// A contract whose every call reverts (`REVERT(0, 0)`).
fn reverter_init_code() -> Bytes {
    // runtime 0x60006000fd (5 bytes) copied from offset 11.
    let mut init = vec![
        0x60, 0x05, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    init.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0xfd]);
    init.into()
}

async fn deploy<P: Provider>(p: &P, code: Bytes) -> Address {
    let r = mined_tx(p, TransactionRequest::default().with_deploy_code(code)).await;
    r.contract_address.expect("created")
}

fn transfer_calldata(to: Address, value: u64) -> Bytes {
    let mut d = B256::left_padding_from(to.as_slice()).to_vec();
    d.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
    d.into()
}

/// Polls the store until no trust-level-1 event of `machine_id` is pending (bounded).
async fn settled(svc: &peaqos_mcr::McrHandle, machine_id: u64, pending_allowed: usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let events = svc.store().events(machine_id).await.unwrap();
        let pending = events
            .iter()
            .filter(|e| e.source_check == SourceCheck::Pending)
            .count();
        if pending <= pending_allowed {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} checks still pending after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn trust_level_1_is_checked_against_real_base_transactions() {
    checked_against_base(Db::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL; CI runs it with --ignored"]
async fn trust_level_1_is_checked_against_real_base_transactions_on_postgres() {
    checked_against_base(Db::Postgres).await;
}

async fn checked_against_base(kind: Db) {
    let net = TestNet::start().await;
    let base = TestNet::start_with(DevnetConfig {
        port: 0,
        ..DevnetConfig::of_kind(ChainKind::Base)
    })
    .await;
    let machine = net.funded_key(10).await;
    let machine_id = net.register(&machine).await;
    let m = machine.address();
    let payer = base.provider(3);
    let someone_else = base.address(5);

    let native = mined_tx(
        &payer,
        TransactionRequest::default()
            .with_to(m)
            .with_value(U256::from(1_000u64)),
    )
    .await;
    assert!(native.status());
    let token = deploy(&payer, token_init_code()).await;
    let erc20 = mined_tx(
        &payer,
        TransactionRequest::default()
            .with_to(token)
            .with_input(transfer_calldata(m, 250)),
    )
    .await;
    assert!(erc20.status() && erc20.inner.logs().len() == 1);
    let reverter = deploy(&payer, reverter_init_code()).await;
    let pending = payer
        .send_transaction(
            TransactionRequest::default()
                .with_to(reverter)
                .with_input(transfer_calldata(m, 1))
                .with_gas_limit(100_000),
        )
        .await
        .unwrap();
    let reverted = pending.get_receipt().await.unwrap();
    assert!(!reverted.status(), "the reverter reverts");
    let elsewhere = mined_tx(
        &payer,
        TransactionRequest::default()
            .with_to(someone_else)
            .with_value(U256::from(1_000u64)),
    )
    .await;
    let to_other_by_token = mined_tx(
        &payer,
        TransactionRequest::default()
            .with_to(token)
            .with_input(transfer_calldata(someone_else, 250)),
    )
    .await;
    let missing = B256::repeat_byte(0xee);

    let now = net.chain_time().await;
    let ev = |i: u64, chain: u64, hash: B256| peaqos_testkit::Ev {
        source_chain_id: U256::from(chain),
        source_tx_hash: hash,
        ..activity(now - i * 60, 1)
    };
    let events = vec![
        ev(9, BASE_CHAIN, native.transaction_hash),
        ev(8, BASE_CHAIN, erc20.transaction_hash),
        ev(7, BASE_CHAIN, reverted.transaction_hash),
        ev(6, BASE_CHAIN, elsewhere.transaction_hash),
        ev(5, BASE_CHAIN, to_other_by_token.transaction_hash),
        ev(4, BASE_CHAIN, missing),
        ev(3, 8453, native.transaction_hash), // Base mainnet: no RPC configured here
        activity(now - 120, 0),               // self-reported: nothing to check
    ];
    let head = net.submit(&machine, machine_id, &events).await;

    let dir = tempfile::tempdir().unwrap();
    let db = database(kind, dir.path(), "source_checks").await;
    let svc = mcr(&net, &db, |c| {
        c.source_chain_rpcs.insert(BASE_CHAIN, base.url());
    })
    .await;
    svc.wait_for_block(head, WAIT).await.unwrap();
    settled(&svc, machine_id, 0).await;

    let stored = svc.store().events(machine_id).await.unwrap();
    let checks: Vec<SourceCheck> = stored.iter().map(|e| e.source_check).collect();
    use SourceCheck::*;
    assert_eq!(
        checks,
        [
            Verified,
            Verified,
            Unverified,
            Unverified,
            Unverified,
            Unverified,
            Unverified,
            NotApplicable
        ]
    );
    let why = svc.store().source_check_reasons(machine_id).await.unwrap();
    assert!(why[&0].contains("native transfer of 1000 wei"), "{why:?}");
    assert!(
        why[&1].contains("ERC-20 Transfer of 250") && why[&1].contains(&token.to_string()),
        "{why:?}"
    );
    assert!(why[&2].contains("reverted"), "{why:?}");
    assert!(why[&3].contains("somebody else"), "{why:?}");
    assert!(why[&4].contains("somebody else"), "{why:?}");
    assert!(why[&5].contains("no transaction"), "{why:?}");
    assert!(
        why[&6].contains("no RPC configured for source chain 8453"),
        "{why:?}"
    );

    // Both counts on /explain and /machine; an unverified trust-1 event weighs as self-reported.
    let did = peaqos_mcr::view::did_of(m);
    let (s, e) = get(&svc.url(), &format!("/mcr/{did}/explain")).await;
    assert_eq!(s, 200);
    let counts = serde_json::json!({"verified": 2, "unverified": 5, "pending": 0});
    assert_eq!(e["source_verification"], counts, "{e}");
    assert_eq!(e["terms"]["trust"]["weight_onchain"], 2.0, "{e}");
    assert_eq!(e["terms"]["trust"]["weight_self"], 6.0, "{e}");
    let (s, p) = get(&svc.url(), &format!("/machine/{did}")).await;
    assert_eq!(s, 200);
    assert_eq!(p["peaqos"]["source_verification"], counts, "{p}");
    let (_, r) = get(&svc.url(), "/ready").await;
    assert_eq!(
        r["source_checks"]["chains"],
        serde_json::json!([BASE_CHAIN])
    );
    assert_eq!(r["source_checks"]["verified"], 2, "{r}");
    assert_eq!(r["source_checks"]["unverified"], 5, "{r}");
    assert_eq!(
        r["source_checks"]["last_error"],
        serde_json::Value::Null,
        "{r}"
    );
    svc.shutdown().await.unwrap();

    // Restarted with an RPC for 8453 (the Base devnet standing in), the event refused for lack
    // of one is checked again (and verifies: the same native payment).
    let svc = mcr(&net, &db, |c| {
        c.source_chain_rpcs.insert(BASE_CHAIN, base.url());
        c.source_chain_rpcs.insert(8453, base.url());
    })
    .await;
    settled(&svc, machine_id, 0).await;
    let deadline = Instant::now() + WAIT;
    while svc.store().events(machine_id).await.unwrap()[6].source_check != Verified {
        assert!(Instant::now() < deadline, "8453 not re-checked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    svc.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_rpc_outage_leaves_events_pending_and_says_so() {
    let net = TestNet::start().await;
    let machine = net.funded_key(10).await;
    let machine_id = net.register(&machine).await;
    let now = net.chain_time().await;
    let head = net
        .submit(
            &machine,
            machine_id,
            &[peaqos_testkit::Ev {
                source_chain_id: U256::from(BASE_CHAIN),
                source_tx_hash: B256::repeat_byte(1),
                ..activity(now, 1)
            }],
        )
        .await;
    // Nothing listens on port 1.
    let dir = tempfile::tempdir().unwrap();
    let db = database(Db::Sqlite, dir.path(), "outage").await;
    let svc = mcr(&net, &db, |c| {
        c.source_chain_rpcs
            .insert(BASE_CHAIN, "http://127.0.0.1:1".into());
    })
    .await;
    svc.wait_for_block(head, WAIT).await.unwrap();
    let deadline = Instant::now() + WAIT;
    let r = loop {
        let (_, r) = get(&svc.url(), "/ready").await;
        if r["source_checks"]["last_error"].is_string() {
            break r;
        }
        assert!(Instant::now() < deadline, "no RPC failure reported: {r}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(r["source_checks"]["pending"], 1, "{r}");
    assert_eq!(r["source_checks"]["unverified"], 0, "{r}");
    assert!(
        r["source_checks"]["last_error"]
            .as_str()
            .unwrap()
            .contains("source chain 31338"),
        "{r}"
    );
    let e = &svc.store().events(machine_id).await.unwrap()[0];
    assert_eq!(e.source_check, SourceCheck::Pending);
    // Retried later, not refused: the row is pending with a scheduled retry.
    let due_now = svc.store().due_source_checks(0, 10).await.unwrap();
    assert!(due_now.is_empty(), "the retry is scheduled, not immediate");
    let later = svc
        .store()
        .due_source_checks(u64::MAX / 2, 10)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert!(later[0].attempts >= 1);
    svc.shutdown().await.unwrap();
}
