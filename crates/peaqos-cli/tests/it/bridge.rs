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
