//! `peaqos relayer`: the LayerZero relayer between the peaq and Base chains (run, status).

use crate::CliError;
use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use clap::{Args, Subcommand};
use peaqos_bridge::relayer::RelayerState;
use peaqos_bridge::{BridgeLayout, LzArtifacts, RelayChain, RelayerConfig, Side};
use std::path::PathBuf;
use std::time::Duration;

/// Environment variable holding the relayer's private key (hex).
pub const RELAYER_KEY_ENV: &str = "PEAQOS_RELAYER_PRIVATE_KEY";

/// `peaqos relayer ...`.
#[derive(Debug, Subcommand)]
pub enum RelayerCommand {
    /// Follow PacketSent on both chains; verify and deliver every packet on the other.
    Run(RunArgs),
    /// Print the relayer's state file: cursors, balances, pending and stuck packets.
    Status(StatusArgs),
}

/// `peaqos relayer run`.
///
/// Verifies each packet as the LocalDVN's verifier (LocalDVN.verify, then
/// ReceiveUln302.commitVerification; dev account 8 on `peaqos devnet --bridge`) and delivers it
/// with EndpointV2.lzReceive and the gas of the packet's executor options, paying gas from its own
/// key. Its state file is its durable cursor: a restart resumes there and never delivers a
/// packet twice. The key comes from PEAQOS_RELAYER_PRIVATE_KEY, or dev account 8 with --dev.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct RunArgs {
    /// peaq JSON-RPC URL [default: PEAQOS_RPC_URL, else http://127.0.0.1:8545].
    #[arg(long)]
    peaq_rpc: Option<String>,
    /// Base JSON-RPC URL [default: BASE_RPC_URL, else http://127.0.0.1:8546].
    #[arg(long)]
    base_rpc: Option<String>,
    /// EndpointV2 on peaq [default: the devnet's deterministic address].
    #[arg(long)]
    peaq_endpoint: Option<Address>,
    /// EndpointV2 on Base [default: the devnet's deterministic address].
    #[arg(long)]
    base_endpoint: Option<Address>,
    /// Sign with devnet dev account 8 (the verifier `peaqos devnet --bridge` whitelists).
    #[arg(long)]
    dev: bool,
    /// The durable state file (cursor and pending packets).
    #[arg(long, default_value = "peaqos-relayer.json")]
    state: PathBuf,
    /// Milliseconds between polls.
    #[arg(long, default_value_t = 200)]
    poll_ms: u64,
    /// Seconds after which an undelivered packet is reported stuck.
    #[arg(long, default_value_t = 120)]
    stuck_after: u64,
}

/// `peaqos relayer status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The relayer's state file.
    #[arg(long, default_value = "peaqos-relayer.json")]
    state: PathBuf,
    /// Seconds after which an undelivered packet counts as stuck.
    #[arg(long, default_value_t = 120)]
    stuck_after: u64,
    /// One JSON object.
    #[arg(long)]
    json: bool,
}

fn key(dev: bool) -> Result<PrivateKeySigner, CliError> {
    if let Some(hex) = crate::env::var(RELAYER_KEY_ENV) {
        return hex
            .trim()
            .parse()
            .map_err(|_| CliError::config(format!("{RELAYER_KEY_ENV} is not a private key")));
    }
    if dev {
        return Ok(peaqos_devnet::genesis::dev_signer(
            peaqos_bridge::deploy::DEFAULT_RELAYER_DEV_INDEX,
        ));
    }
    Err(CliError::config(format!(
        "no relayer key: set {RELAYER_KEY_ENV} or pass --dev for the devnets' dev account 8"
    )))
}

/// The relayer's configuration from `run`'s arguments.
pub async fn config(args: &RunArgs) -> Result<RelayerConfig, CliError> {
    let (peaq_endpoint, base_endpoint) = match (args.peaq_endpoint, args.base_endpoint) {
        (Some(p), Some(b)) => (p, b),
        (p, b) => {
            let artifacts = LzArtifacts::locate_with(&|k| std::env::var(k).ok())
                .map_err(|e| CliError::config(e.to_string()))?;
            let layout = BridgeLayout::new(
                &artifacts,
                peaqos_devnet::genesis::dev_signer(0).address(),
                peaqos_sdk::devnet_addresses().machine_nft,
            );
            (
                p.unwrap_or(layout.peaq_endpoint),
                b.unwrap_or(layout.base_endpoint),
            )
        }
    };
    let net = |e: peaqos_bridge::BridgeError| CliError::network(e.to_string());
    // The env file is loaded after parsing: variables are read here, not by clap.
    let peaq_rpc = args
        .peaq_rpc
        .clone()
        .or_else(|| crate::env::var(peaqos_types::network::env::PEAQOS_RPC_URL))
        .unwrap_or_else(|| "http://127.0.0.1:8545".into());
    let base_rpc = args
        .base_rpc
        .clone()
        .or_else(|| crate::env::var(crate::devnet::BASE_RPC_URL))
        .unwrap_or_else(|| "http://127.0.0.1:8546".into());
    let peaq = RelayChain::discover(&peaq_rpc, Side::Peaq, peaq_endpoint)
        .await
        .map_err(net)?;
    let base = RelayChain::discover(&base_rpc, Side::Base, base_endpoint)
        .await
        .map_err(net)?;
    let mut cfg = RelayerConfig::new(peaq, base, key(args.dev)?, args.state.clone());
    cfg.poll_interval = Duration::from_millis(args.poll_ms.max(10));
    cfg.stuck_after = Duration::from_secs(args.stuck_after);
    Ok(cfg)
}

/// Runs a relayer command.
pub async fn run(cmd: RelayerCommand) -> Result<(), CliError> {
    match cmd {
        RelayerCommand::Run(args) => {
            let cfg = config(&args).await?;
            eprintln!(
                "peaqos relayer {} : peaq {} (endpoint {}) <-> base {} (endpoint {}); state {}",
                cfg.key.address(),
                cfg.peaq.rpc_url,
                cfg.peaq.endpoint,
                cfg.base.rpc_url,
                cfg.base.endpoint,
                cfg.state_path.display()
            );
            let handle = peaqos_bridge::spawn(cfg).map_err(|e| CliError::config(e.to_string()))?;
            tokio::signal::ctrl_c()
                .await
                .map_err(|e| CliError::user(format!("cannot wait for Ctrl-C: {e}")))?;
            handle
                .shutdown()
                .await
                .map_err(|e| CliError::config(e.to_string()))
        }
        RelayerCommand::Status(args) => status(&args),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn status(args: &StatusArgs) -> Result<(), CliError> {
    if !args.state.exists() {
        return Err(CliError::config(format!(
            "no relayer state at {} (has `peaqos relayer run` started here?)",
            args.state.display()
        )));
    }
    let s = RelayerState::load(&args.state).map_err(|e| CliError::config(e.to_string()))?;
    let now = now();
    let stuck = s.stuck(now, Duration::from_secs(args.stuck_after));
    if args.json {
        let v = serde_json::json!({
            "relayer": s.relayer,
            "updatedAt": s.updated_at,
            "chains": s.chains,
            "delivered": s.delivered,
            "alreadyDelivered": s.already_delivered,
            "pending": s.pending,
            "stuck": stuck.iter().map(|(g, _)| g.to_string()).collect::<Vec<_>>(),
        });
        crate::outln!("{v}")?;
    } else {
        crate::outln!(
            "relayer {} (state updated {} s ago)",
            s.relayer,
            now.saturating_sub(s.updated_at)
        )?;
        for (name, c) in &s.chains {
            crate::outln!(
                "  {name}: next block {}, relayer balance {} wei{}",
                c.next_block,
                c.balance,
                c.out_of_funds
                    .as_ref()
                    .map(|e| format!(" -- OUT OF FUNDS: {e}"))
                    .unwrap_or_default()
            )?;
        }
        crate::outln!(
            "  delivered {}, found delivered already {}, pending {}, stuck {}",
            s.delivered,
            s.already_delivered,
            s.pending.len(),
            stuck.len()
        )?;
        for (guid, p) in &s.pending {
            let is_stuck = stuck.iter().any(|(g, _)| *g == guid);
            crate::outln!(
                "  {} {guid} from {:?} ({:?}, {} s, {} attempts){}",
                if is_stuck { "STUCK" } else { "pending" },
                p.src,
                p.status,
                now.saturating_sub(p.first_seen),
                p.attempts,
                p.last_error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            )?;
        }
    }
    if stuck.is_empty() {
        Ok(())
    } else {
        Err(CliError::network(format!(
            "{} packet(s) stuck",
            stuck.len()
        )))
    }
}
