//! The MCR API's JSON documents as serde types: what the server sends and what a client (the
//! SDK's MCR client) can parse back.
//!
//! The types depend only on serde, serde_json, `alloy-primitives` (`U256`) and `peaqos-types`
//! (the wire enums), so they can move to `peaqos-types` unchanged.
//!
//! Every document passes peaq's SDK response guards (`peaq-os-sdk` 0.1.0,
//! `query/_internal/response_guards.py`) by construction:
//! - integers are Rust integers (never booleans, never strings; `uint256` values above `u64`
//!   are written as exact JSON integers, see [`JsonUint`]), booleans are `bool`;
//! - the only nullable fields are those the guards allow (`operator`, `documentation_url`,
//!   `mcr_score`, `last_updated`, `usd_value`, `origin_subunit`); the server sends `null` only for
//!   `operator`, `documentation_url` and `origin_subunit`;
//! - `event_data[].metadata` is always an object, revenue entries carry `origin_currency`,
//!   `usd_value`, `origin_subunit`, `usd_subunit` (100) and `amount_status`, activity entries
//!   carry none of them;
//! - errors are `{"detail": "..."}`.

use alloy_primitives::U256;
use peaqos_types::{AmountStatus, BondStatus, DataVisibility, Rating, RevenueTrend};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// `usd_subunit` of every revenue entry: USD minor units are cents.
pub const USD_SUBUNIT: u64 = 100;
/// `schema_version` of the machine profile.
pub const PROFILE_SCHEMA_VERSION: &str = "1.0";
/// `type` of the Machine Card and of its registrations.
pub const MACHINE_CARD_TYPE: &str = "peaqos:registration:v1";

/// A `uint256` written as an exact JSON integer: a plain number up to `u64::MAX`, the decimal
/// digits verbatim above it (peaq's SDK requires an integer, and Python reads any size).
/// Parses integers of any size and decimal strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsonUint(pub U256);

impl From<U256> for JsonUint {
    fn from(v: U256) -> Self {
        Self(v)
    }
}

impl From<u64> for JsonUint {
    fn from(v: u64) -> Self {
        Self(U256::from(v))
    }
}

impl Serialize for JsonUint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match u64::try_from(self.0) {
            Ok(v) => s.serialize_u64(v),
            Err(_) => serde_json::value::RawValue::from_string(self.0.to_string())
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for JsonUint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get().trim();
        let digits = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "expected a non-negative integer, got {text}"
            )));
        }
        U256::from_str_radix(digits, 10)
            .map(JsonUint)
            .map_err(serde::de::Error::custom)
    }
}

/// `Option<Option<T>>` for a key that may be absent (`None`), present as `null` (`Some(None)`)
/// or present with a value.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `{"detail": "..."}`: the body of every error answer (400, 404, 405, 429, 503).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub detail: String,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"`.
    pub status: String,
}

/// `GET /mcr/{did}` (the seed's exact shape, the SDKs' `MCRResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McrResponse {
    /// `did:peaq:0x…` (EIP-55).
    pub did: String,
    /// On-chain machine id.
    pub machine_id: u64,
    /// Score 0..=100.
    pub mcr_score: u8,
    /// Rating letter, `NR` or `Provisioned`.
    pub mcr: Rating,
    /// True when a scored event used a stale or unavailable FX rate.
    pub mcr_degraded: bool,
    /// `bonded` / `unbonded`.
    pub bond_status: BondStatus,
    /// An AdminFlags negative flag is active.
    pub negative_flag: bool,
    /// All events.
    pub event_count: u64,
    /// Revenue events.
    pub revenue_event_count: u64,
    /// Activity events.
    pub activity_event_count: u64,
    /// `up` / `stable` / `down` / `insufficient`.
    pub revenue_trend: RevenueTrend,
    /// Total revenue in USD cents.
    pub total_revenue: u64,
    /// `total_revenue / revenue_event_count` (0 without revenue events).
    pub average_revenue_per_event: f64,
    /// Newest event's submission time (unix seconds), 0 without events.
    pub last_updated: u64,
}

/// The model's facts of one machine on `/mcr/{did}/explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainFacts {
    /// Some stake recorded.
    pub bonded: bool,
    /// Status `Deactivated`.
    pub deactivated: bool,
    /// Unix seconds of an active negative flag.
    pub flagged_at: Option<u64>,
    /// Active trust override (0..=100).
    pub trust_override: Option<u8>,
    /// Registry status name (`Pending`, `Verified`, ...).
    pub status: String,
}

/// `GET /mcr/{did}/explain`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainResponse {
    /// Machine DID.
    pub did: String,
    /// Machine id.
    pub machine_id: u64,
    /// Score 0..=100.
    pub mcr_score: u8,
    /// Rating.
    pub mcr: Rating,
    /// Degraded FX.
    pub mcr_degraded: bool,
    /// Graduation gate passed.
    pub graduated: bool,
    /// The facts given to the model.
    pub facts: ExplainFacts,
    /// Every term of the model (gates, factors, trust, freshness, trend).
    pub terms: Value,
    /// The model parameters in force.
    pub config: String,
}

/// One `event_data[]` entry of an `onchain` machine profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEntry {
    /// Zero-based index of the event for its machine.
    pub event_index: u64,
    /// 0 revenue, 1 activity.
    pub event_type: u8,
    /// `value` as submitted (minor units of `origin_currency` for revenue).
    pub origin_value: JsonUint,
    /// Event time, unix seconds.
    pub timestamp: u64,
    /// 0 self-reported, 1 on-chain verifiable, 2 hardware-signed.
    pub trust_level: u8,
    /// The event's metadata bytes as a JSON object (see [`metadata_object`]).
    pub metadata: Map<String, Value>,
    /// `dataHash`.
    pub data_hash: String,
    /// `sourceChainId`.
    pub source_chain_id: JsonUint,
    /// `sourceTxHash`.
    pub source_tx_hash: String,
    /// Block of the `EventSubmitted` log.
    pub block_number: u64,
    /// Transaction of the `EventSubmitted` log.
    pub tx_hash: String,
    /// Revenue only: the ISO 4217 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_currency: Option<String>,
    /// Revenue only: USD cents (0 when the amount could not be converted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_value: Option<u64>,
    /// Revenue only: minor units per unit of `origin_currency` (100 for USD, 1 for JPY); `null`
    /// for an unsupported currency.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    pub origin_subunit: Option<Option<u64>>,
    /// Revenue only: always [`USD_SUBUNIT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_subunit: Option<u64>,
    /// Revenue only: `ok` / `unsupported_currency` / `fx_unavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_status: Option<AmountStatus>,
    /// Revenue only: `none` (USD), `ecb`, `stale_latest`, `unavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx_source: Option<String>,
}

/// Event metadata bytes as the JSON object `event_data[].metadata` must be: a JSON object as
/// it is; empty bytes `{}`; other JSON (array, string, number, ...) `{"value": …}`; UTF-8 text
/// that is not JSON `{"text": …}`; anything else `{"hex": "0x…"}`.
pub fn metadata_object(bytes: &[u8]) -> Map<String, Value> {
    let mut m = Map::new();
    if bytes.is_empty() {
        return m;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) => return o,
            Ok(other) => {
                m.insert("value".into(), other);
            }
            Err(_) => {
                m.insert("text".into(), Value::String(s.to_owned()));
            }
        },
        Err(_) => {
            m.insert(
                "hex".into(),
                Value::String(alloy_primitives::hex::encode_prefixed(bytes)),
            );
        }
    }
    m
}

/// The `peaqos` object of a machine profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeaqosProfile {
    /// Machine id.
    pub machine_id: u64,
    /// Machine DID.
    pub did: String,
    /// Operator DID for a proxied machine, `null` for a self-managed one.
    pub operator: Option<String>,
    /// Rating.
    pub mcr: Rating,
    /// Score 0..=100.
    pub mcr_score: u8,
    /// Bond status.
    pub bond_status: BondStatus,
    /// Negative flag.
    pub negative_flag: bool,
    /// All events.
    pub event_count: u64,
    /// `private` / `onchain` / `public`.
    pub data_visibility: DataVisibility,
    /// The machine's `documentation_url` attribute, `null` when unset.
    pub documentation_url: Option<String>,
    /// Machine NFT token id, `null` before the mint.
    pub nft_token_id: Option<u64>,
    /// Registry status name.
    pub status: String,
    /// Revenue trend.
    pub revenue_trend: RevenueTrend,
    /// Degraded FX.
    pub mcr_degraded: bool,
    /// `private` and `public`: the machine's `data_api` attribute, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_api: Option<String>,
    /// `onchain`: the first 100 events, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_data: Option<Vec<EventEntry>>,
    /// `public`: the JSON the server fetched from `data_api`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_data: Option<Value>,
    /// `public`: why `partner_data` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_data_error: Option<String>,
}

/// `GET /machine/{did}` and `GET /metadata/{token_id}`: the machine profile (NFT metadata JSON
/// v1.0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineProfile {
    /// [`PROFILE_SCHEMA_VERSION`].
    pub schema_version: String,
    /// `Machine #<token_id>` or `Machine (no NFT)`.
    pub name: String,
    /// `peaqOS machine`.
    pub description: String,
    /// The peaqOS data.
    pub peaqos: PeaqosProfile,
}

/// One entry of `GET /operator/{did}/machines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorMachine {
    /// Machine DID.
    pub did: String,
    /// Machine id.
    pub machine_id: u64,
    /// Score.
    pub mcr_score: u8,
    /// Rating.
    pub mcr: Rating,
    /// Negative flag.
    pub negative_flag: bool,
}

/// Pagination of `GET /operator/{did}/machines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    /// Requested offset.
    pub offset: u64,
    /// Requested limit (1..=20).
    pub limit: u64,
    /// Machines in the whole list.
    pub total: u64,
}

/// `GET /operator/{did}/machines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorMachines {
    /// The operator's DID.
    pub operator_did: String,
    /// This page.
    pub machines: Vec<OperatorMachine>,
    /// Where the page is.
    pub pagination: Pagination,
}

/// A `services[]` entry of the Machine Card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardService {
    /// `MCR`, `profile`, `explain`, `metadata`, `web`.
    pub name: String,
    /// Absolute URL.
    pub endpoint: String,
    /// Version of the document served there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A `registrations[]` entry of the Machine Card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRegistration {
    /// [`MACHINE_CARD_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// On-chain machine id (= the Identity NFT's token id).
    #[serde(rename = "machineId")]
    pub machine_id: u64,
    /// `eip155:{chainId}:{IdentityRegistry}` (EIP-55).
    #[serde(rename = "machineRegistry")]
    pub machine_registry: String,
}

/// `GET /machines/{machine_id}`: the Machine Card (ERC-8004 registration-file pattern), where
/// the Identity NFT's `tokenURI` points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineCard {
    /// [`MACHINE_CARD_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// `Machine #<machine_id>`.
    pub name: String,
    /// `peaqOS machine`.
    pub description: String,
    /// URL of the card's image (an SVG the service draws).
    pub image: String,
    /// Machine DID.
    pub did: String,
    /// Status `Pending` or `Verified`.
    pub active: bool,
    /// The machine's MCR API endpoints, and its `data_api` as `web` when set.
    pub services: Vec<CardService>,
    /// Data visibility.
    pub data_visibility: DataVisibility,
    /// `documentation_url` attribute.
    pub documentation_url: Option<String>,
    /// Operator DID for a proxied machine.
    pub operator: Option<String>,
    /// Bond status.
    pub bond_status: BondStatus,
    /// All events.
    pub event_count: u64,
    /// The on-chain registration.
    pub registrations: Vec<CardRegistration>,
    /// ERC-8004 trust models: `reputation` (the MCR) and, when bonded, `crypto-economic`.
    #[serde(rename = "supportedTrust")]
    pub supported_trust: Vec<String>,
}

/// `contracts` of `GET /ready`: whether each address has code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyContracts {
    /// IdentityRegistry.
    pub identity_registry: bool,
    /// IdentityStaking.
    pub identity_staking: bool,
    /// EventRegistry.
    pub event_registry: bool,
    /// MachineNFT.
    pub machine_nft: bool,
    /// AdminFlags (true when none is configured).
    pub admin_flags: bool,
    /// DID precompile.
    pub did_registry: bool,
}

/// `index` of `GET /ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyIndex {
    /// The index reached the safe head at least once.
    pub synced: bool,
    /// Last fully indexed block.
    pub indexed_block: u64,
    /// Latest head seen.
    pub head_block: u64,
    /// `head_block - indexed_block`.
    pub lag: u64,
    /// Reorgs handled since start.
    pub reorgs: u64,
    /// Logs of the followed contracts that could not be decoded (kept in the index's
    /// `anomalies`).
    pub undecodable_logs: u64,
    /// Event records whose type, value or currency differ from their `EventSubmitted` log.
    pub record_mismatches: u64,
}

/// `GET /ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ready {
    /// `ready` / `not_ready`.
    pub status: ReadyStatus,
    /// The RPC answered.
    pub rpc_connected: bool,
    /// Contract presence.
    pub contracts: ReadyContracts,
    /// Index figures.
    pub index: ReadyIndex,
}

/// `status` of `GET /ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadyStatus {
    /// Serving from a synced index.
    Ready,
    /// Something is missing (503).
    NotReady,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn big_uints_are_exact_json_integers() {
        let small = serde_json::to_string(&JsonUint::from(42)).unwrap();
        assert_eq!(small, "42");
        let big = U256::from(10u64).pow(U256::from(30)) + U256::from(7);
        let text = serde_json::to_string(&JsonUint(big)).unwrap();
        assert_eq!(text, "1000000000000000000000000000007");
        let back: JsonUint = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, big);
        let max = serde_json::to_string(&JsonUint(U256::MAX)).unwrap();
        assert_eq!(serde_json::from_str::<JsonUint>(&max).unwrap().0, U256::MAX);
        assert_eq!(
            serde_json::from_str::<JsonUint>("\"12\"").unwrap().0,
            U256::from(12)
        );
        for bad in ["-1", "1.5", "true", "null", "\"0x10\"", "\"\""] {
            assert!(serde_json::from_str::<JsonUint>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_is_always_an_object() {
        assert_eq!(Value::Object(metadata_object(b"")), json!({}));
        assert_eq!(
            Value::Object(metadata_object(br#"{"kwh":3}"#)),
            json!({"kwh": 3})
        );
        assert_eq!(
            Value::Object(metadata_object(b"[1,2]")),
            json!({"value": [1, 2]})
        );
        assert_eq!(
            Value::Object(metadata_object(b"plain")),
            json!({"text": "plain"})
        );
        assert_eq!(
            Value::Object(metadata_object(&[0xff, 0x00])),
            json!({"hex": "0xff00"})
        );
    }

    #[test]
    fn origin_subunit_null_is_kept_and_absent_is_skipped() {
        let mut e = EventEntry {
            event_index: 0,
            event_type: 0,
            origin_value: JsonUint::from(5),
            timestamp: 1,
            trust_level: 0,
            metadata: Map::new(),
            data_hash: String::new(),
            source_chain_id: JsonUint::default(),
            source_tx_hash: String::new(),
            block_number: 1,
            tx_hash: String::new(),
            origin_currency: Some("ZZZ".into()),
            usd_value: Some(0),
            origin_subunit: Some(None),
            usd_subunit: Some(USD_SUBUNIT),
            amount_status: Some(AmountStatus::UnsupportedCurrency),
            fx_source: Some("unavailable".into()),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["origin_subunit"], Value::Null);
        assert!(v.as_object().unwrap().contains_key("origin_subunit"));
        assert_eq!(serde_json::from_value::<EventEntry>(v).unwrap(), e);
        e.origin_subunit = None;
        let v = serde_json::to_value(&e).unwrap();
        assert!(!v.as_object().unwrap().contains_key("origin_subunit"));
        assert_eq!(serde_json::from_value::<EventEntry>(v).unwrap(), e);
    }
}
