//! `peaqos bench --target mcr|gas-station`: the load modes run bounded, answer every request
//! and report their figures (small counts here; docs/RELIABILITY.md has the real load).

use crate::common::*;
use serde_json::Value;

fn runs(args: &[&str]) -> Vec<Value> {
    let out = peaqos().args(args).output().unwrap();
    expect_code(&out, 0);
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn the_load_modes_answer_every_request() {
    let mcr = runs(&[
        "bench",
        "--target",
        "mcr",
        "--requests",
        "60",
        "--concurrency",
        "8",
        "--json",
    ]);
    // nginx's row (measured, or "not measured" without nginx) sits between ours
    let ours: Vec<&Value> = mcr
        .iter()
        .filter(|r| r["target"].as_str().unwrap().starts_with("mcr "))
        .collect();
    let targets: Vec<&str> = ours.iter().map(|r| r["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["mcr cached", "mcr uncached"]);
    for r in ours {
        assert_eq!(
            (r["requests"].as_u64(), r["errors"].as_u64()),
            (Some(60), Some(0)),
            "{r}"
        );
        assert!(
            r["p99Ms"].as_f64().unwrap() >= r["p50Ms"].as_f64().unwrap(),
            "{r}"
        );
    }
    let gs = runs(&[
        "bench",
        "--target",
        "gas-station",
        "--requests",
        "6",
        "--concurrency",
        "6",
        "--json",
    ]);
    assert_eq!(gs.len(), 1);
    assert_eq!(gs[0]["target"], "gas-station fundings");
    assert_eq!(
        (gs[0]["requests"].as_u64(), gs[0]["errors"].as_u64()),
        (Some(6), Some(0)),
        "{}",
        gs[0]
    );
    assert_eq!(gs[0]["errorKinds"], serde_json::json!({}), "{}", gs[0]);
    // the modes exclude the chain target
    let out = peaqos()
        .args(["bench", "--target", "mcr", "--rpc", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn the_mcr_load_mode_runs_for_a_duration() {
    let mcr = runs(&[
        "bench",
        "--target",
        "mcr",
        "--duration",
        "1",
        "--concurrency",
        "2",
        "--json",
    ]);
    let ours: Vec<&Value> = mcr
        .iter()
        .filter(|r| r["target"].as_str().unwrap().starts_with("mcr "))
        .collect();
    assert_eq!(ours.len(), 2, "{mcr:?}");
    for r in ours {
        // it ran, it stopped (the command returned), and every request was answered
        assert!(r["requests"].as_u64().unwrap() >= 1, "{r}");
        assert_eq!(r["errors"].as_u64(), Some(0), "{r}");
        assert_eq!(r["errorKinds"], serde_json::json!({}), "{r}");
        assert_eq!(r["concurrency"].as_u64(), Some(2), "{r}");
        assert!(r["seconds"].as_f64().unwrap() > 0.0, "{r}");
        assert!(
            r["p99Ms"].as_f64().unwrap() >= r["p50Ms"].as_f64().unwrap(),
            "{r}"
        );
    }
}

#[test]
fn duration_is_refused_with_requests_out_of_range_and_for_the_gas_station() {
    for args in [
        &["--target", "mcr", "--requests", "5", "--duration", "1"][..],
        &["--target", "mcr", "--duration", "0"],
        &["--target", "mcr", "--duration", "3601"],
        &["--duration", "1"],
    ] {
        let out = peaqos().arg("bench").args(args).output().unwrap();
        expect_code(&out, 1);
        assert!(
            stderr(&out).contains("--duration"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
    let out = peaqos()
        .args(["bench", "--target", "gas-station", "--duration", "1"])
        .output()
        .unwrap();
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("--duration applies to --target mcr"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn peer_python_is_refused_outside_fleet_and_suite() {
    for args in [
        &["--peer-python", "venv/bin/python"][..],
        &["--target", "mcr", "--peer-python", "venv/bin/python"],
    ] {
        let out = peaqos().arg("bench").args(args).output().unwrap();
        expect_code(&out, 1);
        assert!(
            stderr(&out).contains("--peer-python is for --fleet N or --suite"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
}
