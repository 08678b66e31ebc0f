//! `peaqos node --config peaq_robot.yaml`: the peaqOS ROS 2 node (`peaqos_node`) on DDS/RTPS,
//! against any RPC. The ROS side follows the ROS environment (`ROS_DOMAIN_ID`,
//! `RMW_IMPLEMENTATION`, `ROS_AUTOMATIC_DISCOVERY_RANGE` / `ROS_LOCALHOST_ONLY`); the peaqOS
//! side is the `peaq_os` section of the YAML file, the environment, then `-p key:=value`
//! parameters (ROS's precedence). Runs until Ctrl-C.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use peaqos_ros2::{Handlers, NodeConfig, Registry, RosOptions};
use peaqos_wallet::Vault;
use zeroize::Zeroizing;

use crate::CliError;

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

/// Runs the node until Ctrl-C.
pub async fn run(args: NodeArgs) -> Result<(), CliError> {
    let mut params = parse_params(&args.params)?;
    let path = args
        .config
        .or_else(|| params.remove("config.yaml_path").map(PathBuf::from));
    let cfg =
        NodeConfig::load(path.as_deref(), params).map_err(|e| CliError::config(e.to_string()))?;
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
        "peaqos_node ready (ROS_DOMAIN_ID={}, {} services, {:?} reply mapping{})",
        node.options().domain_id,
        node.service_count() - 1,
        node.options().mapping,
        if enabled {
            ""
        } else {
            ", peaq_os.enabled=false: every service answers DISABLED"
        }
    );
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
