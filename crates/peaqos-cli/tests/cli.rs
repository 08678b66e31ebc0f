//! The `peaqos` binary as a user runs it.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn peaqos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_peaqos"))
}

#[test]
fn demo_runs_the_whole_flow_and_reports_it() {
    let out = peaqos()
        .args(["demo", "--json", "--revenue-events", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["machine"];
    assert_eq!(m["machineId"], "1");
    assert_eq!(m["tokenId"], "1");
    assert_eq!(m["eventCount"], "3", "2 revenue + 1 activity");
    assert_eq!(m["didAttributes"]["machineId"], "1");
    assert_eq!(m["didAttributes"]["data_visibility"], "public");
    assert_eq!(
        m["did"].as_str().unwrap(),
        format!("did:peaq:{}", m["address"].as_str().unwrap())
    );
    for e in m["events"].as_array().unwrap() {
        assert!(
            e["gasUsed"].as_u64().unwrap() <= 100_000,
            "event gas budget: {e}"
        );
    }
    assert_eq!(v["proxy"]["machineId"], "2");
    // progress goes to stderr, data to stdout
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[1/7]") && err.contains("[7/7]"), "{err}");
}

#[test]
fn devnet_starts_writes_a_private_env_file_and_reports_ready() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("devnet.env");
    let mut child = peaqos()
        .args(["devnet", "--port", "0", "--json", "--env-out"])
        .arg(&env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["chainId"], 31337);
    assert!(
        v["rpcUrl"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(v["accounts"].as_array().unwrap().len(), 10);
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(text.contains(&format!("PEAQOS_RPC_URL={}", v["rpcUrl"].as_str().unwrap())));
    assert!(text.contains("PEAQOS_NETWORK=devnet"));
    assert_eq!(
        std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        !line.contains("PRIVATE_KEY")
            && !line
                .to_lowercase()
                .contains("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
        "no key on stdout"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = peaqos()
        .args(["devnet", "--block-time", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit 2");
    assert!(String::from_utf8_lossy(&out.stderr).contains("block-time"));
    let out = peaqos().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("devnet") && help.contains("demo"));
}
