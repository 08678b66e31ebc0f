//! `peaqos bench --fleet N`: fleet activation on an embedded devnet with a block time
//! ([`PeaqosClient::activate_fleet`]: pipelined nonces, machine-signed DID `batchAll`s), and
//! peaq's Python SDK's sequential loop on the same chain, printed side by side: machines,
//! blocks used and wall time. A measurement tool: it never asserts on timings.

use super::BenchArgs;
use crate::CliError;
use crate::ui::Ui;
use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use peaqos_sdk::{
    DataVisibility, FleetMachine, FleetOptions, PeaqosClient, PeaqosConfig, PrivateKey,
    ProxyListOutcome,
};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// peaq's SDK, one machine after the other, every call waiting for its receipt (what its
/// guides do): registerFor, mint, the machine's DID write; the operator's proxy list once at the
/// end (peaq's SDK only adds attributes: a second write of `machines` reverts
/// `AttributeAlreadyExist`).
const PEER_SCRIPT: &str = r#"
import json, sys, time
from peaq_os_sdk import PeaqosClient

cfg = json.load(sys.stdin)
kw = cfg["client"]
op = PeaqosClient(private_key=cfg["operator_key"], **kw)
op_id = op.register_machine()
op_did = "did:peaq:" + cfg["operator"]
b0 = op.w3.eth.block_number
t0 = time.monotonic()
ids = []
for m in cfg["machines"]:
    mid = op.register_for(m["address"])
    op.mint_nft(mid, m["address"])
    tok = op.token_id_of(mid)
    mc = PeaqosClient(private_key=m["key"], **kw)
    mc.write_machine_did_attributes(mid, tok, op_did, "https://docs.peaq.xyz/peaqos",
                                    kw["api_url"] + "/mcr/did:peaq:" + m["address"], "public")
    ids.append(mid)
op.write_proxy_did_attributes(op_id, ids)
print(json.dumps({"machines": len(ids), "seconds": time.monotonic() - t0,
                  "blocks": op.w3.eth.block_number - b0}))
"#;

fn wei(peaq: u64) -> U256 {
    U256::from(peaq) * U256::from(10u64).pow(U256::from(18))
}

/// Runs peaq's SDK loop for `n` machines with `python`; its figures, or why not.
async fn peer(
    python: Option<&Path>,
    handle: &peaqos_devnet::DevnetHandle,
    n: usize,
) -> Result<Value, String> {
    let python = python.ok_or(
        "no --peer-python given (the interpreter of a venv with peaq-os-sdk==0.1.0)".to_string(),
    )?;
    if !python.exists() {
        return Err(format!("{} does not exist", python.display()));
    }
    let operator = PrivateKeySigner::random();
    let machines: Vec<PrivateKeySigner> = (0..n).map(|_| PrivateKeySigner::random()).collect();
    // Funds set directly on the chain (no transaction, no block): bonds and gas for the
    // operator, gas and DID deposits for each machine.
    handle.node().write(|c| {
        c.set_balance(operator.address(), wei(10 + 2 * n as u64));
        for m in &machines {
            c.set_balance(m.address(), wei(1));
        }
    });
    let d = handle.deployment().contract_addresses();
    let cfg = json!({
        "client": {
            "rpc_url": handle.url(),
            "identity_registry": d.identity_registry.to_string(),
            "identity_staking": d.identity_staking.to_string(),
            "event_registry": d.event_registry.to_string(),
            "machine_nft": d.machine_nft.to_string(),
            "did_registry": d.did_registry.to_string(),
            "batch_precompile": d.batch_precompile.to_string(),
            "api_url": peaqos_types::constants::DEFAULT_MCR_API_URL,
        },
        "operator": operator.address().to_string(),
        "operator_key": PrivateKey::from(&operator).expose_hex(),
        "machines": machines.iter().map(|m| json!({
            "address": m.address().to_string(),
            "key": PrivateKey::from(m).expose_hex(),
        })).collect::<Vec<_>>(),
    });
    let python = python.to_path_buf();
    let input = cfg.to_string();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(&python)
            .arg("-c")
            .arg(PEER_SCRIPT)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .map_err(|e| format!("writing to the peer: {e}"))?;
        }
        child
            .wait_with_output()
            .map_err(|e| format!("the peer: {e}"))
    })
    .await
    .map_err(|e| format!("the peer's task: {e}"))??;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").to_string();
        return Err(format!("peaq's SDK loop failed: {last}"));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable peer output: {e}"))
}

async fn block_number(p: &alloy::providers::RootProvider) -> Result<u64, CliError> {
    p.get_block_number()
        .await
        .map_err(|e| CliError::network(format!("eth_blockNumber: {e}")))
}

/// Runs `bench --fleet N`.
pub(super) async fn run(args: &BenchArgs, n: u64, ui: &Ui) -> Result<(), CliError> {
    let block_time = Duration::from_secs_f64(args.block_time);
    let handle = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig {
        block_time: Some(block_time),
        ..peaqos_devnet::DevnetConfig::ephemeral()
    })
    .await
    .map_err(|e| CliError::network(format!("cannot start the embedded devnet: {e}")))?;
    let result = measure(args, n as usize, &handle, ui).await;
    handle
        .shutdown()
        .await
        .map_err(|e| CliError::network(format!("devnet shutdown: {e}")))?;
    result
}

async fn measure(
    args: &BenchArgs,
    n: usize,
    handle: &peaqos_devnet::DevnetHandle,
    ui: &Ui,
) -> Result<(), CliError> {
    let contracts = handle.deployment().contract_addresses();
    let operator = PrivateKeySigner::random();
    handle
        .node()
        .write(|c| c.set_balance(operator.address(), wei(10 + 2 * n as u64)));
    let cfg = PeaqosConfig::new(handle.url(), Some(PrivateKey::from(&operator)), contracts);
    let op = PeaqosClient::new(cfg)?;
    ui.info(format!(
        "devnet with {:.1} s blocks at {}; registering the operator",
        args.block_time,
        handle.url()
    ));
    op.register_machine().await?;
    let machines: Vec<FleetMachine> = (0..n)
        .map(|_| {
            let key = PrivateKey::from(&PrivateKeySigner::random());
            let data_api = format!(
                "{}/mcr/did:peaq:{}",
                peaqos_types::constants::DEFAULT_MCR_API_URL,
                key.address()
            );
            FleetMachine {
                key,
                documentation_url: "https://docs.peaq.xyz/peaqos".into(),
                data_api,
                data_visibility: DataVisibility::Public,
            }
        })
        .collect();

    let p = op.provider().clone();
    let b0 = block_number(&p).await?;
    let pb = ui.spinner(format!("activating {n} machines"));
    let t0 = Instant::now();
    let report = op
        .activate_fleet(
            &machines,
            &FleetOptions {
                concurrency: args.fleet_concurrency as usize,
                write_proxy_list: true,
                ..FleetOptions::default()
            },
            None,
        )
        .await?;
    let seconds = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let b1 = block_number(&p).await?;
    // The blocks that hold the fleet's transactions: from the first to the last.
    let mut first = None;
    let mut last = None;
    let mut txs = 0usize;
    let mut gas_used = 0u64;
    for b in b0 + 1..=b1 {
        let block = p
            .get_block_by_number(b.into())
            .await
            .map_err(|e| CliError::network(format!("eth_getBlockByNumber: {e}")))?;
        let (k, used) = block
            .map(|b| (b.transactions.len(), b.header.gas_used))
            .unwrap_or_default();
        gas_used += used;
        if k > 0 {
            first.get_or_insert(b);
            last = Some(b);
            txs += k;
        }
    }
    let blocks = match (first, last) {
        (Some(f), Some(l)) => l - f + 1,
        _ => 0,
    };
    let failed = report.failed().count();
    let proxy = match &report.proxy_list {
        ProxyListOutcome::Written { machines, .. } => format!("written ({machines} ids)"),
        ProxyListOutcome::Unchanged { machines } => format!("unchanged ({machines} ids)"),
        ProxyListOutcome::TooLarge { machines, bytes } => format!(
            "not written: {machines} ids are {bytes} bytes of JSON, over one DID attribute's 2560"
        ),
        ProxyListOutcome::Failed(e) => format!("failed: {e}"),
        ProxyListOutcome::Skipped => "skipped".into(),
    };
    // Why machines failed: "step: code" and how many.
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, f) in report.failed() {
        let why = f
            .error
            .code_str()
            .map(str::to_string)
            .unwrap_or_else(|| f.error.to_string().chars().take(120).collect());
        *reasons
            .entry(format!("{}: {why}", f.step.as_str()))
            .or_default() += 1;
    }
    let ours = json!({
        "failures": reasons,
        "machines": n,
        "activated": report.activated(),
        "failed": failed,
        "transactions": txs,
        "gasUsed": gas_used,
        "blocks": blocks,
        "seconds": seconds,
        "proxyList": proxy,
    });

    ui.info(format!(
        "peaq's SDK: sequential loop for {} machines",
        args.peer_machines
    ));
    let peer = peer(
        args.peer_python.as_deref(),
        handle,
        args.peer_machines as usize,
    )
    .await;
    if args.json {
        let peer_v = match &peer {
            Ok(v) => v.clone(),
            Err(why) => json!({"notMeasured": why}),
        };
        crate::outln!(
            "{}",
            json!({
                "blockTimeSeconds": args.block_time,
                "peaqos": ours,
                "peaqSdk": peer_v,
            })
        )?;
    } else {
        crate::outln!(
            "fleet activation, {:.1} s blocks (embedded devnet)",
            args.block_time
        )?;
        crate::outln!(
            "  peaqos activate_fleet: {n} machines ({} activated, {failed} failed), {txs} transactions in {blocks} blocks, {seconds:.1} s; proxy list {proxy}",
            report.activated()
        )?;
        for (why, k) in &reasons {
            crate::outln!("    {k} failed at {why}")?;
        }
        match &peer {
            Ok(v) => {
                let m = v["machines"].as_u64().unwrap_or(0).max(1);
                let b = v["blocks"].as_u64().unwrap_or(0);
                crate::outln!(
                    "  peaq's Python SDK loop: {m} machines in {b} blocks, {:.1} s ({:.1} blocks per machine: {} blocks for {n})",
                    v["seconds"].as_f64().unwrap_or(0.0),
                    b as f64 / m as f64,
                    (b as f64 / m as f64 * n as f64).round()
                )?;
            }
            Err(why) => crate::outln!("  peaq's Python SDK loop: not measured: {why}")?,
        }
    }
    Ok(())
}
