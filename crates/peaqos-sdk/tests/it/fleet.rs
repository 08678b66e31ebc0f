//! `activate_fleet`: many machines by one proxy operator, checked on chain.

use crate::common::{Net, SdkNet};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use peaqos_contracts::MachineNFT;
use peaqos_devnet::DevnetConfig;
use peaqos_sdk::{
    DataVisibility, FleetMachine, FleetOptions, FleetStep, PeaqosClient, PrivateKey,
    ProxyListOutcome,
};
use std::time::Duration;

fn machines(n: usize) -> Vec<FleetMachine> {
    (0..n)
        .map(|i| FleetMachine {
            key: PrivateKey::from(&PrivateKeySigner::random()),
            documentation_url: format!("https://docs.example.com/m{i}"),
            data_api: format!("https://api.example.com/m{i}"),
            data_visibility: DataVisibility::Public,
        })
        .collect()
}

/// A registered operator holding `amount` PEAQ.
async fn operator(net: &Net, amount: u64) -> PeaqosClient {
    let key = net.funded(amount).await;
    let op = net.client_for(&key);
    op.register_machine().await.expect("operator registers");
    op
}

async fn nft_owner(op: &PeaqosClient, token: u64) -> Address {
    let call = MachineNFT::ownerOfCall {
        tokenId: U256::from(token),
    };
    let out = op
        .simulate(
            op.contracts().machine_nft,
            call.abi_encode().into(),
            U256::ZERO,
        )
        .await
        .unwrap();
    MachineNFT::ownerOfCall::abi_decode_returns(&out).unwrap()
}

async fn attr(op: &PeaqosClient, who: Address, name: &str) -> String {
    op.read_attribute(who, name).await.unwrap().value
}

#[tokio::test]
async fn a_fleet_of_25_is_activated_on_a_block_time_chain() {
    let net = Net::start_with(DevnetConfig {
        block_time: Some(Duration::from_millis(200)),
        ..DevnetConfig::ephemeral()
    })
    .await;
    let op = operator(&net, 100).await;
    let fleet = machines(25);
    let head = net.head().await;
    let report = op
        .activate_fleet(&fleet, &FleetOptions::default(), None)
        .await
        .unwrap();
    assert_eq!(report.activated(), 25, "{:?}", report.failed().next());
    let mut ids = Vec::new();
    for (m, o) in fleet.iter().zip(&report.machines) {
        let a = o.result.as_ref().unwrap();
        assert_eq!(o.address, m.address());
        assert!(a.register_tx.is_some() && a.fund_tx.is_some());
        assert!(a.mint_tx.is_some() && a.did_tx.is_some());
        // identity: the machine address is registered, the operator owns the identity
        assert_eq!(
            op.machine_id_of_owner(m.address()).await.unwrap(),
            a.machine_id
        );
        // NFT: minted to the machine itself
        assert_eq!(op.token_id_of(a.machine_id).await.unwrap(), a.token_id);
        assert_eq!(nft_owner(&op, a.token_id).await, m.address());
        // DID: written by the machine, naming the operator
        let who = m.address();
        assert_eq!(attr(&op, who, "machineId").await, a.machine_id.to_string());
        assert_eq!(attr(&op, who, "nftTokenId").await, a.token_id.to_string());
        assert_eq!(
            attr(&op, who, "operator").await,
            format!("did:peaq:{}", op.address())
        );
        assert_eq!(attr(&op, who, "data_api").await, m.data_api);
        assert_eq!(attr(&op, who, "data_visibility").await, "public");
        ids.push(a.machine_id);
    }
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 25);
    // the proxy list names every machine
    match &report.proxy_list {
        ProxyListOutcome::Written { machines, .. } => assert_eq!(*machines, 25),
        other => panic!("proxy list: {other:?}"),
    }
    let listed: Vec<u64> =
        serde_json::from_str(&attr(&op, op.address(), "machines").await).unwrap();
    assert_eq!(listed, ids);
    assert_eq!(
        attr(&op, op.address(), "machineId").await,
        report.operator_machine_id.to_string()
    );
    // 25 machines x 4 transactions + the proxy list went out; the chain mined them in blocks
    // holding several at once (the operator's nonces are pipelined).
    let mut mined = 0u64;
    let last = net.head().await;
    for n in head + 1..=last {
        let b = op
            .provider()
            .get_block_by_number(n.into())
            .await
            .unwrap()
            .unwrap();
        mined += b.transactions.len() as u64;
    }
    assert_eq!(mined, 25 * 4 + 1);
}

#[tokio::test]
async fn one_bad_machine_does_not_sink_the_fleet_and_a_rerun_finishes_the_rest() {
    let net = Net::start().await;
    let op = operator(&net, 50).await;
    let mut fleet = machines(4);
    // Machine 2 registered itself: the operator is not its owner, so the mint is refused.
    let own = PrivateKeySigner::random();
    net.fund_with_sdk(own.address(), 5).await;
    net.client_for(&own).register_machine().await.unwrap();
    fleet[2].key = PrivateKey::from(&own);
    // Machine 3 is half done: registered by the operator, nothing else.
    let half_id = op.register_for(fleet[3].address()).await.unwrap();
    let nonce_before = op
        .provider()
        .get_transaction_count(op.address())
        .await
        .unwrap();

    let report = op
        .activate_fleet(&fleet, &FleetOptions::default(), None)
        .await
        .unwrap();
    assert_eq!(report.activated(), 3);
    let (bad, why) = report.failed().next().unwrap();
    assert_eq!(bad.index, 2);
    assert_eq!(why.step, FleetStep::Mint);
    assert_eq!(why.error.code_str(), Some("NotMachineOwner"), "{why}");
    assert!(why.machine_id.is_some());
    let half = report.machines[3].result.as_ref().unwrap();
    assert_eq!(half.machine_id, half_id);
    assert!(half.register_tx.is_none(), "not registered twice");
    assert!(half.mint_tx.is_some());
    // 2 fresh machines x (register, fund, mint) + the half-done one's fund and mint + the list
    let nonce_after = op
        .provider()
        .get_transaction_count(op.address())
        .await
        .unwrap();
    assert_eq!(nonce_after - nonce_before, 2 * 3 + 2 + 1);
    let listed: Vec<u64> =
        serde_json::from_str(&attr(&op, op.address(), "machines").await).unwrap();
    assert_eq!(listed.len(), 3);
    assert!(!listed.contains(&why.machine_id.unwrap()));

    // The rerun sends nothing for the complete machines and fails the bad one again.
    let again = op
        .activate_fleet(&fleet, &FleetOptions::default(), None)
        .await
        .unwrap();
    for i in [0, 1, 3] {
        assert!(again.machines[i].result.as_ref().unwrap().was_complete());
    }
    assert!(again.machines[2].result.is_err());
    assert_eq!(
        again.proxy_list,
        ProxyListOutcome::Unchanged { machines: 3 }
    );
    assert_eq!(
        op.provider()
            .get_transaction_count(op.address())
            .await
            .unwrap(),
        nonce_after
    );
}

#[tokio::test]
async fn a_fleet_is_refused_before_anything_is_sent() {
    let net = Net::start().await;
    let key = net.funded(10).await;
    let op = net.client_for(&key);
    let fleet = machines(2);
    // not registered itself
    let e = op
        .activate_fleet(&fleet, &FleetOptions::default(), None)
        .await
        .unwrap_err();
    assert_eq!(e.as_validation().unwrap().field, "operator");
    op.register_machine().await.unwrap();
    // a machine listed twice
    let twice = vec![fleet[0].clone(), fleet[0].clone()];
    let e = op
        .activate_fleet(&twice, &FleetOptions::default(), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("listed twice"), "{e}");
    // a bad DID value
    let mut bad = fleet.clone();
    bad[1].data_api = String::new();
    let e = op
        .activate_fleet(&bad, &FleetOptions::default(), None)
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "dataApi must not be empty");
    assert_eq!(op.machine_id_of_owner(fleet[0].address()).await.unwrap(), 0);
}
