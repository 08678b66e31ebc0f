//! The node over real DDS on the loopback interface, called by ros2-client peers with the
//! reply mapping of Fast DDS ("enhanced") and of rmw_cyclonedds_cpp.

use peaqos_ros2::interfaces::*;
use ros2_client::ServiceMapping;

use crate::common::{Peer, config, fresh_domain, node};

fn validate_req() -> PeaqosValidateEventRequest {
    PeaqosValidateEventRequest {
        machine_id: 7,
        event_type: 0,
        value: 12_500,
        timestamp: 1_700_000_000,
        raw_data_hex: "0xdeadbeef".into(),
        trust_level: 0,
        source_chain_id: 0,
        source_tx_hash: String::new(),
        metadata_hex: String::new(),
    }
}

async fn validate_with(mapping: ServiceMapping) {
    let dir = tempfile::tempdir().unwrap();
    let domain = fresh_domain();
    let _node = node(config(dir.path(), "  enabled: true\n"), domain, mapping).await;
    let mut peer = Peer::new(domain, mapping, "validate_peer");
    let r: PeaqosValidateEventResponse = peer
        .call("events/validate", "PeaqosValidateEvent", validate_req())
        .await;
    assert!(r.success, "{r:?}");
    let expected = peaqos_sdk::compute_data_hash(&[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(r.data_hash, format!("{expected:#x}"));
    assert_eq!(
        (
            r.error_code.as_str(),
            r.error_field.as_str(),
            r.error.as_str()
        ),
        ("", "", "")
    );

    // Empty raw data hashes to bytes32(0).
    let mut req = validate_req();
    req.raw_data_hex.clear();
    let r: PeaqosValidateEventResponse = peer
        .call("events/validate", "PeaqosValidateEvent", req)
        .await;
    assert_eq!(r.data_hash, format!("{:#x}", alloy::primitives::B256::ZERO));

    // Invalid requests answer with the SDK's validation code and the ROS field name.
    for (mutate, field) in [
        (
            Box::new(|r: &mut PeaqosValidateEventRequest| r.event_type = 7) as Box<dyn Fn(&mut _)>,
            "event_type",
        ),
        (
            Box::new(|r: &mut PeaqosValidateEventRequest| r.trust_level = 9),
            "trust_level",
        ),
        (
            Box::new(|r: &mut PeaqosValidateEventRequest| r.raw_data_hex = "0xzz".into()),
            "raw_data_hex",
        ),
        (
            Box::new(|r: &mut PeaqosValidateEventRequest| r.machine_id = 0),
            "machine_id",
        ),
        (
            Box::new(|r: &mut PeaqosValidateEventRequest| r.source_tx_hash = "0x12".into()),
            "source_tx_hash",
        ),
    ] {
        let mut req = validate_req();
        mutate(&mut req);
        let r: PeaqosValidateEventResponse = peer
            .call("events/validate", "PeaqosValidateEvent", req)
            .await;
        assert!(!r.success);
        assert_eq!(r.error_code, "VALIDATION_ERROR", "{field}: {r:?}");
        assert_eq!(r.error_field, field, "{r:?}");
        assert!(!r.error.is_empty());
        assert!(r.data_hash.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_over_dds_fastdds_mapping() {
    validate_with(ServiceMapping::Enhanced).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_over_dds_cyclone_mapping() {
    validate_with(ServiceMapping::Cyclone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_node_answers_disabled_on_every_service_kind() {
    let dir = tempfile::tempdir().unwrap();
    let domain = fresh_domain();
    let _node = node(
        config(dir.path(), "  enabled: false\n"),
        domain,
        ServiceMapping::Enhanced,
    )
    .await;
    let mut peer = Peer::new(domain, ServiceMapping::Enhanced, "disabled_peer");
    peer.prepare::<PeaqosValidateEventRequest, PeaqosValidateEventResponse>(
        "events/validate",
        "PeaqosValidateEvent",
    );
    peer.prepare::<PeaqosCreateWalletRequest, PeaqosCreateWalletResponse>(
        "wallet/create",
        "PeaqosCreateWallet",
    );
    let r: PeaqosValidateEventResponse = peer
        .call("events/validate", "PeaqosValidateEvent", validate_req())
        .await;
    assert_eq!(
        (r.success, r.error_code.as_str(), r.error.as_str()),
        (false, "DISABLED", "peaq_os.enabled=false")
    );
    let r: PeaqosCreateWalletResponse = peer
        .call(
            "wallet/create",
            "PeaqosCreateWallet",
            PeaqosCreateWalletRequest::default(),
        )
        .await;
    assert_eq!(
        (r.success, r.error.as_str(), r.address.as_str()),
        (false, "peaq_os.enabled=false", "")
    );
    assert!(
        !dir.path().join("peaqos_wallets.json").exists(),
        "a disabled node wrote a wallet"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_services_over_dds_keep_keys_off_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let domain = fresh_domain();
    let _node = node(
        config(dir.path(), "  enabled: true\n"),
        domain,
        ServiceMapping::Cyclone,
    )
    .await;
    let mut peer = Peer::new(domain, ServiceMapping::Cyclone, "wallet_peer");
    peer.prepare::<PeaqosCreateWalletRequest, PeaqosCreateWalletResponse>(
        "wallet/create",
        "PeaqosCreateWallet",
    );
    peer.prepare::<PeaqosListWalletsRequest, PeaqosListWalletsResponse>(
        "wallet/list",
        "PeaqosListWallets",
    );
    peer.prepare::<PeaqosGetWalletRequest, PeaqosGetWalletResponse>(
        "wallet/get",
        "PeaqosGetWallet",
    );
    peer.prepare::<PeaqosDeleteWalletRequest, PeaqosDeleteWalletResponse>(
        "wallet/delete",
        "PeaqosDeleteWallet",
    );
    let a: PeaqosCreateWalletResponse = peer
        .call(
            "wallet/create",
            "PeaqosCreateWallet",
            PeaqosCreateWalletRequest {
                label: "arm".into(),
            },
        )
        .await;
    assert!(a.success, "{a:?}");
    let b: PeaqosCreateWalletResponse = peer
        .call(
            "wallet/create",
            "PeaqosCreateWallet",
            PeaqosCreateWalletRequest::default(),
        )
        .await;
    assert!(b.success, "{b:?}");
    let list: PeaqosListWalletsResponse = peer
        .call(
            "wallet/list",
            "PeaqosListWallets",
            PeaqosListWalletsRequest::default(),
        )
        .await;
    assert!(list.success, "{list:?}");
    let v: serde_json::Value = serde_json::from_str(&list.wallets_json).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    // Sorted by (label, address): "arm" < "machine_wallet".
    assert_eq!(arr[0]["label"], "arm");
    assert_eq!(arr[0]["address"], a.address.as_str());
    assert_eq!(arr[1]["label"], "machine_wallet");
    for w in arr {
        let mut keys: Vec<&str> = w.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "account_id",
                "address",
                "chain_id",
                "created_at",
                "label",
                "network"
            ]
        );
    }
    assert!(
        !list.wallets_json.contains("private_key") && !list.wallets_json.contains("0x")
            || !list.wallets_json.to_lowercase().contains("crypto")
    );
    let got: PeaqosGetWalletResponse = peer
        .call(
            "wallet/get",
            "PeaqosGetWallet",
            PeaqosGetWalletRequest {
                address: a.address.to_lowercase(),
            },
        )
        .await;
    assert!(got.success, "{got:?}");
    assert!(!got.wallet_json.contains("private_key"));
    let bad: PeaqosGetWalletResponse = peer
        .call(
            "wallet/get",
            "PeaqosGetWallet",
            PeaqosGetWalletRequest {
                address: "0x1234".into(),
            },
        )
        .await;
    assert!(!bad.success && bad.error.contains("address"), "{bad:?}");
    let del: PeaqosDeleteWalletResponse = peer
        .call(
            "wallet/delete",
            "PeaqosDeleteWallet",
            PeaqosDeleteWalletRequest {
                address: a.address.clone(),
            },
        )
        .await;
    assert!(del.success && del.deleted, "{del:?}");
    let again: PeaqosDeleteWalletResponse = peer
        .call(
            "wallet/delete",
            "PeaqosDeleteWallet",
            PeaqosDeleteWalletRequest {
                address: a.address.clone(),
            },
        )
        .await;
    assert!(again.success && !again.deleted, "{again:?}");
    // The registry file holds no plaintext key: the key is in the vault, encrypted.
    let file = std::fs::read_to_string(dir.path().join("peaqos_wallets.json")).unwrap();
    assert!(!file.contains("private_key"), "{file}");
    assert!(file.contains("\"key_store\": \"ows\""), "{file}");
}

/// Every one of the 26 services is on the wire with its exact type: a node without chain
/// configuration answers each (wallet/list succeeds, the others refuse with a code).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_26_services_answer_with_their_types() {
    let dir = tempfile::tempdir().unwrap();
    let domain = fresh_domain();
    let node = node(
        config(dir.path(), "  enabled: true\n"),
        domain,
        ServiceMapping::Enhanced,
    )
    .await;
    // What `peaqos node` and `peaqos up --with-node` print: 26 services, the RMW's name.
    assert_eq!(node.service_count(), 26);
    assert_eq!(node.options().rmw(), "rmw_fastrtps_cpp");
    let mut p = Peer::new(domain, ServiceMapping::Enhanced, "catalog_peer");
    macro_rules! each {
        ($m:ident) => {
            $m!(
                "faucet/setup_2fa",
                "PeaqosSetupFaucet2FA",
                PeaqosSetupFaucet2FARequest,
                PeaqosSetupFaucet2FAResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "faucet/confirm_2fa",
                "PeaqosConfirmFaucet2FA",
                PeaqosConfirmFaucet2FARequest,
                PeaqosConfirmFaucet2FAResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "wallet/fund",
                "PeaqosFundWallet",
                PeaqosFundWalletRequest,
                PeaqosFundWalletResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "machine/register",
                "PeaqosRegisterMachine",
                PeaqosRegisterMachineRequest,
                PeaqosRegisterMachineResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "agent/register",
                "PeaqosRegisterAgent",
                PeaqosRegisterAgentRequest,
                PeaqosRegisterAgentResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "machine/register_for",
                "PeaqosRegisterFor",
                PeaqosRegisterForRequest,
                PeaqosRegisterForResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "agent/register_for",
                "PeaqosRegisterFor",
                PeaqosRegisterForRequest,
                PeaqosRegisterForResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "nft/mint",
                "PeaqosMintNft",
                PeaqosMintNftRequest,
                PeaqosMintNftResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "nft/token_id_of",
                "PeaqosTokenIdOf",
                PeaqosTokenIdOfRequest,
                PeaqosTokenIdOfResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "did/read_attribute",
                "PeaqosReadDidAttribute",
                PeaqosReadDidAttributeRequest,
                PeaqosReadDidAttributeResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "did/write_machine_attributes",
                "PeaqosWriteMachineDidAttributes",
                PeaqosWriteMachineDidAttributesRequest,
                PeaqosWriteMachineDidAttributesResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "did/write_proxy_attributes",
                "PeaqosWriteProxyDidAttributes",
                PeaqosWriteProxyDidAttributesRequest,
                PeaqosWriteProxyDidAttributesResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "events/validate",
                "PeaqosValidateEvent",
                PeaqosValidateEventRequest,
                PeaqosValidateEventResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "events/submit",
                "PeaqosSubmitEvent",
                PeaqosSubmitEventRequest,
                PeaqosSubmitEventResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "events/batch_submit",
                "PeaqosBatchSubmitEvents",
                PeaqosBatchSubmitEventsRequest,
                PeaqosBatchSubmitEventsResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "mcr/query",
                "PeaqosQueryMcr",
                PeaqosQueryMcrRequest,
                PeaqosQueryMcrResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "mcr/machine",
                "PeaqosQueryMachine",
                PeaqosQueryMachineRequest,
                PeaqosQueryMachineResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "mcr/operator_machines",
                "PeaqosQueryOperatorMachines",
                PeaqosQueryOperatorMachinesRequest,
                PeaqosQueryOperatorMachinesResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "smart_account/address",
                "PeaqosGetSmartAccountAddress",
                PeaqosGetSmartAccountAddressRequest,
                PeaqosGetSmartAccountAddressResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "smart_account/deploy",
                "PeaqosDeploySmartAccount",
                PeaqosDeploySmartAccountRequest,
                PeaqosDeploySmartAccountResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "bridge/nft",
                "PeaqosBridgeNft",
                PeaqosBridgeNftRequest,
                PeaqosBridgeNftResponse,
                "VALIDATION_ERROR"
            );
            $m!(
                "bridge/wait_arrival",
                "PeaqosWaitForBridgeArrival",
                PeaqosWaitForBridgeArrivalRequest,
                PeaqosWaitForBridgeArrivalResponse,
                "VALIDATION_ERROR"
            );
        };
    }
    macro_rules! prepare {
        ($svc:literal, $ty:literal, $req:ident, $resp:ident, $code:literal) => {
            p.prepare::<$req, $resp>($svc, $ty);
        };
    }
    p.prepare::<PeaqosListWalletsRequest, PeaqosListWalletsResponse>(
        "wallet/list",
        "PeaqosListWallets",
    );
    p.prepare::<PeaqosGetWalletRequest, PeaqosGetWalletResponse>("wallet/get", "PeaqosGetWallet");
    p.prepare::<PeaqosDeleteWalletRequest, PeaqosDeleteWalletResponse>(
        "wallet/delete",
        "PeaqosDeleteWallet",
    );
    each!(prepare);
    macro_rules! refused {
        ($svc:literal, $ty:literal, $req:ident, $resp:ident, $code:literal) => {{
            let r: $resp = p.call($svc, $ty, $req::default()).await;
            assert!(!r.success, "{}: {r:?}", $svc);
            assert_eq!(r.error_code, $code, "{}: {r:?}", $svc);
            assert!(!r.error.is_empty(), "{}", $svc);
        }};
    }
    let r: PeaqosListWalletsResponse = p
        .call(
            "wallet/list",
            "PeaqosListWallets",
            PeaqosListWalletsRequest::default(),
        )
        .await;
    assert!(r.success && r.wallets_json == "[]", "{r:?}");
    let r: PeaqosGetWalletResponse = p
        .call(
            "wallet/get",
            "PeaqosGetWallet",
            PeaqosGetWalletRequest::default(),
        )
        .await;
    assert!(!r.success, "{r:?}");
    let r: PeaqosDeleteWalletResponse = p
        .call(
            "wallet/delete",
            "PeaqosDeleteWallet",
            PeaqosDeleteWalletRequest::default(),
        )
        .await;
    assert!(!r.success, "{r:?}");
    each!(refused);
    // A valid event on a node without chain config: refused before anything is sent.
    let mut ev = PeaqosSubmitEventRequest {
        signer_address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".into(),
        machine_id: 1,
        timestamp: 1_700_000_000,
        ..Default::default()
    };
    ev.value = 5;
    let r: PeaqosSubmitEventResponse = p.call("events/submit", "PeaqosSubmitEvent", ev).await;
    assert_eq!(r.error_code, "CONFIG_ERROR", "{r:?}");
    assert!(
        r.error.starts_with("missing peaqOS config: rpc_url"),
        "{r:?}"
    );
}
