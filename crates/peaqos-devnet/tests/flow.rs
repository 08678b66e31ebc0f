//! The whole onboarding flow through an alloy client, as the SDK will drive it.

mod common;

use alloy::primitives::{Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolCall, SolEvent};
use common::{TestNet, peaq};
use peaqos_contracts::precompiles::{Batch, DidRegistry};
use peaqos_contracts::{EventRegistry, IdentityRegistry, MachineNFT};
use peaqos_types::constants::{BATCH_PRECOMPILE_ADDRESS, DID_PRECOMPILE_ADDRESS};

#[tokio::test]
async fn register_mint_write_did_and_submit_events() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let machine = net.funded_key(10).await;
    let p = net.provider_for(machine.clone());

    // 1. register with the bond read from the registry
    let registry = IdentityRegistry::new(d.identity_registry, &p);
    let bond = registry.minBond().call().await.unwrap();
    assert_eq!(bond, peaq(1));
    let receipt = registry
        .register()
        .value(bond)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let registered = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| IdentityRegistry::Registered::decode_log(&l.inner).ok())
        .expect("Registered log");
    let machine_id = registered.machineId;
    assert_eq!(machine_id, U256::from(1));
    assert_eq!(registered.machine, machine.address());
    assert_eq!(
        registry
            .machineIdOf(machine.address())
            .call()
            .await
            .unwrap(),
        machine_id
    );

    // 2. mint the Machine NFT to itself
    let nft = MachineNFT::new(d.machine_nft, &p);
    let r = nft
        .mint(machine_id, machine.address())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    let token_id = nft.tokenIdOf(machine_id).call().await.unwrap();
    assert_eq!(token_id, U256::from(1));

    // 3. six DID attributes in one batchAll
    let attrs = [
        ("machineId", machine_id.to_string()),
        ("nftTokenId", token_id.to_string()),
        ("operator", format!("did:peaq:{}", machine.address())),
        ("documentation_url", "https://example.com/docs".to_string()),
        ("data_api", "https://example.com/api".to_string()),
        ("data_visibility", "public".to_string()),
    ];
    let calls: Vec<Bytes> = attrs
        .iter()
        .map(|(n, v)| {
            DidRegistry::addAttributeCall {
                did_account: machine.address(),
                name: Bytes::copy_from_slice(n.as_bytes()),
                value: Bytes::copy_from_slice(v.as_bytes()),
                validity_for: 0,
            }
            .abi_encode()
            .into()
        })
        .collect();
    let batch = Batch::new(BATCH_PRECOMPILE_ADDRESS, &p);
    let r = batch
        .batchAll(
            vec![DID_PRECOMPILE_ADDRESS; calls.len()],
            vec![],
            calls,
            vec![],
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status(), "batchAll failed: {r:?}");
    let did = DidRegistry::new(DID_PRECOMPILE_ADDRESS, &p);
    for (n, v) in &attrs {
        let a = did
            .readAttribute(machine.address(), Bytes::copy_from_slice(n.as_bytes()))
            .call()
            .await
            .unwrap();
        assert_eq!(a.value.as_ref(), v.as_bytes(), "attribute {n}");
        assert_eq!(a.validity, u32::MAX);
    }

    // 4. a revenue event and an activity event
    let events = EventRegistry::new(d.event_registry, &p);
    let now = p
        .get_block(alloy::eips::BlockId::latest())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let r = events
        .submitEvent(
            machine_id,
            0,
            U256::from(500),
            "USD".into(),
            U256::from(now),
            Default::default(),
            0,
            U256::ZERO,
            Default::default(),
            Bytes::new(),
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    println!("gas for a first revenue event: {}", r.gas_used);
    let r = events
        .submitEvent(
            machine_id,
            1,
            U256::ZERO,
            String::new(),
            U256::from(now),
            Default::default(),
            2,
            U256::ZERO,
            Default::default(),
            Bytes::new(),
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    assert_eq!(
        events.eventCount(machine_id).call().await.unwrap(),
        U256::from(2)
    );
    let _ = EventRegistry::submitEventCall::SELECTOR;
}
