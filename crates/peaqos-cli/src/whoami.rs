//! `peaqos whoami`.

use crate::ui::{Ui, peaq};
use crate::{CliError, env};
use clap::Args;
use peaqos_types::network::env as vars;
use serde_json::json;

/// Show the configured identity: address, network, RPC URL, chain id (asked from the node),
/// MCR API, Gas Station, balance and contract addresses. Exit 3 names a missing or invalid
/// variable.
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `whoami` on the process environment.
pub async fn run(args: WhoamiArgs, ui: &Ui) -> Result<(), CliError> {
    report(&|k| std::env::var(k).ok(), args.json, ui).await
}

/// Prints the identity described by `lookup`.
pub async fn report(
    lookup: &dyn Fn(&str) -> Option<String>,
    json: bool,
    _ui: &Ui,
) -> Result<(), CliError> {
    let network = lookup(vars::PEAQOS_NETWORK).filter(|v| !v.trim().is_empty());
    let gas_station = lookup(vars::PEAQOS_GAS_STATION_URL).filter(|v| !v.trim().is_empty());
    let client = env::client_from(lookup)?;
    let wallet = env::wallet_name(lookup);
    let chain_id = client.chain_id().await.map_err(|e| {
        CliError::from(e).context(&format!(
            "cannot reach {} ({})",
            vars::PEAQOS_RPC_URL,
            client.rpc_url()
        ))
    })?;
    let balance = client
        .balance(client.address())
        .await
        .map_err(CliError::from)?;
    let c = client.contracts();
    let contracts: Vec<(&str, String)> = c
        .to_env_pairs()
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    if json {
        let mut cmap = serde_json::Map::new();
        for (k, v) in &contracts {
            cmap.insert((*k).to_string(), json!(v));
        }
        crate::outln!(
            "{}",
            json!({
                "address": client.address().to_string(),
                "wallet": wallet,
                "did": format!("did:peaq:{}", client.address()),
                "network": network,
                "rpcUrl": client.rpc_url(),
                "chainId": chain_id,
                "mcrApiUrl": client.api_url(),
                "gasStationUrl": gas_station,
                "balanceWei": balance.to_string(),
                "contracts": cmap,
            })
        )?;
        return Ok(());
    }
    crate::outln!("Address      {}", client.address())?;
    crate::outln!("DID          did:peaq:{}", client.address())?;
    if let Some(w) = &wallet {
        crate::outln!("Wallet       {w} (OWS vault)")?;
    }
    crate::outln!("Network      {}", network.as_deref().unwrap_or("(custom)"))?;
    crate::outln!("RPC URL      {}", client.rpc_url())?;
    crate::outln!("Chain ID     {chain_id}")?;
    crate::outln!("MCR API      {}", client.api_url())?;
    crate::outln!(
        "Gas Station  {}",
        gas_station.as_deref().unwrap_or("(not set)")
    )?;
    crate::outln!("Balance      {}", peaq(balance))?;
    crate::outln!("Contracts")?;
    for (k, v) in contracts {
        crate::outln!("  {k:<32} {v}")?;
    }
    Ok(())
}
