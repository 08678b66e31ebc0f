//! The message types of `peaq_ros2_interfaces/srv`, generated at build time from the `.srv`
//! files shipped at the repository root (see `build.rs`), and the service catalog of the node.

#![allow(missing_docs, clippy::needless_update)]

/// One service type as generated: its name and its request / response fields (name, ROS type)
/// in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrvDef {
    /// `PeaqosCreateWallet`, ...
    pub type_name: &'static str,
    /// Request fields.
    pub request: &'static [(&'static str, &'static str)],
    /// Response fields.
    pub response: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/peaq_ros2_interfaces.rs"));

/// The ROS 2 package of the types.
pub const PACKAGE: &str = "peaq_ros2_interfaces";

/// The node's name.
pub const NODE_NAME: &str = "peaqos_node";

/// Every service of the node: its private name (under `/peaqos_node/`) and its type.
pub const SERVICES: &[(&str, &str)] = &[
    ("wallet/create", "PeaqosCreateWallet"),
    ("wallet/list", "PeaqosListWallets"),
    ("wallet/get", "PeaqosGetWallet"),
    ("wallet/delete", "PeaqosDeleteWallet"),
    ("faucet/setup_2fa", "PeaqosSetupFaucet2FA"),
    ("faucet/confirm_2fa", "PeaqosConfirmFaucet2FA"),
    ("wallet/fund", "PeaqosFundWallet"),
    ("machine/register", "PeaqosRegisterMachine"),
    ("agent/register", "PeaqosRegisterAgent"),
    ("machine/register_for", "PeaqosRegisterFor"),
    ("agent/register_for", "PeaqosRegisterFor"),
    ("nft/mint", "PeaqosMintNft"),
    ("nft/token_id_of", "PeaqosTokenIdOf"),
    ("did/read_attribute", "PeaqosReadDidAttribute"),
    (
        "did/write_machine_attributes",
        "PeaqosWriteMachineDidAttributes",
    ),
    (
        "did/write_proxy_attributes",
        "PeaqosWriteProxyDidAttributes",
    ),
    ("events/validate", "PeaqosValidateEvent"),
    ("events/submit", "PeaqosSubmitEvent"),
    ("events/batch_submit", "PeaqosBatchSubmitEvents"),
    ("mcr/query", "PeaqosQueryMcr"),
    ("mcr/machine", "PeaqosQueryMachine"),
    ("mcr/operator_machines", "PeaqosQueryOperatorMachines"),
    ("smart_account/address", "PeaqosGetSmartAccountAddress"),
    ("smart_account/deploy", "PeaqosDeploySmartAccount"),
    ("bridge/nft", "PeaqosBridgeNft"),
    ("bridge/wait_arrival", "PeaqosWaitForBridgeArrival"),
];

/// The generated definition of a type.
pub fn srv_def(type_name: &str) -> Option<&'static SrvDef> {
    SRV_DEFS.iter().find(|d| d.type_name == type_name)
}

/// DDS topic names of a service (`rq/peaqos_node/wallet/createRequest`,
/// `rr/peaqos_node/wallet/createReply`) for a node in namespace `/`.
pub fn dds_topics(service: &str) -> (String, String) {
    (
        format!("rq/{NODE_NAME}/{service}Request"),
        format!("rr/{NODE_NAME}/{service}Reply"),
    )
}

/// DDS type names of a service type (`peaq_ros2_interfaces::srv::dds_::T_Request_`, ...).
pub fn dds_types(type_name: &str) -> (String, String) {
    (
        format!("{PACKAGE}::srv::dds_::{type_name}_Request_"),
        format!("{PACKAGE}::srv::dds_::{type_name}_Response_"),
    )
}
