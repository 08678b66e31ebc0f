//! Where the Machine NFT is (`/machine/{did}`'s `machine_nft`) without the bridge's contracts: on
//! peaq with its owner; "locked" when the configured adapter holds it, then `unknown` with the
//! reason when no Base RPC is configured or the Base read fails. The full trip peaq -> Base ->
//! peaq is tested through `peaqos up` (`peaqos-cli`, `bridge::up_runs_both_chains_...`).

use crate::common::*;
use alloy::primitives::{Address, U256};
use peaqos_contracts::MachineNFT;
use peaqos_testkit::{TestNet, mined};

#[tokio::test]
async fn the_profile_says_where_the_machine_nft_is() {
    let net = TestNet::start().await;
    let machine = net.funded_key(10).await;
    let machine_id = net.register(&machine).await;
    let token = net.mint(&machine, machine_id).await;
    let did = peaqos_mcr::view::did_of(machine.address());
    let dir = tempfile::tempdir().unwrap();

    // Held by the machine; an adapter is configured but does not hold it.
    let adapter = net.address(6);
    let db = database(Db::Sqlite, dir.path(), "held").await;
    let svc = mcr(&net, &db, |c| {
        c.nft_bridge = Some(peaqos_mcr::NftBridgeConfig {
            adapter,
            base_nft: None,
            base_rpc_url: None,
        });
    })
    .await;
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();
    let (s, p) = get(&svc.url(), &format!("/machine/{did}")).await;
    assert_eq!(s, 200);
    let n = &p["peaqos"]["machine_nft"];
    assert_eq!(n["chain"], "peaq", "{p}");
    assert_eq!(n["token_id"], token);
    assert_eq!(n["owner"], machine.address().to_string());
    assert_eq!(n["locked_in_adapter"], false);

    // The "adapter" takes the token: locked, and without a Base RPC the owner is unknown.
    let nft = MachineNFT::new(
        net.contracts().machine_nft,
        net.provider_for(machine.clone()),
    );
    mined(nft.transferFrom(machine.address(), adapter, U256::from(token))).await;
    let (_, p) = get(&svc.url(), &format!("/machine/{did}")).await;
    let n = &p["peaqos"]["machine_nft"];
    assert_eq!(n["chain"], "unknown", "{p}");
    assert_eq!(n["locked_in_adapter"], true);
    assert_eq!(n["peaq_owner"], adapter.to_string());
    assert!(n["owner"].is_null());
    assert!(n["reason"].as_str().unwrap().contains("no Base RPC"), "{n}");
    svc.shutdown().await.unwrap();

    // A Base RPC that cannot answer: unknown, and the reason says the read failed.
    let db = database(Db::Sqlite, dir.path(), "base-down").await;
    let svc = mcr(&net, &db, |c| {
        c.nft_bridge = Some(peaqos_mcr::NftBridgeConfig {
            adapter,
            base_nft: Some(Address::repeat_byte(0x42)),
            base_rpc_url: Some("http://127.0.0.1:1".into()),
        });
    })
    .await;
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();
    let (_, p) = get(&svc.url(), &format!("/metadata/{token}")).await;
    let n = &p["peaqos"]["machine_nft"];
    assert_eq!(n["chain"], "unknown", "{p}");
    assert!(
        n["reason"].as_str().unwrap().contains("on Base failed"),
        "{n}"
    );
    svc.shutdown().await.unwrap();
}
