//! `peaqos bench`: transaction throughput of a local chain (the embedded devnet by default).
//!
//! Every transaction is signed before the clock starts, through the SDK's pipeline (one
//! [`PeaqosClient`] per sender: its nonce manager reserves the nonces, its fee and gas policy
//! price them); the timed section only sends the signed transactions over HTTP (at most
//! `--concurrency` in flight) and waits until each sender's last nonce is mined. This is a
//! measurement tool: it never asserts on timings.

mod fleet;
mod load;
mod suite;

pub use load::LoadTarget;

use crate::CliError;
use crate::ui::Ui;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use alloy::transports::http::reqwest::Url;
use clap::{Args, ValueEnum};
use peaqos_contracts::{Deployment, DeploymentPlan, EventRegistry};
use peaqos_sdk::{PeaqosClient, PeaqosConfig, PrivateKey, SignedTx, TxCall};
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

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
/// pre-signed through the SDK's pipeline (EIP-1559 fees, the estimate of each sender's first
/// transaction x1.2 as gas limit, nonces reserved from its nonce manager) before the clock
/// starts.
///
/// Examples:
///   peaqos bench                                   # 2000 transfers on an embedded devnet
///   peaqos bench --workload event --json           # 2000 submitEvent calls, JSON figures
///   peaqos bench --rpc http://127.0.0.1:8545       # transfers against a local node (e.g. anvil)
///   peaqos bench --fleet 1000 --peer-python venv/bin/python   # fleet activation vs peaq's SDK
///   peaqos bench --target mcr --requests 30000 --concurrency 500  # MCR API load
///   peaqos bench --target mcr --concurrency 500 --duration 30     # 30 s per run instead
///   peaqos bench --target gas-station --requests 400 --concurrency 200  # Gas Station load
///   peaqos bench --suite                           # every benchmark, bounded, one table
///
/// With --fleet N: an embedded devnet with --block-time seconds per block; a proxy operator
/// activates N fresh machines with one activate_fleet call (blocks used and wall time), then
/// peaq's Python SDK (peaq-os-sdk in the venv of --peer-python) activates --peer-machines
/// machines one after the other on the same chain; both are printed.
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
    /// Fleet mode: activate N machines as one proxy operator (see above).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000), conflicts_with = "rpc")]
    fleet: Option<u64>,
    /// Fleet mode: seconds per block of the embedded devnet.
    #[arg(long, value_name = "SECS", default_value_t = 6.0, requires = "fleet")]
    block_time: f64,
    /// Fleet mode: most machines in progress at once.
    #[arg(long, value_name = "C", default_value_t = 400, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    fleet_concurrency: u64,
    /// Fleet mode and --suite: the Python interpreter of a venv with peaq-os-sdk==0.1.0 (peaq's
    /// SDK loop beside the fleet).
    #[arg(long, value_name = "PATH")]
    peer_python: Option<std::path::PathBuf>,
    /// Load mode: HTTP load on an in-process MCR service (`mcr`: GET /mcr of a 100-event
    /// machine, cached then uncached) or Gas Station (`gas-station`: fundings of distinct
    /// enrolled owners), --requests in all (or MCR: --duration), --concurrency in flight;
    /// p50 / p99 and errors. Any failed request makes the command exit 1.
    #[arg(long, value_enum, conflicts_with_all = ["rpc", "fleet"])]
    target: Option<LoadTarget>,
    /// Load mode: requests (MCR, per run) or fundings (Gas Station).
    #[arg(long, default_value_t = 2000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    requests: u64,
    /// Load mode, MCR only: new requests for SECS seconds per run instead of --requests (the
    /// ones in flight then still finish).
    #[arg(long, value_name = "SECS", requires = "target", conflicts_with = "requests", value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration: Option<u64>,
    /// Suite: every benchmark above, bounded, each in a child process, then one table with the
    /// peer's figure (anvil when installed, nginx for the cached MCR) beside ours where one runs;
    /// a peer that cannot run is "not measured: <why>".
    #[arg(long, conflicts_with_all = ["rpc", "fleet", "target"])]
    suite: bool,
    /// Fleet mode: machines for peaq's SDK loop.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    peer_machines: u64,
}

/// What a send task reports: transaction index, the node's answer, request latency.
type SendOutcome = (usize, Result<B256, String>, Duration);
/// What a receipt task reports: transaction index, then (status, gas used) if a receipt came.
type ReceiptOutcome = (usize, Result<Option<(bool, u64)>, String>);

/// One pre-signed transaction and the index of its sender.
struct Signed {
    tx: SignedTx,
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

/// Looks for a receipt a bounded number of times; `Ok(None)` when none came.
async fn receipt(
    c: &PeaqosClient,
    hash: B256,
    tries: u32,
) -> Result<Option<peaqos_sdk::Receipt>, CliError> {
    for _ in 0..tries {
        if let Some(r) = c.transaction_receipt(hash).await? {
            return Ok(Some(r));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(None)
}

/// Untimed setup of the `event` workload: each sender registers itself through the SDK
/// (`register_machine`, which sends `minBond`) unless `machineIdOfOwner` already knows it.
/// Returns the machine ids.
async fn register_machines(clients: &[PeaqosClient], ui: &Ui) -> Result<Vec<u64>, CliError> {
    let bond = clients[0].min_bond().await?;
    let pb = ui.spinner(format!("registering {} machine(s)", clients.len()));
    let mut set = JoinSet::new();
    for (i, c) in clients.iter().enumerate() {
        let c = c.clone();
        set.spawn(async move {
            let id = match c.machine_id_of_owner(c.address()).await? {
                0 => c.register_machine().await?,
                id => id,
            };
            Ok::<_, peaqos_sdk::PeaqosError>((i, id))
        });
    }
    let mut ids = vec![0u64; clients.len()];
    while let Some(r) = set.join_next().await {
        let (i, id) =
            r.map_err(|e| CliError::network(format!("registration task failed: {e}")))??;
        ids[i] = id;
    }
    pb.finish_and_clear();
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
    if args.peer_python.is_some() && args.fleet.is_none() && !args.suite {
        return Err(CliError::user(
            "--peer-python is for --fleet N or --suite (peaq's SDK loop beside the fleet)",
        ));
    }
    if let Some(n) = args.fleet {
        return fleet::run(&args, n, ui).await;
    }
    if let Some(t) = args.target {
        return load::run(&args, t, ui).await;
    }
    if args.suite {
        return suite::run(&args, ui).await;
    }
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
    let mut clients = Vec::with_capacity(signers.len());
    for s in &signers {
        let cfg = PeaqosConfig::new(
            url.as_str(),
            Some(PrivateKey::from(s)),
            deployment.contract_addresses(),
        );
        clients.push(PeaqosClient::new(cfg).map_err(CliError::from)?);
    }
    let result = bench(
        &args,
        &url,
        &target,
        &clients,
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
    clients: &[PeaqosClient],
    deployment: &Deployment,
    n: usize,
    concurrency: usize,
    ui: &Ui,
) -> Result<(), CliError> {
    let senders = clients.len();
    let p = clients[0].provider().clone();
    let chain_id = clients[0]
        .chain_id()
        .await
        .map_err(|e| CliError::from(e).context(&format!("eth_chainId on {url}")))?;
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
            register_machines(clients, ui).await?
        }
    };
    let timestamp = clients[0].latest_block_timestamp().await?;
    let call = |k: usize| -> TxCall {
        match args.workload {
            Workload::Transfer => TxCall {
                to: SINK,
                data: Bytes::new(),
                value: U256::from(1),
            },
            Workload::Event => TxCall {
                to: deployment.event_registry,
                data: EventRegistry::submitEventCall {
                    machineId: U256::from(machine_ids[k % senders]),
                    eventType: 0,
                    value: U256::from(100 + k as u64),
                    currency: "USD".into(),
                    timestamp: U256::from(timestamp),
                    dataHash: B256::ZERO,
                    trustLevel: 0,
                    sourceChainId: U256::ZERO,
                    sourceTxHash: B256::ZERO,
                    metadata: Bytes::new(),
                }
                .abi_encode()
                .into(),
                value: U256::ZERO,
            },
        }
    };
    // Nonces from each client's nonce manager, fees and gas (the estimate of the sender's first
    // transaction with the SDK's headroom) from its policy.
    let mut nonces = Vec::with_capacity(senders);
    let sign_started = Instant::now();
    let pb = ui.progress(n as u64, "signing");
    let mut per_sender: Vec<std::vec::IntoIter<SignedTx>> = Vec::with_capacity(senders);
    for (i, c) in clients.iter().enumerate() {
        let calls: Vec<TxCall> = (i..n).step_by(senders).map(call).collect();
        if calls.is_empty() {
            nonces.push(0);
            per_sender.push(Vec::new().into_iter());
            continue;
        }
        let gas = c.gas_limit(&calls[0]).await?;
        let signed = c.sign_transactions("bench", &calls, gas).await?;
        nonces.push(signed[0].nonce);
        pb.inc(signed.len() as u64);
        per_sender.push(signed.into_iter());
    }
    let mut txs = Vec::with_capacity(n);
    for k in 0..n {
        let sender = k % senders;
        let tx = per_sender[sender]
            .next()
            .expect("one signed transaction per index");
        txs.push(Signed { tx, sender });
    }
    let next: Vec<u64> = (0..senders)
        .map(|i| nonces[i] + (i..n).step_by(senders).count() as u64)
        .collect();
    pb.finish_and_clear();
    let sign_secs = sign_started.elapsed().as_secs_f64();
    if !args.json {
        ui.info(format!(
            "signed {n} {} transactions in {sign_secs:.2} s; sending to {target} ({concurrency} in flight, {senders} senders)",
            args.workload.name()
        ));
    }

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
                    Ok(_) => {}
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
    for (k, signed) in txs.iter().enumerate() {
        let sender = signed.sender;
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
        let c = clients[sender].clone();
        let tx = signed.tx.clone();
        set.spawn(async move {
            let t = Instant::now();
            let res = c.send_signed(&tx).await.map_err(|e| e.to_string());
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
                .get_transaction_count(clients[i].address())
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
                format!("tx {k} ({}) reverted (gas used {g})", txs[k].tx.hash)
            }
            Ok((k, Ok(None))) => format!("tx {k} ({}): no receipt", txs[k].tx.hash),
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
        let c = clients[txs[k].sender].clone();
        let hash = txs[k].tx.hash;
        set.spawn(async move {
            let r = receipt(&c, hash, 10)
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
        crate::outln!("{v}")?;
    } else {
        crate::outln!(
            "peaqos bench: {} on {target}{}",
            args.workload.name(),
            client_version
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default()
        )?;
        crate::outln!("  chain id          {chain_id}")?;
        crate::outln!(
            "  txs               {n} ({senders} senders, {concurrency} in flight{})",
            if args.ordered {
                ", in nonce order per sender"
            } else {
                ""
            }
        )?;
        crate::outln!("  seconds           {secs:.3} (all sent after {sent_secs:.3})")?;
        crate::outln!("  tx/s              {tps:.0}")?;
        crate::outln!("  send latency p50  {:.2} ms", ms(p50))?;
        crate::outln!("  send latency p99  {:.2} ms", ms(p99))?;
        crate::outln!("  failures          {failed}")?;
        if let Some((min, mean, max)) = gas_stats {
            crate::outln!("  gas per event     min {min} / mean {mean:.0} / max {max}")?;
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
