//! The `peaqos` binary as a user runs it: demo, up, devnet, usage errors.

use crate::common::*;
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
    // 7 via registerFor and the smart-account machine, also registered by the operator
    assert_eq!(v["operator"]["fleetSize"], 8);
    let ms = v["machines"].as_array().unwrap();
    assert_eq!(
        ms.len(),
        9,
        "7 via registerFor + 1 self-managed + 1 smart account"
    );
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
    // the devnet pins the shipped ECB table: today's JPY and EUR revenue is not FX-degraded
    // (docs/MCR-MODEL.md, "Fresh rates and the staleness rule")
    for story in ["reports in JPY", "self-managed (EUR)"] {
        assert_eq!(by(story)["mcr"]["mcr_degraded"], false, "{story}");
    }
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
    // the smart-account machine: its history came through UserOperations, its key was rotated
    let account = by("smart account (ERC-4337)");
    assert!(
        account["userOperations"].as_u64().unwrap() >= 2,
        "{account}"
    );
    assert_eq!(account["mcr"]["bond_status"], "bonded");
    assert_eq!(account["mcr"]["revenue_event_count"], 90);
    assert_eq!(
        account["mcr"]["activity_event_count"], 91,
        "90 + the new key's heartbeat"
    );
    let err = stderr(&out);
    assert!(err.contains("[1/10]") && err.contains("[10/10]"), "{err}");
    assert!(err.contains("old machine key is refused"), "{err}");
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
            "--bundler-port",
            "0",
            "--base-port",
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

/// A one-answer MCR API stub on 127.0.0.1: every request gets `body` as JSON.
fn mcr_stub(body: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_closed_stdout_ends_show_normally() {
    // `peaqos show ... | head -1`: the reader is gone before the command writes (the read end of
    // the pipe is closed before the process starts, so every write fails with EPIPE).
    let url = mcr_stub(
        r#"{"operator_did":"did:peaq:0x1111111111111111111111111111111111111111","machines":[{"did":"did:peaq:0x2222222222222222222222222222222222222222","machine_id":2,"mcr_score":80,"mcr":"A","negative_flag":false}],"pagination":{"offset":0,"limit":20,"total":1}}"#,
    );
    for json in [false, true] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut c = peaqos();
        c.args([
            "show",
            "operator",
            "machines",
            "did:peaq:0x1111111111111111111111111111111111111111",
        ])
        .env("PEAQOS_MCR_API_URL", &url)
        .stdout(writer)
        .stderr(Stdio::piped());
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.is_empty(), "nothing to report: {err}");
    }
}

#[test]
fn a_bare_peaqos_and_a_missing_subcommand_are_usage_errors() {
    let out = peaqos().output().unwrap();
    assert_eq!(out.status.code(), Some(1), "bare peaqos exits 1");
    assert!(stderr(&out).contains("Usage: peaqos"), "{}", stderr(&out));
    let out = peaqos().arg("qualify").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = peaqos().args(["show", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "unknown flag: 1, not clap's 2");
    assert_eq!(
        peaqos_cli::parse_exit_code(clap::error::ErrorKind::DisplayHelp),
        0
    );
    assert_eq!(
        peaqos_cli::parse_exit_code(clap::error::ErrorKind::UnknownArgument),
        1
    );
}

#[test]
fn peaqos_log_in_the_env_file_takes_effect() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".env");
    std::fs::write(&file, "PEAQOS_LOG=peaqos=debug\n").unwrap();
    let out = peaqos()
        .arg("--env-file")
        .arg(&file)
        .arg("whoami")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "no key configured");
    let err = stderr(&out);
    assert!(
        err.contains("DEBUG") && err.contains("read the env file"),
        "the file's PEAQOS_LOG=peaqos=debug shows debug events: {err}"
    );
    // the shell still wins over the file
    let out = peaqos()
        .arg("--env-file")
        .arg(&file)
        .arg("whoami")
        .env("PEAQOS_LOG", "error")
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("DEBUG"), "{}", stderr(&out));
}
