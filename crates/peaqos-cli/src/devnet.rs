//! `peaqos devnet`.

use crate::CliError;
use clap::Args;
use peaqos_devnet::{ChainConfig, DevnetConfig, DevnetError};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Run an embedded local peaq chain.
///
/// Serves Ethereum JSON-RPC with the peaq precompiles (DID 0x…0800, Batch 0x…0805, native ERC-20
/// 0x…0809) and the peaqOS contracts deployed behind their proxies. Ten dev accounts from the
/// mnemonic "test test … junk" hold 10,000 PEAQ each; account 0 owns the contracts.
///
/// Examples:
///   peaqos devnet --env-out .env            # start, write a ready .env for the CLI and SDK
///   peaqos devnet --state chain.json        # keep everything across restarts
///   peaqos devnet --block-time 6            # 6 s blocks like peaq mainnet
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DevnetArgs {
    /// Address to listen on. Anything but loopback exposes the dev keys' chain to the network.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// JSON-RPC port (0 picks a free one).
    #[arg(long, short, default_value_t = peaqos_types::constants::DEFAULT_DEVNET_PORT)]
    port: u16,
    /// Seconds between blocks. Without it every transaction is mined at once in its own block.
    #[arg(long, value_name = "SECS", value_parser = parse_block_time)]
    block_time: Option<Duration>,
    /// Load the chain from FILE when it exists; save it there on Ctrl-C (and on `peaqos_saveState`).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Write a `.env` (mode 0600) with the RPC URL, dev account 0's key and every contract address.
    #[arg(long, value_name = "FILE")]
    env_out: Option<PathBuf>,
    /// Widest block range one eth_getLogs call may ask for.
    #[arg(long, default_value_t = 10_000, value_name = "BLOCKS")]
    max_log_range: u64,
    /// Base URL of the MCR API, used by the NFTs' tokenURI.
    #[arg(long, value_name = "URL", default_value = peaqos_types::constants::DEFAULT_MCR_API_URL)]
    token_uri_base: String,
    /// Print the ready line as one JSON object (rpc url, chain id, accounts, contracts).
    #[arg(long)]
    json: bool,
}

fn parse_block_time(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err("block time must be between 0 and 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn devnet_error(e: DevnetError) -> CliError {
    match e {
        DevnetError::State { .. } => CliError::config(e.to_string()),
        DevnetError::Server(_) => CliError::network(e.to_string()),
        other => CliError::user(other.to_string()),
    }
}

/// Runs the devnet until Ctrl-C.
pub async fn run(args: DevnetArgs, quiet: bool) -> Result<(), CliError> {
    let started = Instant::now();
    let config = DevnetConfig {
        host: args.host.clone(),
        port: args.port,
        block_time: args.block_time,
        state: args.state.clone(),
        chain: ChainConfig {
            max_log_range: args.max_log_range.max(1),
            ..ChainConfig::default()
        },
        base_uri: Some(args.token_uri_base.trim_end_matches('/').to_string()),
    };
    if !is_loopback(&args.host) {
        tracing::warn!(host = %args.host, "listening beyond loopback: anyone who can reach this port can use the dev accounts");
    }
    let handle = peaqos_devnet::spawn(config).await.map_err(devnet_error)?;
    let url = handle.url();
    let d = handle.deployment();
    if let Some(path) = &args.env_out {
        peaqos_devnet::write_secret_file(path, &peaqos_devnet::env_file_text(&url, &d))
            .map_err(|e| CliError::config(format!("cannot write {}: {e}", path.display())))?;
    }
    let accounts = handle.node().accounts().to_vec();
    if args.json {
        let v = serde_json::json!({
            "rpcUrl": url,
            "chainId": handle.node().chain_id(),
            "accounts": accounts,
            "contracts": d,
            "startupMs": started.elapsed().as_millis() as u64,
        });
        crate::outln!("{v}")?;
    } else if !quiet {
        crate::outln!(
            "peaqos devnet (chain id {}) on {url}",
            handle.node().chain_id()
        )?;
        crate::outln!()?;
        crate::outln!(
            "Dev accounts (10,000 PEAQ each; mnemonic \"test test ... junk\", m/44'/60'/0'/0/i):"
        )?;
        for (i, a) in accounts.iter().enumerate() {
            crate::outln!("  ({i}) {a}")?;
        }
        crate::outln!()?;
        crate::outln!("Contracts (owner: account 0):")?;
        crate::outln!("  IdentityRegistry  {}", d.identity_registry)?;
        crate::outln!("  IdentityStaking   {}", d.identity_staking)?;
        crate::outln!("  EventRegistry     {}", d.event_registry)?;
        crate::outln!("  MachineNFT        {}", d.machine_nft)?;
        crate::outln!("  AdminFlags        {}", d.admin_flags)?;
        crate::outln!(
            "  DID precompile    {}",
            peaqos_types::constants::DID_PRECOMPILE_ADDRESS
        )?;
        crate::outln!(
            "  Batch precompile  {}",
            peaqos_types::constants::BATCH_PRECOMPILE_ADDRESS
        )?;
        crate::outln!(
            "  Native ERC-20     {}",
            peaqos_types::constants::NATIVE_ERC20_PRECOMPILE_ADDRESS
        )?;
        if let Some(p) = &args.env_out {
            crate::outln!()?;
            crate::outln!(
                "Wrote {} (mode 0600). Private keys are never printed.",
                p.display()
            )?;
        }
        if let Some(p) = &args.state {
            crate::outln!("State file: {} (saved on Ctrl-C)", p.display())?;
        }
        crate::outln!()?;
        crate::outln!(
            "peaqos devnet: ready in {} ms",
            started.elapsed().as_millis()
        )?;
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::user(format!("cannot wait for Ctrl-C: {e}")))?;
    eprintln!(
        "shutting down{}",
        if args.state.is_some() {
            " and saving state"
        } else {
            ""
        }
    );
    handle.shutdown().await.map_err(devnet_error)?;
    Ok(())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
