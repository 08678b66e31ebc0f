//! Interop with the OWS reference implementation (PyPI `open-wallet-standard`, module `ows`).
//!
//! Runs `tests/it/ows_interop.py` with `PEAQOS_OWS_PYTHON` (default `python3`). The tests are
//! ignored by default (`cargo test -- --ignored` runs them, as CI does) and fail when `ows` is not
//! importable.

use std::process::Command;

use alloy::consensus::{SignableTransaction, TxEip1559};
use alloy::network::TxSigner;
use alloy::primitives::{Address, B256, Signature, TxKind, U256, keccak256};
use alloy::signers::Signer;
use peaqos_wallet::vault::Vault;
use peaqos_wallet::*;
use serde_json::Value;

const PASS: &str = "interop passphrase";

fn python() -> String {
    std::env::var("PEAQOS_OWS_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn script(args: &[&str]) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/ows_interop.py");
    let out = Command::new(python())
        .arg(path)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "ows_interop.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json from ows_interop.py")
}

/// Panics unless the `ows` module is importable: these tests need the reference implementation.
fn require_ows() {
    let probe = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/ows_interop.py"
        ))
        .arg("probe")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok());
    assert!(
        probe.as_ref().is_some_and(|v| v["available"] == true),
        "this test needs the OWS reference implementation: `ows` (pip install \
         open-wallet-standard) is not importable by {} ({probe:?})",
        python()
    );
}

fn addresses(accounts: &Value) -> Vec<(String, String, String)> {
    accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["chain_id"].as_str().unwrap().to_string(),
                a["address"].as_str().unwrap().to_string(),
                a["derivation_path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs the OWS reference implementation: pip install open-wallet-standard; CI runs it with --ignored"]
fn reference_wallets_open_with_us() {
    require_ows();
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::at(dir.path());
    let r = script(&["create", dir.path().to_str().unwrap(), PASS]);
    for (name, key_type) in [
        ("ref-mnemonic", KeyType::Mnemonic),
        ("ref-key", KeyType::PrivateKey),
    ] {
        let theirs = &r["wallets"][name];
        let ref_accounts = addresses(&theirs["wallet"]["accounts"]);
        assert_eq!(ref_accounts.len(), 12, "reference derives 12 families");
        let (_, file) = v.find(name).unwrap();
        assert_eq!(file.key_type, key_type);
        assert_eq!(file.id, theirs["wallet"]["id"].as_str().unwrap());
        // their file round-trips through our types byte for byte
        let text =
            std::fs::read_to_string(v.wallets_dir().join(format!("{}.json", file.id))).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&file).unwrap(),
            text,
            "{name}: byte-identical format"
        );
        // decrypt and derive every family ourselves
        let secret = decrypt_wallet(&file, PASS).unwrap();
        let ours: Vec<_> = secret
            .derive_accounts(0)
            .unwrap()
            .into_iter()
            .map(|a| (a.chain_id, a.address, a.derivation_path))
            .collect();
        assert_eq!(
            ours, ref_accounts,
            "{name}: identical addresses for every chain family"
        );
        assert_eq!(
            &*export_wallet(name, Some(PASS), &v).unwrap(),
            theirs["export"].as_str().unwrap()
        );
        let info = get_wallet(name, &v).unwrap();
        assert_eq!(info.peaq_address, ref_accounts[0].1);
        let signer = VaultSigner::open(name, Some(PASS), &v).unwrap();
        assert_eq!(
            Signer::address(&signer).to_checksum(None),
            ref_accounts[0].1
        );
        assert!(matches!(
            VaultSigner::open(name, Some("wrong"), &v),
            Err(WalletError::InvalidPassphrase)
        ));
    }
}

#[tokio::test]
#[ignore = "needs the OWS reference implementation: pip install open-wallet-standard; CI runs it with --ignored"]
async fn our_wallets_list_export_and_sign_with_the_reference() {
    require_ows();
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::at(dir.path());
    let m = create_wallet("our-mnemonic", Some(PASS), 24, &v).unwrap();
    let k = import_wallet(
        "our-key",
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
        Some(PASS),
        "evm",
        &v,
    )
    .unwrap();
    let hash = keccak256(b"peaqos interop");
    let tx = TxEip1559 {
        chain_id: 3338,
        nonce: 7,
        gas_limit: 21_000,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(Address::repeat_byte(0x11)),
        value: U256::from(1u64),
        ..Default::default()
    };
    let mut buf = Vec::new();
    tx.encode_for_signing(&mut buf);
    let r = script(&[
        "check",
        dir.path().to_str().unwrap(),
        PASS,
        &hex::encode(hash),
        &hex::encode(&buf),
        "our-mnemonic",
        "our-key",
    ]);
    let listed: Vec<&str> = r["listed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&"our-mnemonic") && listed.contains(&"our-key"),
        "{listed:?}"
    );
    for info in [&m, &k] {
        let theirs = &r["wallets"][&info.name];
        assert_eq!(theirs["wallet"]["id"], info.id.as_str());
        let (_, file) = v.find(&info.name).unwrap();
        let stored: Vec<_> = file
            .accounts
            .iter()
            .map(|a| {
                (
                    a.chain_id.clone(),
                    a.address.clone(),
                    a.derivation_path.clone(),
                )
            })
            .collect();
        assert_eq!(
            addresses(&theirs["wallet"]["accounts"]),
            stored,
            "{}",
            info.name
        );
        assert_eq!(
            theirs["export"].as_str().unwrap(),
            &*export_wallet(&info.id, Some(PASS), &v).unwrap()
        );
        let signer = VaultSigner::open(&info.name, Some(PASS), &v).unwrap();
        // sign_hash: RFC 6979 signatures are deterministic, so the bytes match
        let ours = signer.sign_hash(&hash).await.unwrap();
        let sig_hex = theirs["sign_hash"]["signature"].as_str().unwrap();
        let theirs_sig = Signature::from_raw(&hex::decode(sig_hex).unwrap()).unwrap();
        assert_eq!(ours.r(), theirs_sig.r());
        assert_eq!(ours.s(), theirs_sig.s());
        assert_eq!(ours.v(), theirs_sig.v());
        assert_eq!(
            theirs_sig.recover_address_from_prehash(&hash).unwrap(),
            info.peaq_address.parse::<Address>().unwrap()
        );
        // sign_transaction over the same unsigned EIP-1559 transaction
        let mut tx2 = tx.clone();
        let ours_tx = signer.sign_transaction(&mut tx2).await.unwrap();
        let tx_sig =
            hex::decode(theirs["sign_transaction"]["signature"].as_str().unwrap()).unwrap();
        let tx_sig = Signature::from_raw(&tx_sig).unwrap();
        assert_eq!(
            (ours_tx.r(), ours_tx.s(), ours_tx.v()),
            (tx_sig.r(), tx_sig.s(), tx_sig.v())
        );
        // sign_message (EIP-191) recovers to the wallet address
        let msg_sig = hex::decode(theirs["sign_message"]["signature"].as_str().unwrap()).unwrap();
        let msg_sig = Signature::from_raw(&msg_sig).unwrap();
        assert_eq!(
            msg_sig.recover_address_from_msg("hello peaq").unwrap(),
            info.peaq_address.parse::<Address>().unwrap()
        );
        let _: B256 = hash;
    }
}
