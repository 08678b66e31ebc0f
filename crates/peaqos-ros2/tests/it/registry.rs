//! The wallet registry: peaq's file format read as it is, new wallets in the OWS vault unless
//! plaintext is asked for, 0600 files written atomically.

use std::os::unix::fs::PermissionsExt as _;

use peaqos_ros2::Registry;
use peaqos_wallet::Vault;
use zeroize::Zeroizing;

const PEAQ_FILE: &str = r#"{"version": 1, "wallets": {"0x70997970C51812dc3A010C7d01b50e0d17dc79C8": {"label": "machine_wallet", "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "account_id": "eip155:3338:0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "chain_id": "eip155:3338", "network": "peaq", "private_key": "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "created_at": 1735689600}}}"#;

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn reads_peaqs_plaintext_file_and_signs_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("peaqos_wallets.json");
    std::fs::write(&path, PEAQ_FILE).unwrap();
    let reg = Registry::new(&path, Vault::at(dir.path().join("ows")), None, false);
    let list = reg.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].created_at, 1_735_689_600);
    let a: alloy::primitives::Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        .parse()
        .unwrap();
    assert_eq!(reg.signer(a).unwrap().address(), a);
    let public = list[0].public_json().to_string();
    assert!(!public.contains("59c6995e"), "{public}");
    assert!(!format!("{:?}", list[0]).contains("59c6995e"));
    // Adding a wallet keeps peaq's entry as it was.
    let reg = Registry::new(&path, Vault::at(dir.path().join("ows")), None, true);
    let e = reg.create("").unwrap();
    assert_eq!(e.label, "machine_wallet");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"));
    assert_eq!(reg.list().unwrap().len(), 2);
}

#[test]
fn new_wallets_go_to_the_vault_encrypted_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("robot/peaqos_wallets.json");
    let vault = dir.path().join("ows");
    let reg = Registry::new(
        &path,
        Vault::at(&vault),
        Some(Zeroizing::new("pw-1".into())),
        false,
    );
    let e = reg.create("arm").unwrap();
    assert!(e.encrypted() && e.private_key.is_none());
    assert_eq!(e.account_id, format!("eip155:3338:{}", e.address));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert!(!path.with_extension("json.tmp").exists());
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(!file.contains("private_key"));
    let a = e.address.parse().unwrap();
    let s = reg.signer(a).unwrap();
    assert_eq!(s.address(), a);
    // The vault file holds the key encrypted (no hex key anywhere in the vault).
    let key_hex = hex::encode(s.to_bytes());
    for f in std::fs::read_dir(vault.join("wallets")).unwrap() {
        let f = f.unwrap().path();
        assert_eq!(mode(&f), 0o600);
        assert!(!std::fs::read_to_string(&f).unwrap().contains(&key_hex));
    }
    // Wrong passphrase: refused with the vault's code, no key.
    let wrong = Registry::new(
        &path,
        Vault::at(&vault),
        Some(Zeroizing::new("pw-2".into())),
        false,
    );
    let err = wrong.signer(a).unwrap_err();
    assert_eq!(err.code(), "INVALID_PASSPHRASE");
    assert!(!err.to_string().contains("pw-"));
    // No passphrase: creating an encrypted wallet is refused, nothing written.
    let none = Registry::new(&path, Vault::at(&vault), None, false);
    assert_eq!(
        none.create("x").unwrap_err().code(),
        "WALLET_NOT_CONFIGURED"
    );
    assert_eq!(none.list().unwrap().len(), 1);
    // Delete removes the entry and its vault wallet.
    assert!(reg.delete(a).unwrap());
    assert!(!reg.delete(a).unwrap());
    assert_eq!(std::fs::read_dir(vault.join("wallets")).unwrap().count(), 0);
}

#[test]
fn plaintext_only_when_asked_and_list_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.json");
    let reg = Registry::new(&path, Vault::at(dir.path().join("ows")), None, true);
    let b = reg.create("b").unwrap();
    let a1 = reg.create("a").unwrap();
    let a2 = reg.create("a").unwrap();
    assert!(b.private_key.as_deref().is_some_and(|k| k.len() == 66));
    assert!(
        !dir.path().join("ows").exists(),
        "plaintext wallets do not touch the vault"
    );
    let labels: Vec<(String, String)> = reg
        .list()
        .unwrap()
        .into_iter()
        .map(|e| (e.label, e.address))
        .collect();
    let mut expected = vec![
        ("a".to_string(), a1.address),
        ("a".to_string(), a2.address),
        ("b".to_string(), b.address),
    ];
    expected.sort();
    assert_eq!(labels, expected);
    assert_eq!(mode(&path), 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], 1);
}
