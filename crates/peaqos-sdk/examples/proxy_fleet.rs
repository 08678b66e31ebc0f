//! The proxy operator fleet guide: one operator registers 10 machines with `register_for`,
//! mints each Machine NFT to its machine, each machine writes its own DID (with the operator
//! reference), and the operator publishes its fleet on its own DID.
//!
//! `cargo run -p peaqos-sdk --example proxy_fleet` (embedded devnet unless `PEAQOS_RPC_URL`).

use alloy::primitives::{Address, U256};
use peaqos_sdk::{
    DataVisibility, PeaqosClient, PeaqosConfig, PeaqosError, Result, WriteMachineDidParams,
    WriteProxyDidParams,
};

/// One fleet machine.
#[derive(Debug, Clone)]
pub struct FleetMachine {
    /// Machine address.
    pub address: Address,
    /// Machine id.
    pub machine_id: u64,
    /// Machine NFT token id.
    pub token_id: u64,
}

/// The operator's machine id and its fleet.
#[derive(Debug)]
pub struct Fleet {
    /// The proxy's own machine id.
    pub proxy_machine_id: u64,
    /// The registered machines.
    pub machines: Vec<FleetMachine>,
}

/// Runs the guide with a funded operator configuration and `n` machines.
pub async fn run(operator: PeaqosConfig, n: usize) -> Result<Fleet> {
    let proxy = PeaqosClient::new(operator.clone())?;
    println!("proxy operator: {}", proxy.address());
    // The proxy is a registered machine itself (idempotent on re-runs).
    let proxy_machine_id = match proxy.machine_id_of_owner(proxy.address()).await? {
        0 => proxy.register_machine().await?,
        id => id,
    };
    let operator_did = format!("did:peaq:{}", proxy.address());
    let gas = U256::from(10u64).pow(U256::from(18)); // 1 PEAQ: DID deposits (0.1 each) + gas

    let mut machines = Vec::with_capacity(n);
    for i in 0..n {
        let (address, key) = PeaqosClient::generate_keypair();
        let machine_id = match proxy.register_for(address).await {
            Ok(id) => id,
            Err(e @ PeaqosError::Rpc { .. }) => {
                eprintln!("machine {i}: registration failed ({e}); skipping");
                continue;
            }
            Err(e) => return Err(e),
        };
        proxy.mint_nft(machine_id, address).await?;
        let token_id = proxy.token_id_of(machine_id).await?;
        proxy
            .send_transaction(address, Default::default(), gas)
            .await?;

        // Per-machine client: same RPC and contracts, the machine's own key.
        let machine = PeaqosClient::new(PeaqosConfig {
            private_key: Some(key),
            ..operator.clone()
        })?;
        machine
            .write_machine_did_attributes(&WriteMachineDidParams {
                machine_id,
                nft_token_id: token_id,
                operator_did: operator_did.clone(),
                documentation_url: "https://fleet.example.com/docs".into(),
                data_api: format!("https://fleet.example.com/machines/{machine_id}"),
                data_visibility: DataVisibility::Private,
            })
            .await?;
        println!("machine {i}: id {machine_id}, token {token_id}, {address}");
        machines.push(FleetMachine {
            address,
            machine_id,
            token_id,
        });
    }

    // Publish the whole fleet in one DID write.
    let ids: Vec<u64> = machines.iter().map(|m| m.machine_id).collect();
    proxy
        .write_proxy_did_attributes(&WriteProxyDidParams {
            proxy_machine_id,
            machine_ids: ids,
        })
        .await?;
    println!("fleet published on {operator_did}");
    Ok(Fleet {
        proxy_machine_id,
        machines,
    })
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    if std::env::var("PEAQOS_RPC_URL").is_ok() {
        run(
            PeaqosConfig::from_env_lookup(|k| std::env::var(k).ok())?,
            10,
        )
        .await?;
        return Ok(());
    }
    let devnet = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral()).await?;
    println!("embedded devnet at {}", devnet.url());
    let cfg = PeaqosConfig::new(
        devnet.url(),
        Some((&devnet.signer(1)).into()),
        peaqos_sdk::devnet_addresses(),
    );
    run(cfg, 10).await?;
    devnet.shutdown().await?;
    Ok(())
}
