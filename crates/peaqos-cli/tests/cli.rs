//! The `peaqos` binary as a user runs it: demo, up, devnet, usage errors.

mod common;

use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[test]
fn demo_rates_a_fleet_with_distinct_stories() {
    let out = peaqos()
        .args(["demo", "--machines", "7", "--json"])
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(v["operator"]["fleetSize"], 7);
    let ms = v["machines"].as_array().unwrap();
    assert_eq!(ms.len(), 8, "7 via registerFor + 1 self-managed");
    let by = |story: &str| {
        ms.iter()
            .find(|m| m["story"] == story)
            .unwrap_or_else(|| panic!("{story}"))
    };
    let steady = &by("steady earner (USD)")["mcr"];
    assert_eq!(steady["revenue_event_count"], 90);
    assert_eq!(steady["bond_status"], "bonded");
    assert_eq!(by("activity-only sensor")["mcr"]["revenue_event_count"], 0);
    assert_eq!(by("flagged by admin")["mcr"]["negative_flag"], true);
    assert_eq!(steady["negative_flag"], false);
    assert_eq!(by("dormant 60+ days")["mcr"]["revenue_event_count"], 30);
    assert!(
        by("reports in JPY")["mcr"]["total_revenue"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(by("self-managed (EUR)")["operatorListed"], false);
    assert!(
        ms.iter()
            .filter(|m| m["story"] != "self-managed (EUR)")
            .all(|m| m["operatorListed"] == true)
    );
    // the stories' revenue shapes read as trends
    assert_eq!(by("growing revenue")["mcr"]["revenue_trend"], "up");
    assert_eq!(by("declining revenue")["mcr"]["revenue_trend"], "down");
    assert_eq!(steady["revenue_trend"], "stable");
    // the flag costs points
    assert!(by("flagged by admin")["mcr"]["mcr_score"].as_u64() < steady["mcr_score"].as_u64());
    let err = stderr(&out);
    assert!(err.contains("[1/9]") && err.contains("[9/9]"), "{err}");
    assert_plain(&out);
}

/// No spinner or bar frames (`\r`, ANSI escapes) when stderr is not a terminal.
fn assert_plain(out: &std::process::Output) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.iter().any(|b| *b == b'\r' || *b == 0x1b),
            "control characters on {name}: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn progress_is_not_drawn_into_pipes() {
    // `bench` (progress bars over signing, sending, mining, receipts; a spinner over the
    // event workload's registrations) with stdout and stderr piped.
    for workload in ["transfer", "event"] {
        let out = peaqos()
            .args([
                "bench",
                "--txs",
                "60",
                "--senders",
                "3",
                "--workload",
                workload,
            ])
            .output()
            .unwrap();
        expect_code(&out, 0);
        assert_plain(&out);
        let text = stdout(&out);
        assert!(
            text.starts_with(&format!("peaqos bench: {workload} on embedded devnet"))
                && text.contains("  failures          0\n"),
            "{text}"
        );
        assert!(stderr(&out).contains("signed 60"), "{}", stderr(&out));
    }
    // -q: nothing at all on stderr
    let out = peaqos()
        .args(["-q", "bench", "--txs", "20", "--json"])
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(v["failures"], 0);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn up_serves_the_stack_and_writes_a_private_env() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("up.env");
    let mut child = peaqos()
        .args([
            "up",
            "--devnet-port",
            "0",
            "--mcr-port",
            "0",
            "--gas-station-port",
            "0",
            "--json",
            "--env-out",
        ])
        .arg(&env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert_eq!(v["status"], "ready");
    let text = std::fs::read_to_string(&env).unwrap();
    assert_eq!(mode(&env), 0o600);
    assert!(text.contains(&format!(
        "PEAQOS_MCR_API_URL={}",
        v["mcrApiUrl"].as_str().unwrap()
    )));
    assert!(text.contains(&format!(
        "PEAQOS_GAS_STATION_URL={}",
        v["gasStationUrl"].as_str().unwrap()
    )));
    // the written env works for the other commands
    let w = peaqos()
        .arg("--env-file")
        .arg(&env)
        .args(["whoami", "--json"])
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(json(&w)["chainId"], 31337);
}

#[test]
fn devnet_starts_writes_a_private_env_file_and_reports_ready() {
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
    assert_eq!(mode(&env), 0o600);
    assert!(
        !line.contains("PRIVATE_KEY")
            && !line
                .to_lowercase()
                .contains("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
        "no key on stdout"
    );
}

#[test]
fn bad_flags_are_user_errors_and_help_succeeds() {
    let out = peaqos()
        .args(["devnet", "--block-time", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "usage errors exit 1");
    assert!(stderr(&out).contains("block-time"));
    let out = peaqos()
        .args(["qualify", "event", "--machine-id", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = peaqos().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for c in [
        "init", "whoami", "activate", "qualify", "show", "up", "demo", "devnet",
    ] {
        assert!(help.contains(c), "{c} in help");
    }
    let v = peaqos().arg("--version").output().unwrap();
    assert_eq!(v.status.code(), Some(0));
    assert!(stdout(&v).starts_with("peaqos "));
    // a malformed env file is a configuration error
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join(".env");
    std::fs::write(&bad, "THIS IS NOT=\"closed\n").unwrap();
    let o = peaqos()
        .arg("--env-file")
        .arg(&bad)
        .arg("whoami")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}
