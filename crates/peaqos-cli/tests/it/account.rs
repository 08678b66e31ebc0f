//! `peaqos account ...` and `peaqos bundler` as a user runs them, against a stack in this
//! process and a bundler on its chain.

use crate::common::*;
use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn start_bundler(env: &Env, key: PrivateKeySigner) -> peaqos_aa::BundlerHandle {
    let mut cfg = peaqos_aa::BundlerConfig::new(env.stack().rpc_url(), key);
    cfg.port = 0;
    env.rt.block_on(peaqos_aa::spawn(cfg)).expect("bundler")
}

#[test]
fn account_address_deploy_status_and_call_through_the_bundler() {
    let env = Env::start();
    let owner_env = env.write_stack_env("owner.env");
    let owner = env.stack().dev_signer(0).address();
    let bundler = start_bundler(&env, env.stack().dev_signer(5));
    let machine = PrivateKeySigner::random();
    let m = machine.address().to_string();

    let v = json(&env.run(
        &owner_env,
        &["account", "address", "--machine", &m, "--json"],
    ));
    let account: Address = v["account"].as_str().unwrap().parse().unwrap();
    assert_eq!(v["owner"], serde_json::json!(owner));
    assert_eq!(v["deployed"], false);
    // Plain output: the address alone.
    let out = env.run(&owner_env, &["account", "address", "--machine", &m]);
    expect_code(&out, 0);
    assert_eq!(stdout(&out).trim().parse::<Address>().unwrap(), account);

    let s = json(&env.run(
        &owner_env,
        &["account", "status", "--machine", &m, "--json"],
    ));
    assert_eq!(
        (s["deployed"].clone(), s["nonce"].clone()),
        (serde_json::json!(false), serde_json::json!("0"))
    );

    let d = json(&env.run(
        &owner_env,
        &["account", "deploy", "--machine", &m, "--json"],
    ));
    assert_eq!(
        (
            d["account"].as_str().unwrap().parse::<Address>().unwrap(),
            d["created"].clone()
        ),
        (account, serde_json::json!(true))
    );
    let again = json(&env.run(
        &owner_env,
        &["account", "deploy", "--machine", &m, "--json"],
    ));
    assert_eq!(again["created"], false);

    // Fund it, then the owner's key sends 1000 wei from it to a sink through the bundler.
    let funder = env.sdk(env.dev_key(9));
    env.rt
        .block_on(funder.send_transaction(account, Default::default(), U256::from(10u64.pow(18))))
        .unwrap();
    let sink = Address::repeat_byte(0x5e);
    let before = env.rt.block_on(funder.balance(sink)).unwrap();
    let c = json(&env.run(
        &owner_env,
        &[
            "account",
            "call",
            "--machine",
            &m,
            "--to",
            &sink.to_string(),
            "--value",
            "1000",
            "--bundler",
            &bundler.url(),
            "--json",
        ],
    ));
    assert_eq!(c["success"], true, "{c}");
    assert_eq!(
        env.rt.block_on(funder.balance(sink)).unwrap(),
        before + U256::from(1000)
    );

    let s = json(&env.run(
        &owner_env,
        &[
            "account",
            "status",
            "--account",
            &account.to_string(),
            "--json",
        ],
    ));
    assert_eq!(s["deployed"], true);
    assert_eq!(s["owner"], serde_json::json!(owner));
    assert_eq!(s["machine"], serde_json::json!(machine.address()));
    assert_eq!(s["nonce"], "1");
    assert!(s["implementation"].as_str().is_some(), "{s}");

    // The machine's key: a call that reverts (an event for a machine that does not exist) is
    // refused at estimation with its reason (exit 2).
    let machine_env = env.write_env_with_key(
        "machine.env",
        &peaqos_sdk::PrivateKey::from(&machine).expose_hex(),
    );
    let er = env.stack().contracts().event_registry;
    let data = peaqos_contracts::EventRegistry::submitEventCall {
        machineId: U256::from(999_999),
        eventType: 1,
        value: U256::ZERO,
        currency: String::new(),
        timestamp: U256::from(1),
        dataHash: Default::default(),
        trustLevel: 0,
        sourceChainId: U256::ZERO,
        sourceTxHash: Default::default(),
        metadata: Default::default(),
    }
    .abi_encode();
    let out = env.run(
        &machine_env,
        &[
            "account",
            "call",
            "--account",
            &account.to_string(),
            "--to",
            &er.to_string(),
            "--data",
            &alloy::primitives::hex::encode_prefixed(data),
            "--bundler",
            &bundler.url(),
        ],
    );
    expect_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("[RPC -32521]") && err.contains("MachineNotFound()"),
        "{err}"
    );
    // A key that is neither owner nor machine: -32507.
    let stranger_env = env.write_env_with_key(
        "stranger.env",
        &peaqos_sdk::PrivateKey::from(&PrivateKeySigner::random()).expose_hex(),
    );
    let out = env.run(
        &stranger_env,
        &[
            "account",
            "call",
            "--account",
            &account.to_string(),
            "--to",
            &sink.to_string(),
            "--bundler",
            &bundler.url(),
        ],
    );
    expect_code(&out, 2);
    assert!(stderr(&out).contains("[RPC -32507]"), "{}", stderr(&out));
    env.rt.block_on(bundler.shutdown()).unwrap();
}

#[test]
fn bundler_command_serves_and_refuses_an_unfunded_key() {
    let env = Env::start();
    let rpc = env.stack().rpc_url();
    let broke = peaqos_sdk::PrivateKey::from(&PrivateKeySigner::random()).expose_hex();
    let out = peaqos()
        .current_dir(env.dir.path())
        .args(["bundler", "--rpc", &rpc, "--port", "0", "--no-mempool-file"])
        .env("PEAQOS_BUNDLER_KEY", &broke)
        .output()
        .unwrap();
    expect_code(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("has no balance") && err.contains("fund it"),
        "{err}"
    );
    assert!(
        !err.contains(broke.trim_start_matches("0x")),
        "the key is never printed"
    );
    // Without a key: exit 3 naming the variable.
    let out = peaqos()
        .current_dir(env.dir.path())
        .args(["bundler", "--rpc", &rpc, "--no-mempool-file"])
        .output()
        .unwrap();
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("PEAQOS_BUNDLER_KEY"),
        "{}",
        stderr(&out)
    );

    // A funded key: it serves until killed; the mempool file goes to the data directory.
    let key_file = env.path("bundler.key");
    peaqos_devnet::write_secret_file(
        &key_file,
        &peaqos_sdk::PrivateKey::from(&env.stack().dev_signer(6)).expose_hex(),
    )
    .unwrap();
    let mut child = peaqos()
        .current_dir(env.dir.path())
        .env("HOME", env.dir.path())
        .env_remove("XDG_DATA_HOME")
        .args(["bundler", "--rpc", &rpc, "--port", "0", "--key-file"])
        .arg(&key_file)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    assert!(line.contains("mempool-"), "{line}");
    let r: serde_json::Value = env
        .rt
        .block_on(async {
            reqwest::Client::new()
                .post(&url)
                .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "eth_supportedEntryPoints", "params": []}))
                .send()
                .await
                .unwrap()
                .json()
                .await
        })
        .unwrap();
    assert_eq!(
        r["result"],
        serde_json::json!([peaqos_types::constants::ENTRY_POINT_V06])
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
