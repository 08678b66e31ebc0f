//! Protocol constants: chain ids, precompile addresses, event and trust enumerations,
//! byte limits, bond size, LayerZero endpoint ids, DID attribute names and default
//! local endpoints.
//!
//! Values follow the public peaqOS documentation (the SDK constant exports and the
//! "Smart contracts" page); see `FACTS.md` for the points where sources disagree.

use alloy_primitives::{Address, U256, address};

// ---------------------------------------------------------------------------
// Chain ids
// ---------------------------------------------------------------------------

/// EVM chain id of peaq mainnet.
pub const PEAQ_MAINNET_CHAIN_ID: u64 = 3338;
/// EVM chain id of the agung testnet.
pub const AGUNG_CHAIN_ID: u64 = 9990;
/// EVM chain id of Base mainnet (bridge destination, cross-chain revenue source).
pub const BASE_CHAIN_ID: u64 = 8453;
/// EVM chain id of the local peaqOS devnet. Deliberately distinct from 3338 / 9990 so that
/// transactions signed locally can never be replayed on a real peaq network.
pub const DEVNET_CHAIN_ID: u64 = 31337;

/// `sourceChainId` for off-chain events (telemetry, payments not on any chain).
pub const OFFCHAIN_SOURCE_CHAIN_ID: u64 = 0;

/// The `sourceChainId` values accepted by event validation: `0` (off-chain),
/// `3338` (peaq) and `8453` (Base).
pub const SUPPORTED_SOURCE_CHAIN_IDS: [u64; 3] = [
    OFFCHAIN_SOURCE_CHAIN_ID,
    PEAQ_MAINNET_CHAIN_ID,
    BASE_CHAIN_ID,
];

/// Returns `true` when `chain_id` is one of [`SUPPORTED_SOURCE_CHAIN_IDS`].
pub const fn is_supported_source_chain_id(chain_id: u64) -> bool {
    let mut i = 0;
    while i < SUPPORTED_SOURCE_CHAIN_IDS.len() {
        if SUPPORTED_SOURCE_CHAIN_IDS[i] == chain_id {
            return true;
        }
        i += 1;
    }
    false
}

/// The SDKs' `SUPPORTED_CHAIN_IDS` map (EVM chains the wallet layer knows about), as
/// `(name, chain id)` pairs. Note that event validation only accepts
/// [`SUPPORTED_SOURCE_CHAIN_IDS`].
pub const SUPPORTED_CHAIN_IDS: [(&str, u64); 6] = [
    ("peaq", PEAQ_MAINNET_CHAIN_ID),
    ("ethereum", 1),
    ("base", BASE_CHAIN_ID),
    ("polygon", 137),
    ("arbitrum", 42161),
    ("optimism", 10),
];

// ---------------------------------------------------------------------------
// Precompiles and well-known contracts
// ---------------------------------------------------------------------------

/// peaq DID precompile (`readAttribute` / `addAttribute` / ...), identical on every peaq runtime.
pub const DID_PRECOMPILE_ADDRESS: Address = address!("0x0000000000000000000000000000000000000800");
/// peaq Batch precompile (`batchAll` / `batchSome` / `batchSomeUntilFailure`).
pub const BATCH_PRECOMPILE_ADDRESS: Address =
    address!("0x0000000000000000000000000000000000000805");
/// Native balance exposed as an ERC-20 ("WPEAQ" in the docs, the staking token).
pub const NATIVE_ERC20_PRECOMPILE_ADDRESS: Address =
    address!("0x0000000000000000000000000000000000000809");

/// Canonical ERC-4337 EntryPoint v0.6 (same address on every EVM network).
pub const ENTRY_POINT_V06: Address = address!("0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789");

/// `MachineNFTBase` (LayerZero ONFT721) on Base mainnet.
pub const BASE_MACHINE_NFT_ADDRESS: Address =
    address!("0xee8A521eA434b11F956E2402beC5eBfa753Babfa");

/// LayerZero V2 endpoint contract on peaq mainnet.
pub const LAYERZERO_ENDPOINT_PEAQ: Address = address!("0x6F475642a6e85809B1c36Fa62763669b1b48DD5B");
/// LayerZero V2 endpoint contract on Base mainnet.
pub const LAYERZERO_ENDPOINT_BASE: Address = address!("0x1a44076050125825900e736c501f859c50fE728c");

/// LayerZero V2 endpoint id of peaq mainnet.
pub const LAYERZERO_EID_PEAQ: u32 = 30302;
/// LayerZero V2 endpoint id of Base mainnet.
pub const LAYERZERO_EID_BASE: u32 = 30184;
/// The SDKs' `LAYERZERO_EIDS` map as `(network name, eid)` pairs.
pub const LAYERZERO_EIDS: [(&str, u32); 2] =
    [("peaq", LAYERZERO_EID_PEAQ), ("base", LAYERZERO_EID_BASE)];

/// Default LayerZero `extraOptions` used by the SDK for `send` (type-3 options,
/// executor `lzReceive` gas 200000).
pub const DEFAULT_LAYERZERO_EXTRA_OPTIONS: [u8; 22] = [
    0x00, 0x03, 0x01, 0x00, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x03, 0x0d, 0x40,
];

// ---------------------------------------------------------------------------
// Events and trust
// ---------------------------------------------------------------------------

/// `eventType` of a revenue event.
pub const EVENT_TYPE_REVENUE: u8 = 0;
/// `eventType` of an activity event.
pub const EVENT_TYPE_ACTIVITY: u8 = 1;

/// `trustLevel` 0: the machine or operator attests to the event.
pub const TRUST_SELF_REPORTED: u8 = 0;
/// `trustLevel` 1: backed by a verifiable on-chain reference (requires `sourceTxHash`).
pub const TRUST_ONCHAIN_VERIFIABLE: u8 = 1;
/// `trustLevel` 2: signed by attested hardware.
pub const TRUST_HARDWARE_SIGNED: u8 = 2;

/// Default currency the single-event submit applies to revenue events without one.
pub const DEFAULT_REVENUE_CURRENCY: &str = "USD";

/// Maximum `metadata` size accepted by `EventRegistry.submitEvent` (`MetadataTooLarge` above).
pub const METADATA_MAX_BYTES: usize = 4096;

// ---------------------------------------------------------------------------
// DID
// ---------------------------------------------------------------------------

/// Maximum DID attribute name length in bytes.
pub const DID_MAX_NAME_BYTES: usize = 64;
/// Maximum DID attribute value length in bytes enforced by the SDKs.
pub const DID_MAX_VALUE_BYTES: usize = 2560;

/// DID attribute: on-chain machine id (decimal string).
pub const DID_ATTR_MACHINE_ID: &str = "machineId";
/// DID attribute: Machine NFT token id (decimal string).
pub const DID_ATTR_NFT_TOKEN_ID: &str = "nftTokenId";
/// DID attribute: proxy operator's DID (`did:peaq:0x...`).
pub const DID_ATTR_OPERATOR: &str = "operator";
/// DID attribute: documentation URL.
pub const DID_ATTR_DOCUMENTATION_URL: &str = "documentation_url";
/// DID attribute: raw data API endpoint.
pub const DID_ATTR_DATA_API: &str = "data_api";
/// DID attribute: `public` / `private` / `onchain`.
pub const DID_ATTR_DATA_VISIBILITY: &str = "data_visibility";
/// DID attribute (proxy DIDs only): JSON array of managed machine ids.
pub const DID_ATTR_MACHINES: &str = "machines";

/// The MCR API reads at most this many machine ids from a proxy's `machines` attribute.
pub const MAX_OPERATOR_MACHINES_READ: usize = 100;

// ---------------------------------------------------------------------------
// Identity / bond
// ---------------------------------------------------------------------------

/// The documented minimum bond (`IdentityRegistry.minBond()`), 1 PEAQ = 10^18 wei.
pub const MIN_BOND_WEI: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

// ---------------------------------------------------------------------------
// Local defaults and public endpoints
// ---------------------------------------------------------------------------

/// Default local devnet JSON-RPC port.
pub const DEFAULT_DEVNET_PORT: u16 = 8545;
/// Default local MCR API port.
pub const DEFAULT_MCR_API_PORT: u16 = 8000;
/// Default local Gas Station port.
pub const DEFAULT_GAS_STATION_PORT: u16 = 8090;

/// Default devnet JSON-RPC URL.
pub const DEFAULT_DEVNET_RPC_URL: &str = "http://127.0.0.1:8545";
/// Default MCR API URL (`PEAQOS_MCR_API_URL` when unset; the SDKs' `DEFAULT_API_URL`).
pub const DEFAULT_MCR_API_URL: &str = "http://127.0.0.1:8000";
/// Default local Gas Station URL.
pub const DEFAULT_GAS_STATION_URL: &str = "http://127.0.0.1:8090";

/// The public peaq-hosted MCR API.
pub const PUBLIC_MCR_API_URL: &str = "https://mcr.peaq.xyz";
/// The public peaq-hosted Gas Station.
pub const PUBLIC_GAS_STATION_URL: &str = "https://depinstation.peaq.network";
/// Public peaq mainnet JSON-RPC endpoints (primary first, then fallbacks).
pub const PEAQ_MAINNET_PUBLIC_RPC_URLS: [&str; 5] = [
    "https://quicknode1.peaq.xyz",
    "https://quicknode2.peaq.xyz",
    "https://quicknode3.peaq.xyz",
    "https://peaq.api.onfinality.io/public",
    "https://peaq-rpc.publicnode.com",
];
/// Public agung testnet JSON-RPC endpoint.
pub const AGUNG_PUBLIC_RPC_URL: &str = "https://peaq-agung.api.onfinality.io/public";

/// Default MCR response cache TTL in seconds (`MCR_CACHE_TTL`, `0` disables).
pub const DEFAULT_MCR_CACHE_TTL_SECS: u64 = 3600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precompile_addresses_have_expected_low_bytes() {
        assert_eq!(
            DID_PRECOMPILE_ADDRESS.to_string(),
            "0x0000000000000000000000000000000000000800"
        );
        assert_eq!(
            BATCH_PRECOMPILE_ADDRESS.to_string(),
            "0x0000000000000000000000000000000000000805"
        );
        assert_eq!(
            NATIVE_ERC20_PRECOMPILE_ADDRESS.to_string(),
            "0x0000000000000000000000000000000000000809"
        );
    }

    #[test]
    fn entry_point_is_checksummed_canonical() {
        assert_eq!(
            ENTRY_POINT_V06.to_checksum(None),
            "0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789"
        );
    }

    #[test]
    fn min_bond_is_one_peaq() {
        assert_eq!(MIN_BOND_WEI, U256::from(10u64).pow(U256::from(18u64)));
        assert_eq!(MIN_BOND_WEI, U256::from(1_000_000_000_000_000_000u128));
    }

    #[test]
    fn supported_source_chains() {
        assert_eq!(SUPPORTED_SOURCE_CHAIN_IDS, [0, 3338, 8453]);
        for id in SUPPORTED_SOURCE_CHAIN_IDS {
            assert!(is_supported_source_chain_id(id));
        }
        for id in [1, 10, 137, 9990, 31337, 42161, u64::MAX] {
            assert!(!is_supported_source_chain_id(id));
        }
    }

    #[test]
    fn layerzero_eids() {
        assert_eq!(LAYERZERO_EIDS, [("peaq", 30302), ("base", 30184)]);
    }

    #[test]
    fn default_extra_options_match_documented_hex() {
        assert_eq!(
            alloy_primitives::hex::encode_prefixed(DEFAULT_LAYERZERO_EXTRA_OPTIONS),
            "0x00030100110100000000000000000000000000030d40"
        );
        // Last 16 bytes are the executor gas: 200000.
        assert_eq!(0x030d40, 200_000);
    }

    /// Every DID attribute name peaqOS writes, in documentation order.
    const DID_ATTRIBUTE_NAMES: [&str; 7] = [
        DID_ATTR_MACHINE_ID,
        DID_ATTR_NFT_TOKEN_ID,
        DID_ATTR_OPERATOR,
        DID_ATTR_DOCUMENTATION_URL,
        DID_ATTR_DATA_API,
        DID_ATTR_DATA_VISIBILITY,
        DID_ATTR_MACHINES,
    ];

    #[test]
    fn did_attribute_names_and_limits() {
        assert_eq!(
            DID_ATTRIBUTE_NAMES,
            [
                "machineId",
                "nftTokenId",
                "operator",
                "documentation_url",
                "data_api",
                "data_visibility",
                "machines"
            ]
        );
        assert!(
            DID_ATTRIBUTE_NAMES
                .iter()
                .all(|n| n.len() <= DID_MAX_NAME_BYTES)
        );
        assert_eq!(DID_MAX_NAME_BYTES, 64);
        assert_eq!(DID_MAX_VALUE_BYTES, 2560);
        assert_eq!(METADATA_MAX_BYTES, 4096);
    }

    #[test]
    fn default_urls_use_default_ports() {
        assert!(DEFAULT_DEVNET_RPC_URL.ends_with(&format!(":{DEFAULT_DEVNET_PORT}")));
        assert!(DEFAULT_MCR_API_URL.ends_with(&format!(":{DEFAULT_MCR_API_PORT}")));
        assert!(DEFAULT_GAS_STATION_URL.ends_with(&format!(":{DEFAULT_GAS_STATION_PORT}")));
        assert_eq!(DEFAULT_MCR_API_URL, "http://127.0.0.1:8000");
    }
}
