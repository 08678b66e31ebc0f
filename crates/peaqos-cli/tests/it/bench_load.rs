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
    let targets: Vec<&str> = mcr.iter().map(|r| r["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["mcr cached", "mcr uncached"]);
    for r in &mcr {
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
    // the modes exclude the chain target
    let out = peaqos()
        .args(["bench", "--target", "mcr", "--rpc", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
}
