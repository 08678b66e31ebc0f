//! The node's configuration: the `peaq_os` section of `peaq_robot.yaml` (alias `peaqos`), then
//! the environment, then ROS parameters (`peaq_os.<dotted key>`), later sources winning. An
//! empty string never overrides. Other top-level sections of the file (network, wallet,
//! logging, ... of other nodes) are ignored, never rejected.
//!
//! | key | default | environment |
//! |---|---|---|
//! | `enabled` | `false` | `PEAQOS_ENABLED` (1/true/yes/on) |
//! | `rpc_url` (or `evm.rpc_url`) | `""` | `PEAQOS_RPC_URL` |
//! | `api_url` | `http://127.0.0.1:8000` | `PEAQOS_MCR_API_URL` |
//! | `faucet_base_url` (or `faucet.base_url`) | `""` | `PEAQOS_FAUCET_URL` |
//! | `faucet.qr_format` | `svg` | `PEAQOS_QR_FORMAT` |
//! | `wallet_registry.path` | `~/.peaq_robot/peaqos_wallets.json` | `PEAQOS_WALLET_REGISTRY` |
//! | `wallet_registry.plaintext` (ours) | `false` | `PEAQOS_WALLET_PLAINTEXT` |
//! | `wallet_registry.vault_path` (ours) | `~/.ows` | `OWS_VAULT_PATH` |
//! | `defaults.machine_address` / `proxy_address` / `owner_address` | `""` | `PEAQOS_DEFAULT_MACHINE_ADDRESS` / `_PROXY_` / `_OWNER_` |
//! | `contracts.<name>` (8) | `""` | the SDK's `*_ADDRESS` variables |
//! | `operational_limits.*` (3) | `0` | `PEAQOS_MAX_VALUE_PER_TX`, `PEAQOS_RATE_LIMIT_MAX_EVENTS`, `PEAQOS_RATE_LIMIT_WINDOW_SECONDS` |
//!
//! The two `wallet_registry` keys marked "ours" are this node's additions: new wallets go to the
//! OWS vault, encrypted with the passphrase of `OWS_PASSPHRASE` (environment only, never the
//! file, never ROS), unless `plaintext` asks for peaq's plaintext registry entries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy::primitives::{Address, U256};
use peaqos_types::network::env;
use peaqos_types::{ContractAddresses, OperationalLimits};

/// Configuration errors (file, YAML, values). Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The YAML file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The YAML file does not parse.
    #[error("invalid YAML in {path}: {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A key has a value of the wrong shape.
    #[error("peaq_os.{key}: {message}")]
    Value {
        /// The dotted key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The canonical dotted keys, their environment variable and default.
pub const KEYS: &[(&str, &str, &str)] = &[
    ("enabled", "PEAQOS_ENABLED", "false"),
    ("rpc_url", env::PEAQOS_RPC_URL, ""),
    ("api_url", env::PEAQOS_MCR_API_URL, "http://127.0.0.1:8000"),
    ("faucet_base_url", "PEAQOS_FAUCET_URL", ""),
    ("faucet.qr_format", "PEAQOS_QR_FORMAT", "svg"),
    (
        "wallet_registry.path",
        "PEAQOS_WALLET_REGISTRY",
        "~/.peaq_robot/peaqos_wallets.json",
    ),
    (
        "wallet_registry.plaintext",
        "PEAQOS_WALLET_PLAINTEXT",
        "false",
    ),
    ("wallet_registry.vault_path", "OWS_VAULT_PATH", "~/.ows"),
    (
        "defaults.machine_address",
        "PEAQOS_DEFAULT_MACHINE_ADDRESS",
        "",
    ),
    ("defaults.proxy_address", "PEAQOS_DEFAULT_PROXY_ADDRESS", ""),
    ("defaults.owner_address", "PEAQOS_DEFAULT_OWNER_ADDRESS", ""),
    (
        "contracts.identity_registry",
        env::IDENTITY_REGISTRY_ADDRESS,
        "",
    ),
    (
        "contracts.identity_staking",
        env::IDENTITY_STAKING_ADDRESS,
        "",
    ),
    ("contracts.event_registry", env::EVENT_REGISTRY_ADDRESS, ""),
    ("contracts.machine_nft", env::MACHINE_NFT_ADDRESS, ""),
    ("contracts.did_registry", env::DID_REGISTRY_ADDRESS, ""),
    (
        "contracts.batch_precompile",
        env::BATCH_PRECOMPILE_ADDRESS,
        "",
    ),
    (
        "contracts.machine_account_factory",
        env::MACHINE_ACCOUNT_FACTORY_ADDRESS,
        "",
    ),
    (
        "contracts.machine_nft_adapter",
        env::MACHINE_NFT_ADAPTER_ADDRESS,
        "",
    ),
    (
        "operational_limits.max_value_per_tx",
        "PEAQOS_MAX_VALUE_PER_TX",
        "0",
    ),
    (
        "operational_limits.rate_limit_max_events",
        "PEAQOS_RATE_LIMIT_MAX_EVENTS",
        "0",
    ),
    (
        "operational_limits.rate_limit_window_seconds",
        "PEAQOS_RATE_LIMIT_WINDOW_SECONDS",
        "0",
    ),
];

/// Alternative spellings accepted in the YAML file, mapped to their canonical key.
const ALIASES: &[(&str, &str)] = &[
    ("evm.rpc_url", "rpc_url"),
    ("faucet.base_url", "faucet_base_url"),
];

/// Contracts every chain service needs (`missing peaqOS config: ...` otherwise).
pub const REQUIRED_CONTRACTS: [&str; 6] = [
    "identity_registry",
    "identity_staking",
    "event_registry",
    "machine_nft",
    "did_registry",
    "batch_precompile",
];

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeConfig {
    /// `peaq_os.enabled`: when false every service answers `DISABLED`.
    pub enabled: bool,
    /// JSON-RPC URL of the chain.
    pub rpc_url: String,
    /// MCR API base URL.
    pub api_url: String,
    /// Gas Station base URL.
    pub faucet_base_url: String,
    /// Default QR format of faucet/setup_2fa (`svg` or `png`).
    pub qr_format: String,
    /// The wallet registry file.
    pub wallet_registry_path: PathBuf,
    /// New wallets written with a plaintext key (peaq's format) instead of the OWS vault.
    pub wallet_plaintext: bool,
    /// The OWS vault holding encrypted wallets.
    pub vault_path: PathBuf,
    /// Default machine address (events, DID read, machine DID write, register).
    pub default_machine_address: String,
    /// Default proxy address (mint, token_id_of, proxy DID write, smart account, bridge).
    pub default_proxy_address: String,
    /// Default owner address (faucet).
    pub default_owner_address: String,
    /// `contracts.*` as given (empty = not configured).
    pub contracts: BTreeMap<String, String>,
    /// `operational_limits.*`.
    pub limits: OperationalLimits,
}

/// Where the values come from, lowest precedence first.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// The YAML text (`None`: no file).
    pub yaml: Option<String>,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// ROS parameters, dotted names with or without the `peaq_os.` prefix.
    pub params: BTreeMap<String, String>,
}

fn truthy(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// Expands a leading `~/`.
pub fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None if p == "~" => home(),
        None => PathBuf::from(p),
    }
}

fn flatten(prefix: &str, v: &serde_yaml_ng::Value, out: &mut BTreeMap<String, String>) {
    use serde_yaml_ng::Value;
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                let k = match k {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        Value::Number(n) => {
            out.insert(prefix.to_string(), n.to_string());
        }
        Value::Bool(b) => {
            out.insert(prefix.to_string(), b.to_string());
        }
        Value::Tagged(t) => flatten(prefix, &t.value, out),
        Value::Null | Value::Sequence(_) => {}
    }
}

fn canonical(key: &str) -> &str {
    ALIASES
        .iter()
        .find(|(a, _)| *a == key)
        .map_or(key, |(_, c)| c)
}

impl NodeConfig {
    /// Reads `path` (when given), the process environment and `params`.
    pub fn load(
        path: Option<&Path>,
        params: BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let yaml = match path {
            None => None,
            Some(p) => Some(
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?,
            ),
        };
        let env = KEYS
            .iter()
            .filter_map(|(_, e, _)| std::env::var(e).ok().map(|v| (e.to_string(), v)))
            .collect();
        Self::resolve(&Sources { yaml, env, params }).map_err(|e| match (e, path) {
            (ConfigError::Yaml { source, .. }, Some(p)) => ConfigError::Yaml {
                path: p.to_path_buf(),
                source,
            },
            (e, _) => e,
        })
    }

    /// Resolves the configuration from explicit sources (pure, for tests).
    pub fn resolve(src: &Sources) -> Result<Self, ConfigError> {
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        if let Some(text) = &src.yaml {
            let doc: serde_yaml_ng::Value =
                serde_yaml_ng::from_str(text).map_err(|source| ConfigError::Yaml {
                    path: PathBuf::new(),
                    source,
                })?;
            let section = doc.get("peaq_os").or_else(|| doc.get("peaqos"));
            if let Some(section) = section {
                let mut flat = BTreeMap::new();
                flatten("", section, &mut flat);
                // Aliases first, so the canonical spelling wins when both are present.
                for (k, v) in flat.iter().filter(|(k, _)| canonical(k) != k.as_str()) {
                    if !v.trim().is_empty() {
                        values.insert(canonical(k).to_string(), v.clone());
                    }
                }
                for (k, v) in flat.iter().filter(|(k, _)| canonical(k) == k.as_str()) {
                    if !v.trim().is_empty() {
                        values.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        for (key, var, _) in KEYS {
            if let Some(v) = src.env.get(*var).filter(|v| !v.trim().is_empty()) {
                values.insert(key.to_string(), v.clone());
            }
        }
        for (k, v) in &src.params {
            let k = k
                .strip_prefix("peaq_os.")
                .or_else(|| k.strip_prefix("peaqos."))
                .unwrap_or(k);
            if !v.trim().is_empty() {
                values.insert(canonical(k).to_string(), v.clone());
            }
        }
        let get = |key: &str| -> String {
            values
                .get(key)
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| {
                    KEYS.iter()
                        .find(|(k, _, _)| *k == key)
                        .map(|(_, _, d)| d.to_string())
                        .unwrap_or_default()
                })
        };
        let boolean = |key: &str| -> Result<bool, ConfigError> {
            truthy(&get(key)).ok_or_else(|| ConfigError::Value {
                key: key.to_string(),
                message: "must be one of 1/true/yes/on or 0/false/no/off".into(),
            })
        };
        let uint = |key: &str| -> Result<u64, ConfigError> {
            get(key).parse::<u64>().map_err(|_| ConfigError::Value {
                key: key.to_string(),
                message: "must be a non-negative integer".into(),
            })
        };
        let max_value = {
            let s = get("operational_limits.max_value_per_tx");
            U256::from_str_radix(&s, 10).map_err(|_| ConfigError::Value {
                key: "operational_limits.max_value_per_tx".into(),
                message: "must be a non-negative integer".into(),
            })?
        };
        let qr_format = get("faucet.qr_format").to_ascii_lowercase();
        if !matches!(qr_format.as_str(), "svg" | "png") {
            return Err(ConfigError::Value {
                key: "faucet.qr_format".into(),
                message: "must be svg or png".into(),
            });
        }
        let contracts = KEYS
            .iter()
            .filter_map(|(k, _, _)| k.strip_prefix("contracts."))
            .map(|name| (name.to_string(), get(&format!("contracts.{name}"))))
            .collect();
        Ok(Self {
            enabled: boolean("enabled")?,
            rpc_url: get("rpc_url"),
            api_url: get("api_url"),
            faucet_base_url: get("faucet_base_url"),
            qr_format,
            wallet_registry_path: expand_home(&get("wallet_registry.path")),
            wallet_plaintext: boolean("wallet_registry.plaintext")?,
            vault_path: expand_home(&get("wallet_registry.vault_path")),
            default_machine_address: get("defaults.machine_address"),
            default_proxy_address: get("defaults.proxy_address"),
            default_owner_address: get("defaults.owner_address"),
            contracts,
            limits: OperationalLimits {
                max_value_per_tx: max_value,
                rate_limit_max_events: uint("operational_limits.rate_limit_max_events")?,
                rate_limit_window_seconds: uint("operational_limits.rate_limit_window_seconds")?,
            },
        })
    }

    /// The keys a chain service needs that are unset: `rpc_url` and the six contracts, plus
    /// `extra` contracts (the smart-account and bridge services' factory / adapter).
    pub fn missing(&self, extra: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        if self.rpc_url.is_empty() {
            out.push("rpc_url".to_string());
        }
        for c in REQUIRED_CONTRACTS.iter().chain(extra) {
            if self.contracts.get(*c).is_none_or(|v| v.is_empty()) {
                out.push(format!("contracts.{c}"));
            }
        }
        out
    }

    /// The contract addresses for the SDK, or the message naming every missing or malformed
    /// key (`missing peaqOS config: rpc_url, contracts.machine_nft`).
    pub fn contract_addresses(&self) -> Result<ContractAddresses, String> {
        let missing = self.missing(&[]);
        if !missing.is_empty() {
            return Err(format!("missing peaqOS config: {}", missing.join(", ")));
        }
        let addr = |name: &str| -> Result<Option<Address>, String> {
            let v = self.contracts.get(name).map(String::as_str).unwrap_or("");
            if v.is_empty() {
                return Ok(None);
            }
            peaqos_types::did::parse_address_strict(v)
                .map(Some)
                .ok_or_else(|| {
                    format!("invalid peaqOS config: contracts.{name} must be a 0x-prefixed address")
                })
        };
        let req = |name: &str| -> Result<Address, String> { Ok(addr(name)?.unwrap_or_default()) };
        Ok(ContractAddresses {
            identity_registry: req("identity_registry")?,
            identity_staking: req("identity_staking")?,
            event_registry: req("event_registry")?,
            machine_nft: req("machine_nft")?,
            did_registry: req("did_registry")?,
            batch_precompile: req("batch_precompile")?,
            machine_account_factory: addr("machine_account_factory")?,
            machine_nft_adapter: addr("machine_nft_adapter")?,
            admin_flags: None,
        })
    }
}
