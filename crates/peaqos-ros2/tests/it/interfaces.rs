//! The Rust types are generated from peaq_ros2_interfaces/srv; these tests pin the package
//! around them: the catalog, the CMake list, the DDS names and the documented field lists.

use peaqos_ros2::interfaces::{SERVICES, SRV_DEFS, dds_topics, dds_types, srv_def};

fn srv_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../peaq_ros2_interfaces")
}

#[test]
fn catalog_has_26_services_over_25_generated_types() {
    assert_eq!(SERVICES.len(), 26);
    assert_eq!(SRV_DEFS.len(), 25);
    for (svc, ty) in SERVICES {
        assert!(srv_def(ty).is_some(), "{svc}: type {ty} has no .srv file");
    }
    for d in SRV_DEFS {
        assert!(
            SERVICES.iter().any(|(_, t)| *t == d.type_name),
            "{} is served by no service",
            d.type_name
        );
    }
}

#[test]
fn cmake_lists_every_srv_file() {
    let cmake = std::fs::read_to_string(srv_dir().join("CMakeLists.txt")).unwrap();
    for d in SRV_DEFS {
        assert!(
            cmake.contains(&format!("\"srv/{}.srv\"", d.type_name)),
            "CMakeLists.txt misses {}",
            d.type_name
        );
    }
    let listed = cmake.matches(".srv\"").count();
    assert_eq!(
        listed,
        SRV_DEFS.len(),
        "CMakeLists.txt lists a file that does not exist"
    );
    let pkg = std::fs::read_to_string(srv_dir().join("package.xml")).unwrap();
    assert!(pkg.contains("<name>peaq_ros2_interfaces</name>"));
    assert!(pkg.contains("<member_of_group>rosidl_interface_packages</member_of_group>"));
}

/// The field lists of ROS2.md, written out once more: a .srv edit that changes the wire shows
/// up here as well as in the handlers.
#[test]
fn generated_fields_are_the_documented_ones() {
    let ev = "machine_id:uint64 event_type:uint8 value:uint64 timestamp:uint64 raw_data_hex:string trust_level:uint8 source_chain_id:uint64 source_tx_hash:string metadata_hex:string";
    let q = "did:string|result_json:string success:bool error_code:string error_field:string error:string";
    let sa = "signer_address:string owner:string machine:string daily_limit:string salt:string|address:string success:bool error_code:string error_field:string error:string";
    let expected: Vec<(&str, String)> = vec![
        ("PeaqosCreateWallet", "label:string|address:string success:bool error:string".into()),
        ("PeaqosListWallets", "structure_needs_at_least_one_member:uint8|wallets_json:string success:bool error:string".into()),
        ("PeaqosGetWallet", "address:string|wallet_json:string success:bool error:string".into()),
        ("PeaqosDeleteWallet", "address:string|deleted:bool success:bool error:string".into()),
        ("PeaqosSetupFaucet2FA", "owner_address:string qr_format:string|owner_address:string otpauth_uri:string qr_image_url:string success:bool error_code:string error:string".into()),
        ("PeaqosConfirmFaucet2FA", "owner_address:string two_factor_code:string|success:bool error_code:string error:string".into()),
        ("PeaqosFundWallet", "owner_address:string target_address:string chain_id:string two_factor_code:string request_id:string|status:string request_id:string tx_hash:string funded_amount:string current_balance:string min_gas_balance:string success:bool error_code:string error:string".into()),
        ("PeaqosRegisterMachine", "address:string|machine_id:uint64 success:bool error_code:string error:string".into()),
        ("PeaqosRegisterAgent", "address:string|machine_id:uint64 success:bool error_code:string error:string".into()),
        ("PeaqosRegisterFor", "proxy_address:string machine_address:string|machine_id:uint64 success:bool error_code:string error:string".into()),
        ("PeaqosMintNft", "signer_address:string machine_id:uint64 recipient:string|tx_hash:string success:bool error_code:string error_field:string error:string".into()),
        ("PeaqosTokenIdOf", "signer_address:string machine_id:uint64|token_id:uint64 success:bool error_code:string error_field:string error:string".into()),
        ("PeaqosReadDidAttribute", "signer_address:string did_address:string name:string|attribute_name:string value:string validity:uint64 created:uint64 success:bool error_code:string error_field:string error:string".into()),
        ("PeaqosWriteMachineDidAttributes", "signer_address:string machine_id:uint64 nft_token_id:uint64 operator_did:string documentation_url:string data_api:string data_visibility:string|tx_hash:string success:bool error_code:string error_field:string error:string".into()),
        ("PeaqosWriteProxyDidAttributes", "signer_address:string proxy_agent_id:uint64 machine_ids:uint64[]|tx_hash:string success:bool error_code:string error_field:string error:string".into()),
        ("PeaqosValidateEvent", format!("{ev}|data_hash:string success:bool error_code:string error_field:string error:string")),
        ("PeaqosSubmitEvent", format!("signer_address:string {ev}|tx_hash:string data_hash:string success:bool error_code:string error_field:string error:string")),
        ("PeaqosBatchSubmitEvents", "signer_address:string events_json:string|tx_hashes_json:string success:bool error_code:string error_field:string error:string".into()),
        ("PeaqosQueryMcr", q.into()),
        ("PeaqosQueryMachine", q.into()),
        ("PeaqosQueryOperatorMachines", q.into()),
        ("PeaqosGetSmartAccountAddress", sa.into()),
        ("PeaqosDeploySmartAccount", sa.into()),
        ("PeaqosBridgeNft", "signer_address:string token_id:uint64 source:string destination:string recipient:string base_rpc_url:string base_nft_address:string options_hex:string|tx_hash:string success:bool error_code:string error_field:string error:string".into()),
        ("PeaqosWaitForBridgeArrival", "dst_rpc_url:string dst_nft_address:string token_id:uint64 timeout:uint64|arrived:bool success:bool error_code:string error_field:string error:string".into()),
    ];
    assert_eq!(expected.len(), SRV_DEFS.len());
    for (ty, fields) in expected {
        let d = srv_def(ty).unwrap_or_else(|| panic!("{ty} missing"));
        let show = |f: &[(&str, &str)]| {
            f.iter()
                .map(|(n, t)| format!("{n}:{t}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            format!("{}|{}", show(d.request), show(d.response)),
            fields,
            "{ty}"
        );
    }
}

#[test]
fn dds_names_follow_the_ros2_mapping() {
    assert_eq!(
        dds_topics("wallet/create"),
        (
            "rq/peaqos_node/wallet/createRequest".to_string(),
            "rr/peaqos_node/wallet/createReply".to_string()
        )
    );
    assert_eq!(
        dds_types("PeaqosCreateWallet"),
        (
            "peaq_ros2_interfaces::srv::dds_::PeaqosCreateWallet_Request_".to_string(),
            "peaq_ros2_interfaces::srv::dds_::PeaqosCreateWallet_Response_".to_string()
        )
    );
}
