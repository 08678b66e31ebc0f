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

/// The configured identity, as `whoami` shows it.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The signer's address.
    pub address: alloy::primitives::Address,
    /// The OWS vault wallet, when one signs.
    pub wallet: Option<String>,
    /// `PEAQOS_NETWORK`.
    pub network: Option<String>,
    /// RPC URL.
    pub rpc_url: String,
    /// The node's chain id.
    pub chain_id: u64,
    /// MCR API URL.
    pub mcr_api_url: String,
    /// Gas Station URL.
    pub gas_station_url: Option<String>,
    /// Balance in wei.
    pub balance: alloy::primitives::U256,
    /// The contract addresses by env variable.
    pub contracts: Vec<(&'static str, String)>,
}

impl Identity {
    /// The `--json` object (no key or passphrase in it).
    pub fn to_json(&self) -> serde_json::Value {
        let mut cmap = serde_json::Map::new();
        for (k, v) in &self.contracts {
            cmap.insert((*k).to_string(), json!(v));
        }
        json!({
            "address": self.address.to_string(),
            "wallet": self.wallet,
            "did": format!("did:peaq:{}", self.address),
            "network": self.network,
            "rpcUrl": self.rpc_url,
            "chainId": self.chain_id,
            "mcrApiUrl": self.mcr_api_url,
            "gasStationUrl": self.gas_station_url,
            "balanceWei": self.balance.to_string(),
            "contracts": cmap,
        })
    }
}

/// Reads the identity described by `lookup` (asks the node for chain id and balance).
pub async fn identity(
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Identity, CliError> {
    let network = lookup(vars::PEAQOS_NETWORK).filter(|v| !v.trim().is_empty());
    let gas_station_url = lookup(vars::PEAQOS_GAS_STATION_URL).filter(|v| !v.trim().is_empty());
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
    let contracts = client
        .contracts()
        .to_env_pairs()
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    Ok(Identity {
        address: client.address(),
        wallet,
        network,
        rpc_url: client.rpc_url().to_string(),
        chain_id,
        mcr_api_url: client.api_url().to_string(),
        gas_station_url,
        balance,
        contracts,
    })
}

/// Prints the identity described by `lookup`.
pub async fn report(
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    json: bool,
    _ui: &Ui,
) -> Result<(), CliError> {
    let id = identity(lookup).await?;
    if json {
        crate::outln!("{}", id.to_json())?;
        return Ok(());
    }
    crate::outln!("Address      {}", id.address)?;
    crate::outln!("DID          did:peaq:{}", id.address)?;
    if let Some(w) = &id.wallet {
        crate::outln!("Wallet       {w} (OWS vault)")?;
    }
    crate::outln!(
        "Network      {}",
        id.network.as_deref().unwrap_or("(custom)")
    )?;
    crate::outln!("RPC URL      {}", id.rpc_url)?;
    crate::outln!("Chain ID     {}", id.chain_id)?;
    crate::outln!("MCR API      {}", id.mcr_api_url)?;
    crate::outln!(
        "Gas Station  {}",
        id.gas_station_url.as_deref().unwrap_or("(not set)")
    )?;
    crate::outln!("Balance      {}", peaq(id.balance))?;
    crate::outln!("Contracts")?;
    for (k, v) in &id.contracts {
        crate::outln!("  {k:<32} {v}")?;
    }
    Ok(())
}
