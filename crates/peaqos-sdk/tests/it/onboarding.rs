//! register / mint / DID against the embedded devnet.

use crate::common::{Net, SdkNet, peaq};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use peaqos_sdk::{
    DataVisibility, ErrorCode, PeaqosError, WriteMachineDidParams, WriteProxyDidParams,
};

fn code(e: &PeaqosError) -> Option<&'static str> {
    e.code_str()
}

#[tokio::test]
async fn devnet_preset_matches_the_running_devnet() {
    let net = Net::start().await;
    assert_eq!(peaqos_sdk::devnet_addresses(), net.contracts());
    assert_eq!(net.dev(0).chain_id().await.unwrap(), 31337);
}

#[tokio::test]
async fn self_managed_flow_with_reverts_decoded() {
    let net = Net::start().await;
    let key = net.funded(10).await;
    let c = net.client_for(&key);

    assert_eq!(c.min_bond().await.unwrap(), peaq(1));
    let id = c.register_machine().await.unwrap();
    assert_eq!(id, 1);
    assert_eq!(c.machine_id_of_owner(c.address()).await.unwrap(), 1);
    assert_eq!(
        c.machine_status(id).await.unwrap(),
        peaqos_sdk::MachineStatus::Pending
    );

    let e = c.register_machine().await.unwrap_err();
    assert_eq!(code(&e), Some("AlreadyRegistered"), "{e}");
    assert!(e.to_string().starts_with("AlreadyRegistered"), "{e}");

    assert_eq!(c.token_id_of(id).await.unwrap(), 0);
    let e = c.mint_nft(id, Address::ZERO).await.unwrap_err();
    assert_eq!(code(&e), Some("InvalidAddress"), "{e}");
    let e = c.mint_nft(99, c.address()).await.unwrap_err();
    assert_eq!(code(&e), Some("MachineNotFound"), "{e}");
    let tx = c.mint_nft(id, c.address()).await.unwrap();
    let receipt = c
        .provider()
        .get_transaction_receipt(tx)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.status());
    assert_eq!(c.token_id_of(id).await.unwrap(), 1);
    let e = c.mint_nft(id, c.address()).await.unwrap_err();
    assert_eq!(code(&e), Some("AlreadyMinted"));

    // Someone else cannot mint for this machine... (a second machine, caller unrelated)
    let other = net.funded(5).await;
    let oc = net.client_for(&other);
    let other_id = oc.register_machine().await.unwrap();
    let e = c.mint_nft(other_id, other.address()).await.unwrap_err();
    assert_eq!(code(&e), Some("NotMachineOwner"));

    // Validation before any RPC.
    let e = c.mint_nft(0, c.address()).await.unwrap_err();
    assert_eq!(e.to_string(), "machineId must be a positive integer");
    let e = c.mint_nft(1, "0xnope").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "recipient must be a valid 0x-prefixed Ethereum address"
    );
    let e = c.token_id_of(0).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::ValidationError));

    // DID: write, read back, rewrite with changed values.
    let mut params = WriteMachineDidParams {
        machine_id: id,
        nft_token_id: 1,
        operator_did: String::new(),
        documentation_url: "https://docs.example.com".into(),
        data_api: "https://api.example.com".into(),
        data_visibility: DataVisibility::Public,
    };
    c.write_machine_did_attributes(&params).await.unwrap();
    let a = c.read_attribute(c.address(), "machineId").await.unwrap();
    assert_eq!(
        (a.name.as_str(), a.value.as_str(), a.validity),
        ("machineId", "1", 0)
    );
    assert!(a.created > U256::ZERO);
    assert_eq!(
        c.read_attribute(c.address(), "data_visibility")
            .await
            .unwrap()
            .value,
        "public"
    );
    assert!(
        c.read_attribute_opt(c.address(), "operator")
            .await
            .unwrap()
            .is_none()
    );
    let e = c.read_attribute(c.address(), "operator").await.unwrap_err();
    assert_eq!(code(&e), Some("TX_REVERTED"));
    assert!(e.to_string().contains("Cannot find the item"), "{e}");

    params.data_visibility = DataVisibility::Onchain;
    params.documentation_url = "https://docs.example.com/v2".into();
    params.operator_did = format!("did:peaq:{}", other.address());
    c.write_machine_did_attributes(&params).await.unwrap();
    assert_eq!(
        c.read_attribute(c.address(), "data_visibility")
            .await
            .unwrap()
            .value,
        "onchain"
    );
    assert_eq!(
        c.read_attribute(c.address(), "documentation_url")
            .await
            .unwrap()
            .value,
        "https://docs.example.com/v2"
    );
    assert_eq!(
        c.read_attribute(c.address(), "operator")
            .await
            .unwrap()
            .value,
        format!("did:peaq:{}", other.address().to_checksum(None))
    );
    // Back to self-managed: the operator attribute goes away.
    params.operator_did = String::new();
    c.write_machine_did_attributes(&params).await.unwrap();
    assert!(
        c.read_attribute_opt(c.address(), "operator")
            .await
            .unwrap()
            .is_none()
    );

    // Proxy attributes, twice.
    c.write_proxy_did_attributes(&WriteProxyDidParams {
        proxy_machine_id: id,
        machine_ids: vec![2, 3],
    })
    .await
    .unwrap();
    assert_eq!(
        c.read_attribute(c.address(), "machines")
            .await
            .unwrap()
            .value,
        "[2,3]"
    );
    c.write_proxy_did_attributes(&WriteProxyDidParams {
        proxy_machine_id: id,
        machine_ids: vec![2, 3, 4],
    })
    .await
    .unwrap();
    assert_eq!(
        c.read_attribute(c.address(), "machines")
            .await
            .unwrap()
            .value,
        "[2,3,4]"
    );
}

#[tokio::test]
async fn proxy_register_for_and_operator_mint() {
    let net = Net::start().await;
    let proxy_key = net.funded(20).await;
    let proxy = net.client_for(&proxy_key);
    let (machine_addr, machine_key) = peaqos_sdk::PeaqosClient::generate_keypair();

    let e = proxy.register_for("0x1234").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "machineAddress must be a valid 0x-prefixed Ethereum address"
    );
    assert_eq!(e.as_validation().unwrap().field, "machine_address");
    let e = proxy.register_for(Address::ZERO).await.unwrap_err();
    assert_eq!(code(&e), Some("InvalidMachineAddress"));
    assert!(e.to_string().contains("zero address"), "{e}");

    let id = proxy.register_for(machine_addr).await.unwrap();
    let e = proxy
        .register_for(machine_addr.to_string())
        .await
        .unwrap_err();
    assert_eq!(code(&e), Some("AlreadyRegistered"));

    let e = proxy.mint_nft(id, proxy.address()).await.unwrap_err();
    assert_eq!(code(&e), Some("RecipientMustBeMachineOwner"));
    proxy.mint_nft(id, machine_addr).await.unwrap();
    let token = proxy.token_id_of(id).await.unwrap();
    assert_eq!(token, 1);

    // The machine writes its own DID with the operator reference.
    net.fund_with_sdk(machine_key.signer().address(), 1).await;
    let mc = peaqos_sdk::PeaqosClient::new(net.config_for(&machine_key.signer())).unwrap();
    mc.write_machine_did_attributes(&WriteMachineDidParams {
        machine_id: id,
        nft_token_id: token,
        operator_did: format!("did:peaq:{}", proxy.address()),
        documentation_url: "https://d".into(),
        data_api: "https://a".into(),
        data_visibility: DataVisibility::Private,
    })
    .await
    .unwrap();
    let op = mc.read_attribute(machine_addr, "operator").await.unwrap();
    assert_eq!(
        op.value,
        format!("did:peaq:{}", proxy.address().to_checksum(None))
    );
}

#[tokio::test]
async fn insufficient_funds_is_an_rpc_error_without_a_revert_code() {
    let net = Net::start().await;
    let broke = alloy::signers::local::PrivateKeySigner::random();
    let c = net.client_for(&broke);
    let e = c.register_machine().await.unwrap_err();
    assert!(matches!(e, PeaqosError::Rpc { .. }), "{e:?}");
    // No code: the CLI's exit-code table gives it 2 (network / chain).
    assert_eq!(e.code(), None, "{e:?}");
    assert_eq!(e.revert_name(), None);
}
