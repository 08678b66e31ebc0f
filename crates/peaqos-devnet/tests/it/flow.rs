//! The whole onboarding flow through an alloy client, as the SDK drives it: register, mint,
//! write the DID attributes, submit events and read them back.

use crate::util::{event_registry, record};
use alloy::primitives::{Bytes, U256};
use peaqos_contracts::precompiles::DidRegistry;
use peaqos_contracts::{IdentityRegistry, MachineNFT};
use peaqos_testkit::{
    Ev, EvExt, TestNet, activity, latest_timestamp, mined, peaq, registered, set_did_attributes,
};
use peaqos_types::constants::{DEFAULT_MCR_API_URL, DID_PRECOMPILE_ADDRESS};

#[tokio::test]
async fn register_mint_write_did_and_submit_events() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let machine = net.funded_key(10).await;
    let p = net.provider_for(machine.clone());

    // 1. register with the bond read from the registry; the id comes from Registered
    let registry = IdentityRegistry::new(d.identity_registry, &p);
    let bond = registry.minBond().call().await.unwrap();
    assert_eq!(bond, peaq(1));
    let receipt = mined(registry.register().value(bond)).await;
    let registered = registered(&receipt);
    let machine_id = registered.machineId;
    assert_eq!(machine_id, U256::from(1));
    assert_eq!(registered.owner, machine.address());
    assert_eq!(
        registered.machineURI,
        format!("{DEFAULT_MCR_API_URL}/machines/1")
    );
    assert_eq!(
        registry
            .machineIdOfOwner(machine.address())
            .call()
            .await
            .unwrap(),
        machine_id
    );

    // 2. mint the Machine NFT to itself
    let nft = MachineNFT::new(d.machine_nft, &p);
    mined(nft.mint(machine_id, machine.address())).await;
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
    let pairs: Vec<(&str, &str)> = attrs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    set_did_attributes(&p, machine.address(), &pairs).await;
    let did = DidRegistry::new(DID_PRECOMPILE_ADDRESS, &p);
    for (n, v) in &attrs {
        let a = did
            .readAttribute(machine.address(), Bytes::copy_from_slice(n.as_bytes()))
            .call()
            .await
            .unwrap();
        assert_eq!(a.value.as_ref(), v.as_bytes(), "attribute {n}");
        assert_eq!(a.validity, u32::MAX);
        // and the registry serves them as ERC-8004 metadata
        assert_eq!(
            registry
                .getMetadata(machine_id, (*n).to_string())
                .call()
                .await
                .unwrap()
                .as_ref(),
            v.as_bytes()
        );
    }

    // 4. a revenue event and an activity event, read back
    let now = latest_timestamp(&p).await;
    let id = machine_id.to::<u64>();
    let revenue = Ev::revenue("USD", now);
    let act = activity(now, 2);
    let r = net.submit_event(&p, id, &revenue).await;
    println!("gas for a first revenue event: {}", r.gas_used);
    net.submit_event(&p, id, &act).await;
    let events = event_registry(&net, &p);
    assert_eq!(
        events.getEventCount(machine_id).call().await.unwrap(),
        U256::from(2)
    );
    assert_eq!(
        events
            .getEvents(machine_id, U256::ZERO, U256::from(10))
            .call()
            .await
            .unwrap(),
        vec![record(machine_id, &revenue), record(machine_id, &act)]
    );
}
