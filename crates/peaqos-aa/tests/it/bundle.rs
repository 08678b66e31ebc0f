//! Acceptance, bundling, receipts, auto mode, the mempool file, start-up refusals.

use crate::util::*;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use peaqos_aa::{BundlerConfig, BundlerError, BundlingMode, UserOperation};
use peaqos_contracts::{EntryPointV06, EventRegistry, MachineSmartAccount};
use serde_json::{Value, json};

fn topic0(log: &Value) -> B256 {
    serde_json::from_value(log["topics"][0].clone()).expect("topic")
}

#[tokio::test]
async fn first_operation_deploys_the_account_and_submits_an_event() {
    let aa = Aa::start().await;
    let (owner, machine, account, init, id) = registered_account(&aa).await;
    assert!(!aa.has_code(account).await);
    let ts = aa.now().await;
    let er = aa.net.contracts().event_registry;
    let op = aa
        .op(
            &machine,
            account,
            U256::ZERO,
            init,
            execute(er, submit_event(id, ts)),
        )
        .await;
    let hash = aa.send(&op).await;
    // Pending: in the pool, no receipt, not found by hash.
    let pool = aa.ok("debug_bundler_dumpMempool", json!([EP])).await;
    assert_eq!(pool, json!([op]));
    assert_eq!(aa.receipt(hash).await, Value::Null);
    assert_eq!(
        aa.ok("eth_getUserOperationByHash", json!([hash])).await,
        Value::Null
    );
    // Sending the same operation again is idempotent.
    assert_eq!(aa.send(&op).await, hash);

    let balance_before = aa
        .net
        .reader()
        .get_balance(aa.bundler_key.address())
        .await
        .unwrap();
    let tx = aa.bundle_now().await;
    assert!(aa.has_code(account).await);
    assert!(
        aa.ok("debug_bundler_dumpMempool", json!([EP]))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Nothing left: sendBundleNow answers null.
    assert_eq!(
        aa.ok("debug_bundler_sendBundleNow", json!([])).await,
        Value::Null
    );

    let r = aa.receipt(hash).await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["userOpHash"], json!(hash));
    assert_eq!(r["entryPoint"], json!(EP));
    assert_eq!(r["sender"], json!(account));
    assert_eq!(r["nonce"], "0x0");
    assert_eq!(r["paymaster"], json!(Address::ZERO));
    assert_eq!(r["reason"], Value::Null);
    assert_eq!(r["receipt"]["transactionHash"], json!(tx));
    assert_eq!(r["receipt"]["to"], json!(EP));
    // The op's own logs: the event and the account's Executed, not the validation-phase
    // AccountDeployed / Deposited nor the EntryPoint's UserOperationEvent itself.
    let logs = r["logs"].as_array().unwrap();
    let topics: Vec<B256> = logs.iter().map(topic0).collect();
    assert_eq!(
        topics,
        vec![
            EventRegistry::EventSubmitted::SIGNATURE_HASH,
            MachineSmartAccount::Executed::SIGNATURE_HASH
        ],
        "{r}"
    );
    let all: Vec<B256> = r["receipt"]["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(topic0)
        .collect();
    assert!(all.contains(&EntryPointV06::AccountDeployed::SIGNATURE_HASH));
    assert!(all.contains(&EntryPointV06::UserOperationEvent::SIGNATURE_HASH));
    // The beneficiary (the bundler) was paid back at least part of the gas; the account paid.
    let cost: U256 = serde_json::from_value(r["actualGasCost"].clone()).unwrap();
    assert!(cost > U256::ZERO);
    let balance_after = aa
        .net
        .reader()
        .get_balance(aa.bundler_key.address())
        .await
        .unwrap();
    assert!(balance_after + U256::from(10u64.pow(17)) > balance_before);

    // By hash: the operation as the bundle carried it.
    let by = aa.ok("eth_getUserOperationByHash", json!([hash])).await;
    assert_eq!(by["userOperation"], json!(op));
    assert_eq!(by["entryPoint"], json!(EP));
    assert_eq!(by["transactionHash"], json!(tx));
    assert_eq!(by["blockHash"], r["receipt"]["blockHash"]);
    assert_eq!(by["blockNumber"], r["receipt"]["blockNumber"]);

    // The event is on chain, from the account (its identity wallet).
    let reader = aa.net.reader();
    let reg = EventRegistry::new(er, &reader);
    assert_eq!(
        reg.getEventCount(U256::from(id)).call().await.unwrap(),
        U256::from(1)
    );
    // A second bundler (no memory of the first's bundles) finds the receipt through the logs.
    let second = spawn_bundler(&aa.net, &aa.bundler_key, |_| {}).await;
    let r2 = post(
        &second.url(),
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getUserOperationReceipt", "params": [hash]}),
    )
    .await;
    assert_eq!(r2["result"], r, "the same receipt from the logs");
    second.shutdown().await.unwrap();
    let _ = owner;
}

/// Several operations in one bundle: each receipt has its own logs; a failing execution is
/// included with success false and its revert reason.
#[tokio::test]
async fn one_bundle_of_several_operations_with_their_own_logs() {
    let aa = Aa::start().await;
    let er = aa.net.contracts().event_registry;
    let ts = aa.now().await;
    let mut hashes = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_o, machine, account, init, id) = registered_account(&aa).await;
        let op = aa
            .op(
                &machine,
                account,
                U256::ZERO,
                init,
                execute(er, submit_event(id, ts)),
            )
            .await;
        hashes.push(aa.send(&op).await);
        ids.push(id);
    }
    // One whose execution reverts: an event for a machine it does not own.
    let (_o, machine, account, init, _id) = registered_account(&aa).await;
    let bad = aa
        .op(
            &machine,
            account,
            U256::ZERO,
            init,
            execute(er, submit_event(ids[0], ts)),
        )
        .await;
    let bad_hash = aa.send(&bad).await;
    let tx = aa.bundle_now().await;
    for (h, id) in hashes.iter().zip(&ids) {
        let r = aa.receipt(*h).await;
        assert_eq!(r["success"], true);
        assert_eq!(r["receipt"]["transactionHash"], json!(tx));
        let logs = r["logs"].as_array().unwrap();
        assert_eq!(logs.len(), 2, "{r}");
        // EventSubmitted's first indexed topic is this op's machine id.
        let mid: U256 = serde_json::from_value(logs[0]["topics"][1].clone()).unwrap();
        assert_eq!(mid, U256::from(*id));
    }
    let r = aa.receipt(bad_hash).await;
    assert_eq!(r["success"], false, "{r}");
    // Its only log is the EntryPoint's UserOperationRevertReason (the execution's own logs
    // were reverted).
    let logs = r["logs"].as_array().unwrap();
    assert_eq!(
        logs.iter().map(topic0).collect::<Vec<_>>(),
        vec![EntryPointV06::UserOperationRevertReason::SIGNATURE_HASH],
        "{r}"
    );
    let reason: Bytes = serde_json::from_value(r["reason"].clone()).unwrap();
    assert_eq!(
        peaqos_aa::describe_revert(&reason),
        "NotAuthorizedSubmitter()"
    );
}

/// An operation that became invalid after acceptance (its signer rotated out by the owner) is
/// dropped from the bundle (FailedOp AA24) and the rest is included.
#[tokio::test]
async fn a_failing_operation_is_dropped_and_the_bundle_retried() {
    let aa = Aa::start().await;
    let er = aa.net.contracts().event_registry;
    let ts = aa.now().await;
    let (owner_a, machine_a, account_a, _init, id_a) = registered_account(&aa).await;
    // Deploy A first (an empty op), so that its owner can rotate the key directly.
    let (_, init_a) = aa.account(owner_a.address(), machine_a.address(), 0).await;
    let deploy = aa
        .op(&machine_a, account_a, U256::ZERO, init_a, Bytes::new())
        .await;
    aa.send(&deploy).await;
    aa.bundle_now().await;
    let (_ob, machine_b, account_b, init_b, id_b) = registered_account(&aa).await;
    let op_a = aa
        .op(
            &machine_a,
            account_a,
            U256::from(1),
            Bytes::new(),
            execute(er, submit_event(id_a, ts)),
        )
        .await;
    let op_b = aa
        .op(
            &machine_b,
            account_b,
            U256::ZERO,
            init_b,
            execute(er, submit_event(id_b, ts)),
        )
        .await;
    // A first in the bundle (higher tip), B second.
    let op_a = aa.sign(
        &machine_a,
        UserOperation {
            max_priority_fee_per_gas: U256::from(2_000_000_000u64),
            ..op_a
        },
    );
    let ha = aa.send(&op_a).await;
    let hb = aa.send(&op_b).await;
    set_machine(
        &aa,
        &owner_a,
        account_a,
        PrivateKeySigner::random().address(),
    )
    .await;
    aa.bundle_now().await;
    assert_eq!(aa.receipt(ha).await, Value::Null, "dropped");
    assert_eq!(aa.receipt(hb).await["success"], true);
    assert!(
        aa.ok("debug_bundler_dumpMempool", json!([EP]))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    // And it is refused if sent again.
    assert_eq!(
        aa.err("eth_sendUserOperation", json!([op_a, EP])).await["code"],
        -32507
    );
}

#[tokio::test]
async fn replacement_needs_ten_percent_more_and_clear_state_empties_the_pool() {
    let aa = Aa::start().await;
    let (_o, machine, account, init, _id) = registered_account(&aa).await;
    let op = aa
        .op(&machine, account, U256::ZERO, init, Bytes::new())
        .await;
    let h1 = aa.send(&op).await;
    let cheap = aa.sign(
        &machine,
        UserOperation {
            max_fee_per_gas: op.max_fee_per_gas + U256::from(1),
            ..op.clone()
        },
    );
    let e = aa.err("eth_sendUserOperation", json!([cheap, EP])).await;
    assert_eq!(e["code"], -32602);
    assert!(
        e["message"].as_str().unwrap().contains("underpriced"),
        "{e}"
    );
    let better = aa.sign(
        &machine,
        UserOperation {
            max_fee_per_gas: op.max_fee_per_gas * U256::from(2),
            max_priority_fee_per_gas: op.max_priority_fee_per_gas * U256::from(2),
            ..op.clone()
        },
    );
    let h2 = aa.send(&better).await;
    assert_ne!(h1, h2);
    assert_eq!(
        aa.ok("debug_bundler_dumpMempool", json!([EP])).await,
        json!([better])
    );
    // Another nonce key of the same account is an independent operation.
    let other_key = aa
        .op(
            &machine,
            account,
            U256::from(1) << 64,
            op.init_code.clone(),
            Bytes::new(),
        )
        .await;
    aa.send(&other_key).await;
    assert_eq!(
        aa.ok("debug_bundler_dumpMempool", json!([]))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(aa.ok("debug_bundler_clearState", json!([])).await, "ok");
    assert_eq!(
        aa.ok("debug_bundler_dumpMempool", json!([])).await,
        json!([])
    );
}

/// Auto mode bundles on its own: the receipt arrives without sendBundleNow.
#[tokio::test]
async fn auto_mode_bundles_what_arrives() {
    let aa = Aa::start_with(|c| c.mode = BundlingMode::Auto).await;
    let (_o, machine, account, init, id) = registered_account(&aa).await;
    let er = aa.net.contracts().event_registry;
    let op = aa
        .op(
            &machine,
            account,
            U256::ZERO,
            init,
            execute(er, submit_event(id, aa.now().await)),
        )
        .await;
    let hash = aa.send(&op).await;
    let r = aa
        .bundler_client()
        .wait_for_user_operation_receipt(hash, std::time::Duration::from_secs(30))
        .await
        .expect("bundled by the auto loop");
    assert!(r.success);
    // Switching to manual stops it.
    assert_eq!(
        aa.ok("debug_bundler_setBundlingMode", json!(["manual"]))
            .await,
        "ok"
    );
    let op2 = aa
        .op(&machine, account, U256::from(1), Bytes::new(), Bytes::new())
        .await;
    let h2 = aa.send(&op2).await;
    assert_eq!(
        aa.ok("debug_bundler_dumpMempool", json!([EP])).await,
        json!([op2])
    );
    assert_eq!(
        aa.ok("debug_bundler_setBundlingMode", json!(["auto"]))
            .await,
        "ok"
    );
    aa.bundler_client()
        .wait_for_user_operation_receipt(h2, std::time::Duration::from_secs(30))
        .await
        .expect("bundled after switching back to auto");
}

/// The mempool file: operations survive a restart (revalidated: one that no longer validates is
/// dropped), and a file of another chain is refused.
#[tokio::test]
async fn the_mempool_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mempool.json");
    let f = file.clone();
    let aa = Aa::start_with(move |c| c.mempool_file = Some(f)).await;
    let (_o, machine, account, init, _id) = registered_account(&aa).await;
    let op = aa
        .op(&machine, account, U256::ZERO, init, Bytes::new())
        .await;
    let hash = aa.send(&op).await;
    let (owner2, machine2, account2, init2, _) = registered_account(&aa).await;
    let op2 = aa
        .op(&machine2, account2, U256::ZERO, init2, Bytes::new())
        .await;
    aa.send(&op2).await;
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["operations"].as_array().unwrap().len(), 2);
    assert_eq!(saved["operations"][0]["userOperation"], json!(op));
    assert_eq!(saved["operations"][0]["userOpHash"], json!(hash));

    let Aa {
        net,
        bundler,
        bundler_key,
    } = aa;
    bundler.shutdown().await.unwrap();
    // While the bundler is down, account 2 is deployed directly: op2's initCode is now AA10.
    let p = net.provider_for(owner2.clone());
    let factory = peaqos_contracts::MachineAccountFactory::new(
        net.contracts().machine_account_factory.unwrap(),
        &p,
    );
    peaqos_testkit::mined(factory.createAccount(owner2.address(), machine2.address(), U256::ZERO))
        .await;

    let f = file.clone();
    let restarted = spawn_bundler(&net, &bundler_key, move |c| c.mempool_file = Some(f)).await;
    let aa = Aa {
        net,
        bundler: restarted,
        bundler_key,
    };
    assert_eq!(
        aa.ok("debug_bundler_dumpMempool", json!([EP])).await,
        json!([op])
    );
    aa.bundle_now().await;
    assert_eq!(aa.receipt(hash).await["success"], true);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["operations"], json!([]));
    assert_eq!(saved["entryPoint"], json!(EP));

    // A file of another chain is refused at start-up.
    let mut other = saved.clone();
    other["chainId"] = json!(1);
    std::fs::write(&file, other.to_string()).unwrap();
    let mut cfg = BundlerConfig::new(aa.net.url(), aa.bundler_key.clone());
    cfg.port = 0;
    cfg.mempool_file = Some(file.clone());
    let e = peaqos_aa::spawn(cfg).await.unwrap_err();
    assert!(matches!(e, BundlerError::MempoolFile { .. }), "{e}");
    assert!(e.to_string().contains("chain 1"), "{e}");
}

#[tokio::test]
async fn refuses_to_start_without_funds_or_entry_point() {
    let net = peaqos_testkit::TestNet::start().await;
    let broke = PrivateKeySigner::random();
    let mut cfg = BundlerConfig::new(net.url(), broke.clone());
    cfg.port = 0;
    let e = peaqos_aa::spawn(cfg.clone()).await.unwrap_err();
    assert!(
        matches!(e, BundlerError::Unfunded { address, .. } if address == broke.address()),
        "{e}"
    );
    assert!(e.to_string().contains("fund it"), "{e}");
    let key = net.funded_key(1).await;
    let mut cfg = BundlerConfig::new(net.url(), key);
    cfg.port = 0;
    cfg.entry_point = Address::repeat_byte(0x42);
    let e = peaqos_aa::spawn(cfg.clone()).await.unwrap_err();
    assert!(matches!(e, BundlerError::NoEntryPoint { .. }), "{e}");
    // No node at all.
    cfg.rpc_url = "http://127.0.0.1:1".into();
    let e = peaqos_aa::spawn(cfg).await.unwrap_err();
    assert!(matches!(e, BundlerError::Node { .. }), "{e}");
}
