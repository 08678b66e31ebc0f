//! The MCR API's JSON documents as serde types, one definition for both sides: the MCR server
//! (`peaqos-mcr`) serializes them and the SDK's MCR client deserializes the same structs.
//!
//! Reading is as lenient as peaq's SDK response guards are (`peaq-os-sdk` 0.1.0), so a client
//! also reads a server that sends only what peaq documents: `mcr_score` may be `null` (read as
//! 0), `last_updated` may be `null`, `total_revenue` may be any number, and the fields only this
//! server adds (the profile's `status`, `nft_token_id`, `revenue_trend`, `mcr_degraded`; an
//! event entry's indices, hashes and block) may be absent. A [`MachineProfile`] keeps the
//! top-level keys it does not know in [`MachineProfile::extra`].
//!
//! Every document the server builds passes peaq's SDK response guards (`peaq-os-sdk` 0.1.0,
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

use crate::{AmountStatus, BondStatus, DataVisibility, Rating, RevenueTrend};
use alloy_primitives::U256;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

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

/// `mcr_score`: an integer 0..=100; `null` reads as 0 (Provisioned and NR machines), as peaq's
/// SDK reads it.
fn score<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    match Option::<u64>::deserialize(d)? {
        None => Ok(0),
        Some(s) if s <= 100 => Ok(s as u8),
        Some(s) => Err(serde::de::Error::custom(format!(
            "mcr_score {s} out of range 0..100"
        ))),
    }
}

/// A number written as a JSON integer when it is a whole number a `u64` holds exactly (the
/// server's USD cents), else as a float.
fn whole_number<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = (1u64 << 53) as f64;
    if v.fract() == 0.0 && (0.0..=EXACT).contains(v) {
        s.serialize_u64(*v as u64)
    } else {
        s.serialize_f64(*v)
    }
}

/// `Option<Option<T>>` for a key that may be absent (`None`), present as `null` (`Some(None)`)
/// or present with a value.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
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
    /// Score 0..=100 (`null` reads as 0).
    #[serde(deserialize_with = "score")]
    pub mcr_score: u8,
    /// Rating letter, `NR` or `Provisioned`.
    pub mcr: Rating,
    /// True when a scored event used a stale or unavailable FX rate (absent reads as false).
    #[serde(default)]
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
    /// Total revenue: USD cents from this server, written as a JSON integer (peaq documents a
    /// USD number; any number reads).
    #[serde(serialize_with = "whole_number")]
    pub total_revenue: f64,
    /// `total_revenue / revenue_event_count` (0 without revenue events).
    pub average_revenue_per_event: f64,
    /// Newest event's submission time (unix seconds); this server sends 0 without events, peaq
    /// allows `null`.
    pub last_updated: Option<u64>,
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
    /// This server's addition: the trust-level-1 events by source-chain check (an unverified or
    /// pending one is scored as self-reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_verification: Option<SourceVerification>,
}

/// Trust-level-1 events of a machine by the check of their `sourceTxHash` on their source chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceVerification {
    /// The receipt exists, succeeded and paid the machine: scored on-chain.
    pub verified: u64,
    /// Checked and refused (missing, reverted, paid somebody else, no RPC for the chain):
    /// scored as self-reported.
    pub unverified: u64,
    /// Not decided yet (or the source chain's RPC failed; retried): scored as self-reported
    /// until verified.
    pub pending: u64,
}

/// Where a machine's Machine NFT is (this server's addition to the profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NftLocation {
    /// `peaq` (held on peaq), `base` (locked in the adapter on peaq, held on Base), `unknown`
    /// (bridged but the Base owner cannot be read: see `reason`) or `none` (no NFT minted).
    pub chain: String,
    /// Token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<u64>,
    /// The holder on `chain` (absent when unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `ownerOf` on peaq (the adapter while the token is bridged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peaq_owner: Option<String>,
    /// The token is locked in MachineNFTAdapter.
    pub locked_in_adapter: bool,
    /// Why `owner` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `source_checks` of `GET /ready`: the trust-level-1 checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadySourceChecks {
    /// Chain ids with a configured RPC.
    pub chains: Vec<u64>,
    /// Verified events.
    pub verified: u64,
    /// Unverified events.
    pub unverified: u64,
    /// Events waiting for a check or a retry.
    pub pending: u64,
    /// The last RPC failure of a check (cleared once checks succeed again); pending events are
    /// retried, never marked unverified for an outage.
    pub last_error: Option<String>,
}

/// One `event_data[]` entry of an `onchain` machine profile. The `Option` fields without a
/// "revenue only" note are this server's additions: it always sends them, peaq documents none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEntry {
    /// Zero-based index of the event for its machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_index: Option<u64>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_hash: Option<String>,
    /// `sourceChainId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_chain_id: Option<JsonUint>,
    /// `sourceTxHash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_tx_hash: Option<String>,
    /// Block of the `EventSubmitted` log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_number: Option<u64>,
    /// Transaction of the `EventSubmitted` log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
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

/// The `peaqos` object of a machine profile (the SDKs' `PeaqosData`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeaqosData {
    /// Machine id.
    pub machine_id: u64,
    /// Machine DID.
    pub did: String,
    /// Operator DID for a proxied machine, `null` for a self-managed one.
    pub operator: Option<String>,
    /// Rating.
    pub mcr: Rating,
    /// Score 0..=100 (`null` reads as 0).
    #[serde(deserialize_with = "score")]
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
    /// Machine NFT token id, `null` before the mint (this server's addition, as are `status`,
    /// `revenue_trend` and `mcr_degraded`).
    #[serde(default)]
    pub nft_token_id: Option<u64>,
    /// Registry status name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Revenue trend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_trend: Option<RevenueTrend>,
    /// Degraded FX.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcr_degraded: Option<bool>,
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
    /// This server's addition: trust-level-1 events by source-chain check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_verification: Option<SourceVerification>,
    /// This server's addition: where the Machine NFT is (peaq, or locked in the adapter and
    /// held on Base).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_nft: Option<NftLocation>,
}

/// `GET /machine/{did}` and `GET /metadata/{token_id}`: the machine profile (NFT metadata JSON
/// v1.0, the SDKs' `MachineProfileResponse`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineProfile {
    /// [`PROFILE_SCHEMA_VERSION`].
    pub schema_version: String,
    /// `Machine #<token_id>` or `Machine (no NFT)`.
    pub name: String,
    /// `peaqOS machine` (this server's; peaq documents no description).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The peaqOS data.
    pub peaqos: PeaqosData,
    /// Any further top-level keys (`image`, `attributes`, ...), as read; this server sends none.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reads the known keys from their exact JSON text (so a `uint256` in `event_data` keeps every
/// digit, which a `#[serde(flatten)]` buffer would lose) and keeps the rest in `extra`.
impl<'de> Deserialize<'de> for MachineProfile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut raw = BTreeMap::<String, Box<RawValue>>::deserialize(d)?;
        fn take<T: DeserializeOwned, E: Error>(
            raw: &mut BTreeMap<String, Box<RawValue>>,
            key: &'static str,
        ) -> Result<Option<T>, E> {
            raw.remove(key)
                .map(|v| {
                    serde_json::from_str(v.get()).map_err(|e| E::custom(format!("{key}: {e}")))
                })
                .transpose()
        }
        let schema_version = take(&mut raw, "schema_version")?
            .ok_or_else(|| D::Error::missing_field("schema_version"))?;
        let name = take(&mut raw, "name")?.ok_or_else(|| D::Error::missing_field("name"))?;
        let description = take::<Option<String>, _>(&mut raw, "description")?.flatten();
        let peaqos = take(&mut raw, "peaqos")?.ok_or_else(|| D::Error::missing_field("peaqos"))?;
        let extra = raw
            .into_iter()
            .map(|(k, v)| serde_json::from_str(v.get()).map(|v| (k, v)))
            .collect::<Result<_, _>>()
            .map_err(D::Error::custom)?;
        Ok(Self {
            schema_version,
            name,
            description,
            peaqos,
            extra,
        })
    }
}

/// One entry of `GET /operator/{did}/machines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorMachine {
    /// Machine DID.
    pub did: String,
    /// Machine id.
    pub machine_id: u64,
    /// Score (`null` reads as 0).
    #[serde(deserialize_with = "score")]
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

/// `GET /operator/{did}/machines` (the SDKs' `OperatorMachinesResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorMachinesResponse {
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

/// `fx` of `GET /ready`: the FX table the service converts revenue with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyFx {
    /// `YYYY-MM-DD` of the table's newest ECB row.
    pub last_date: String,
    /// Whole days from `last_date` to the service's scoring day (0 when current).
    pub age_days: u64,
    /// `shipped` (the vendored history), `file` (a configured history file) or `ecb` (refreshed
    /// from the ECB feeds, now or in an earlier run of the service).
    pub source: String,
    /// The service refreshes the table from the ECB feeds.
    pub refresh_enabled: bool,
    /// Unix seconds of the last refresh that brought a good table (also from an earlier run).
    pub refreshed_at: Option<u64>,
    /// Why the last refresh failed, when it did (the last good table stays in use).
    pub last_error: Option<String>,
    /// The table is pinned: events after its last row are not degraded (devnets).
    pub pinned: bool,
}

/// `GET /ready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ready {
    /// `ready` / `not_ready`.
    pub status: ReadyStatus,
    /// The RPC answered.
    pub rpc_connected: bool,
    /// Contract presence.
    pub contracts: ReadyContracts,
    /// Index figures.
    pub index: ReadyIndex,
    /// The FX table and its age (absent from services that do not report it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx: Option<ReadyFx>,
    /// The trust-level-1 source-chain checks (absent from services that do not report them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_checks: Option<ReadySourceChecks>,
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
    fn mcr_totals_are_integers_when_whole_and_peaq_nulls_read() {
        let mut r = McrResponse {
            did: "did:peaq:0x0000000000000000000000000000000000000001".into(),
            machine_id: 1,
            mcr_score: 61,
            mcr: Rating::BBB,
            mcr_degraded: false,
            bond_status: BondStatus::Bonded,
            negative_flag: false,
            event_count: 3,
            revenue_event_count: 2,
            activity_event_count: 1,
            revenue_trend: RevenueTrend::Stable,
            total_revenue: 30_000.0,
            average_revenue_per_event: 15_000.0,
            last_updated: Some(0),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert!(v["total_revenue"].is_u64(), "{v}");
        assert!(v["average_revenue_per_event"].is_f64(), "{v}");
        assert_eq!(v["last_updated"], 0);
        assert_eq!(serde_json::from_value::<McrResponse>(v).unwrap(), r);
        r.total_revenue = 12.5;
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["total_revenue"], 12.5);
        // what peaq allows: a null score and a null last_updated, no mcr_degraded
        let mut v = serde_json::to_value(&r).unwrap();
        v["mcr_score"] = Value::Null;
        v["last_updated"] = Value::Null;
        v.as_object_mut().unwrap().remove("mcr_degraded");
        let back: McrResponse = serde_json::from_value(v).unwrap();
        assert_eq!(
            (back.mcr_score, back.last_updated, back.mcr_degraded),
            (0, None, false)
        );
    }

    #[test]
    fn a_profile_with_only_peaqs_keys_reads_and_keeps_the_rest() {
        let text = r#"{
            "schema_version": "1.0", "name": "Machine #1", "image": "ipfs://x",
            "attributes": [{"trait_type": "tier", "value": "A"}],
            "peaqos": {
                "machine_id": 1, "did": "did:peaq:0x0000000000000000000000000000000000000001",
                "operator": null, "mcr": "Provisioned", "mcr_score": null, "bond_status": "bonded",
                "negative_flag": false, "event_count": 2, "data_visibility": "onchain",
                "documentation_url": null,
                "event_data": [
                    {"event_type": 1, "origin_value": 0, "timestamp": 5, "trust_level": 0,
                     "metadata": {}},
                    {"event_type": 0, "origin_value": 100000000000000000000000000001,
                     "timestamp": 6, "trust_level": 2, "metadata": {"kwh": 3},
                     "origin_currency": "USD", "usd_value": null, "origin_subunit": 100,
                     "usd_subunit": 100, "amount_status": "ok"}
                ],
                "partner_data": {"kwh": 1.5}
            }
        }"#;
        let p: MachineProfile = serde_json::from_str(text).unwrap();
        assert_eq!(p.extra["image"], "ipfs://x");
        assert_eq!(p.extra["attributes"][0]["value"], "A");
        assert_eq!(p.description, None);
        assert_eq!(p.peaqos.mcr_score, 0);
        assert_eq!(p.peaqos.nft_token_id, None);
        assert_eq!(p.peaqos.status, None);
        let events = p.peaqos.event_data.as_ref().unwrap();
        assert_eq!(events[0].event_index, None);
        assert_eq!(events[0].origin_currency, None);
        assert_eq!(
            events[1].origin_value.0.to_string(),
            "100000000000000000000000000001",
            "every digit of a uint256 is kept"
        );
        assert_eq!(events[1].origin_subunit, Some(Some(100)));
        assert_eq!(events[1].usd_value, None);
        assert_eq!(p.peaqos.partner_data, Some(serde_json::json!({"kwh": 1.5})));
        // the extra keys are written back at the top level
        let again: MachineProfile =
            serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(again, p);
        // a missing required key is an error, as is a wrongly typed one
        assert!(
            serde_json::from_str::<MachineProfile>(r#"{"schema_version":"1.0","name":"x"}"#)
                .is_err()
        );
        let bad = text.replace(
            r#""data_visibility": "onchain""#,
            r#""data_visibility": "secret""#,
        );
        assert!(serde_json::from_str::<MachineProfile>(&bad).is_err());
    }

    #[test]
    fn origin_subunit_null_is_kept_and_absent_is_skipped() {
        let mut e = EventEntry {
            event_index: Some(0),
            event_type: 0,
            origin_value: JsonUint::from(5),
            timestamp: 1,
            trust_level: 0,
            metadata: Map::new(),
            data_hash: Some(String::new()),
            source_chain_id: Some(JsonUint::default()),
            source_tx_hash: Some(String::new()),
            block_number: Some(1),
            tx_hash: Some(String::new()),
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
