//! Vault round trips, tampering, file modes, audit lines and secret hygiene.

use std::os::unix::fs::PermissionsExt;

use peaqos_types::error::ErrorCode;
use peaqos_wallet::error::WalletError;
use peaqos_wallet::vault::{AuditEntry, Vault, WalletFile};
use peaqos_wallet::wallet::WalletSecret;
use peaqos_wallet::*;

const PASS: &str = "correct horse battery staple";
const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const KEY: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

fn vault() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::at(dir.path().join("ows"));
    (dir, v)
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn audit(v: &Vault) -> Vec<AuditEntry> {
    std::fs::read_to_string(v.audit_log_path())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wallet_path(v: &Vault, id: &str) -> std::path::PathBuf {
    v.wallets_dir().join(format!("{id}.json"))
}

#[test]
fn mnemonic_round_trip_file_format_modes_and_audit() {
    let (_d, v) = vault();
    let info = import_wallet_mnemonic(
        "m",
        &format!("  {}  ", ABANDON.to_uppercase()),
        Some(PASS),
        0,
        &v,
    )
    .unwrap();
    assert_eq!(info.key_type, KeyType::Mnemonic);
    assert_eq!(
        info.peaq_address,
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    );
    // the six supported EVM chains come first, then every other family
    let chains: Vec<_> = info.accounts.iter().map(|a| a.chain_id.as_str()).collect();
    assert_eq!(
        &chains[..6],
        [
            "eip155:3338",
            "eip155:1",
            "eip155:8453",
            "eip155:137",
            "eip155:42161",
            "eip155:10"
        ]
    );
    assert_eq!(info.accounts.len(), 6 + 11);
    assert!(
        info.accounts[..6]
            .iter()
            .all(|a| a.address == info.peaq_address && a.derivation_path == "m/44'/60'/0'/0/0")
    );
    assert_eq!(
        info.accounts[0].account_id,
        format!("eip155:3338:{}", info.peaq_address)
    );
    assert_eq!(info.accounts[0].network, "peaq");
    assert_eq!(info.accounts[6].network, "solana");

    // file: reference field order, pretty JSON, no trailing newline, sorted crypto keys
    let path = wallet_path(&v, &info.id);
    let text = std::fs::read_to_string(&path).unwrap();
    let order = [
        "\"ows_version\": 2",
        "\"id\"",
        "\"name\"",
        "\"created_at\"",
        "\"accounts\"",
        "\"crypto\"",
        "\"auth_tag\"",
        "\"cipher\": \"aes-256-gcm\"",
        "\"cipherparams\"",
        "\"iv\"",
        "\"ciphertext\"",
        "\"kdf\": \"scrypt\"",
        "\"kdfparams\"",
        "\"dklen\": 32",
        "\"n\": 65536",
        "\"p\": 1",
        "\"r\": 8",
        "\"salt\"",
        "\"key_type\": \"mnemonic\"",
    ];
    let mut at = 0;
    for key in order {
        let pos = text[at..]
            .find(key)
            .unwrap_or_else(|| panic!("{key} out of order"));
        at += pos;
    }
    assert!(text.starts_with("{\n  \"ows_version\": 2,\n  \"id\": \""));
    assert!(text.ends_with('}'));
    let file: WalletFile = serde_json::from_str(&text).unwrap();
    assert_eq!(
        serde_json::to_string_pretty(&file).unwrap(),
        text,
        "parse + serialize is byte-identical"
    );
    assert!(file.created_at.ends_with("+00:00"));
    assert_eq!(
        uuid::Uuid::parse_str(&file.id).unwrap().get_version_num(),
        4
    );
    assert_eq!(file.crypto.cipherparams.iv.len(), 24);
    assert_eq!(file.crypto.auth_tag.len(), 32);
    assert_eq!(file.crypto.kdfparams.salt.len(), 64);
    assert_eq!(
        file.crypto.ciphertext.len(),
        ABANDON.len() * 2,
        "ciphertext excludes the tag"
    );
    assert!(!text.contains("abandon"));

    assert_eq!(mode(v.root()), 0o700);
    assert_eq!(mode(&v.wallets_dir()), 0o700);
    assert_eq!(mode(&path), 0o600);

    // get / list / export
    assert_eq!(get_wallet("m", &v).unwrap(), info);
    assert_eq!(get_wallet(&info.id, &v).unwrap(), info);
    assert_eq!(list_wallets(&v).unwrap(), vec![info.clone()]);
    assert_eq!(&*export_wallet("m", Some(PASS), &v).unwrap(), ABANDON);
    assert_eq!(
        hex::encode(*evm_private_key("m", Some(PASS), &v).unwrap()),
        "1ab42cc412b618bdea3a599e3c9bae199ebf030895b039e9db1e30dafb12b727"
    );

    // delete: overwrite + unlink
    delete_wallet("m", &v).unwrap();
    assert!(!path.exists());
    assert!(matches!(
        get_wallet("m", &v),
        Err(WalletError::WalletNotFound(_))
    ));

    let log = audit(&v);
    let ops: Vec<_> = log.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(ops, ["import_wallet", "export_wallet", "delete_wallet"]);
    assert!(log.iter().all(|e| e.wallet_id == info.id));
    let raw = std::fs::read_to_string(v.audit_log_path()).unwrap();
    assert!(!raw.contains("abandon") && !raw.contains(PASS));
    assert_eq!(mode(&v.audit_log_path()), 0o600);
    assert_eq!(mode(&v.root().join("logs")), 0o700);
}

#[test]
fn private_key_import_create_and_errors() {
    let (_d, v) = vault();
    let info = import_wallet("k", KEY, Some(PASS), "evm", &v).unwrap();
    assert_eq!(info.key_type, KeyType::PrivateKey);
    assert_eq!(
        info.peaq_address,
        "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    );
    assert!(info.accounts.iter().all(|a| a.derivation_path.is_empty()));
    let exported = export_wallet("k", Some(PASS), &v).unwrap();
    let json: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(json["secp256k1"], KEY.trim_start_matches("0x"));
    assert!(
        exported.starts_with("{\"ed25519\":\""),
        "compact JSON, ed25519 first"
    );

    // an ed25519 import puts the key on the ed25519 side
    let sol = import_wallet("s", KEY, Some(PASS), "solana", &v).unwrap();
    let exported = export_wallet("s", Some(PASS), &v).unwrap();
    let json: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(json["ed25519"], KEY.trim_start_matches("0x"));
    assert_eq!(
        sol.accounts
            .iter()
            .find(|a| a.network == "solana")
            .unwrap()
            .address,
        "9fijMemJYwXS5QD85Qxsq7iKqvSebgb6LvpGftgkeigk"
    );

    // created wallets
    let c = create_wallet("c24", Some(PASS), 24, &v).unwrap();
    assert_eq!(
        export_wallet(&c.id, Some(PASS), &v)
            .unwrap()
            .split(' ')
            .count(),
        24
    );
    assert_eq!(list_wallets(&v).unwrap().len(), 3);
    let ops: Vec<_> = audit(&v).into_iter().map(|e| e.operation).collect();
    assert_eq!(
        ops,
        [
            "import_wallet",
            "export_wallet",
            "import_wallet",
            "export_wallet",
            "create_wallet",
            "export_wallet"
        ]
    );

    // errors and codes
    let e = import_wallet("k", KEY, Some(PASS), "evm", &v).unwrap_err();
    assert!(matches!(e, WalletError::DuplicateName(_)));
    let e = import_wallet("x", "0x1234", Some(PASS), "evm", &v).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(matches!(e, WalletError::InvalidInput(ref v) if v.field == "private_key"));
    let e = import_wallet("x", KEY, Some(PASS), "dogecoin", &v).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ChainNotSupported);
    assert!(matches!(
        create_wallet("x", Some(PASS), 13, &v),
        Err(WalletError::InvalidInput(_))
    ));
    assert!(matches!(
        import_wallet_mnemonic("x", "not a mnemonic", Some(PASS), 0, &v),
        Err(WalletError::InvalidInput(_))
    ));
    let e = get_wallet("nope", &v).unwrap_err();
    assert_eq!(e.code(), ErrorCode::WalletNotFound);
    let e = export_wallet("k", Some("wrong"), &v).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidPassphrase);
    if std::env::var_os(OWS_PASSPHRASE_ENV).is_none() {
        assert!(matches!(
            export_wallet("k", None, &v),
            Err(WalletError::PassphraseMissing)
        ));
    }
}

fn tamper(v: &Vault, id: &str, f: impl FnOnce(&mut WalletFile)) {
    let path = wallet_path(v, id);
    let mut w: WalletFile = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut w);
    std::fs::write(&path, serde_json::to_string_pretty(&w).unwrap()).unwrap();
}

fn flip(hex_str: &mut String) {
    let mut b = hex::decode(&*hex_str).unwrap();
    b[0] ^= 1;
    *hex_str = hex::encode(b);
}

#[test]
fn tampered_files_are_refused() {
    let (_d, v) = vault();
    type Tamper = fn(&mut WalletFile);
    let cases: [(&str, Tamper, ErrorCode); 8] = [
        (
            "ciphertext",
            |w| flip(&mut w.crypto.ciphertext),
            ErrorCode::InvalidPassphrase,
        ),
        (
            "auth_tag",
            |w| flip(&mut w.crypto.auth_tag),
            ErrorCode::InvalidPassphrase,
        ),
        (
            "iv",
            |w| flip(&mut w.crypto.cipherparams.iv),
            ErrorCode::InvalidPassphrase,
        ),
        (
            "salt",
            |w| flip(&mut w.crypto.kdfparams.salt),
            ErrorCode::InvalidPassphrase,
        ),
        (
            "n",
            |w| w.crypto.kdfparams.n = 1 << 15,
            ErrorCode::InvalidInput,
        ),
        ("r", |w| w.crypto.kdfparams.r = 7, ErrorCode::InvalidInput),
        ("p", |w| w.crypto.kdfparams.p = 0, ErrorCode::InvalidInput),
        (
            "dklen",
            |w| w.crypto.kdfparams.dklen = 16,
            ErrorCode::InvalidInput,
        ),
    ];
    for (i, (what, f, code)) in cases.into_iter().enumerate() {
        let info = import_wallet(&format!("w{i}"), KEY, Some(PASS), "evm", &v).unwrap();
        tamper(&v, &info.id, f);
        let e = export_wallet(&info.id, Some(PASS), &v).unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e}");
        assert!(
            VaultSigner::open(&info.id, Some(PASS), &v).is_err(),
            "{what}"
        );
    }
    // a stronger KDF than the default is fine (n = 2^17 written by hand)
    let plain = b"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    let env = peaqos_wallet::crypto::encrypt(plain, PASS).unwrap();
    assert_eq!(&*peaqos_wallet::crypto::decrypt(&env, PASS).unwrap(), plain);
}

#[test]
fn secrets_never_in_debug_or_errors() {
    let (_d, v) = vault();
    import_wallet_mnemonic("m", ABANDON, Some(PASS), 0, &v).unwrap();
    let signer = VaultSigner::open("m", Some(PASS), &v).unwrap();
    let dbg = format!("{signer:?}");
    assert!(!dbg.contains(PASS) && !dbg.contains("abandon") && dbg.contains("0x9858"));
    let (_, file) = v.find("m").unwrap();
    let secret = decrypt_wallet(&file, PASS).unwrap();
    assert_eq!(format!("{secret:?}"), "WalletSecret::Mnemonic(<redacted>)");
    let keys = WalletSecret::PrivateKeys {
        secp256k1: wallet::parse_key_hex(KEY, "k").unwrap(),
        ed25519: wallet::parse_key_hex(KEY, "k").unwrap(),
    };
    assert!(!format!("{keys:?}").contains("4c0883"));
    let e = import_wallet(
        "x",
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231",
        Some(PASS),
        "evm",
        &v,
    )
    .unwrap_err();
    assert!(!format!("{e} {e:?}").contains("4c0883"));
    let e = export_wallet("m", Some("wrong passphrase"), &v).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("wrong passphrase"));
    // WalletInfo JSON is public data only
    let json = serde_json::to_string(&get_wallet("m", &v).unwrap()).unwrap();
    assert!(!json.contains("abandon") && !json.contains("ciphertext"));
}

#[test]
fn extract_peaq_address_prefers_3338() {
    let acc = |chain: &str, addr: &str| wallet::AccountInfo {
        account_id: format!("{chain}:{addr}"),
        address: addr.into(),
        chain_id: chain.into(),
        network: String::new(),
        derivation_path: String::new(),
    };
    assert_eq!(
        extract_peaq_address(&[acc("eip155:1", "0xa"), acc("eip155:3338", "0xb")]).unwrap(),
        "0xb"
    );
    assert_eq!(
        extract_peaq_address(&[acc("solana:x", "S"), acc("eip155:8453", "0xc")]).unwrap(),
        "0xc"
    );
    assert!(extract_peaq_address(&[acc("solana:x", "S")]).is_err());
}
