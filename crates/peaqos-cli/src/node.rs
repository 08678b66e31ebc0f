//! `peaqos node --config peaq_robot.yaml`: the peaqOS ROS 2 node (`peaqos_node`) on DDS/RTPS,
//! against any RPC. The ROS side follows the ROS environment (`ROS_DOMAIN_ID`,
//! `RMW_IMPLEMENTATION`, `ROS_AUTOMATIC_DISCOVERY_RANGE` / `ROS_LOCALHOST_ONLY`); the peaqOS
//! side is the `peaq_os` section of the YAML file, the environment, then `-p key:=value`
//! parameters (ROS's precedence). Runs until Ctrl-C.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use peaqos_ros2::{Handlers, NodeConfig, Registry, RosOptions, RunningNode};
use peaqos_wallet::Vault;
use zeroize::Zeroizing;

use crate::CliError;
use crate::stack::Stack;

/// `peaqos node` arguments.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The robot's YAML file (`peaq_os` section); also `PEAQ_ROS2_CONFIG_YAML` or the
    /// parameter `config.yaml_path`.
    #[arg(long, env = "PEAQ_ROS2_CONFIG_YAML")]
    pub config: Option<PathBuf>,
    /// A ROS parameter, `peaq_os.<key>:=<value>` (repeatable; wins over the file and the
    /// environment).
    #[arg(short = 'p', long = "param", value_name = "KEY:=VALUE")]
    pub params: Vec<String>,
}

fn parse_params(raw: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    raw.iter()
        .map(|p| {
            let (k, v) = p
                .split_once(":=")
                .or_else(|| p.split_once('='))
                .ok_or_else(|| CliError::user(format!("parameter {p:?} is not KEY:=VALUE")))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Starts the node for the configuration at `path` (or none) and `params` (highest
/// precedence), with the ROS side from the environment. Prints `peaqos_node ready ...` to
/// stderr once every service is up.
async fn start_node(
    path: Option<&Path>,
    params: BTreeMap<String, String>,
) -> Result<RunningNode, CliError> {
    let cfg = NodeConfig::load(path, params).map_err(|e| CliError::config(e.to_string()))?;
    let ros = RosOptions::from_env().map_err(|e| CliError::config(e.to_string()))?;
    let passphrase = std::env::var(peaqos_wallet::OWS_PASSPHRASE_ENV)
        .ok()
        .map(Zeroizing::new);
    let registry = Registry::new(
        cfg.wallet_registry_path.clone(),
        Vault::at(cfg.vault_path.clone()),
        passphrase,
        cfg.wallet_plaintext,
    );
    let enabled = cfg.enabled;
    let node = peaqos_ros2::start(Handlers::new(cfg, registry), ros)
        .await
        .map_err(|e| CliError::config(e.to_string()))?;
    eprintln!(
        "peaqos_node ready ({}{})",
        ready_text(&node),
        if enabled {
            ""
        } else {
            ", peaq_os.enabled=false: every service answers DISABLED"
        }
    );
    Ok(node)
}

/// `ROS_DOMAIN_ID=0, 26 services, rmw_fastrtps_cpp reply mapping`.
pub fn ready_text(node: &RunningNode) -> String {
    format!(
        "ROS_DOMAIN_ID={}, {} services, {} reply mapping",
        node.options().domain_id,
        node.service_count(),
        node.options().rmw()
    )
}

/// The node in `peaqos up --json`'s ready line.
pub fn ready_json(node: &RunningNode) -> serde_json::Value {
    serde_json::json!({
        "name": peaqos_ros2::interfaces::NODE_NAME,
        "domainId": node.options().domain_id,
        "rmw": node.options().rmw(),
        "services": node.service_count(),
        "localhostOnly": node.options().localhost_only,
    })
}

/// The ROS parameters that point the node at a running stack: enabled, its RPC, MCR API, Gas
/// Station and every contract its env file names (the bridge's adapter too, when the stack runs
/// the bridge). Parameters win over the YAML file and the environment.
pub fn stack_params(stack: &Stack) -> BTreeMap<String, String> {
    let env = peaqos_types::EnvFile::parse(&stack.env_text());
    let mut p = BTreeMap::new();
    p.insert("peaq_os.enabled".into(), "true".into());
    for (key, var, _) in peaqos_ros2::config::KEYS {
        let wanted = matches!(*key, "rpc_url" | "api_url") || key.starts_with("contracts.");
        if let Some(v) = env.get(var).filter(|v| wanted && !v.is_empty()) {
            p.insert(format!("peaq_os.{key}"), v);
        }
    }
    p.insert("peaq_os.faucet_base_url".into(), stack.gas_station_url());
    p
}

/// `peaqos up --with-node`: the node in the stack's process, configured for the stack; the
/// optional YAML file supplies the rest (wallet registry, default addresses, limits).
pub async fn start_for_stack(
    stack: &Stack,
    config: Option<&Path>,
) -> Result<RunningNode, CliError> {
    start_node(config, stack_params(stack)).await
}

/// Runs the node until Ctrl-C.
pub async fn run(args: NodeArgs) -> Result<(), CliError> {
    let mut params = parse_params(&args.params)?;
    let path = args
        .config
        .or_else(|| params.remove("config.yaml_path").map(PathBuf::from));
    let node = start_node(path.as_deref(), params).await?;
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::user(format!("waiting for Ctrl-C: {e}")))?;
    drop(node);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_take_ros_and_plain_syntax() {
        let p = parse_params(&[
            "peaq_os.enabled:=true".into(),
            "peaq_os.rpc_url=http://a:1".into(),
        ])
        .unwrap();
        assert_eq!(p["peaq_os.enabled"], "true");
        assert_eq!(p["peaq_os.rpc_url"], "http://a:1");
        assert!(parse_params(&["nothing".into()]).is_err());
    }
}
