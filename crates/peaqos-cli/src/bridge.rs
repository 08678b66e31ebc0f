//! `peaqos bridge`: move a Machine NFT between peaq and Base (send, wait, status).

use crate::CliError;
use crate::devnet::{BASE_MACHINE_NFT_ADDRESS, BASE_RPC_URL};
use crate::ui::Ui;
use alloy::primitives::{Address, U256};
use clap::{Args, Subcommand, ValueEnum};
use peaqos_contracts::MachineNFTBase;
use std::time::Duration;

/// `peaqos bridge ...`.
#[derive(Debug, Subcommand)]
pub enum BridgeCommand {
    /// Bridge a Machine NFT (quote, approve the adapter if needed, send with the quoted fee).
    Send(SendArgs),
    /// Wait until a token has an owner on a chain.
    Wait(WaitArgs),
    /// Where a Machine NFT is: on peaq, or locked in the adapter with its Base owner.
    Status(StatusArgs),
}

/// A chain of the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Chain {
    /// peaq.
    Peaq,
    /// Base.
    Base,
}

impl Chain {
    fn name(self) -> &'static str {
        match self {
            Self::Peaq => "peaq",
            Self::Base => "base",
        }
    }
}

/// `peaqos bridge send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The token id.
    #[arg(long)]
    token_id: u64,
    /// Destination chain (the source is the other one).
    #[arg(long, value_enum)]
    to: Chain,
    /// Recipient on the destination [default: the configured address].
    #[arg(long)]
    recipient: Option<Address>,
    /// Wait for the arrival (seconds; more than 60).
    #[arg(long, value_name = "SECS")]
    wait: Option<u64>,
    /// One JSON object.
    #[arg(long)]
    json: bool,
}

/// `peaqos bridge wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The token id.
    #[arg(long)]
    token_id: u64,
    /// The chain it should arrive on.
    #[arg(long, value_enum)]
    on: Chain,
    /// Seconds to wait (more than 60).
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Seconds between probes.
    #[arg(long, default_value_t = 2)]
    poll: u64,
}

/// `peaqos bridge status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The token id.
    #[arg(long)]
    token_id: u64,
    /// One JSON object.
    #[arg(long)]
    json: bool,
}

fn base_env() -> Result<(String, Address), CliError> {
    let url = crate::env::var(BASE_RPC_URL)
        .ok_or_else(|| CliError::config(format!("{BASE_RPC_URL} is not set")))?;
    let nft = crate::env::var(BASE_MACHINE_NFT_ADDRESS)
        .ok_or_else(|| CliError::config(format!("{BASE_MACHINE_NFT_ADDRESS} is not set")))?
        .parse()
        .map_err(|_| CliError::config(format!("{BASE_MACHINE_NFT_ADDRESS} is not an address")))?;
    Ok((url, nft))
}

/// Runs a bridge command.
pub async fn run(cmd: BridgeCommand, ui: &Ui) -> Result<(), CliError> {
    match cmd {
        BridgeCommand::Send(a) => send(a, ui).await,
        BridgeCommand::Wait(a) => {
            let arrived = wait(a.on, U256::from(a.token_id), a.timeout, a.poll, ui).await?;
            finish_wait(arrived, a.on)
        }
        BridgeCommand::Status(a) => status(a).await,
    }
}

fn finish_wait(arrived: bool, on: Chain) -> Result<(), CliError> {
    if arrived {
        crate::outln!("arrived on {}", on.name())?;
        Ok(())
    } else {
        Err(CliError::network(format!(
            "not arrived on {} before the timeout (is `peaqos relayer run` running? `peaqos relayer status`)",
            on.name()
        )))
    }
}

async fn send(a: SendArgs, ui: &Ui) -> Result<(), CliError> {
    let client = crate::env::client()?;
    let (base_url, base_nft) = base_env()?;
    let token = U256::from(a.token_id);
    let recipient = a.recipient.unwrap_or(client.address());
    let (src, dst) = match a.to {
        Chain::Base => ("peaq", "base"),
        Chain::Peaq => ("base", "peaq"),
    };
    let fee = client
        .quote_bridge(
            token,
            src,
            dst,
            recipient,
            Some(&base_url),
            Some(base_nft),
            &[],
        )
        .await
        .map_err(CliError::from)?;
    ui.info(format!(
        "bridging token {token} {src} -> {dst} for {recipient}; LayerZero fee {fee} wei"
    ));
    let tx = ui
        .spin(
            "sending",
            client.bridge_nft(
                token,
                src,
                dst,
                recipient,
                Some(&base_url),
                Some(base_nft),
                &[],
            ),
        )
        .await
        .map_err(CliError::from)?;
    if a.json {
        crate::outln!(
            "{}",
            serde_json::json!({"txHash": tx, "source": src, "destination": dst, "tokenId": a.token_id, "recipient": recipient, "nativeFee": fee.to_string()})
        )?;
    } else {
        crate::outln!("sent {tx}")?;
    }
    if let Some(secs) = a.wait {
        let arrived = wait(a.to, token, secs, 2, ui).await?;
        finish_wait(arrived, a.to)?;
    }
    Ok(())
}

async fn wait(on: Chain, token: U256, timeout: u64, poll: u64, ui: &Ui) -> Result<bool, CliError> {
    // On peaq a token that is on Base is owned by the adapter: arrived means owned by someone else.
    let (url, nft, locked_by) = match on {
        Chain::Peaq => {
            let c = crate::env::client()?;
            let adapter = c.contracts().machine_nft_adapter;
            (c.rpc_url().to_string(), c.contracts().machine_nft, adapter)
        }
        Chain::Base => {
            let (url, nft) = base_env()?;
            (url, nft, None)
        }
    };
    let bar = ui.spinner(format!("waiting for token {token} on {}", on.name()));
    let r = peaqos_sdk::bridge::wait_for_bridge_arrival_with(
        &url,
        nft,
        token,
        Duration::from_secs(timeout),
        Duration::from_secs(poll.max(1)),
        locked_by,
        |waited| {
            bar.set_message(format!(
                "waiting for token {token} on {}: {} s",
                on.name(),
                waited.as_secs()
            ))
        },
    )
    .await;
    bar.finish_and_clear();
    r.map_err(CliError::from)
}

async fn status(a: StatusArgs) -> Result<(), CliError> {
    let client = crate::env::client()?;
    let token = U256::from(a.token_id);
    let adapter = client.contracts().machine_nft_adapter;
    let peaq_nft =
        peaqos_contracts::MachineNFT::new(client.contracts().machine_nft, client.provider());
    let peaq_owner = peaq_nft.ownerOf(token).call().await.ok();
    let base = base_env().ok();
    let base_owner = match &base {
        Some((url, nft)) => {
            let p = alloy::providers::ProviderBuilder::new().connect_http(
                url.parse()
                    .map_err(|_| CliError::config(format!("{BASE_RPC_URL} is not a URL")))?,
            );
            MachineNFTBase::new(*nft, &p)
                .ownerOf(token)
                .call()
                .await
                .ok()
        }
        None => None,
    };
    let locked = peaq_owner.is_some() && peaq_owner == adapter;
    let location = match (peaq_owner, locked, base_owner) {
        (None, _, _) => "unknown (no such token on peaq)",
        (Some(_), true, Some(_)) => "base",
        (Some(_), true, None) => "in flight (locked on peaq, not yet minted on Base)",
        (Some(_), false, _) => "peaq",
    };
    if a.json {
        crate::outln!(
            "{}",
            serde_json::json!({
                "tokenId": a.token_id,
                "location": location,
                "peaqOwner": peaq_owner,
                "lockedInAdapter": locked,
                "baseOwner": base_owner,
            })
        )?;
    } else {
        crate::outln!("token {token}: {location}")?;
        if let Some(o) = peaq_owner {
            crate::outln!(
                "  peaq owner  {o}{}",
                if locked { " (the adapter: locked)" } else { "" }
            )?;
        }
        if let Some(o) = base_owner {
            crate::outln!("  Base owner  {o}")?;
        }
        if base.is_none() {
            crate::outln!(
                "  ({BASE_RPC_URL} / {BASE_MACHINE_NFT_ADDRESS} not set: Base not asked)"
            )?;
        }
    }
    Ok(())
}
