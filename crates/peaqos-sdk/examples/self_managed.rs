//! The self-managed onboarding guide: owner = operator, one keypair, one machine.
//!
//! `cargo run -p peaqos-sdk --example self_managed` starts an embedded devnet when
//! `PEAQOS_RPC_URL` is unset; otherwise it uses the documented environment variables (the
//! `PEAQOS_PRIVATE_KEY` wallet is the owner that funds the new machine key).

use alloy::primitives::U256;
use peaqos_sdk::{
    DataVisibility, FundParams, PeaqosClient, PeaqosConfig, Result, SubmitEventParams,
    WriteMachineDidParams,
};

/// What the guide ends with.
#[derive(Debug)]
pub struct Onboarded {
    /// The machine's address (its peaqID is `did:peaq:<address>`).
    pub machine_address: alloy::primitives::Address,
    /// Machine id from the IdentityRegistry.
    pub machine_id: u64,
    /// Machine NFT token id.
    pub token_id: u64,
    /// Hash of the first revenue event.
    pub first_event: alloy::primitives::B256,
}

/// Runs the guide with `owner` (a funded configuration). When `gas_station` is
/// `Some((url, totp))` the machine is funded through the Gas Station, otherwise by a plain
/// transfer of 2 PEAQ from the owner.
pub async fn run(owner: PeaqosConfig, gas_station: Option<(String, String)>) -> Result<Onboarded> {
    let owner_client = PeaqosClient::new(owner.clone())?;
    println!("owner: {}", owner_client.address());

    // 1. A fresh machine keypair (store the key securely: it cannot be recovered).
    let (machine_address, machine_key) = PeaqosClient::generate_keypair();
    println!("machine: {machine_address}");

    // 2-3. Fund the machine wallet (Gas Station, or a transfer on a dev chain).
    match gas_station {
        Some((url, code)) => {
            let r = owner_client
                .fund_from_gas_station(
                    &FundParams {
                        owner_address: owner_client.address().to_string(),
                        target_wallet_address: machine_address.to_string(),
                        chain_id: "peaq".into(),
                        two_factor_code: code,
                        request_id: None,
                    },
                    &url,
                )
                .await?;
            println!("gas station: {r:?}");
        }
        None => {
            let two = U256::from(2) * U256::from(10u64).pow(U256::from(18));
            owner_client
                .send_transaction(machine_address, Default::default(), two)
                .await?;
        }
    }

    // 4. A client signed with the machine's own key registers it (bond = minBond).
    let machine = PeaqosClient::new(PeaqosConfig {
        private_key: Some(machine_key),
        ..owner
    })?;
    let machine_id = machine.register_machine().await?;
    println!("machine id: {machine_id}");

    // 5. Mint the Machine NFT to the machine itself.
    machine.mint_nft(machine_id, machine_address).await?;
    let token_id = machine.token_id_of(machine_id).await?;
    println!("token id: {token_id}");

    // 6. The six DID attributes, one batchAll (no operator: self-managed).
    let tx = machine
        .write_machine_did_attributes(&WriteMachineDidParams {
            machine_id,
            nft_token_id: token_id,
            operator_did: String::new(),
            documentation_url: "https://docs.example.com/machine".into(),
            data_api: "https://api.example.com/machine".into(),
            data_visibility: DataVisibility::Public,
        })
        .await?;
    match tx {
        Some(tx) => println!("DID attributes: {tx}"),
        None => println!("DID attributes: already written"),
    }
    println!("peaqID: did:peaq:{machine_address}");

    // A first revenue event ($12.50).
    let now = machine.latest_block_timestamp().await?;
    let (first_event, _) = machine
        .submit_event(&SubmitEventParams::revenue(
            machine_id,
            U256::from(1250),
            "USD",
            now,
        ))
        .await?;
    println!("first event: {first_event}");
    Ok(Onboarded {
        machine_address,
        machine_id,
        token_id,
        first_event,
    })
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    if std::env::var("PEAQOS_RPC_URL").is_ok() {
        let gs = match (
            std::env::var("PEAQOS_GAS_STATION_URL"),
            std::env::var("PEAQOS_2FA_CODE"),
        ) {
            (Ok(u), Ok(c)) => Some((u, c)),
            _ => None,
        };
        run(
            PeaqosConfig::from_env_lookup(|k| std::env::var(k).ok())?,
            gs,
        )
        .await?;
        return Ok(());
    }
    let devnet = peaqos_devnet::spawn(peaqos_devnet::DevnetConfig::ephemeral()).await?;
    println!("embedded devnet at {}", devnet.url());
    let cfg = PeaqosConfig::new(
        devnet.url(),
        Some((&devnet.signer(0)).into()),
        peaqos_sdk::devnet_addresses(),
    );
    run(cfg, None).await?;
    devnet.shutdown().await?;
    Ok(())
}
