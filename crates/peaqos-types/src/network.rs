//! Network presets (mainnet, agung testnet, local devnet), the contract address set and
//! the documented environment variable names.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::{Address, address};

use crate::constants::{
    AGUNG_CHAIN_ID, AGUNG_PUBLIC_RPC_URL, BATCH_PRECOMPILE_ADDRESS, DEFAULT_DEVNET_RPC_URL,
    DEFAULT_GAS_STATION_URL, DEFAULT_MCR_API_URL, DEVNET_CHAIN_ID, DID_PRECOMPILE_ADDRESS,
    PEAQ_MAINNET_CHAIN_ID, PEAQ_MAINNET_PUBLIC_RPC_URLS, PUBLIC_GAS_STATION_URL,
    PUBLIC_MCR_API_URL,
};
use crate::did::parse_address_strict;
use crate::error::ValidationError;

/// The documented environment variable names; each constant is named after, and equal
/// to, its variable.
pub mod env {
    /// JSON-RPC endpoint of the chain.
    pub const PEAQOS_RPC_URL: &str = "PEAQOS_RPC_URL";
    /// Signer private key (hex, `0x...`).
    pub const PEAQOS_PRIVATE_KEY: &str = "PEAQOS_PRIVATE_KEY";
    /// IdentityRegistry address.
    pub const IDENTITY_REGISTRY_ADDRESS: &str = "IDENTITY_REGISTRY_ADDRESS";
    /// IdentityStaking address.
    pub const IDENTITY_STAKING_ADDRESS: &str = "IDENTITY_STAKING_ADDRESS";
    /// EventRegistry address.
    pub const EVENT_REGISTRY_ADDRESS: &str = "EVENT_REGISTRY_ADDRESS";
    /// MachineNFT address.
    pub const MACHINE_NFT_ADDRESS: &str = "MACHINE_NFT_ADDRESS";
    /// DID precompile address.
    pub const DID_REGISTRY_ADDRESS: &str = "DID_REGISTRY_ADDRESS";
    /// Batch precompile address.
    pub const BATCH_PRECOMPILE_ADDRESS: &str = "BATCH_PRECOMPILE_ADDRESS";
    /// AdminFlags address (optional; MCR API server).
    pub const ADMIN_FLAGS_ADDRESS: &str = "ADMIN_FLAGS_ADDRESS";
    /// MachineAccountFactory address (optional; smart accounts).
    pub const MACHINE_ACCOUNT_FACTORY_ADDRESS: &str = "MACHINE_ACCOUNT_FACTORY_ADDRESS";
    /// MachineNFTAdapter address (optional; bridging from peaq).
    pub const MACHINE_NFT_ADAPTER_ADDRESS: &str = "MACHINE_NFT_ADAPTER_ADDRESS";
    /// MCR API base URL (default [`crate::constants::DEFAULT_MCR_API_URL`]).
    pub const PEAQOS_MCR_API_URL: &str = "PEAQOS_MCR_API_URL";
    /// Gas Station base URL (CLI only).
    pub const PEAQOS_GAS_STATION_URL: &str = "PEAQOS_GAS_STATION_URL";
    /// Network preset name (CLI only).
    pub const PEAQOS_NETWORK: &str = "PEAQOS_NETWORK";
    /// Active OWS vault wallet name (CLI only).
    pub const PEAQOS_OWS_WALLET: &str = "PEAQOS_OWS_WALLET";
    /// OWS vault passphrase.
    pub const OWS_PASSPHRASE: &str = "OWS_PASSPHRASE";
    /// MCR API response cache TTL in seconds (`0` disables).
    pub const MCR_CACHE_TTL: &str = "MCR_CACHE_TTL";
    /// Every documented environment variable name.
    pub const ALL: [&str; 17] = [
        PEAQOS_RPC_URL,
        PEAQOS_PRIVATE_KEY,
        IDENTITY_REGISTRY_ADDRESS,
        IDENTITY_STAKING_ADDRESS,
        EVENT_REGISTRY_ADDRESS,
        MACHINE_NFT_ADDRESS,
        DID_REGISTRY_ADDRESS,
        BATCH_PRECOMPILE_ADDRESS,
        ADMIN_FLAGS_ADDRESS,
        MACHINE_ACCOUNT_FACTORY_ADDRESS,
        MACHINE_NFT_ADAPTER_ADDRESS,
        PEAQOS_MCR_API_URL,
        PEAQOS_GAS_STATION_URL,
        PEAQOS_NETWORK,
        PEAQOS_OWS_WALLET,
        OWS_PASSPHRASE,
        MCR_CACHE_TTL,
    ];
}

// ---------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------

/// A peaqOS network preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// peaq mainnet (chain id 3338).
    Mainnet,
    /// agung testnet (chain id 9990).
    Testnet,
    /// The embedded local devnet (chain id 31337).
    Devnet,
}

impl Network {
    /// All presets.
    pub const ALL: [Network; 3] = [Network::Mainnet, Network::Testnet, Network::Devnet];

    /// Canonical name (`mainnet`, `testnet`, `devnet`), as written to `PEAQOS_NETWORK`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
            Network::Devnet => "devnet",
        }
    }

    /// EVM chain id.
    pub const fn chain_id(self) -> u64 {
        match self {
            Network::Mainnet => PEAQ_MAINNET_CHAIN_ID,
            Network::Testnet => AGUNG_CHAIN_ID,
            Network::Devnet => DEVNET_CHAIN_ID,
        }
    }

    /// The preset whose chain id is `chain_id`, if any.
    pub fn from_chain_id(chain_id: u64) -> Option<Network> {
        Network::ALL.into_iter().find(|n| n.chain_id() == chain_id)
    }

    /// Documented contract addresses; `None` for the devnet (whose addresses depend on
    /// its genesis deployment and are computed by the devnet crate).
    pub fn preset_addresses(self) -> Option<ContractAddresses> {
        match self {
            Network::Mainnet => Some(MAINNET_ADDRESSES),
            Network::Testnet => Some(AGUNG_ADDRESSES),
            Network::Devnet => None,
        }
    }

    /// Default JSON-RPC URL: the primary public endpoint for mainnet / agung, the local
    /// devnet URL for devnet.
    pub const fn default_rpc_url(self) -> &'static str {
        match self {
            Network::Mainnet => PEAQ_MAINNET_PUBLIC_RPC_URLS[0],
            Network::Testnet => AGUNG_PUBLIC_RPC_URL,
            Network::Devnet => DEFAULT_DEVNET_RPC_URL,
        }
    }

    /// Default MCR API URL: the public hosted API for mainnet, the local default otherwise.
    pub const fn default_mcr_api_url(self) -> &'static str {
        match self {
            Network::Mainnet => PUBLIC_MCR_API_URL,
            Network::Testnet | Network::Devnet => DEFAULT_MCR_API_URL,
        }
    }

    /// Default Gas Station URL: the public hosted one for mainnet / agung, the local
    /// default for devnet.
    pub const fn default_gas_station_url(self) -> &'static str {
        match self {
            Network::Mainnet | Network::Testnet => PUBLIC_GAS_STATION_URL,
            Network::Devnet => DEFAULT_GAS_STATION_URL,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unrecognised network name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown network {0:?}: expected mainnet (peaq), testnet (agung) or devnet (local)")]
pub struct UnknownNetwork(pub String);

impl FromStr for Network {
    type Err = UnknownNetwork;

    /// Accepts `mainnet`/`peaq`, `testnet`/`agung`, `devnet`/`local`, ignoring ASCII case
    /// and surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mainnet" | "peaq" => Ok(Network::Mainnet),
            "testnet" | "agung" => Ok(Network::Testnet),
            "devnet" | "local" => Ok(Network::Devnet),
            _ => Err(UnknownNetwork(s.to_owned())),
        }
    }
}

impl serde::Serialize for Network {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// Contract addresses
// ---------------------------------------------------------------------------

/// The peaqOS contract address set a client needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ContractAddresses {
    /// IdentityRegistry (`IDENTITY_REGISTRY_ADDRESS`).
    pub identity_registry: Address,
    /// IdentityStaking (`IDENTITY_STAKING_ADDRESS`).
    pub identity_staking: Address,
    /// EventRegistry (`EVENT_REGISTRY_ADDRESS`).
    pub event_registry: Address,
    /// MachineNFT (`MACHINE_NFT_ADDRESS`).
    pub machine_nft: Address,
    /// DID precompile (`DID_REGISTRY_ADDRESS`, `0x...0800` on peaq).
    pub did_registry: Address,
    /// Batch precompile (`BATCH_PRECOMPILE_ADDRESS`, `0x...0805` on peaq).
    pub batch_precompile: Address,
    /// AdminFlags (`ADMIN_FLAGS_ADDRESS`), optional.
    pub admin_flags: Option<Address>,
    /// MachineAccountFactory (`MACHINE_ACCOUNT_FACTORY_ADDRESS`), optional.
    pub machine_account_factory: Option<Address>,
    /// MachineNFTAdapter (`MACHINE_NFT_ADAPTER_ADDRESS`), optional.
    pub machine_nft_adapter: Option<Address>,
}

/// Documented peaq mainnet addresses. EventRegistry follows the install / contracts pages
/// (`0x43c6c12e...`), not the quickstart page.
pub const MAINNET_ADDRESSES: ContractAddresses = ContractAddresses {
    identity_registry: address!("0xb53Af985765031936311273599389b5B68aC9956"),
    identity_staking: address!("0x11c05A650704136786253e8685f56879A202b1C7"),
    event_registry: address!("0x43c6c12eecAf4fB3F164375A9c44f8a6Efc139b9"),
    machine_nft: address!("0x2943F80e9DdB11B9Dd275499C661Df78F5F691F9"),
    did_registry: DID_PRECOMPILE_ADDRESS,
    batch_precompile: BATCH_PRECOMPILE_ADDRESS,
    admin_flags: Some(address!("0x1c5f33fBEE6BA38ed9bDE247C1Ba89A2116C25f1")),
    machine_account_factory: Some(address!("0x4A808d5A90A2c91739E92C70aF19924e0B3D527f")),
    machine_nft_adapter: Some(address!("0x9AD5408702EC204441A88589B99ADfC2514AFAE6")),
};

/// Documented agung testnet addresses.
pub const AGUNG_ADDRESSES: ContractAddresses = ContractAddresses {
    identity_registry: address!("0x9E9463a65c7B74623b3b6Cdc39F71be7274e5971"),
    identity_staking: address!("0x55f336714aDb0749DbFE33b057a1702405564E3d"),
    event_registry: address!("0x2DAD8905380993940e340C5cE6d313d5c2780040"),
    machine_nft: address!("0xB41C2A4f1c19b6B06beaAce0F5CD8439e77C4b1c"),
    did_registry: DID_PRECOMPILE_ADDRESS,
    batch_precompile: BATCH_PRECOMPILE_ADDRESS,
    admin_flags: Some(address!("0x4181a2Aa34aFb247450FfcBd65be5aBD4Cbee658")),
    machine_account_factory: Some(address!("0x65a4DfEB799dFf8CF15f13816d648a7805d6b1F9")),
    machine_nft_adapter: Some(address!("0x63fD7e64A38e50D1486Bc569B4CaCeD38528De22")),
};

impl ContractAddresses {
    /// `(env var name, Some(address))` for every field, in the stable order required
    /// first, then optional; `None` for unset optional fields.
    pub fn entries(&self) -> [(&'static str, Option<Address>); 9] {
        [
            (env::IDENTITY_REGISTRY_ADDRESS, Some(self.identity_registry)),
            (env::IDENTITY_STAKING_ADDRESS, Some(self.identity_staking)),
            (env::EVENT_REGISTRY_ADDRESS, Some(self.event_registry)),
            (env::MACHINE_NFT_ADDRESS, Some(self.machine_nft)),
            (env::DID_REGISTRY_ADDRESS, Some(self.did_registry)),
            (env::BATCH_PRECOMPILE_ADDRESS, Some(self.batch_precompile)),
            (env::ADMIN_FLAGS_ADDRESS, self.admin_flags),
            (
                env::MACHINE_ACCOUNT_FACTORY_ADDRESS,
                self.machine_account_factory,
            ),
            (env::MACHINE_NFT_ADAPTER_ADDRESS, self.machine_nft_adapter),
        ]
    }

    /// `(env var name, EIP-55 checksummed address)` pairs for a `.env` file, in a stable
    /// order: IDENTITY_REGISTRY, IDENTITY_STAKING, EVENT_REGISTRY, MACHINE_NFT,
    /// DID_REGISTRY, BATCH_PRECOMPILE, then ADMIN_FLAGS, MACHINE_ACCOUNT_FACTORY,
    /// MACHINE_NFT_ADAPTER when set (unset optional addresses are omitted).
    pub fn to_env_pairs(&self) -> Vec<(&'static str, String)> {
        self.entries()
            .into_iter()
            .filter_map(|(name, addr)| addr.map(|a| (name, a.to_checksum(None))))
            .collect()
    }

    /// Builds the address set from an environment lookup (pure: pass e.g.
    /// `|k| std::env::var(k).ok()`). Empty values count as unset.
    ///
    /// Errors: `"<VAR> is required"` for a missing required address, and
    /// `"<VAR> must be a valid 0x-prefixed Ethereum address"` for a malformed one
    /// (required or optional). `field` is the variable name.
    pub fn from_env_lookup<F>(lookup: F) -> Result<ContractAddresses, ValidationError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| -> Result<Option<Address>, ValidationError> {
            match lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
            {
                None => Ok(None),
                Some(v) => parse_address_strict(&v).map(Some).ok_or_else(|| {
                    ValidationError::new(
                        name,
                        "evm_address",
                        format!("{name} must be a valid 0x-prefixed Ethereum address"),
                    )
                }),
            }
        };
        let required = |name: &str| -> Result<Address, ValidationError> {
            get(name)?.ok_or_else(|| {
                ValidationError::new(name, "required", format!("{name} is required"))
            })
        };
        Ok(ContractAddresses {
            identity_registry: required(env::IDENTITY_REGISTRY_ADDRESS)?,
            identity_staking: required(env::IDENTITY_STAKING_ADDRESS)?,
            event_registry: required(env::EVENT_REGISTRY_ADDRESS)?,
            machine_nft: required(env::MACHINE_NFT_ADDRESS)?,
            did_registry: required(env::DID_REGISTRY_ADDRESS)?,
            batch_precompile: required(env::BATCH_PRECOMPILE_ADDRESS)?,
            admin_flags: get(env::ADMIN_FLAGS_ADDRESS)?,
            machine_account_factory: get(env::MACHINE_ACCOUNT_FACTORY_ADDRESS)?,
            machine_nft_adapter: get(env::MACHINE_NFT_ADAPTER_ADDRESS)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn parse_network_names() {
        for (s, n) in [
            ("mainnet", Network::Mainnet),
            ("peaq", Network::Mainnet),
            ("MAINNET", Network::Mainnet),
            ("testnet", Network::Testnet),
            ("agung", Network::Testnet),
            (" Agung ", Network::Testnet),
            ("devnet", Network::Devnet),
            ("local", Network::Devnet),
        ] {
            assert_eq!(s.parse::<Network>().unwrap(), n, "{s}");
        }
        for bad in ["", "main", "base", "krest", "localhost"] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
        assert_eq!(
            "base".parse::<Network>().unwrap_err().to_string(),
            "unknown network \"base\": expected mainnet (peaq), testnet (agung) or devnet (local)"
        );
    }

    #[test]
    fn display_round_trip_and_chain_ids() {
        for n in Network::ALL {
            assert_eq!(n.to_string().parse::<Network>().unwrap(), n);
            assert_eq!(Network::from_chain_id(n.chain_id()), Some(n));
            let json = serde_json::to_string(&n).unwrap();
            assert_eq!(serde_json::from_str::<Network>(&json).unwrap(), n);
        }
        assert_eq!(Network::Mainnet.chain_id(), 3338);
        assert_eq!(Network::Testnet.chain_id(), 9990);
        assert_eq!(Network::Devnet.chain_id(), 31337);
        assert_eq!(Network::from_chain_id(8453), None);
        assert_eq!(Network::Mainnet.to_string(), "mainnet");
    }

    #[test]
    fn mainnet_preset_matches_docs() {
        let a = Network::Mainnet.preset_addresses().unwrap();
        let pairs = a.to_env_pairs();
        let expected = [
            (
                "IDENTITY_REGISTRY_ADDRESS",
                "0xb53Af985765031936311273599389b5B68aC9956",
            ),
            (
                "IDENTITY_STAKING_ADDRESS",
                "0x11c05A650704136786253e8685f56879A202b1C7",
            ),
            (
                "EVENT_REGISTRY_ADDRESS",
                "0x43c6c12eecAf4fB3F164375A9c44f8a6Efc139b9",
            ),
            (
                "MACHINE_NFT_ADDRESS",
                "0x2943F80e9DdB11B9Dd275499C661Df78F5F691F9",
            ),
            (
                "DID_REGISTRY_ADDRESS",
                "0x0000000000000000000000000000000000000800",
            ),
            (
                "BATCH_PRECOMPILE_ADDRESS",
                "0x0000000000000000000000000000000000000805",
            ),
            (
                "ADMIN_FLAGS_ADDRESS",
                "0x1c5f33fBEE6BA38ed9bDE247C1Ba89A2116C25f1",
            ),
            (
                "MACHINE_ACCOUNT_FACTORY_ADDRESS",
                "0x4A808d5A90A2c91739E92C70aF19924e0B3D527f",
            ),
            (
                "MACHINE_NFT_ADAPTER_ADDRESS",
                "0x9AD5408702EC204441A88589B99ADfC2514AFAE6",
            ),
        ];
        // The docs print the EventRegistry address with a mixed case that is NOT a valid
        // EIP-55 checksum, so compare case-insensitively; `to_env_pairs` emits the correct
        // checksum of the same 20 bytes.
        assert_eq!(pairs.len(), expected.len());
        for ((k, v), (ek, ev)) in pairs.iter().zip(expected) {
            assert_eq!(*k, ek);
            assert_eq!(v.to_lowercase(), ev.to_lowercase(), "{k}");
        }
        assert_eq!(pairs[2].1, "0x43C6c12eeCAF4fB3f164375a9c44f8a6EFc139b9");
    }

    #[test]
    fn agung_preset_matches_docs() {
        let a = Network::Testnet.preset_addresses().unwrap();
        let got = a.to_env_pairs();
        let expected = [
            (
                "IDENTITY_REGISTRY_ADDRESS",
                "0x9E9463a65c7B74623b3b6Cdc39F71be7274e5971",
            ),
            (
                "IDENTITY_STAKING_ADDRESS",
                "0x55f336714aDb0749DbFE33b057a1702405564E3d",
            ),
            (
                "EVENT_REGISTRY_ADDRESS",
                "0x2DAD8905380993940e340C5cE6d313d5c2780040",
            ),
            (
                "MACHINE_NFT_ADDRESS",
                "0xB41C2A4f1c19b6B06beaAce0F5CD8439e77C4b1c",
            ),
            (
                "DID_REGISTRY_ADDRESS",
                "0x0000000000000000000000000000000000000800",
            ),
            (
                "BATCH_PRECOMPILE_ADDRESS",
                "0x0000000000000000000000000000000000000805",
            ),
            (
                "ADMIN_FLAGS_ADDRESS",
                "0x4181a2Aa34aFb247450FfcBd65be5aBD4Cbee658",
            ),
            (
                "MACHINE_ACCOUNT_FACTORY_ADDRESS",
                "0x65a4DfEB799dFf8CF15f13816d648a7805d6b1F9",
            ),
            (
                "MACHINE_NFT_ADAPTER_ADDRESS",
                "0x63fD7e64A38e50D1486Bc569B4CaCeD38528De22",
            ),
        ];
        let got: Vec<(&str, &str)> = got.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(got, expected);
        assert_ne!(a.event_registry, MAINNET_ADDRESSES.event_registry);
    }

    #[test]
    fn devnet_has_no_preset() {
        assert_eq!(Network::Devnet.preset_addresses(), None);
        assert_eq!(Network::Devnet.default_rpc_url(), "http://127.0.0.1:8545");
        assert_eq!(
            Network::Devnet.default_mcr_api_url(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(
            Network::Devnet.default_gas_station_url(),
            "http://127.0.0.1:8090"
        );
        assert_eq!(
            Network::Mainnet.default_mcr_api_url(),
            "https://mcr.peaq.xyz"
        );
    }

    #[test]
    fn env_pairs_omit_unset_optionals() {
        let mut a = AGUNG_ADDRESSES;
        a.admin_flags = None;
        a.machine_nft_adapter = None;
        let names: Vec<_> = a.to_env_pairs().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            [
                "IDENTITY_REGISTRY_ADDRESS",
                "IDENTITY_STAKING_ADDRESS",
                "EVENT_REGISTRY_ADDRESS",
                "MACHINE_NFT_ADDRESS",
                "DID_REGISTRY_ADDRESS",
                "BATCH_PRECOMPILE_ADDRESS",
                "MACHINE_ACCOUNT_FACTORY_ADDRESS",
            ]
        );
    }

    #[test]
    fn from_env_lookup_round_trips_env_pairs() {
        for preset in [MAINNET_ADDRESSES, AGUNG_ADDRESSES] {
            let map: HashMap<&str, String> = preset.to_env_pairs().into_iter().collect();
            let back = ContractAddresses::from_env_lookup(|k| map.get(k).cloned()).unwrap();
            assert_eq!(back, preset);
        }
    }

    #[test]
    fn from_env_lookup_errors() {
        let mut map: HashMap<&str, String> = MAINNET_ADDRESSES.to_env_pairs().into_iter().collect();
        map.insert("EVENT_REGISTRY_ADDRESS", "  ".into());
        let err = ContractAddresses::from_env_lookup(|k| map.get(k).cloned()).unwrap_err();
        assert_eq!(err.field, "EVENT_REGISTRY_ADDRESS");
        assert_eq!(err.message, "EVENT_REGISTRY_ADDRESS is required");

        map.insert("EVENT_REGISTRY_ADDRESS", "0x1234".into());
        let err = ContractAddresses::from_env_lookup(|k| map.get(k).cloned()).unwrap_err();
        assert_eq!(
            err.message,
            "EVENT_REGISTRY_ADDRESS must be a valid 0x-prefixed Ethereum address"
        );

        map.insert(
            "EVENT_REGISTRY_ADDRESS",
            MAINNET_ADDRESSES.event_registry.to_string(),
        );
        map.insert("ADMIN_FLAGS_ADDRESS", "nope".into());
        let err = ContractAddresses::from_env_lookup(|k| map.get(k).cloned()).unwrap_err();
        assert_eq!(err.field, "ADMIN_FLAGS_ADDRESS");

        map.remove("ADMIN_FLAGS_ADDRESS");
        let ok = ContractAddresses::from_env_lookup(|k| map.get(k).cloned()).unwrap();
        assert_eq!(ok.admin_flags, None);
    }

    #[test]
    fn env_var_names() {
        assert_eq!(
            env::ALL,
            [
                "PEAQOS_RPC_URL",
                "PEAQOS_PRIVATE_KEY",
                "IDENTITY_REGISTRY_ADDRESS",
                "IDENTITY_STAKING_ADDRESS",
                "EVENT_REGISTRY_ADDRESS",
                "MACHINE_NFT_ADDRESS",
                "DID_REGISTRY_ADDRESS",
                "BATCH_PRECOMPILE_ADDRESS",
                "ADMIN_FLAGS_ADDRESS",
                "MACHINE_ACCOUNT_FACTORY_ADDRESS",
                "MACHINE_NFT_ADAPTER_ADDRESS",
                "PEAQOS_MCR_API_URL",
                "PEAQOS_GAS_STATION_URL",
                "PEAQOS_NETWORK",
                "PEAQOS_OWS_WALLET",
                "OWS_PASSPHRASE",
                "MCR_CACHE_TTL",
            ]
        );
    }
}
