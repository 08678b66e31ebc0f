//! `peaqos devnet --bridge` (both chains), `peaqos relayer run|status` and `peaqos bridge
//! send|wait|status`, all through the real binary: a Machine NFT goes to Base and back.

use crate::common::{expect_code, json, peaqos, stdout};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

/// Child processes killed when the test ends, however it ends.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn cmd(dir: &Path) -> std::process::Command {
    let mut c = peaqos();
    c.current_dir(dir)
        .env_remove("BASE_RPC_URL")
        .env_remove("BASE_MACHINE_NFT_ADDRESS")
        .env_remove("PEAQOS_RELAYER_PRIVATE_KEY")
        .args(["--env-file", "bridge.env"]);
    c
}

/// Starts `peaqos devnet ... --json` and returns its ready line.
fn devnet(dir: &Path, children: &mut Children, args: &[&str]) -> serde_json::Value {
    let mut child = cmd(dir)
        .args([
            "devnet",
            "--port",
            "0",
            "--json",
            "--bridge",
            "--env-out",
            "bridge.env",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    children.0.push(child);
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"))
}

#[test]
fn a_machine_nft_goes_to_base_and_back_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut children = Children(Vec::new());
    let peaq = devnet(d, &mut children, &[]);
    let base = devnet(d, &mut children, &["--chain", "base"]);
    assert_eq!(peaq["bridge"]["eid"], 30302);
    assert_eq!(base["bridge"]["eid"], 30184);
    assert_eq!(base["chainId"], 31338);
    assert_eq!(peaq["bridge"]["peer"], base["bridge"]["oapp"]);
    let env = std::fs::read_to_string(d.join("bridge.env"))
        .unwrap()
        .to_lowercase();
    let adapter = peaq["bridge"]["oapp"].as_str().unwrap();
    assert!(
        env.contains(&format!("machine_nft_adapter_address={adapter}")),
        "{env}"
    );
    assert!(
        env.contains(&format!(
            "base_rpc_url={}",
            base["rpcUrl"].as_str().unwrap()
        )),
        "{env}"
    );
    assert!(
        env.contains(&format!(
            "base_machine_nft_address={}",
            base["bridge"]["oapp"].as_str().unwrap()
        )),
        "{env}"
    );
    assert!(
        env.contains("peaqos_private_key="),
        "the peaq entries are kept"
    );

    let o = cmd(d)
        .args(["activate", "--skip-funding"])
        .output()
        .unwrap();
    expect_code(&o, 0);
    assert!(stdout(&o).contains("Token ID     1"), "{}", stdout(&o));

    let relayer = cmd(d)
        .args([
            "relayer",
            "run",
            "--dev",
            "--state",
            "relayer.json",
            "--poll-ms",
            "20",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    children.0.push(relayer);

    let o = cmd(d)
        .args([
            "bridge",
            "send",
            "--token-id",
            "1",
            "--to",
            "base",
            "--wait",
            "61",
            "--json",
        ])
        .output()
        .unwrap();
    expect_code(&o, 0);
    assert!(stdout(&o).contains("arrived on base"), "{}", stdout(&o));
    let s = json(
        &cmd(d)
            .args(["bridge", "status", "--token-id", "1", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(s["location"], "base");
    assert_eq!(s["lockedInAdapter"], true);

    let o = cmd(d)
        .args(["bridge", "send", "--token-id", "1", "--to", "peaq"])
        .output()
        .unwrap();
    expect_code(&o, 0);
    let o = cmd(d)
        .args([
            "bridge",
            "wait",
            "--token-id",
            "1",
            "--on",
            "peaq",
            "--timeout",
            "61",
            "--poll",
            "1",
        ])
        .output()
        .unwrap();
    expect_code(&o, 0);
    let s = json(
        &cmd(d)
            .args(["bridge", "status", "--token-id", "1", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(s["location"], "peaq");
    assert_eq!(s["lockedInAdapter"], false);
    assert_eq!(s["baseOwner"], serde_json::Value::Null);

    let st = json(
        &cmd(d)
            .args(["relayer", "status", "--state", "relayer.json", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(st["delivered"], 2);
    assert_eq!(st["pending"], serde_json::json!({}));
    assert_eq!(st["stuck"], serde_json::json!([]));
}

#[test]
fn relayer_and_bridge_name_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let o = cmd(dir.path())
        .args(["relayer", "status"])
        .output()
        .unwrap();
    expect_code(&o, 3);
    let o = cmd(dir.path())
        .args([
            "relayer",
            "run",
            "--peaq-endpoint",
            "0x0000000000000000000000000000000000000001",
            "--base-endpoint",
            "0x0000000000000000000000000000000000000002",
            "--peaq-rpc",
            "http://127.0.0.1:1",
            "--base-rpc",
            "http://127.0.0.1:1",
        ])
        .output()
        .unwrap();
    expect_code(&o, 2);
    let o = cmd(dir.path())
        .args(["bridge", "status", "--token-id", "1"])
        .output()
        .unwrap();
    expect_code(&o, 3);
}

/// Starts `peaqos up --json` on free ports (`extra` added) and returns its ready line.
fn up(
    dir: &Path,
    children: &mut Children,
    extra: &[(&str, &Path)],
    args: &[&str],
) -> serde_json::Value {
    let mut c = cmd(dir);
    for (k, v) in extra {
        c.env(k, v);
    }
    let mut child = c
        .args([
            "up",
            "--devnet-port",
            "0",
            "--mcr-port",
            "0",
            "--gas-station-port",
            "0",
            "--bundler-port",
            "0",
            "--base-port",
            "0",
            "--json",
            "--env-out",
            "bridge.env",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    children.0.push(child);
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"))
}

#[test]
fn up_runs_both_chains_the_bridge_and_its_relayer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut children = Children(Vec::new());
    let v = up(d, &mut children, &[], &[]);
    let b = &v["bridge"];
    assert_eq!(b["enabled"], true, "{v}");
    assert_eq!(b["baseChainId"], 31338);
    assert_eq!(b["peaq"]["eid"], 30302);
    assert_eq!(b["base"]["eid"], 30184);
    assert_eq!(b["peaq"]["peer"], b["base"]["oapp"]);
    assert_eq!(b["base"]["peer"], b["peaq"]["oapp"]);
    assert_eq!(b["relayer"]["devAccount"], 7);
    // The DVN's one verifier on both sides is the relayer `up` runs.
    assert_eq!(b["peaq"]["verifier"], b["relayer"]["address"]);
    assert_eq!(b["base"]["verifier"], b["relayer"]["address"]);
    let env = std::fs::read_to_string(d.join("bridge.env")).unwrap();
    let lower = env.to_lowercase();
    for (k, want) in [
        ("machine_nft_adapter_address", &b["machineNftAdapter"]),
        ("base_rpc_url", &b["baseRpcUrl"]),
        ("base_machine_nft_address", &b["baseMachineNft"]),
    ] {
        let want = want.as_str().unwrap().to_lowercase();
        assert!(lower.contains(&format!("{k}={want}")), "{k}: {env}");
    }

    // The env file alone drives a trip to Base and back through `up`'s relayer.
    let o = cmd(d)
        .args(["activate", "--skip-funding"])
        .output()
        .unwrap();
    expect_code(&o, 0);
    let machine = peaqos_devnet::genesis::dev_signer(0).address();
    let did = format!("did:peaq:{machine}");
    let nft = |what: &str| {
        let p = json(
            &cmd(d)
                .args(["show", "machine", &did, "--json"])
                .output()
                .unwrap(),
        );
        let n = p["peaqos"]["machine_nft"].clone();
        assert_eq!(n["token_id"], 1, "{what}: {p}");
        (n, p["peaqos"]["source_verification"].clone())
    };
    // The MCR service indexes the activation shortly after it is mined.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !{
        let o = cmd(d)
            .args(["show", "machine", &did, "--json"])
            .output()
            .unwrap();
        o.status.success()
            && serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["peaqos"]["nft_token_id"]
                == 1
    } {
        assert!(std::time::Instant::now() < deadline, "{did} never indexed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (n, _) = nft("activated");
    assert_eq!(n["chain"], "peaq");
    assert_eq!(n["owner"], machine.to_string());
    assert_eq!(n["locked_in_adapter"], false);

    // A trust-level-1 revenue event whose source is a real payment to the machine on the Base
    // devnet (chain 8453 to the SDK's validator, which `up` checks on the Base devnet).
    let paid = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use alloy::network::TransactionBuilder;
        use alloy::providers::{Provider, ProviderBuilder};
        let p = ProviderBuilder::new()
            .wallet(alloy::network::EthereumWallet::from(
                peaqos_devnet::genesis::dev_signer(2),
            ))
            .connect_http(b["baseRpcUrl"].as_str().unwrap().parse().unwrap());
        let tx = alloy::rpc::types::TransactionRequest::default()
            .with_to(machine)
            .with_value(alloy::primitives::U256::from(10_000u64));
        let r = p
            .send_transaction(tx)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(r.status());
        r.transaction_hash
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let o = cmd(d)
        .args([
            "qualify",
            "event",
            "--machine-id",
            "1",
            "--type",
            "revenue",
            "--value",
            "12500",
            "--currency",
            "USD",
            "--trust",
            "onchain",
            "--source-chain",
            "base",
        ])
        .args(["--ts", &now.to_string(), "--source-tx", &paid.to_string()])
        .output()
        .unwrap();
    expect_code(&o, 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, v) = nft("event submitted");
        if v["verified"] == 1 {
            assert_eq!(v["unverified"], 0);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not verified: {v}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let rating = || {
        let mut r = json(
            &cmd(d)
                .args(["qualify", "mcr", &did, "--json"])
                .output()
                .unwrap(),
        );
        assert!(r["event_count"] == 1, "{r}");
        r.as_object_mut().unwrap().remove("last_updated");
        r
    };
    let before = rating();

    let o = cmd(d)
        .args([
            "bridge",
            "send",
            "--token-id",
            "1",
            "--to",
            "base",
            "--wait",
            "61",
        ])
        .output()
        .unwrap();
    expect_code(&o, 0);
    assert!(stdout(&o).contains("arrived on base"), "{}", stdout(&o));
    let s = json(
        &cmd(d)
            .args(["bridge", "status", "--token-id", "1", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(s["location"], "base");
    assert_eq!(s["lockedInAdapter"], true);
    // The Machine Card follows the NFT; the rating does not move.
    let (n, v) = nft("on Base");
    assert_eq!(n["chain"], "base", "{n}");
    assert_eq!(n["owner"], machine.to_string());
    assert_eq!(n["locked_in_adapter"], true);
    assert_eq!(
        n["peaq_owner"].as_str().unwrap().to_lowercase(),
        b["machineNftAdapter"].as_str().unwrap().to_lowercase()
    );
    assert_eq!(v["verified"], 1);
    assert_eq!(rating(), before, "a bridge leaves the rating unchanged");
    let o = cmd(d).args(["show", "machine", &did]).output().unwrap();
    expect_code(&o, 0);
    assert!(stdout(&o).contains("on Base, held by"), "{}", stdout(&o));
    let o = cmd(d)
        .args(["bridge", "send", "--token-id", "1", "--to", "peaq"])
        .output()
        .unwrap();
    expect_code(&o, 0);
    let o = cmd(d)
        .args([
            "bridge",
            "wait",
            "--token-id",
            "1",
            "--on",
            "peaq",
            "--timeout",
            "61",
            "--poll",
            "1",
        ])
        .output()
        .unwrap();
    expect_code(&o, 0);
    let (n, _) = nft("back on peaq");
    assert_eq!(n["chain"], "peaq");
    assert_eq!(rating(), before);
    let st = json(
        &cmd(d)
            .args(["relayer", "status", "--json", "--state"])
            .arg(b["relayer"]["state"].as_str().unwrap())
            .output()
            .unwrap(),
    );
    assert_eq!(st["delivered"], 2, "{st}");
}

#[test]
fn up_without_layerzero_or_with_no_bridge_runs_without_it_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let empty = tempfile::tempdir().unwrap();
    let mut children = Children(Vec::new());
    let v = up(
        d,
        &mut children,
        &[("PEAQOS_CONTRACTS_DIR", empty.path())],
        &[],
    );
    assert_eq!(v["status"], "ready");
    assert_eq!(v["bridge"]["enabled"], false);
    let reason = v["bridge"]["reason"].as_str().unwrap();
    assert!(reason.contains("cd contracts && npm ci"), "{reason}");
    let env = std::fs::read_to_string(d.join("bridge.env")).unwrap();
    assert!(!env.contains("BASE_RPC_URL"), "{env}");
    assert!(!env.contains("MACHINE_NFT_ADAPTER_ADDRESS"), "{env}");
    assert!(env.contains("PEAQOS_MCR_API_URL"), "{env}");

    let dir = tempfile::tempdir().unwrap();
    let v = up(dir.path(), &mut children, &[], &["--no-bridge"]);
    assert_eq!(v["status"], "ready");
    assert_eq!(v["bridge"]["enabled"], false);
    assert_eq!(v["bridge"]["reason"], "--no-bridge");
}

#[test]
fn a_kept_stack_keeps_the_bridge_and_the_token_on_base() {
    use peaqos_cli::stack::{StackPorts, start_stack};
    use peaqos_sdk::bridge::wait_for_bridge_arrival_with;
    use std::time::Duration;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.json");
    rt.block_on(async {
        let client = |s: &peaqos_cli::stack::Stack| {
            peaqos_sdk::PeaqosClient::new(peaqos_sdk::PeaqosConfig::new(
                s.rpc_url(),
                Some(peaqos_sdk::PrivateKey::from(&s.dev_signer(5))),
                s.contracts(),
            ))
            .unwrap()
        };
        let first = start_stack(StackPorts::ephemeral(), Some(state.clone()))
            .await
            .unwrap();
        let b = first.bridge.as_ref().expect("the bridge runs");
        let (adapter, base_nft) = (b.peaq_side.oapp, b.base_side.oapp);
        let c = client(&first);
        let id = c.register_machine().await.unwrap();
        c.mint_nft(id, c.address()).await.unwrap();
        let token = c.token_id_of(id).await.unwrap();
        let token = alloy::primitives::U256::from(token);
        c.bridge_nft(
            token,
            "peaq",
            "base",
            c.address(),
            Some(&b.base_url()),
            Some(base_nft),
            &[],
        )
        .await
        .unwrap();
        let wait = |url: String, nft, locked_by| async move {
            wait_for_bridge_arrival_with(
                &url,
                nft,
                token,
                Duration::from_secs(61),
                Duration::from_millis(50),
                locked_by,
                |_| {},
            )
            .await
            .unwrap()
        };
        assert!(wait(b.base_url(), base_nft, None).await, "arrived on Base");
        let relayer_state = b.relayer_state.clone();
        first.shutdown().await.unwrap();
        assert!(relayer_state.starts_with(format!("{}.d", state.display())));

        // Restarted from the saved state: the same bridge, the Base chain kept (the token is
        // still there), and the relayer resumes from its cursor and brings the token back.
        let second = start_stack(StackPorts::ephemeral(), Some(state.clone()))
            .await
            .unwrap();
        let b = second.bridge.as_ref().expect("the bridge runs again");
        assert_eq!((b.peaq_side.oapp, b.base_side.oapp), (adapter, base_nft));
        let base =
            alloy::providers::ProviderBuilder::new().connect_http(b.base_url().parse().unwrap());
        let on_base = peaqos_contracts::MachineNFTBase::new(base_nft, &base)
            .ownerOf(token)
            .call()
            .await
            .unwrap();
        assert_eq!(on_base, c.address(), "the Base chain was kept");
        let c = client(&second);
        c.bridge_nft(
            token,
            "base",
            "peaq",
            c.address(),
            Some(&b.base_url()),
            Some(base_nft),
            &[],
        )
        .await
        .unwrap();
        let machine_nft = second.contracts().machine_nft;
        assert!(
            wait(second.rpc_url(), machine_nft, Some(adapter)).await,
            "back on peaq"
        );
        let st = peaqos_bridge::RelayerState::load(&b.relayer_state).unwrap();
        assert_eq!(st.delivered, 2, "one delivery per run, none repeated");
        second.shutdown().await.unwrap();
    });
}
