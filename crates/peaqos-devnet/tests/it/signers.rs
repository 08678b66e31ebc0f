//! Signer recovery of `eth_sendRawTransaction` (libsecp256k1 through alloy's `secp256k1`
//! backend): every supported transaction type is mined under the address that signed it, a
//! malleated (high-s) copy of a valid signature and a signature with r = 0 are refused as
//! invalid signatures, and nothing of a refused transaction reaches the chain.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{Address, Bytes, Signature, TxKind, U256, hex};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use peaqos_devnet::{DevnetConfig, Node, build_node, genesis::dev_signer, rpc::handle_body};
use serde_json::{Value, json};

/// The order of the secp256k1 group.
const N: U256 = U256::from_be_slice(&hex!(
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
));

const CHAIN_ID: u64 = 31337;
const GWEI: u128 = 1_000_000_000;

fn rpc(node: &Node, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    handle_body(node, body.to_string().as_bytes()).expect("a call is answered")
}

fn nonce(node: &Node, who: Address) -> u64 {
    let v = rpc(node, "eth_getTransactionCount", json!([who, "latest"]));
    u64::from_str_radix(
        v["result"]
            .as_str()
            .expect("a nonce")
            .trim_start_matches("0x"),
        16,
    )
    .expect("hex nonce")
}

fn sign<T: SignableTransaction<Signature>>(signer: &PrivateKeySigner, tx: T) -> (T, Signature) {
    let sig = signer
        .sign_hash_sync(&tx.signature_hash())
        .expect("signing with a local key");
    (tx, sig)
}

fn raw(envelope: TxEnvelope) -> Bytes {
    envelope.encoded_2718().into()
}

fn transfer_1559(nonce: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(Address::with_last_byte(0x5e)),
        value: U256::from(1),
        ..Default::default()
    }
}

#[test]
fn every_transaction_type_is_mined_under_the_address_that_signed_it() {
    let node = build_node(&DevnetConfig::ephemeral()).expect("devnet");
    let signer = dev_signer(3);
    let me = signer.address();
    let to = TxKind::Call(Address::with_last_byte(0x5e));
    let start = nonce(&node, me);
    let legacy = sign(
        &signer,
        TxLegacy {
            chain_id: Some(CHAIN_ID),
            nonce: start,
            gas_price: 2 * GWEI,
            gas_limit: 21_000,
            to,
            value: U256::from(1),
            ..Default::default()
        },
    );
    let eip2930 = sign(
        &signer,
        TxEip2930 {
            chain_id: CHAIN_ID,
            nonce: start + 1,
            gas_price: 2 * GWEI,
            gas_limit: 21_000,
            to,
            value: U256::from(1),
            ..Default::default()
        },
    );
    let eip1559 = sign(&signer, transfer_1559(start + 2));
    let envelopes = [
        TxEnvelope::from(legacy.0.into_signed(legacy.1)),
        TxEnvelope::from(eip2930.0.into_signed(eip2930.1)),
        TxEnvelope::from(eip1559.0.into_signed(eip1559.1)),
    ];
    for (i, envelope) in envelopes.into_iter().enumerate() {
        let hash = *envelope.tx_hash();
        let sent = rpc(&node, "eth_sendRawTransaction", json!([raw(envelope)]));
        assert_eq!(sent["result"], json!(hash), "type {i}: {sent}");
        let tx = rpc(&node, "eth_getTransactionByHash", json!([hash]));
        assert_eq!(tx["result"]["from"], json!(me), "type {i}: {tx}");
        let receipt = rpc(&node, "eth_getTransactionReceipt", json!([hash]));
        assert_eq!(receipt["result"]["from"], json!(me), "type {i}: {receipt}");
        assert_eq!(
            receipt["result"]["status"],
            json!("0x1"),
            "type {i}: {receipt}"
        );
    }
    assert_eq!(nonce(&node, me), start + 3);
}

#[test]
fn a_high_s_or_zero_r_signature_is_refused_and_changes_nothing() {
    let node = build_node(&DevnetConfig::ephemeral()).expect("devnet");
    let signer = dev_signer(4);
    let me = signer.address();
    let start = nonce(&node, me);
    let (tx, sig) = sign(&signer, transfer_1559(start));
    // The same signature with s -> n - s and the parity flipped: it recovers the same key, but
    // Ethereum (EIP-2) accepts only the low-s form.
    let high_s = Signature::new(sig.r(), N - sig.s(), !sig.v());
    let zero_r = Signature::new(U256::ZERO, sig.s(), sig.v());
    let head = rpc(&node, "eth_blockNumber", json!([]))["result"].clone();
    for (what, bad) in [("high s", high_s), ("r = 0", zero_r)] {
        let envelope = TxEnvelope::from(tx.clone().into_signed(bad));
        let hash = *envelope.tx_hash();
        let out = rpc(&node, "eth_sendRawTransaction", json!([raw(envelope)]));
        assert_eq!(out["error"]["code"], json!(-32000), "{what}: {out}");
        let message = out["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("invalid signature"),
            "{what}: {message}"
        );
        let known = rpc(&node, "eth_getTransactionByHash", json!([hash]));
        assert_eq!(known["result"], Value::Null, "{what}: {known}");
    }
    assert_eq!(rpc(&node, "eth_blockNumber", json!([]))["result"], head);
    assert_eq!(nonce(&node, me), start);
    // The low-s original still goes through.
    let good = TxEnvelope::from(tx.into_signed(sig));
    let out = rpc(&node, "eth_sendRawTransaction", json!([raw(good)]));
    assert!(out.get("result").is_some(), "{out}");
    assert_eq!(nonce(&node, me), start + 1);
}
