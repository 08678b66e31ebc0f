//! Acceptance, bundling and receipts.

use crate::util::*;
use alloy::primitives::{B256, U256};
use serde_json::json;

#[tokio::test]
async fn first_operation_deploys_the_account_and_submits_an_event() {
    let aa = Aa::start().await;
    let (_owner, machine, account, init, id) = registered_account(&aa).await;
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
    assert_eq!(aa.receipt(hash).await, serde_json::Value::Null);
    let tx = aa.bundle_now().await;
    assert!(aa.has_code(account).await);
    let r = aa.receipt(hash).await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["userOpHash"], json!(hash));
    assert_eq!(r["receipt"]["transactionHash"], json!(tx));
    let _: B256 = tx;
}
