//! `peaqos bench`: transaction throughput of a local chain (the embedded devnet by default).
//!
//! Every transaction is signed before the clock starts; the timed section only sends the raw
//! transactions over HTTP (at most `--concurrency` in flight) and waits until each sender's last
//! nonce is mined. This is a measurement tool: it never asserts on timings.

use crate::CliError;
use crate::ui::Ui;
use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::BlockNumberOrTag;
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::providers::{Provider, RootProvider};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use alloy::transports::http::reqwest::Url;
use clap::{Args, ValueEnum};
use peaqos_contracts::{Deployment, DeploymentPlan, EventRegistry, IdentityRegistry};
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Gas limit of every transfer.
const TRANSFER_GAS: u64 = 21_000;
/// Gas limit of every registration (untimed setup).
const REGISTER_GAS: u64 = 1_000_000;
/// Gas limit of every `submitEvent` (a fixed limit, well above what a revenue event uses).
const EVENT_GAS: u64 = 500_000;
/// Recipient of the transfers (an address nobody holds a key for).
const SINK: Address = Address::new([0x5e; 20]);
/// How long the timed section may wait for the last transactions to be mined.
const MINE_DEADLINE: Duration = Duration::from_secs(300);
/// Give up waiting when no sender's nonce moved for this long (a stalled node).
const STALL: Duration = Duration::from_secs(10);
/// Dev accounts funded by the devnet (and by anvil).
const MAX_SENDERS: usize = 10;

/// What each benchmark transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// A 1 wei native transfer (21,000 gas).
    Transfer,
    /// `EventRegistry.submitEvent` (a USD revenue event) from a registered machine.
    Event,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Event => "event",
        }
    }
}

/// Measure transaction throughput of a local chain.
///
/// Without --rpc an embedded devnet is started on a free loopback port. Senders are the dev
/// accounts of the mnemonic "test test … junk" (m/44'/60'/0'/0/i); every transaction is
/// pre-signed (EIP-1559, fixed gas limit, explicit nonces) before the clock starts.
///
/// Examples:
///   peaqos bench                                   # 2000 transfers on an embedded devnet
///   peaqos bench --workload event --json           # 2000 submitEvent calls, JSON figures
///   peaqos bench --rpc http://127.0.0.1:8545       # transfers against a local node (e.g. anvil)
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct BenchArgs {
    /// JSON-RPC URL of a node on this machine (loopback only). Default: an embedded devnet.
    #[arg(long, value_name = "URL")]
    rpc: Option<String>,
    /// Transactions to send.
    #[arg(long, value_enum, default_value_t = Workload::Transfer)]
    workload: Workload,
    /// Number of transactions in the timed section.
    #[arg(long, default_value_t = 2000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    txs: u64,
    /// Most eth_sendRawTransaction requests in flight at once.
    #[arg(long, default_value_t = 32, value_name = "C", value_parser = clap::value_parser!(u64).range(1..=4096))]
    concurrency: u64,
    /// Number of sending dev accounts (1..10), used round-robin.
    #[arg(long, default_value_t = 8, value_name = "S", value_parser = clap::value_parser!(u64).range(1..=MAX_SENDERS as u64))]
    senders: u64,
    /// Send each sender's transactions strictly in nonce order (at most one request in flight
    /// per sender, so at most min(C, S) in flight). For nodes whose pool mishandles nonces that
    /// arrive out of order (anvil's auto-miner can leave such transactions unmined).
    #[arg(long)]
    ordered: bool,
    /// Print one JSON object with the figures.
    #[arg(long)]
    json: bool,
}

/// What a send task reports: transaction index, the node's answer, request latency.
type SendOutcome = (usize, Result<B256, String>, Duration);
/// What a receipt task reports: transaction index, then (status, gas used) if a receipt came.
type ReceiptOutcome = (usize, Result<Option<(bool, u64)>, String>);

/// One pre-signed transaction.
struct Signed {
    raw: Bytes,
    hash: B256,
    sender: usize,
}

/// Checks that `url` points at this machine: 127.0.0.0/8, `localhost` or `[::1]`.
fn loopback_url(url: &str) -> Result<Url, CliError> {
    let parsed: Url = url
        .parse()
        .map_err(|e| CliError::user(format!("invalid --rpc URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(CliError::user(format!(
            "--rpc must be an http(s) URL, got {url:?}"
        )));
    }
    let host = parsed.host_str().unwrap_or_default();
    let ok = host.eq_ignore_ascii_case("localhost")
        || match host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            Ok(IpAddr::V4(ip)) => ip.is_loopback(),
            Ok(IpAddr::V6(ip)) => ip == Ipv6Addr::LOCALHOST,
            Err(_) => false,
        };
    if !ok {
        return Err(CliError::user(format!(
            "refusing to benchmark {url}: `peaqos bench` only sends load to this machine \
             (127.0.0.0/8, localhost or [::1])"
        )));
    }
    Ok(parsed)
}

fn net_err(what: &str) -> impl Fn(alloy::transports::TransportError) -> CliError + '_ {
    move |e| CliError::network(format!("{what}: {e}"))
}

fn sign(signer: &PrivateKeySigner, tx: TxEip1559, sender: usize) -> Result<Signed, CliError> {
    let sig = signer
        .sign_hash_sync(&tx.signature_hash())
        .map_err(|e| CliError::user(format!("cannot sign a transaction: {e}")))?;
    let envelope: TxEnvelope = tx.into_signed(sig).into();
    Ok(Signed {
        raw: envelope.encoded_2718().into(),
        hash: *envelope.tx_hash(),
        sender,
    })
}

/// Fees for EIP-1559 transactions: tip from the node, max fee = 2 × latest base fee + tip.
async fn fees(p: &RootProvider) -> Result<(u128, u128), CliError> {
    let block = p
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .map_err(net_err("eth_getBlockByNumber"))?
        .ok_or_else(|| CliError::network("the node has no latest block"))?;
    let base = u128::from(block.header.base_fee_per_gas.unwrap_or_default());
    let tip = p
        .get_max_priority_fee_per_gas()
        .await
        .map_err(net_err("eth_maxPriorityFeePerGas"))?;
    Ok((2 * base + tip, tip))
}

async fn latest_timestamp(p: &RootProvider) -> Result<u64, CliError> {
    Ok(p.get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .map_err(net_err("eth_getBlockByNumber"))?
        .ok_or_else(|| CliError::network("the node has no latest block"))?
        .header
        .timestamp)
}

/// Waits (bounded) for a receipt; `Ok(None)` when it never came.
async fn receipt(
    p: &RootProvider,
    hash: B256,
    tries: u32,
) -> Result<Option<alloy::rpc::types::TransactionReceipt>, CliError> {
    for _ in 0..tries {
        if let Some(r) = p
            .get_transaction_receipt(hash)
            .await
            .map_err(net_err("eth_getTransactionReceipt"))?
        {
            return Ok(Some(r));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(None)
}

/// Untimed setup of the `event` workload: one registered machine per sender. Returns machine ids.
async fn register_machines(
    p: &RootProvider,
    signers: &[PrivateKeySigner],
    d: &Deployment,
    chain_id: u64,
    ui: &Ui,
) -> Result<Vec<U256>, CliError> {
    let registry = IdentityRegistry::new(d.identity_registry, p);
    let bond = registry
        .minBond()
        .call()
        .await
        .map_err(|e| CliError::network(format!("IdentityRegistry.minBond: {e}")))?;
    let (max_fee, tip) = fees(p).await?;
    let mut sent = Vec::new();
    for (i, s) in signers.iter().enumerate() {
        let id = registry
            .machineIdOf(s.address())
            .call()
            .await
            .map_err(|e| CliError::network(format!("machineIdOf: {e}")))?;
        if !id.is_zero() {
            continue;
        }
        let nonce = p
            .get_transaction_count(s.address())
            .await
            .map_err(net_err("eth_getTransactionCount"))?;
        let tx = TxEip1559 {
            chain_id,
            nonce,
            gas_limit: REGISTER_GAS,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(d.identity_registry),
            value: bond,
            input: IdentityRegistry::registerCall {}.abi_encode().into(),
            ..Default::default()
        };
        let signed = sign(s, tx, i)?;
        p.raw_request::<_, B256>("eth_sendRawTransaction".into(), (signed.raw.clone(),))
            .await
            .map_err(net_err("register: eth_sendRawTransaction"))?;
        sent.push(signed.hash);
    }
    let pb = ui.spinner(format!("waiting for {} registration(s)", sent.len()));
    for hash in sent {
        match receipt(p, hash, 1500).await? {
            Some(r) if r.status() => {}
            Some(_) => return Err(CliError::network(format!("registration {hash} reverted"))),
            None => {
                return Err(CliError::network(format!(
                    "registration {hash} was not mined within 30 s"
                )));
            }
        }
    }
    pb.finish_and_clear();
    let mut ids = Vec::with_capacity(signers.len());
    for s in signers {
        let id = registry
            .machineIdOf(s.address())
            .call()
            .await
            .map_err(|e| CliError::network(format!("machineIdOf: {e}")))?;
        if id.is_zero() {
            return Err(CliError::network(format!(
                "{} is not registered after its registration",
                s.address()
            )));
        }
        ids.push(id);
    }
    ui.info(format!(
        "registered {} machine(s) (bond {bond} wei each)",
        ids.len()
    ));
    Ok(ids)
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the benchmark.
pub async fn run(args: BenchArgs, ui: &Ui) -> Result<(), CliError> {
    let senders = args.senders as usize;
    let n = args.txs as usize;
    let concurrency = args.concurrency as usize;
    let signers: Vec<PrivateKeySigner> = (0..senders as u32)
        .map(peaqos_devnet::genesis::dev_signer)
        .collect();

    // Target: an embedded devnet, or a loopback node.
    let (url, devnet, deployment) = match &args.rpc {
        Some(u) => {
            let url = loopback_url(u)?;
            let owner = peaqos_devnet::genesis::dev_signer(0).address();
            let plan = DeploymentPlan::new(
                owner,
                0,
                peaqos_types::constants::MIN_BOND_WEI,
                peaqos_types::constants::DEFAULT_MCR_API_URL,
            );
            (url, None, plan.deployment)
        }
        None => {
            let handle = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral())
                .await
                .map_err(|e| CliError::network(format!("cannot start the embedded devnet: {e}")))?;
            let url: Url = handle
                .url()
                .parse()
                .map_err(|e| CliError::network(format!("devnet url: {e}")))?;
            let d = handle.deployment();
            (url, Some(handle), d)
        }
    };
    let target = match &devnet {
        Some(h) => format!("embedded devnet ({})", h.url()),
        None => url.to_string(),
    };
    let result = bench(
        &args,
        &url,
        &target,
        &signers,
        &deployment,
        n,
        concurrency,
        ui,
    )
    .await;
    if let Some(h) = devnet {
        h.shutdown()
            .await
            .map_err(|e| CliError::network(format!("devnet shutdown: {e}")))?;
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn bench(
    args: &BenchArgs,
    url: &Url,
    target: &str,
    signers: &[PrivateKeySigner],
    deployment: &Deployment,
    n: usize,
    concurrency: usize,
    ui: &Ui,
) -> Result<(), CliError> {
    let senders = signers.len();
    let p = RootProvider::new_http(url.clone());
    let chain_id = p
        .get_chain_id()
        .await
        .map_err(net_err(&format!("eth_chainId on {url}")))?;
    let client_version: Option<String> = p.get_client_version().await.ok();

    // Untimed setup.
    let machine_ids = match args.workload {
        Workload::Transfer => Vec::new(),
        Workload::Event => {
            for (name, a) in [
                ("IdentityRegistry", deployment.identity_registry),
                ("EventRegistry", deployment.event_registry),
            ] {
                let code = p.get_code_at(a).await.map_err(net_err("eth_getCode"))?;
                if code.is_empty() {
                    return Err(CliError::user(format!(
                        "no {name} at the devnet address {a} on {url}: the event workload needs the peaqOS \
                         contracts where `peaqos devnet` deploys them; use --workload transfer"
                    )));
                }
            }
            register_machines(&p, signers, deployment, chain_id, ui).await?
        }
    };
    let (max_fee, tip) = fees(&p).await?;
    let mut nonces = Vec::with_capacity(senders);
    for s in signers {
        nonces.push(
            p.get_transaction_count(s.address())
                .await
                .map_err(net_err("eth_getTransactionCount"))?,
        );
    }
    let timestamp = latest_timestamp(&p).await?;
    let sign_started = Instant::now();
    let mut txs = Vec::with_capacity(n);
    let mut next = nonces.clone();
    let pb = ui.progress(n as u64, "signing");
    for k in 0..n {
        let i = k % senders;
        let (to, gas_limit, value, input) = match args.workload {
            Workload::Transfer => (SINK, TRANSFER_GAS, U256::from(1), Bytes::new()),
            Workload::Event => {
                let call = EventRegistry::submitEventCall {
                    machineId: machine_ids[i],
                    eventType: 0,
                    value: U256::from(100 + k as u64),
                    currency: "USD".into(),
                    timestamp: U256::from(timestamp),
                    dataHash: B256::ZERO,
                    trustLevel: 0,
                    sourceChainId: U256::ZERO,
                    sourceTxHash: B256::ZERO,
                    metadata: Bytes::new(),
                };
                (
                    deployment.event_registry,
                    EVENT_GAS,
                    U256::ZERO,
                    call.abi_encode().into(),
                )
            }
        };
        let tx = TxEip1559 {
            chain_id,
            nonce: next[i],
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(to),
            value,
            input,
            ..Default::default()
        };
        next[i] += 1;
        txs.push(sign(&signers[i], tx, i)?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let sign_secs = sign_started.elapsed().as_secs_f64();
    if !args.json {
        ui.info(format!(
            "signed {n} {} transactions in {sign_secs:.2} s; sending to {target} ({concurrency} in flight, {senders} senders)",
            args.workload.name()
        ));
    }

    let raws: Vec<Bytes> = txs.iter().map(|t| t.raw.clone()).collect();

    // Timed section: send everything with at most `concurrency` requests in flight…
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(n);
    // Messages for the user, and which transactions failed (each counted once).
    let mut failures: Vec<String> = Vec::new();
    let mut send_failed = vec![false; n];
    let mut unknown_failed = 0usize;
    let mut set: JoinSet<SendOutcome> = JoinSet::new();
    let pb = ui.progress(n as u64, "eth_sendRawTransaction");
    let mut collect = |r: Result<SendOutcome, tokio::task::JoinError>,
                       failures: &mut Vec<String>|
     -> Option<usize> {
        pb.inc(1);
        match r {
            Ok((k, res, lat)) => {
                latencies.push(lat);
                match res {
                    Ok(h) if h == txs[k].hash => {}
                    Ok(h) => {
                        send_failed[k] = true;
                        failures.push(format!(
                            "tx {k}: node returned hash {h}, expected {}",
                            txs[k].hash
                        ))
                    }
                    Err(e) => {
                        send_failed[k] = true;
                        failures.push(format!("tx {k} (sender {}): {e}", txs[k].sender))
                    }
                }
                Some(txs[k].sender)
            }
            Err(e) => {
                unknown_failed += 1;
                failures.push(format!("send task failed: {e}"));
                None
            }
        }
    };
    let mut busy = vec![false; senders];
    for (k, raw) in raws.into_iter().enumerate() {
        let sender = k % senders;
        while set.len() >= concurrency || (args.ordered && busy[sender]) {
            match set.join_next().await {
                Some(r) => {
                    if let Some(i) = collect(r, &mut failures) {
                        busy[i] = false;
                    }
                }
                None => busy.iter_mut().for_each(|b| *b = false),
            }
        }
        busy[sender] = true;
        let p = p.clone();
        set.spawn(async move {
            let t = Instant::now();
            let res = p
                .raw_request::<_, B256>("eth_sendRawTransaction".into(), (raw,))
                .await
                .map_err(|e| e.to_string());
            (k, res, t.elapsed())
        });
    }
    while let Some(r) = set.join_next().await {
        collect(r, &mut failures);
    }
    pb.finish_and_clear();
    let sent_secs = started.elapsed().as_secs_f64();
    // …then wait until the last nonce of every sender is mined (bounded).
    let mut pending: Vec<usize> = (0..senders).filter(|&i| next[i] > nonces[i]).collect();
    let deadline = started + MINE_DEADLINE;
    let mut mined_now = nonces.clone();
    let mut progress_at = Instant::now();
    let pb = ui.progress(n as u64, "mined");
    while !pending.is_empty() {
        let mut still = Vec::new();
        for &i in &pending {
            let mined = p
                .get_transaction_count(signers[i].address())
                .await
                .map_err(net_err("eth_getTransactionCount"))?;
            if mined != mined_now[i] {
                mined_now[i] = mined;
                progress_at = Instant::now();
            }
            if mined < next[i] {
                still.push(i);
            }
        }
        pending = still;
        pb.set_position((0..senders).map(|i| mined_now[i] - nonces[i]).sum());
        if pending.is_empty() {
            break;
        }
        if progress_at.elapsed() >= STALL {
            let unmined: u64 = pending.iter().map(|&i| next[i] - mined_now[i]).sum();
            failures.push(format!(
                "stalled: {unmined} accepted transaction(s) of senders {pending:?} were not mined and no nonce \
                 moved for {} s (the node's pool holds them; with anvil, try --ordered)",
                STALL.as_secs()
            ));
            break;
        }
        if Instant::now() >= deadline {
            failures.push(format!(
                "senders {pending:?} still had unmined transactions {} s after the start",
                MINE_DEADLINE.as_secs()
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    pb.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();

    // Untimed: every receipt (status, and gas for events).
    let mut gas: Vec<u64> = Vec::with_capacity(n);
    let mut set: JoinSet<ReceiptOutcome> = JoinSet::new();
    let mut receipt_failed = 0usize;
    let pb = ui.progress(
        send_failed.iter().filter(|&&f| !f).count() as u64,
        "receipts",
    );
    let mut collect_receipt = |r: Result<ReceiptOutcome, tokio::task::JoinError>,
                               failures: &mut Vec<String>| {
        pb.inc(1);
        let msg = match r {
            Ok((_, Ok(Some((true, g))))) => {
                gas.push(g);
                return;
            }
            Ok((k, Ok(Some((false, g))))) => {
                format!("tx {k} ({}) reverted (gas used {g})", txs[k].hash)
            }
            Ok((k, Ok(None))) => format!("tx {k} ({}): no receipt", txs[k].hash),
            Ok((k, Err(e))) => format!("tx {k}: eth_getTransactionReceipt: {e}"),
            Err(e) => format!("receipt task failed: {e}"),
        };
        receipt_failed += 1;
        failures.push(msg);
    };
    for k in (0..n).filter(|&k| !send_failed[k]) {
        while set.len() >= concurrency {
            if let Some(r) = set.join_next().await {
                collect_receipt(r, &mut failures);
            }
        }
        let p = p.clone();
        let hash = txs[k].hash;
        set.spawn(async move {
            let r = receipt(&p, hash, 10)
                .await
                .map(|o| o.map(|r| (r.status(), r.gas_used)))
                .map_err(|e| e.message);
            (k, r)
        });
    }
    while let Some(r) = set.join_next().await {
        collect_receipt(r, &mut failures);
    }
    pb.finish_and_clear();

    let failed = send_failed.iter().filter(|&&f| f).count() + unknown_failed + receipt_failed;
    latencies.sort_unstable();
    let p50 = percentile(&latencies, 0.50);
    let p99 = percentile(&latencies, 0.99);
    let tps = n as f64 / secs;
    let gas_stats = (args.workload == Workload::Event && !gas.is_empty()).then(|| {
        let min = *gas.iter().min().unwrap_or(&0);
        let max = *gas.iter().max().unwrap_or(&0);
        let mean = gas.iter().sum::<u64>() as f64 / gas.len() as f64;
        (min, mean, max)
    });

    if args.json {
        let mut v = serde_json::json!({
            "target": target,
            "clientVersion": client_version,
            "chainId": chain_id,
            "workload": args.workload.name(),
            "txs": n,
            "senders": senders,
            "concurrency": concurrency,
            "ordered": args.ordered,
            "seconds": secs,
            "sendSeconds": sent_secs,
            "txPerSec": tps,
            "sendLatencyP50Ms": ms(p50),
            "sendLatencyP99Ms": ms(p99),
            "failures": failed,
            "failureMessages": failures.iter().take(20).collect::<Vec<_>>(),
            "signSeconds": sign_secs,
        });
        if let Some((min, mean, max)) = gas_stats {
            v["gasPerEvent"] = serde_json::json!({ "min": min, "mean": mean, "max": max });
        }
        println!("{v}");
    } else {
        println!(
            "peaqos bench: {} on {target}{}",
            args.workload.name(),
            client_version
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default()
        );
        println!("  chain id          {chain_id}");
        println!(
            "  txs               {n} ({senders} senders, {concurrency} in flight{})",
            if args.ordered {
                ", in nonce order per sender"
            } else {
                ""
            }
        );
        println!("  seconds           {secs:.3} (all sent after {sent_secs:.3})");
        println!("  tx/s              {tps:.0}");
        println!("  send latency p50  {:.2} ms", ms(p50));
        println!("  send latency p99  {:.2} ms", ms(p99));
        println!("  failures          {failed}");
        if let Some((min, mean, max)) = gas_stats {
            println!("  gas per event     min {min} / mean {mean:.0} / max {max}");
        }
    }
    if !failures.is_empty() {
        for f in failures.iter().take(20) {
            eprintln!("failure: {f}");
        }
        if failures.len() > 20 {
            eprintln!("… and {} more", failures.len() - 20);
        }
        return Err(CliError::network(format!(
            "{failed} of {n} transactions failed"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_accepted() {
        for ok in [
            "http://127.0.0.1:8545",
            "http://127.1.2.3:1",
            "http://localhost:8545/",
            "http://[::1]:8545",
            "https://LOCALHOST",
        ] {
            assert!(loopback_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:8545",
            "http://example.com",
            "http://[::2]:1",
            "ws://127.0.0.1:8545",
            "nonsense",
            "http://0.0.0.0:8545",
        ] {
            assert!(loopback_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentiles_pick_ranks() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn bench_args_parse() {
        use clap::Parser;
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            a: BenchArgs,
        }
        let t = T::try_parse_from(["t", "--workload", "event", "--txs", "10", "--json"]).unwrap();
        assert_eq!(t.a.workload, Workload::Event);
        assert_eq!((t.a.txs, t.a.concurrency, t.a.senders), (10, 32, 8));
        assert!(T::try_parse_from(["t", "--senders", "11"]).is_err());
    }
}
