//! `peaqos wallet` subcommands through `cli::run_in` (stdin input, no terminal).

use std::os::unix::fs::PermissionsExt;

use clap::Parser;
use peaqos_wallet::cli::{WalletCommand, run_in};
use peaqos_wallet::error::WalletError;
use peaqos_wallet::vault::Vault;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: WalletCommand,
}

fn parse(args: &[&str]) -> WalletCommand {
    Cli::try_parse_from(std::iter::once("wallet").chain(args.iter().copied()))
        .unwrap()
        .cmd
}

fn run(
    v: &Vault,
    env: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> Result<String, WalletError> {
    let mut out = Vec::new();
    run_in(parse(args), env, v, &mut stdin.as_bytes(), false, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

#[test]
fn import_show_use_export_delete() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::at(dir.path().join("ows"));
    let env = dir.path().join(".env");
    std::fs::write(
        &env,
        "PEAQOS_RPC_URL=http://127.0.0.1:8545\n# comment\nPEAQOS_OWS_WALLET=old\n",
    )
    .unwrap();

    let pass = std::env::var("OWS_PASSPHRASE").unwrap_or_else(|_| "pw-cli".into());
    let out = run(
        &v,
        &env,
        &["import", "w1", "--mnemonic", "--json"],
        &format!("{ABANDON}\n{pass}\n"),
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        json["peaq_address"],
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    );
    assert!(!out.contains("abandon"));

    let key_file = dir.path().join("key.txt");
    std::fs::write(
        &key_file,
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n",
    )
    .unwrap();
    let out = run(
        &v,
        &env,
        &[
            "import",
            "w2",
            "--private-key-file",
            key_file.to_str().unwrap(),
        ],
        &format!("{pass}\n"),
    )
    .unwrap();
    assert!(out.contains("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"));

    let out = run(&v, &env, &["list"], "").unwrap();
    assert!(out.contains("w1") && out.contains("w2"));
    let out = run(&v, &env, &["show", "w1"], "").unwrap();
    for needle in [
        "peaq",
        "eip155:3338",
        "base",
        "solana",
        "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
        "m/44'/60'/0'/0/0",
    ] {
        assert!(out.contains(needle), "show lacks {needle}:\n{out}");
    }

    run(&v, &env, &["use", "w1"], "").unwrap();
    let text = std::fs::read_to_string(&env).unwrap();
    assert_eq!(
        text,
        "PEAQOS_RPC_URL=http://127.0.0.1:8545\n# comment\nPEAQOS_OWS_WALLET=w1\n"
    );
    assert_eq!(
        std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(matches!(
        run(&v, &env, &["use", "missing"], ""),
        Err(WalletError::WalletNotFound(_))
    ));

    // export / delete need --yes without a terminal
    assert!(matches!(
        run(&v, &env, &["export", "w1"], &format!("{pass}\n")),
        Err(WalletError::Aborted)
    ));
    let out = run(&v, &env, &["export", "w1", "--yes"], &format!("{pass}\n")).unwrap();
    assert_eq!(out.trim(), ABANDON);
    assert!(matches!(
        run(&v, &env, &["delete", "w2"], ""),
        Err(WalletError::Aborted)
    ));
    run(&v, &env, &["delete", "w2", "--yes"], "").unwrap();
    assert!(!run(&v, &env, &["list"], "").unwrap().contains("w2"));
}

#[test]
fn argument_rules() {
    let bad = |args: &[&str]| {
        Cli::try_parse_from(std::iter::once("wallet").chain(args.iter().copied())).is_err()
    };
    assert!(bad(&["create", "x", "--words", "15"]));
    assert!(bad(&["import", "x"]));
    assert!(bad(&[
        "import",
        "x",
        "--mnemonic",
        "--private-key-file",
        "f"
    ]));
    assert_eq!(
        parse(&["create", "x"]),
        WalletCommand::Create {
            name: "x".into(),
            words: 12,
            json: false
        }
    );
    assert_eq!(
        parse(&["create", "x", "--words", "24", "--json"]),
        WalletCommand::Create {
            name: "x".into(),
            words: 24,
            json: true
        }
    );
}
