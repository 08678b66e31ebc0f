//! Client configuration: RPC URL, signer key (redacted everywhere), contract addresses, MCR API
//! URL, operational limits and transaction options; `from_env` and the network presets.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use alloy::primitives::{Address, B256, address};
use alloy::signers::local::PrivateKeySigner;
use peaqos_contracts::DeploymentPlan;
use peaqos_types::constants::{DEFAULT_MCR_API_URL, MIN_BOND_WEI};
use peaqos_types::network::env;
use peaqos_types::{ContractAddresses, Network, OperationalLimits, ValidationError};

use crate::error::{PeaqosError, Result};

/// What every redacted secret prints as.
pub const REDACTED: &str = "[REDACTED]";

/// A secp256k1 private key. `Debug`, `Display` and serde print `"[REDACTED]"`; the only way
/// to read it back is [`PrivateKey::expose_hex`].
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey(B256);

impl PrivateKey {
    /// Parses `0x` + 64 hex characters (the documented `PEAQOS_PRIVATE_KEY` format). The error
    /// message never contains the input.
    pub fn parse(field: &str, s: &str) -> std::result::Result<Self, ValidationError> {
        let s = s.trim();
        let bad = || {
            ValidationError::new(
                field,
                "private_key_hex32",
                format!("{field} must be 0x followed by 64 hex characters"),
            )
        };
        let hex = s.strip_prefix("0x").ok_or_else(bad)?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let key = B256::from_str(hex).map_err(|_| bad())?;
        PrivateKeySigner::from_bytes(&key).map_err(|_| {
            ValidationError::new(
                field,
                "private_key_range",
                format!("{field} is not a valid secp256k1 private key"),
            )
        })?;
        Ok(Self(key))
    }

    /// The key as `0x` + 64 hex. Handle with care.
    pub fn expose_hex(&self) -> String {
        self.0.to_string()
    }

    /// A local signer for this key.
    pub fn signer(&self) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&self.0).expect("validated at parse time")
    }

    /// The address of this key.
    pub fn address(&self) -> Address {
        self.signer().address()
    }
}

impl From<&PrivateKeySigner> for PrivateKey {
    fn from(s: &PrivateKeySigner) -> Self {
        Self(s.to_bytes())
    }
}

impl FromStr for PrivateKey {
    type Err = ValidationError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Self::parse("private_key", s)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl serde::Serialize for PrivateKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

/// Transaction sending options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TxOptions {
    /// Gas limit = `eth_estimateGas` x this / 100 (default 120, i.e. x1.2).
    pub gas_multiplier_percent: u64,
    /// How long to wait for a receipt before `RECEIPT_AWAIT_FAILED` (default 120 s).
    pub receipt_timeout: Duration,
    /// Interval between receipt polls (default 250 ms; the first poll is immediate).
    pub receipt_poll_interval: Duration,
}

impl Default for TxOptions {
    fn default() -> Self {
        Self {
            gas_multiplier_percent: 120,
            receipt_timeout: Duration::from_secs(120),
            receipt_poll_interval: Duration::from_millis(250),
        }
    }
}

/// Default MCR API request timeout (the SDKs' `DEFAULT_MCR_HTTP_TIMEOUT_MS`).
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Configuration of a [`crate::PeaqosClient`] (the Python constructor's keyword arguments).
///
/// `Debug` and serde redact the private key.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PeaqosConfig {
    /// JSON-RPC endpoint (http or https).
    pub rpc_url: String,
    /// Signer key; `None` for a read-only client, for an OWS wallet ([`PeaqosConfig::ows_wallet`])
    /// or when a signer is passed with [`crate::PeaqosClient::with_signer`].
    pub private_key: Option<PrivateKey>,
    /// OWS vault wallet (name or id) that signs instead of a key: `PEAQOS_OWS_WALLET`, used by
    /// [`crate::PeaqosClient::from_env`]. Not a secret (the passphrase is never stored here).
    pub ows_wallet: Option<String>,
    /// The six contract addresses plus the optional factory / adapter / admin flags.
    pub contracts: ContractAddresses,
    /// MCR API base URL (default `http://127.0.0.1:8000`).
    pub api_url: String,
    /// Per-event value cap and per-machine rate limit (all zero: disabled).
    pub operational_limits: OperationalLimits,
    /// Gas headroom and receipt waiting.
    pub tx: TxOptions,
    /// HTTP timeout of MCR API and Gas Station requests (default 30 s).
    pub http_timeout: Duration,
}

/// Address of devnet dev account 0 (the deployer), from the standard test mnemonic.
pub const DEVNET_DEPLOYER: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

/// The contract addresses of a fresh `peaqos devnet` (deterministic: deployer dev account 0,
/// nonces from 0).
pub fn devnet_addresses() -> ContractAddresses {
    let d = DeploymentPlan::new(DEVNET_DEPLOYER, 0, MIN_BOND_WEI, DEFAULT_MCR_API_URL).deployment;
    d.contract_addresses()
}

/// The address set of a network preset (devnet: [`devnet_addresses`]).
pub fn preset_addresses(network: Network) -> ContractAddresses {
    network.preset_addresses().unwrap_or_else(devnet_addresses)
}

/// Checks that `url` is an absolute http(s) URL with a host.
pub(crate) fn validate_http_url(
    field: &str,
    display: &str,
    url: &str,
) -> std::result::Result<(), ValidationError> {
    let bad = |what: &str| ValidationError::new(field, "http_url", format!("{display} {what}"));
    if url.trim().is_empty() {
        return Err(bad("must not be empty"));
    }
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| bad("must be a valid http(s) URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("must be a valid http(s) URL"));
    }
    Ok(())
}

impl PeaqosConfig {
    /// A configuration with the default API URL, no limits and default transaction options.
    pub fn new(
        rpc_url: impl Into<String>,
        private_key: Option<PrivateKey>,
        contracts: ContractAddresses,
    ) -> Self {
        Self {
            rpc_url: rpc_url.into(),
            private_key,
            ows_wallet: None,
            contracts,
            api_url: DEFAULT_MCR_API_URL.to_string(),
            operational_limits: OperationalLimits::default(),
            tx: TxOptions::default(),
            http_timeout: DEFAULT_HTTP_TIMEOUT,
        }
    }

    /// A network preset: its default RPC URL, documented addresses (devnet: the deterministic
    /// genesis addresses) and default MCR API URL.
    pub fn for_network(network: Network, private_key: Option<PrivateKey>) -> Self {
        let mut c = Self::new(
            network.default_rpc_url(),
            private_key,
            preset_addresses(network),
        );
        c.api_url = network.default_mcr_api_url().to_string();
        c
    }

    /// Sets the MCR API URL.
    pub fn with_api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// Sets the operational limits.
    pub fn with_operational_limits(mut self, limits: OperationalLimits) -> Self {
        self.operational_limits = limits;
        self
    }

    /// Checks the URLs (the constructor's `ValidationError`s).
    pub fn validate(&self) -> std::result::Result<(), ValidationError> {
        validate_http_url("rpc_url", "rpc_url", &self.rpc_url)?;
        validate_http_url("api_url", "api_url", &self.api_url)?;
        if self.tx.gas_multiplier_percent < 100 {
            return Err(ValidationError::new(
                "gas_multiplier_percent",
                "at_least_100",
                "gas_multiplier_percent must be at least 100",
            ));
        }
        Ok(())
    }

    /// Builds the configuration from an environment lookup (pure, for tests).
    ///
    /// * `PEAQOS_NETWORK` (optional: `mainnet`/`peaq`, `testnet`/`agung`, `devnet`/`local`)
    ///   selects a preset whose RPC URL, addresses and MCR API URL fill every variable that is
    ///   unset; variables always override the preset.
    /// * Without a network, `PEAQOS_RPC_URL` and the six addresses are required (as in the SDKs).
    /// * The signer: `PEAQOS_PRIVATE_KEY` or `PEAQOS_OWS_WALLET` (an OWS vault wallet name or
    ///   id, stored in [`PeaqosConfig::ows_wallet`]) is required. When both are set the
    ///   **wallet wins**: `private_key` stays `None` and `PEAQOS_PRIVATE_KEY` is ignored (not
    ///   even parsed), as `peaqos wallet use` adds the wallet next to an older key. Neither set:
    ///   `"PEAQOS_PRIVATE_KEY is required (or PEAQOS_OWS_WALLET for an OWS vault wallet)"`.
    ///   The wallet's passphrase (`OWS_PASSPHRASE`) is read only when the client opens the
    ///   wallet ([`crate::PeaqosClient::from_env_lookup`]), never kept in the configuration.
    ///
    /// Every missing or invalid variable is named: one problem gives its message
    /// (`"PEAQOS_PRIVATE_KEY is required"`), several are joined with `"; "` and `field` names
    /// the first.
    pub fn from_env_lookup<F>(lookup: F) -> Result<Self>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut problems: Vec<ValidationError> = Vec::new();
        let network = match get(env::PEAQOS_NETWORK) {
            None => None,
            Some(n) => match n.parse::<Network>() {
                Ok(n) => Some(n),
                Err(e) => {
                    problems.push(ValidationError::new(
                        env::PEAQOS_NETWORK,
                        "network",
                        e.to_string(),
                    ));
                    None
                }
            },
        };
        let preset = network.map(preset_addresses);
        let preset_value = |name: &str| -> Option<String> {
            let p = preset?;
            p.to_env_pairs()
                .into_iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v)
        };
        let effective = |name: &str| get(name).or_else(|| preset_value(name));

        let rpc_url =
            get(env::PEAQOS_RPC_URL).or_else(|| network.map(|n| n.default_rpc_url().to_string()));
        match &rpc_url {
            None => problems.push(ValidationError::new(
                env::PEAQOS_RPC_URL,
                "required",
                format!("{} is required", env::PEAQOS_RPC_URL),
            )),
            Some(u) => {
                if let Err(e) = validate_http_url(env::PEAQOS_RPC_URL, env::PEAQOS_RPC_URL, u) {
                    problems.push(e);
                }
            }
        }
        let ows_wallet = get(env::PEAQOS_OWS_WALLET);
        let key = match get(env::PEAQOS_PRIVATE_KEY) {
            // The wallet wins: the key is ignored.
            _ if ows_wallet.is_some() => None,
            None => {
                problems.push(ValidationError::new(
                    env::PEAQOS_PRIVATE_KEY,
                    "required",
                    format!(
                        "{} is required (or {} for an OWS vault wallet)",
                        env::PEAQOS_PRIVATE_KEY,
                        env::PEAQOS_OWS_WALLET
                    ),
                ));
                None
            }
            Some(k) => match PrivateKey::parse(env::PEAQOS_PRIVATE_KEY, &k) {
                Ok(k) => Some(k),
                Err(e) => {
                    problems.push(e);
                    None
                }
            },
        };
        let required = [
            env::IDENTITY_REGISTRY_ADDRESS,
            env::IDENTITY_STAKING_ADDRESS,
            env::EVENT_REGISTRY_ADDRESS,
            env::MACHINE_NFT_ADDRESS,
            env::DID_REGISTRY_ADDRESS,
            env::BATCH_PRECOMPILE_ADDRESS,
        ];
        let optional = [
            env::ADMIN_FLAGS_ADDRESS,
            env::MACHINE_ACCOUNT_FACTORY_ADDRESS,
            env::MACHINE_NFT_ADAPTER_ADDRESS,
        ];
        for name in required.iter().chain(optional.iter()) {
            // Same messages as `ContractAddresses::from_env_lookup`, but every problem is kept.
            match effective(name) {
                None if required.contains(name) => problems.push(ValidationError::new(
                    *name,
                    "required",
                    format!("{name} is required"),
                )),
                Some(v) if peaqos_types::did::parse_address_strict(&v).is_none() => {
                    problems.push(ValidationError::new(
                        *name,
                        "evm_address",
                        format!("{name} must be a valid 0x-prefixed Ethereum address"),
                    ))
                }
                _ => {}
            }
        }
        let api_url = get(env::PEAQOS_MCR_API_URL).unwrap_or_else(|| {
            network
                .map_or(DEFAULT_MCR_API_URL, |n| n.default_mcr_api_url())
                .to_string()
        });
        if let Err(e) =
            validate_http_url(env::PEAQOS_MCR_API_URL, env::PEAQOS_MCR_API_URL, &api_url)
        {
            problems.push(e);
        }
        if !problems.is_empty() {
            let first = problems[0].clone();
            if problems.len() == 1 {
                return Err(first.into());
            }
            let message = problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(ValidationError::new(first.field, first.constraint, message).into());
        }
        let contracts = ContractAddresses::from_env_lookup(effective)?;
        let mut c = Self::new(rpc_url.expect("checked"), key, contracts);
        c.api_url = api_url;
        c.ows_wallet = ows_wallet;
        Ok(c)
    }
}

/// A value that converts to an address, with the SDKs' message
/// `"<name> must be a valid 0x-prefixed Ethereum address"` for malformed strings.
pub trait IntoAddress {
    /// Converts; `field` / `display` name the input in the error.
    fn into_address(
        self,
        field: &str,
        display: &str,
    ) -> std::result::Result<Address, ValidationError>;
}

impl IntoAddress for Address {
    fn into_address(self, _: &str, _: &str) -> std::result::Result<Address, ValidationError> {
        Ok(self)
    }
}

impl IntoAddress for &Address {
    fn into_address(self, _: &str, _: &str) -> std::result::Result<Address, ValidationError> {
        Ok(*self)
    }
}

impl IntoAddress for &str {
    fn into_address(
        self,
        field: &str,
        display: &str,
    ) -> std::result::Result<Address, ValidationError> {
        peaqos_types::did::parse_address_field(field, display, self)
    }
}

impl IntoAddress for &String {
    fn into_address(
        self,
        field: &str,
        display: &str,
    ) -> std::result::Result<Address, ValidationError> {
        self.as_str().into_address(field, display)
    }
}

impl IntoAddress for String {
    fn into_address(
        self,
        field: &str,
        display: &str,
    ) -> std::result::Result<Address, ValidationError> {
        self.as_str().into_address(field, display)
    }
}

pub(crate) fn into_address(v: impl IntoAddress, field: &str, display: &str) -> Result<Address> {
    v.into_address(field, display).map_err(PeaqosError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn full_env() -> Vec<(&'static str, String)> {
        let mut v = vec![
            (env::PEAQOS_RPC_URL, "http://127.0.0.1:8545".to_string()),
            (env::PEAQOS_PRIVATE_KEY, KEY.into()),
        ];
        v.extend(devnet_addresses().to_env_pairs());
        v
    }

    #[test]
    fn private_key_is_redacted_everywhere() {
        let k = PrivateKey::parse("private_key", KEY).unwrap();
        assert_eq!(format!("{k:?}"), REDACTED);
        assert_eq!(k.to_string(), REDACTED);
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"[REDACTED]\"");
        let c = PeaqosConfig::new("http://127.0.0.1:8545", Some(k.clone()), devnet_addresses());
        let dbg = format!("{c:?} {c:#?}");
        let json = serde_json::to_string(&c).unwrap();
        for s in [&dbg, &json] {
            assert!(!s.to_lowercase().contains(&KEY[2..]), "key leaked: {s}");
            assert!(s.contains(REDACTED));
        }
        assert_eq!(k.expose_hex(), KEY);
        assert_eq!(k.address(), DEVNET_DEPLOYER);
    }

    #[test]
    fn bad_private_key_message_does_not_echo_input() {
        for bad in [
            "",
            "0x1234",
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            &format!("{KEY}00"),
        ] {
            let e = PrivateKey::parse("PEAQOS_PRIVATE_KEY", bad).unwrap_err();
            assert_eq!(
                e.message,
                "PEAQOS_PRIVATE_KEY must be 0x followed by 64 hex characters"
            );
            assert_eq!(e.field, "PEAQOS_PRIVATE_KEY");
        }
        let zero = format!("0x{}", "0".repeat(64));
        let e = PrivateKey::parse("PEAQOS_PRIVATE_KEY", &zero).unwrap_err();
        assert_eq!(e.constraint, "private_key_range");
    }

    #[test]
    fn from_env_requires_every_variable_without_network() {
        let e = PeaqosConfig::from_env_lookup(|_| None).unwrap_err();
        let v = e.as_validation().unwrap();
        assert_eq!(v.field, env::PEAQOS_RPC_URL);
        for name in [
            env::PEAQOS_RPC_URL,
            env::PEAQOS_PRIVATE_KEY,
            env::IDENTITY_REGISTRY_ADDRESS,
            env::IDENTITY_STAKING_ADDRESS,
            env::EVENT_REGISTRY_ADDRESS,
            env::MACHINE_NFT_ADDRESS,
            env::DID_REGISTRY_ADDRESS,
            env::BATCH_PRECOMPILE_ADDRESS,
        ] {
            assert!(
                v.message.contains(&format!("{name} is required")),
                "{name}: {}",
                v.message
            );
        }
        // One missing variable: exactly the documented message.
        let all = full_env();
        let only_key_missing: Vec<(&str, &str)> = all
            .iter()
            .filter(|(k, _)| *k != env::PEAQOS_PRIVATE_KEY)
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let e = PeaqosConfig::from_env_lookup(lookup(&only_key_missing)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "PEAQOS_PRIVATE_KEY is required (or PEAQOS_OWS_WALLET for an OWS vault wallet)"
        );
        assert_eq!(e.as_validation().unwrap().field, "PEAQOS_PRIVATE_KEY");
    }

    /// `full_env()` without the key, plus `extra`.
    fn env_with(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        let mut v: Vec<(&'static str, String)> = full_env()
            .into_iter()
            .filter(|(k, _)| *k != env::PEAQOS_PRIVATE_KEY)
            .collect();
        v.extend(extra.iter().map(|(k, x)| (*k, x.to_string())));
        v
    }

    fn config_of(pairs: &[(&'static str, String)]) -> Result<PeaqosConfig> {
        let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        PeaqosConfig::from_env_lookup(lookup(&p))
    }

    #[test]
    fn from_env_signer_key_only() {
        let c = config_of(&env_with(&[(env::PEAQOS_PRIVATE_KEY, KEY)])).unwrap();
        assert_eq!(c.private_key.unwrap().address(), DEVNET_DEPLOYER);
        assert_eq!(c.ows_wallet, None);
    }

    #[test]
    fn from_env_signer_wallet_only() {
        let c = config_of(&env_with(&[
            (env::PEAQOS_OWS_WALLET, " fleet-op "),
            (env::OWS_PASSPHRASE, "correct horse"),
        ]))
        .unwrap();
        assert_eq!(c.private_key, None);
        assert_eq!(c.ows_wallet.as_deref(), Some("fleet-op"));
        // The passphrase is not part of the configuration.
        let shown = format!("{c:?} {}", serde_json::to_string(&c).unwrap());
        assert!(!shown.contains("correct horse"), "{shown}");
    }

    #[test]
    fn from_env_signer_both_the_wallet_wins() {
        let c = config_of(&env_with(&[
            (env::PEAQOS_PRIVATE_KEY, KEY),
            (env::PEAQOS_OWS_WALLET, "fleet-op"),
        ]))
        .unwrap();
        assert_eq!(c.private_key, None, "the wallet wins over the key");
        assert_eq!(c.ows_wallet.as_deref(), Some("fleet-op"));
        assert!(!format!("{c:?}").to_lowercase().contains(&KEY[2..]));
        // the ignored key is not even parsed
        let bad = format!("{KEY}ff");
        let c = config_of(&env_with(&[
            (env::PEAQOS_PRIVATE_KEY, &bad),
            (env::PEAQOS_OWS_WALLET, "fleet-op"),
        ]))
        .unwrap();
        assert_eq!(c.ows_wallet.as_deref(), Some("fleet-op"));
    }

    #[test]
    fn from_env_signer_neither_names_both_variables() {
        let e = config_of(&env_with(&[(env::OWS_PASSPHRASE, "pw")])).unwrap_err();
        let v = e.as_validation().unwrap();
        assert_eq!(v.field, env::PEAQOS_PRIVATE_KEY);
        assert!(
            v.message.contains("PEAQOS_PRIVATE_KEY") && v.message.contains("PEAQOS_OWS_WALLET"),
            "{}",
            v.message
        );
        // blank values count as unset
        let e = config_of(&env_with(&[
            (env::PEAQOS_OWS_WALLET, "  "),
            (env::PEAQOS_PRIVATE_KEY, ""),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("PEAQOS_OWS_WALLET"));
    }

    #[test]
    fn from_env_names_invalid_values_without_leaking_the_key() {
        let mut all = full_env();
        for (k, v) in all.iter_mut() {
            if *k == env::EVENT_REGISTRY_ADDRESS {
                *v = "0x1234".into();
            }
            if *k == env::PEAQOS_PRIVATE_KEY {
                *v = format!("{KEY}ff");
            }
        }
        let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let e = PeaqosConfig::from_env_lookup(lookup(&pairs)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("EVENT_REGISTRY_ADDRESS must be a valid 0x-prefixed Ethereum address"),
            "{msg}"
        );
        assert!(
            msg.contains("PEAQOS_PRIVATE_KEY must be 0x followed by 64 hex characters"),
            "{msg}"
        );
        assert!(!msg.contains(&KEY[2..]));
    }

    #[test]
    fn from_env_full_and_presets() {
        let all = full_env();
        let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let c = PeaqosConfig::from_env_lookup(lookup(&pairs)).unwrap();
        assert_eq!(c.contracts, devnet_addresses());
        assert_eq!(c.api_url, DEFAULT_MCR_API_URL);
        assert_eq!(c.private_key.unwrap().address(), DEVNET_DEPLOYER);

        // mainnet preset fills addresses and URLs; env overrides one address.
        let c = PeaqosConfig::from_env_lookup(lookup(&[
            (env::PEAQOS_NETWORK, "mainnet"),
            (env::PEAQOS_PRIVATE_KEY, KEY),
            (
                env::EVENT_REGISTRY_ADDRESS,
                "0x43c6AF2E14dc1327dc3cc6c7117D1CD72fffEcbA",
            ),
        ]))
        .unwrap();
        let mut expected = peaqos_types::network::MAINNET_ADDRESSES;
        expected.event_registry = address!("0x43c6AF2E14dc1327dc3cc6c7117D1CD72fffEcbA");
        assert_eq!(c.contracts, expected);
        assert_eq!(c.rpc_url, Network::Mainnet.default_rpc_url());
        assert_eq!(c.api_url, Network::Mainnet.default_mcr_api_url());

        let c = PeaqosConfig::from_env_lookup(lookup(&[
            (env::PEAQOS_NETWORK, "agung"),
            (env::PEAQOS_PRIVATE_KEY, KEY),
        ]))
        .unwrap();
        assert_eq!(c.contracts, peaqos_types::network::AGUNG_ADDRESSES);

        let e = PeaqosConfig::from_env_lookup(lookup(&[
            (env::PEAQOS_NETWORK, "moon"),
            (env::PEAQOS_PRIVATE_KEY, KEY),
        ]))
        .unwrap_err();
        assert_eq!(e.as_validation().unwrap().field, env::PEAQOS_NETWORK);
    }

    #[test]
    fn urls_are_validated() {
        let mut c = PeaqosConfig::for_network(Network::Devnet, None);
        assert!(c.validate().is_ok());
        c.api_url = "ftp://x".into();
        assert_eq!(c.validate().unwrap_err().field, "api_url");
        c.api_url = DEFAULT_MCR_API_URL.into();
        c.rpc_url = "".into();
        assert_eq!(
            c.validate().unwrap_err().message,
            "rpc_url must not be empty"
        );
    }

    #[test]
    fn into_address_messages() {
        let e = "0x12"
            .into_address("machine_address", "machineAddress")
            .unwrap_err();
        assert_eq!(
            e.message,
            "machineAddress must be a valid 0x-prefixed Ethereum address"
        );
        assert_eq!(e.field, "machine_address");
        assert_eq!(
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
                .into_address("a", "a")
                .unwrap(),
            DEVNET_DEPLOYER
        );
    }
}
