//! `init`, `whoami`, `activate` (self, proxy, re-runs) driving the real binary against a stack.

use crate::common::*;
use alloy::primitives::{Address, B256};
use peaqos_cli::journal::Journal;
use peaqos_sdk::{PeaqosClient, QrFormat};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn init_writes_a_private_env_and_whoami_reads_it() {
    let env = Env::start();
    let s = env.stack();
    let file = env.path(".env");
    let out = env.run(
        &file,
        &[
            "init",
            "--non-interactive",
            "--network",
            "devnet",
            "--key-source",
            "generate",
            "--rpc-url",
            &s.rpc_url(),
            "--mcr-api-url",
            &s.mcr_url(),
            "--gas-station-url",
            &s.gas_station_url(),
            "--json",
        ],
    );
    let who = json(&out);
    assert_eq!(who["chainId"], 31337);
    assert_eq!(who["rpcUrl"], s.rpc_url());
    assert_eq!(who["balanceWei"], "0");
    assert_eq!(mode(&file), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("PEAQOS_NETWORK=devnet")
            && text.contains(&format!("PEAQOS_GAS_STATION_URL={}", s.gas_station_url()))
    );
    assert!(text.contains(&format!(
        "IDENTITY_REGISTRY_ADDRESS={}",
        s.contracts().identity_registry
    )));
    assert!(
        !stdout(&out).contains("PRIVATE_KEY")
            && !stderr(&out).to_lowercase().contains(
                &text[text.find("PEAQOS_PRIVATE_KEY=").unwrap() + 19..][..66].to_lowercase()
            )
    );
    // no overwrite without --force (user error), then whoami from the file
    let again = env.run(
        &file,
        &[
            "init",
            "--non-interactive",
            "--network",
            "devnet",
            "--key-source",
            "generate",
        ],
    );
    expect_code(&again, 1);
    assert!(stderr(&again).contains("--force"));
    let w = json(&env.run(&file, &["whoami", "--json"]));
    assert_eq!(w["address"], who["address"]);
    assert_eq!(
        w["contracts"]["MACHINE_NFT_ADDRESS"],
        s.contracts().machine_nft.to_string()
    );
    // non-interactive without a key source or key: configuration error naming the variable
    let nokey = env.run(
        &env.path("other.env"),
        &["init", "--non-interactive", "--network", "devnet"],
    );
    expect_code(&nokey, 3);
    assert!(stderr(&nokey).contains("PEAQOS_PRIVATE_KEY"));
}

#[test]
fn whoami_exit_codes_name_the_problem() {
    let env = Env::start();
    let missing = env.run(&env.path("none.env"), &["whoami"]);
    expect_code(&missing, 3);
    assert!(
        stderr(&missing).contains("PEAQOS_PRIVATE_KEY is required"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(stderr(&missing).lines().count(), 1, "one line");
    let bad = env.write_env_with_key("bad.env", "0x1234");
    let o = env.run(&bad, &["whoami"]);
    expect_code(&o, 3);
    assert!(stderr(&o).contains("PEAQOS_PRIVATE_KEY must be 0x followed by 64 hex characters"));
    assert!(!stderr(&o).contains("0x1234"), "the key is never echoed");
    // node down: network error
    let good = env.write_stack_env("good.env");
    let down = env.path("down.env");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        &down,
        std::fs::read_to_string(&good)
            .unwrap()
            .replace(&env.stack().rpc_url(), &format!("http://127.0.0.1:{port}")),
    )
    .unwrap();
    expect_code(&env.run(&down, &["whoami"]), 2);
    // the shell wins over the file
    let mut c = peaqos();
    c.current_dir(env.dir.path())
        .arg("--env-file")
        .arg(&good)
        .args(["whoami", "--json"]);
    c.env("PEAQOS_PRIVATE_KEY", env.dev_key(5).expose_hex());
    let w: serde_json::Value = serde_json::from_slice(&c.output().unwrap().stdout).unwrap();
    assert_eq!(
        w["address"],
        env.stack().dev_signer(5).address().to_string()
    );
}

#[test]
fn self_activation_funds_through_the_gas_station_and_reruns_change_nothing() {
    let env = Env::start();
    let (addr, key) = PeaqosClient::generate_keypair();
    let file = env.write_env_with_key("me.env", &key.expose_hex());
    // The owner enrols its authenticator beforehand (the test computes the codes).
    let client = env.sdk(key);
    let gs = env.stack().gas_station_url();
    let setup = env
        .rt
        .block_on(client.setup_faucet_2fa(&addr.to_string(), &gs, QrFormat::Svg))
        .unwrap();
    let t = now();
    let code = |t| peaqos_gas_station::current_code_for(&setup.otpauth_uri, t).unwrap();
    env.rt
        .block_on(client.confirm_faucet_2fa(&addr.to_string(), &gs, &code(t)))
        .unwrap();

    let out = env.run(
        &file,
        &[
            "activate",
            "--json",
            "--totp",
            &code(t + 30),
            "--doc-url",
            "https://example.com/docs",
        ],
    );
    let v = json(&out);
    assert_eq!(v["machineId"], 1);
    assert_eq!(v["tokenId"], 1);
    assert_eq!(v["machineDid"], format!("did:peaq:{addr}"));
    assert!(v.get("operatorDid").is_none());
    let err = stderr(&out);
    for n in 1..=6 {
        assert!(err.contains(&format!("[{n}/6]")), "{err}");
    }
    assert!(
        err.contains("2FA already active") && err.contains("funded 2.000000 PEAQ"),
        "{err}"
    );
    let log = env.path("peaqos.log");
    assert_eq!(mode(&log), 0o600);
    let entries = Journal::new(&log).entries();
    let steps: Vec<&str> = entries
        .iter()
        .filter(|e| e.status == "sent")
        .map(|e| e.step.as_str())
        .collect();
    assert_eq!(steps, ["fund", "register", "mint", "did"]);
    assert!(entries.iter().all(|e| e.machine == addr));
    // chain state
    let rt = &env.rt;
    assert_eq!(rt.block_on(client.machine_id_of_owner(addr)).unwrap(), 1);
    let attr = rt
        .block_on(client.read_attribute(addr, "documentation_url"))
        .unwrap();
    assert_eq!(attr.value, "https://example.com/docs");
    assert!(
        rt.block_on(client.read_attribute_opt(addr, "operator"))
            .unwrap()
            .is_none()
    );

    // a re-run sends nothing and prints the same result
    let again = env.run(
        &file,
        &[
            "activate",
            "--json",
            "--doc-url",
            "https://example.com/docs",
        ],
    );
    assert_eq!(json(&again), v);
    assert!(
        stderr(&again).contains("already registered") && stderr(&again).contains("already written")
    );
    assert_eq!(Journal::new(&log).entries().len(), entries.len());
    // a changed attribute is updated, nothing else re-sent
    let changed = env.run(&file, &["activate", "--doc-url", "https://example.com/v2"]);
    expect_code(&changed, 0);
    assert!(
        stderr(&changed).contains("writing 1 DID attribute"),
        "{}",
        stderr(&changed)
    );
    assert_eq!(
        rt.block_on(client.read_attribute(addr, "documentation_url"))
            .unwrap()
            .value,
        "https://example.com/v2"
    );
}

#[test]
fn proxy_activation_needs_a_registered_operator_and_both_flags() {
    let env = Env::start();
    let file = env.write_stack_env("op.env");
    let (m, mkey) = PeaqosClient::generate_keypair();
    let kf = env.path("machine.key");
    std::fs::write(&kf, format!("{}\n", mkey.expose_hex())).unwrap();
    let ms = m.to_string();
    let kfs = kf.to_str().unwrap();

    let half = env.run(&file, &["activate", "--for", &ms]);
    expect_code(&half, 1);
    assert!(stderr(&half).contains("--machine-key"));
    expect_code(&env.run(&file, &["activate", "--machine-key", kfs]), 1);
    let wrong = env.run(
        &file,
        &[
            "activate",
            "--for",
            &env.stack().dev_signer(3).address().to_string(),
            "--machine-key",
            kfs,
        ],
    );
    expect_code(&wrong, 1);

    let unregistered = env.run(&file, &["activate", "--for", &ms, "--machine-key", kfs]);
    expect_code(&unregistered, 1);
    assert!(
        stderr(&unregistered).contains("not registered"),
        "{}",
        stderr(&unregistered)
    );

    json(&env.run(&file, &["activate", "--json"])); // the operator (dev account 0) itself
    // the machine has no funds: --skip-funding refuses clearly
    let broke = env.run(
        &file,
        &[
            "activate",
            "--for",
            &ms,
            "--machine-key",
            kfs,
            "--skip-funding",
        ],
    );
    expect_code(&broke, 1);
    assert!(stderr(&broke).contains("--skip-funding"));
    // fund the machine for its DID write, then activate it
    let op = env.sdk(env.dev_key(0));
    env.rt
        .block_on(op.send_transaction(
            m,
            Default::default(),
            alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(18)),
        ))
        .unwrap();
    let v = json(&env.run(
        &file,
        &[
            "activate",
            "--for",
            &ms,
            "--machine-key",
            kfs,
            "--json",
            "--visibility",
            "onchain",
        ],
    ));
    assert_eq!(v["machineId"], 2);
    assert_eq!(v["machineAddress"], ms);
    assert_eq!(v["operatorDid"], format!("did:peaq:{}", op.address()));
    let rt = &env.rt;
    assert_eq!(
        rt.block_on(op.read_attribute(m, "operator")).unwrap().value,
        format!("did:peaq:{}", op.address())
    );
    assert_eq!(
        rt.block_on(op.read_attribute(m, "data_visibility"))
            .unwrap()
            .value,
        "onchain"
    );
    // human output names machine address and operator
    let text = env.run(
        &file,
        &[
            "activate",
            "--for",
            &ms,
            "--machine-key",
            kfs,
            "--visibility",
            "onchain",
        ],
    );
    expect_code(&text, 0);
    assert!(stdout(&text).contains("Machine Address") && stdout(&text).contains("Operator DID"));
}

#[test]
fn a_rerun_reconciles_journalled_hashes_and_finishes_a_half_done_activation() {
    use alloy::network::{EthereumWallet, TransactionBuilder};
    use alloy::providers::{Provider, ProviderBuilder};
    use alloy::sol_types::SolCall;
    let env = Env::start();
    let signer = env.stack().dev_signer(3);
    let me = signer.address();
    let file = env.write_env_with_key("m.env", &env.dev_key(3).expose_hex());
    let journal = Journal::new(env.path("peaqos.log"));
    // 1. A hash journalled but never broadcast (killed between journal and send).
    journal
        .append("register", me, B256::repeat_byte(0xab), "sent")
        .unwrap();
    // 2. A register transaction broadcast, journalled, its receipt never awaited.
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(env.stack().rpc_url().parse().unwrap());
    let registry = env.stack().contracts().identity_registry;
    let bond = env.rt.block_on(env.sdk(env.dev_key(3)).min_bond()).unwrap();
    let req = alloy::rpc::types::TransactionRequest::default()
        .with_to(registry)
        .with_value(bond)
        .with_input(peaqos_contracts::IdentityRegistry::registerCall {}.abi_encode());
    let hash = env
        .rt
        .block_on(async { *provider.send_transaction(req).await.unwrap().tx_hash() });
    journal.append("register", me, hash, "sent").unwrap();

    let out = env.run(&file, &["activate", "--json"]);
    let v = json(&out);
    let err = stderr(&out);
    assert!(
        err.contains("never reached the node")
            && err.contains(&format!(
                "reconciling the logged register transaction {hash}"
            )),
        "{err}"
    );
    assert!(err.contains("already registered as machine 1"), "{err}");
    assert_eq!(v["machineId"], 1);
    assert_eq!(v["tokenId"], 1);
    let entries = journal.entries();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.step == "register" && e.status == "sent")
            .count(),
        2,
        "no new register"
    );
    assert!(
        entries
            .iter()
            .any(|e| e.tx_hash == hash && e.status == "confirmed")
    );
    assert!(
        entries
            .iter()
            .any(|e| e.tx_hash == B256::repeat_byte(0xab) && e.status == "dropped")
    );
    assert!(journal.unresolved(me).is_empty());
    let _ = Address::ZERO;
}

#[test]
fn a_process_killed_after_registering_is_finished_by_the_next_run() {
    let env = Env::start();
    let file = env.write_env_with_key("m.env", &env.dev_key(4).expose_hex());
    let c = env.sdk(env.dev_key(4));
    let id = env.rt.block_on(c.register_machine()).unwrap(); // step 4 done, then "killed"
    let out = env.run(&file, &["activate", "--json"]);
    let v = json(&out);
    assert_eq!(v["machineId"], id);
    assert!(
        stderr(&out).contains("already registered")
            && stderr(&out).contains("minting the Machine NFT")
    );
    assert_eq!(env.rt.block_on(c.token_id_of(id)).unwrap(), 1);
}

#[test]
fn an_ows_wallet_signs_instead_of_the_private_key() {
    let env = Env::start();
    let file = env.write_stack_env("w.env");
    let vault = env.path("vault");
    let keyfile = env.path("k");
    std::fs::write(&keyfile, env.dev_key(6).expose_hex()).unwrap();
    let run = |pass: &str, args: &[&str]| {
        let mut c = peaqos();
        c.current_dir(env.dir.path())
            .arg("--env-file")
            .arg(&file)
            .args(args);
        c.env("OWS_VAULT_PATH", &vault).env("OWS_PASSPHRASE", pass);
        c.stdin(std::process::Stdio::null()).output().unwrap()
    };
    expect_code(
        &run(
            "pw-123456",
            &[
                "wallet",
                "import",
                "fleet",
                "--private-key-file",
                keyfile.to_str().unwrap(),
            ],
        ),
        0,
    );
    expect_code(&run("pw-123456", &["wallet", "use", "fleet"]), 0);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("PEAQOS_OWS_WALLET=fleet")
    );
    let me = env.stack().dev_signer(6).address().to_string();
    // the wallet wins over PEAQOS_PRIVATE_KEY (dev account 0 in the file)
    let w = json(&run("pw-123456", &["whoami", "--json"]));
    assert_eq!(w["address"], me);
    assert_eq!(w["wallet"], "fleet");
    let wrong = run("wrong", &["whoami"]);
    expect_code(&wrong, 3);
    assert!(stderr(&wrong).contains("INVALID_PASSPHRASE"));
    // a wallet-only env file (no PEAQOS_PRIVATE_KEY at all) is complete
    let wallet_only: String = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("PEAQOS_PRIVATE_KEY="))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(wallet_only.contains("PEAQOS_OWS_WALLET=fleet"));
    let only = env.path("wallet-only.env");
    peaqos_devnet::write_secret_file(&only, &wallet_only).unwrap();
    let mut c = peaqos();
    c.current_dir(env.dir.path())
        .arg("--env-file")
        .arg(&only)
        .args(["whoami", "--json"])
        .env("OWS_VAULT_PATH", &vault)
        .env("OWS_PASSPHRASE", "pw-123456");
    let w = json(&c.stdin(std::process::Stdio::null()).output().unwrap());
    assert_eq!(w["address"], me);
    assert_eq!(w["wallet"], "fleet");
    let v = json(&run("pw-123456", &["activate", "--json"]));
    assert_eq!(v["machineAddress"], me);
    assert_eq!(v["machineId"], 1);
}
