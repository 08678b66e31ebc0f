//! peaq_robot.yaml, environment overrides and ROS parameters, as ROS2.md lists them.

use std::collections::BTreeMap;

use peaqos_ros2::config::{NodeConfig, Sources};

fn resolve(yaml: Option<&str>, env: &[(&str, &str)], params: &[(&str, &str)]) -> NodeConfig {
    NodeConfig::resolve(&Sources {
        yaml: yaml.map(str::to_string),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    })
    .unwrap()
}

#[test]
fn defaults_are_the_documented_ones() {
    let c = resolve(None, &[], &[]);
    assert!(!c.enabled);
    assert_eq!(c.rpc_url, "");
    assert_eq!(c.api_url, "http://127.0.0.1:8000");
    assert_eq!(c.faucet_base_url, "");
    assert_eq!(c.qr_format, "svg");
    assert!(
        c.wallet_registry_path
            .ends_with(".peaq_robot/peaqos_wallets.json")
    );
    assert!(!c.wallet_plaintext, "new wallets are encrypted by default");
    assert_eq!(c.default_machine_address, "");
    assert!(c.contracts.values().all(String::is_empty));
    assert_eq!(c.contracts.len(), 8);
    assert!(c.limits.max_value_per_tx.is_zero());
    assert_eq!(
        (
            c.limits.rate_limit_max_events,
            c.limits.rate_limit_window_seconds
        ),
        (0, 0)
    );
    assert_eq!(
        c.contract_addresses().unwrap_err(),
        "missing peaqOS config: rpc_url, contracts.identity_registry, contracts.identity_staking, contracts.event_registry, contracts.machine_nft, contracts.did_registry, contracts.batch_precompile"
    );
}

const YAML: &str = r#"
network:
  wifi: robot-lan        # another node's section: ignored
logging: {level: debug}
peaq_os:
  enabled: true
  evm:
    rpc_url: http://127.0.0.1:9944
  api_url: http://127.0.0.1:8001
  faucet:
    base_url: http://127.0.0.1:8002
    qr_format: png
  wallet_registry:
    path: /var/lib/robot/wallets.json
  defaults:
    machine_address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    proxy_address: ""
  contracts:
    identity_registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    identity_staking: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    event_registry: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
    machine_nft: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
    did_registry: "0x0000000000000000000000000000000000000800"
    batch_precompile: "0x0000000000000000000000000000000000000805"
  operational_limits:
    max_value_per_tx: "115792089237316195423570985008687907853269984665640564039457584007913129639935"
    rate_limit_max_events: 10
    rate_limit_window_seconds: 60
"#;

#[test]
fn yaml_keys_and_aliases_are_read_other_sections_ignored() {
    let c = resolve(Some(YAML), &[], &[]);
    assert!(c.enabled);
    assert_eq!(c.rpc_url, "http://127.0.0.1:9944");
    assert_eq!(c.api_url, "http://127.0.0.1:8001");
    assert_eq!(c.faucet_base_url, "http://127.0.0.1:8002");
    assert_eq!(c.qr_format, "png");
    assert_eq!(
        c.wallet_registry_path,
        std::path::PathBuf::from("/var/lib/robot/wallets.json")
    );
    assert_eq!(
        c.default_machine_address,
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    );
    assert_eq!(c.limits.max_value_per_tx, alloy::primitives::U256::MAX);
    assert_eq!(
        (
            c.limits.rate_limit_max_events,
            c.limits.rate_limit_window_seconds
        ),
        (10, 60)
    );
    let a = c.contract_addresses().unwrap();
    assert_eq!(
        format!("{:#x}", a.did_registry),
        "0x0000000000000000000000000000000000000800"
    );
    assert_eq!(a.machine_account_factory, None);
    // The `peaqos` alias of the section.
    let c = resolve(Some(&YAML.replace("peaq_os:", "peaqos:")), &[], &[]);
    assert!(c.enabled);
    // The canonical spelling wins over its alias.
    let c = resolve(
        Some("peaq_os:\n  rpc_url: http://a:1\n  evm:\n    rpc_url: http://b:2\n"),
        &[],
        &[],
    );
    assert_eq!(c.rpc_url, "http://a:1");
}

#[test]
fn precedence_yaml_then_env_then_ros_parameters_empty_never_overrides() {
    let env = [
        ("PEAQOS_RPC_URL", "http://env:1"),
        ("PEAQOS_MCR_API_URL", ""),
        ("PEAQOS_ENABLED", "off"),
        ("PEAQOS_QR_FORMAT", "svg"),
        (
            "MACHINE_NFT_ADDRESS",
            "0x0000000000000000000000000000000000000001",
        ),
        ("PEAQOS_RATE_LIMIT_MAX_EVENTS", "3"),
        (
            "PEAQOS_DEFAULT_PROXY_ADDRESS",
            "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        ),
        ("PEAQOS_WALLET_REGISTRY", "/tmp/x.json"),
    ];
    let c = resolve(Some(YAML), &env, &[]);
    assert_eq!(c.rpc_url, "http://env:1");
    assert_eq!(
        c.api_url, "http://127.0.0.1:8001",
        "an empty variable does not override"
    );
    assert!(!c.enabled);
    assert_eq!(c.qr_format, "svg");
    assert_eq!(
        c.contracts["machine_nft"],
        "0x0000000000000000000000000000000000000001"
    );
    assert_eq!(c.limits.rate_limit_max_events, 3);
    assert_eq!(
        c.default_proxy_address,
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
    );
    assert_eq!(
        c.wallet_registry_path,
        std::path::PathBuf::from("/tmp/x.json")
    );
    let params = [
        ("peaq_os.rpc_url", "http://param:2"),
        ("peaq_os.enabled", "yes"),
        ("peaq_os.contracts.machine_nft", ""),
        ("peaq_os.faucet.base_url", "http://param:3"),
    ];
    let c = resolve(Some(YAML), &env, &params);
    assert_eq!(c.rpc_url, "http://param:2");
    assert!(c.enabled);
    assert_eq!(
        c.contracts["machine_nft"], "0x0000000000000000000000000000000000000001",
        "an empty parameter does not override"
    );
    assert_eq!(c.faucet_base_url, "http://param:3");
    for on in ["1", "true", "YES", "On"] {
        assert!(
            resolve(None, &[("PEAQOS_ENABLED", on)], &[]).enabled,
            "{on}"
        );
    }
}

#[test]
fn bad_values_are_refused_with_their_key() {
    let bad = |yaml: &str| {
        NodeConfig::resolve(&Sources {
            yaml: Some(yaml.into()),
            ..Default::default()
        })
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        bad("peaq_os:\n  enabled: maybe\n"),
        "peaq_os.enabled: must be one of 1/true/yes/on or 0/false/no/off"
    );
    assert_eq!(
        bad("peaq_os:\n  faucet:\n    qr_format: gif\n"),
        "peaq_os.faucet.qr_format: must be svg or png"
    );
    assert_eq!(
        bad("peaq_os:\n  operational_limits:\n    rate_limit_max_events: -1\n"),
        "peaq_os.operational_limits.rate_limit_max_events: must be a non-negative integer"
    );
    assert!(bad("peaq_os: [").starts_with("invalid YAML"));
    let c = resolve(
        Some(&YAML.replace("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", "0x9fE4")),
        &[],
        &[],
    );
    assert_eq!(
        c.contract_addresses().unwrap_err(),
        "invalid peaqOS config: contracts.event_registry must be a 0x-prefixed address"
    );
}

/// The ROS side from the ROS environment: domain, reply mapping (named back as its RMW),
/// loopback-only discovery; what ROS would refuse is refused.
#[test]
fn ros_environment_domain_rmw_and_discovery_range() {
    use peaqos_ros2::RosOptions;
    use peaqos_ros2::node::NodeError;
    use ros2_client::ServiceMapping;
    let from = |vars: &[(&str, &str)]| {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RosOptions::from_lookup(move |k| vars.get(k).cloned())
    };
    let d = from(&[]).unwrap();
    assert_eq!(
        (d.domain_id, d.mapping, d.localhost_only, d.rmw()),
        (0, ServiceMapping::Enhanced, false, "rmw_fastrtps_cpp")
    );
    let c = from(&[
        ("ROS_DOMAIN_ID", "232"),
        ("RMW_IMPLEMENTATION", "rmw_cyclonedds_cpp"),
        ("ROS_AUTOMATIC_DISCOVERY_RANGE", "localhost"),
    ])
    .unwrap();
    assert_eq!(
        (c.domain_id, c.mapping, c.localhost_only, c.rmw()),
        (232, ServiceMapping::Cyclone, true, "rmw_cyclonedds_cpp")
    );
    let f = from(&[
        ("RMW_IMPLEMENTATION", "rmw_fastrtps_dynamic_cpp"),
        ("ROS_LOCALHOST_ONLY", "1"),
    ])
    .unwrap();
    assert_eq!(
        (f.mapping, f.localhost_only),
        (ServiceMapping::Enhanced, true)
    );
    assert!(matches!(
        from(&[("ROS_DOMAIN_ID", "233")]),
        Err(NodeError::BadDomain(_))
    ));
    assert!(matches!(
        from(&[("RMW_IMPLEMENTATION", "rmw_zenoh_cpp")]),
        Err(NodeError::UnsupportedRmw(_))
    ));
}
