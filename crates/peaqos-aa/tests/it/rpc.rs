//! The JSON-RPC surface: framing, shapes, and the error codes of ERC-4337 v0.6 / ERC-7769.

use crate::util::*;
use alloy::primitives::{Address, Bytes, U256};
use alloy::signers::local::PrivateKeySigner;
use peaqos_aa::UserOperation;
use serde_json::{Value, json};

#[tokio::test]
async fn chain_id_entry_points_and_json_rpc_framing() {
    let aa = Aa::start().await;
    let chain = aa.ok("eth_chainId", json!([])).await;
    assert_eq!(
        chain,
        json!(format!("{:#x}", aa.net.handle.node().chain_id()))
    );
    assert_eq!(
        aa.ok("eth_supportedEntryPoints", json!([])).await,
        json!([EP])
    );
    assert_eq!(aa.err("eth_foo", json!([])).await["code"], -32601);
    assert_eq!(post(&aa.url(), json!("x")).await["error"]["code"], -32600);
    let r = post(
        &aa.url(),
        json!({"jsonrpc": "2.0", "id": 3, "method": "eth_chainId", "params": {}}),
    )
    .await;
    assert_eq!(
        (r["id"].clone(), r["error"]["code"].clone()),
        (json!(3), json!(-32600))
    );
    // A body that is not JSON.
    let r = alloy::transports::http::reqwest::Client::new()
        .post(aa.url())
        .body("{")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(r["error"]["code"], -32700);
    // A batch: answers in order, none for the notification; a batch of notifications only: 204.
    let r = post(
        &aa.url(),
        json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
            {"jsonrpc": "2.0", "method": "eth_chainId"},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_supportedEntryPoints", "params": []}
        ]),
    )
    .await;
    let arr = r.as_array().expect("batch answer");
    assert_eq!(arr.len(), 2);
    assert_eq!(
        (arr[0]["id"].clone(), arr[1]["id"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(
        post(
            &aa.url(),
            json!([{"jsonrpc": "2.0", "method": "eth_chainId"}])
        )
        .await,
        Value::Null
    );
    assert_eq!(post(&aa.url(), json!([])).await["error"]["code"], -32600);
}

#[tokio::test]
async fn malformed_operations_and_entry_points_are_invalid_params() {
    let aa = Aa::start().await;
    let key = PrivateKeySigner::random();
    let op = aa
        .op(
            &key,
            Address::repeat_byte(1),
            U256::ZERO,
            Bytes::new(),
            Bytes::new(),
        )
        .await;
    let good = op.to_json();
    for (field, value) in [
        ("sender", json!("0x12")),
        ("nonce", json!(5)),
        ("callData", json!("0x0")),
        ("signature", json!(null)),
    ] {
        let mut v = good.clone();
        v[field] = value;
        let e = aa.err("eth_sendUserOperation", json!([v, EP])).await;
        assert_eq!(e["code"], -32602, "{field}: {e}");
        assert_eq!(e["data"]["field"], field, "{e}");
        assert!(e["message"].as_str().unwrap().contains(field), "{e}");
    }
    let e = aa
        .err(
            "eth_sendUserOperation",
            json!([good, Address::repeat_byte(9)]),
        )
        .await;
    assert_eq!(e["code"], -32602);
    assert!(
        e["message"].as_str().unwrap().contains("not supported"),
        "{e}"
    );
    assert_eq!(
        aa.err("eth_sendUserOperation", json!([good])).await["code"],
        -32602
    );
    // preVerificationGas below calcPreVerificationGas.
    let mut low = op.clone();
    low.pre_verification_gas = U256::from(40_000);
    let e = aa.err("eth_sendUserOperation", json!([low, EP])).await;
    assert_eq!(e["code"], -32602);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("preVerificationGas too low"),
        "{e}"
    );
    // Hashes.
    assert_eq!(
        aa.err("eth_getUserOperationReceipt", json!(["0x12"])).await["code"],
        -32602
    );
    assert_eq!(
        aa.err("eth_getUserOperationByHash", json!([])).await["code"],
        -32602
    );
    assert_eq!(
        aa.ok(
            "eth_getUserOperationReceipt",
            json!([alloy::primitives::B256::repeat_byte(1)])
        )
        .await,
        Value::Null
    );
    // Bundling modes.
    assert_eq!(
        aa.err("debug_bundler_setBundlingMode", json!(["sometimes"]))
            .await["code"],
        -32602
    );
    assert_eq!(
        aa.ok("debug_bundler_setBundlingMode", json!(["manual"]))
            .await,
        "ok"
    );
    assert_eq!(
        aa.err(
            "debug_bundler_dumpMempool",
            json!([Address::repeat_byte(9)])
        )
        .await["code"],
        -32602
    );
}

/// FailedOp from simulateValidation is -32500 with the AAxx reason as the message.
#[tokio::test]
async fn simulate_validation_failures_carry_the_entry_points_reason() {
    let aa = Aa::start().await;
    let owner = aa.net.funded_key(5).await;
    let machine = PrivateKeySigner::random();
    let (account, init) = aa.account(owner.address(), machine.address(), 0).await;
    // Nothing to pay with: AA21.
    let op = aa
        .op(&machine, account, U256::ZERO, init.clone(), Bytes::new())
        .await;
    let e = aa.err("eth_sendUserOperation", json!([op, EP])).await;
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(-32500), json!("AA21 didn't pay prefund"))
    );
    // Estimation needs a few million wei too (its metering run pays 1 wei per gas).
    let e = aa
        .err("eth_estimateUserOperationGas", json!([op, EP]))
        .await;
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(-32500), json!("AA21 didn't pay prefund"))
    );
    aa.net.fund(account, 1).await;
    let est = aa
        .rpc("eth_estimateUserOperationGas", json!([op, EP]))
        .await;
    assert!(est.get("result").is_some(), "{est}");
    // Not deployed and no initCode: AA20.
    let op = aa
        .op(&machine, account, U256::ZERO, Bytes::new(), Bytes::new())
        .await;
    let e = aa.err("eth_sendUserOperation", json!([op, EP])).await;
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(-32500), json!("AA20 account not deployed"))
    );
    // A nonce the EntryPoint does not expect: AA25.
    let op = aa
        .op(&machine, account, U256::from(7), init.clone(), Bytes::new())
        .await;
    let e = aa.err("eth_sendUserOperation", json!([op, EP])).await;
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(-32500), json!("AA25 invalid account nonce"))
    );
    // A malformed signature makes validateUserOp revert: AA23.
    let mut op = aa
        .op(&machine, account, U256::ZERO, init.clone(), Bytes::new())
        .await;
    op.signature = vec![1u8; 64].into();
    let e = aa.err("eth_sendUserOperation", json!([op, EP])).await;
    assert_eq!(e["code"], -32500);
    assert!(
        e["message"].as_str().unwrap().starts_with("AA23 reverted"),
        "{e}"
    );
    // initCode of another owner's account: AA14 (initCode must return sender).
    let (_, other_init) = aa
        .account(Address::repeat_byte(5), machine.address(), 0)
        .await;
    let op = aa
        .op(&machine, account, U256::ZERO, other_init, Bytes::new())
        .await;
    let e = aa.err("eth_sendUserOperation", json!([op, EP])).await;
    assert_eq!(
        (e["code"].clone(), e["message"].clone()),
        (json!(-32500), json!("AA14 initCode must return sender"))
    );
    // A stranger's signature: the account reports sigFailed: -32507.
    let stranger = PrivateKeySigner::random();
    let op = aa
        .op(&stranger, account, U256::ZERO, init, Bytes::new())
        .await;
    let e = aa.err("eth_sendUserOperation", json!([op, EP])).await;
    assert_eq!(e["code"], -32507, "{e}");
    assert!(
        aa.ok("debug_bundler_dumpMempool", json!([EP]))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Estimation: gas fields optional; the estimate makes a deploying operation pass acceptance and
/// execute; a reverting execution is -32521 with the revert's name.
#[tokio::test]
async fn estimate_then_send_with_the_estimate() {
    let aa = Aa::start().await;
    let (_owner, machine, account, init, id) = registered_account(&aa).await;
    let er = aa.net.contracts().event_registry;
    let ts = aa.now().await;
    let dummy = aa
        .op(
            &PrivateKeySigner::random(),
            account,
            U256::ZERO,
            init.clone(),
            execute(er, submit_event(id, ts)),
        )
        .await;
    let mut partial = dummy.to_json();
    for f in [
        "callGasLimit",
        "verificationGasLimit",
        "preVerificationGas",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "paymasterAndData",
    ] {
        partial.as_object_mut().unwrap().remove(f);
    }
    let est = aa
        .ok("eth_estimateUserOperationGas", json!([partial, EP]))
        .await;
    let keys: Vec<&str> = est
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 3, "{est}");
    let q = |k: &str| -> U256 { serde_json::from_value(est[k].clone()).unwrap() };
    let (pvg, vgl, cgl) = (
        q("preVerificationGas"),
        q("verificationGasLimit"),
        q("callGasLimit"),
    );
    assert!(
        vgl > U256::from(200_000),
        "deployment is validation gas: {est}"
    );
    assert!(
        cgl > U256::from(50_000) && cgl < U256::from(1_000_000),
        "{est}"
    );
    let op = aa.sign(
        &machine,
        UserOperation {
            call_gas_limit: cgl,
            verification_gas_limit: vgl,
            pre_verification_gas: pvg,
            ..dummy
        },
    );
    let hash = aa.send(&op).await;
    aa.bundle_now().await;
    let r = aa.receipt(hash).await;
    assert_eq!(r["success"], true, "{r}");
    let used: U256 = serde_json::from_value(r["actualGasUsed"].clone()).unwrap();
    assert!(used < cgl + vgl + pvg, "charged {used} within the limits");

    // A machine that is not registered cannot submit: the estimate says why.
    let stray = PrivateKeySigner::random();
    let (other, other_init) = aa.account(stray.address(), stray.address(), 0).await;
    aa.net.fund(other, 1).await;
    let op = aa
        .op(
            &stray,
            other,
            U256::ZERO,
            other_init,
            execute(er, submit_event(id, ts)),
        )
        .await;
    let e = aa
        .err("eth_estimateUserOperationGas", json!([op, EP]))
        .await;
    assert_eq!(e["code"], -32521, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("NotAuthorizedSubmitter"),
        "{e}"
    );
    assert!(
        e["data"]["revertData"].as_str().unwrap().starts_with("0x"),
        "{e}"
    );
    // The account cannot call itself.
    let op = aa
        .op(
            &machine,
            account,
            U256::from(1),
            Bytes::new(),
            execute(account, Bytes::new()),
        )
        .await;
    let e = aa
        .err("eth_estimateUserOperationGas", json!([op, EP]))
        .await;
    assert_eq!(e["code"], -32521);
    assert!(
        e["message"].as_str().unwrap().contains("SelfCallBlocked()"),
        "{e}"
    );
    // State overrides are refused rather than ignored.
    let e = aa
        .err("eth_estimateUserOperationGas", json!([op, EP, {}]))
        .await;
    assert_eq!(e["code"], -32602);
}
