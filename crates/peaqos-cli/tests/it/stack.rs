//! The in-process stack (`peaqos up` / `peaqos demo`): the NFTs' tokenURI points at the MCR
//! service that is actually listening, also after a saved chain comes back on another port.

use crate::common::*;
use alloy::primitives::U256;
use peaqos_cli::stack::{StackPorts, start_stack, sync_base_uri};
use peaqos_contracts::{IdentityRegistry, MachineNFT};
use std::time::Duration;

async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

#[test]
fn token_uris_point_at_the_running_mcr_service() {
    let env = Env::start();
    let stack = env.stack();
    let mcr = stack.mcr_url();
    assert!(!mcr.ends_with(":0"), "{mcr}");
    let c = env.sdk(env.dev_key(3));
    let me = c.address();
    let (id, token) = env.rt.block_on(async {
        let id = c.register_machine().await.unwrap();
        c.mint_nft(id, me).await.unwrap();
        (id, c.token_id_of(id).await.unwrap())
    });
    env.wait_indexed();
    env.rt.block_on(async {
        let contracts = stack.contracts();
        let registry = IdentityRegistry::new(contracts.identity_registry, c.provider());
        let uri = registry.tokenURI(U256::from(id)).call().await.unwrap();
        assert_eq!(uri, format!("{mcr}/machines/{id}"));
        let (status, card) = get_json(&uri).await;
        assert_eq!(status, 200, "{card}");
        assert_eq!(card["did"], format!("did:peaq:{me}"));

        let nft = MachineNFT::new(contracts.machine_nft, c.provider());
        let uri = nft.tokenURI(U256::from(token)).call().await.unwrap();
        assert!(uri.starts_with(&format!("{mcr}/metadata/")), "{uri}");
        let (status, meta) = get_json(&uri).await;
        assert_eq!(status, 200, "{meta}");
        assert_eq!(meta["peaqos"]["did"], format!("did:peaq:{me}"));
        assert_eq!(meta["peaqos"]["machine_id"], id);

        // Already right: nothing to send.
        assert_eq!(sync_base_uri(&stack.devnet, &mcr).await.unwrap(), 0);
    });
}

#[test]
fn a_saved_chain_gets_the_new_mcr_url() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.json");
    rt.block_on(async {
        let first = start_stack(StackPorts::ephemeral(), Some(state.clone()))
            .await
            .unwrap();
        let first_url = first.mcr_url();
        first.shutdown().await.unwrap();
        // Same saved chain, new MCR service (port 0: a fresh port).
        let second = start_stack(StackPorts::ephemeral(), Some(state.clone()))
            .await
            .unwrap();
        let url = second.mcr_url();
        let c = peaqos_sdk::PeaqosClient::new(
            peaqos_sdk::PeaqosConfig::new(
                second.rpc_url(),
                Some(peaqos_sdk::PrivateKey::from(&second.dev_signer(5))),
                second.contracts(),
            )
            .with_api_url(url.clone()),
        )
        .unwrap();
        let registry = IdentityRegistry::new(second.contracts().identity_registry, c.provider());
        // The contracts have no baseURI() getter: the base shows in tokenURI.
        let id = c.register_machine().await.unwrap();
        let uri = registry.tokenURI(U256::from(id)).call().await.unwrap();
        assert_eq!(uri, format!("{url}/machines/{id}"), "was {first_url}");
        c.mint_nft(id, c.address()).await.unwrap();
        let token = c.token_id_of(id).await.unwrap();
        let nft = peaqos_contracts::MachineNFT::new(second.contracts().machine_nft, c.provider());
        let nft_uri = nft.tokenURI(U256::from(token)).call().await.unwrap();
        assert_eq!(nft_uri, format!("{url}/metadata/{token}"));
        second.wait_indexed(Duration::from_secs(30)).await.unwrap();
        let (status, card) = get_json(&uri).await;
        assert_eq!(status, 200, "{uri}: {card}");
        second.shutdown().await.unwrap();
    });
}

/// `up`'s bundler serves the devnet's EntryPoint and chain, and the env file names every
/// service the stack runs.
#[test]
fn the_stack_runs_a_bundler_for_its_entry_point() {
    let env = Env::start();
    let stack = env.stack();
    let env_text = stack.env_text();
    let file = peaqos_types::EnvFile::parse(&env_text);
    assert_eq!(file.get("PEAQOS_BUNDLER_URL"), Some(stack.bundler_url()));
    assert_eq!(file.get("PEAQOS_MCR_API_URL"), Some(stack.mcr_url()));
    assert_eq!(
        file.get("PEAQOS_GAS_STATION_URL"),
        Some(stack.gas_station_url())
    );
    let entry_point = stack.devnet.deployment().entry_point;
    assert_eq!(
        file.get("MACHINE_ACCOUNT_FACTORY_ADDRESS"),
        Some(
            stack
                .devnet
                .deployment()
                .machine_account_factory
                .to_checksum(None)
        )
    );
    env.rt.block_on(async {
        let rpc = |method: &str| {
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": []})
        };
        let http = reqwest::Client::new();
        let eps: serde_json::Value = http
            .post(stack.bundler_url())
            .json(&rpc("eth_supportedEntryPoints"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed: Vec<alloy::primitives::Address> =
            serde_json::from_value(eps["result"].clone()).unwrap();
        assert_eq!(listed, vec![entry_point]);
        let chain: serde_json::Value = http
            .post(stack.bundler_url())
            .json(&rpc("eth_chainId"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(chain["result"], "0x7a69");
    });
}
