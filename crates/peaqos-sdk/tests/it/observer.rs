//! The `TxObserver` hook on the send path, and pre-signed transactions, against the devnet.

use std::sync::{Arc, Mutex};

use crate::common::{Net, SdkNet};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use peaqos_sdk::{PeaqosError, Receipt, TxCall, TxObserver};

/// Records every call as `(stage, label, hash)`; optionally refuses to let a label through.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(&'static str, String, B256)>>,
    veto: Option<&'static str>,
}

impl Recorder {
    fn seen(&self) -> Vec<(&'static str, String, B256)> {
        self.seen.lock().unwrap().clone()
    }
    fn push(&self, stage: &'static str, label: &str, hash: B256) {
        self.seen
            .lock()
            .unwrap()
            .push((stage, label.to_string(), hash));
    }
}

impl TxObserver for Recorder {
    fn signed(&self, label: &str, hash: B256) -> Result<(), String> {
        self.push("signed", label, hash);
        match self.veto {
            Some(v) if v == label => Err(format!("journal refused {label}")),
            _ => Ok(()),
        }
    }
    fn accepted(&self, label: &str, hash: B256) {
        self.push("accepted", label, hash);
    }
    fn rejected(&self, label: &str, hash: B256, _error: &PeaqosError) {
        self.push("rejected", label, hash);
    }
    fn mined(&self, label: &str, receipt: &Receipt) {
        self.push(
            if receipt.status() {
                "mined"
            } else {
                "reverted"
            },
            label,
            receipt.transaction_hash,
        );
    }
}

#[tokio::test]
async fn every_send_is_observed_under_its_method_label() {
    let net = Net::start().await;
    let rec = Arc::new(Recorder::default());
    let plain = net.dev(1);
    let c = plain.with_tx_observer(rec.clone());
    let id = c.register_machine().await.unwrap();
    let mint = c.mint_nft(id, c.address()).await.unwrap();
    let seen = rec.seen();
    let stages: Vec<(&str, &str)> = seen.iter().map(|(s, l, _)| (*s, l.as_str())).collect();
    assert_eq!(
        stages,
        [
            ("signed", "register_machine"),
            ("accepted", "register_machine"),
            ("mined", "register_machine"),
            ("signed", "mint_nft"),
            ("accepted", "mint_nft"),
            ("mined", "mint_nft"),
        ]
    );
    // one hash per transaction, the one the method returned
    assert!(seen[..3].iter().all(|(_, _, h)| *h == seen[0].2));
    assert!(seen[3..].iter().all(|(_, _, h)| *h == mint));
    // the unobserved client shares the nonce manager: no collision, nothing recorded
    plain
        .send_transaction(Address::repeat_byte(7), Bytes::new(), U256::from(1))
        .await
        .unwrap();
    c.send_transaction(Address::repeat_byte(7), Bytes::new(), U256::from(1))
        .await
        .unwrap();
    let labels: Vec<String> = rec.seen()[6..].iter().map(|(_, l, _)| l.clone()).collect();
    assert_eq!(labels, ["send_transaction"; 3]);
    assert_eq!(
        c.provider()
            .get_transaction_count(c.address())
            .await
            .unwrap(),
        4
    );
}

#[tokio::test]
async fn a_refusal_before_broadcast_sends_nothing_and_keeps_the_nonce() {
    let net = Net::start().await;
    let rec = Arc::new(Recorder {
        veto: Some("register_machine"),
        ..Recorder::default()
    });
    let c = net.dev(2).with_tx_observer(rec.clone());
    let e = c.register_machine().await.unwrap_err();
    assert!(
        e.to_string().contains("journal refused register_machine"),
        "{e}"
    );
    let (_, _, refused) = rec.seen()[0].clone();
    assert!(
        !c.transaction_known(refused).await.unwrap(),
        "not broadcast"
    );
    assert_eq!(rec.seen().len(), 1, "only `signed`");
    // the next transaction gets the same nonce 0
    let r = c
        .send_transaction(Address::repeat_byte(1), Bytes::new(), U256::from(1))
        .await
        .unwrap();
    let tx = c
        .provider()
        .get_transaction_by_hash(r.transaction_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alloy::consensus::Transaction::nonce(&tx), 0);
}

#[tokio::test]
async fn a_taken_nonce_is_observed_as_rejected_then_resent() {
    let net = Net::start().await;
    let rec = Arc::new(Recorder::default());
    let a = net.dev(3).with_tx_observer(rec.clone());
    let b = net.dev(3); // same key, its own nonce manager
    let to = Address::repeat_byte(0x42);
    a.send_transaction(to, Bytes::new(), U256::from(1))
        .await
        .unwrap();
    b.send_transaction(to, Bytes::new(), U256::from(1))
        .await
        .unwrap();
    a.send_transaction(to, Bytes::new(), U256::from(1))
        .await
        .unwrap(); // a's local nonce 1 is taken: rejected, re-synced, re-signed
    let stages: Vec<&str> = rec.seen()[3..].iter().map(|(s, _, _)| *s).collect();
    assert_eq!(
        stages,
        ["signed", "rejected", "signed", "accepted", "mined"]
    );
    let seen = rec.seen();
    assert_ne!(seen[3].2, seen[5].2, "a new signature for the new nonce");
}

#[tokio::test]
async fn presigned_transactions_use_the_client_nonces_and_fee_policy() {
    let net = Net::start().await;
    let rec = Arc::new(Recorder::default());
    let c = net.dev(4).with_tx_observer(rec.clone());
    let sink = Address::repeat_byte(0x5e);
    let call = TxCall {
        to: sink,
        data: Bytes::new(),
        value: U256::from(1),
    };
    let gas = c.gas_limit(&call).await.unwrap();
    assert_eq!(
        gas,
        21_000 * 120 / 100,
        "estimate x the configured headroom"
    );
    let signed = c
        .sign_transactions("bench", &vec![call; 5], gas)
        .await
        .unwrap();
    assert_eq!(
        signed.iter().map(|t| t.nonce).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    // a normal send meanwhile takes the nonce after the reserved ones
    let other = c.clone();
    let normal = tokio::spawn(async move {
        other
            .send_transaction(Address::repeat_byte(2), Bytes::new(), U256::from(1))
            .await
    });
    for t in signed.iter().rev() {
        assert_eq!(c.send_signed(t).await.unwrap(), t.hash);
    }
    let r = normal.await.unwrap().unwrap();
    assert!(r.status());
    for t in &signed {
        let receipt = c.wait_for_receipt(t.hash).await.unwrap();
        assert!(receipt.status());
        assert_eq!(receipt.gas_used, 21_000);
    }
    assert_eq!(c.balance(sink).await.unwrap(), U256::from(5));
    let bench: Vec<&str> = rec
        .seen()
        .iter()
        .filter(|(_, l, _)| l == "bench")
        .map(|(s, _, _)| *s)
        .collect();
    assert_eq!(bench.iter().filter(|s| **s == "signed").count(), 5);
    assert_eq!(bench.iter().filter(|s| **s == "accepted").count(), 5);
    // a presigned transaction the node refuses (sent twice) resets the nonce manager
    let e = c.send_signed(&signed[0]).await.unwrap_err();
    assert!(matches!(e, PeaqosError::Rpc { .. }), "{e:?}");
    c.send_transaction(Address::repeat_byte(3), Bytes::new(), U256::from(1))
        .await
        .unwrap();
    assert_eq!(
        c.provider()
            .get_transaction_count(c.address())
            .await
            .unwrap(),
        7
    );
}
