//! Revenue / activity event parameters, their client-side validation (the SDKs'
//! `validateSubmitEventParams`), currency defaults and the `dataHash` computation.
//!
//! Validation checks the fields in the documented order and stops at the first failure:
//!
//! | # | field | rule | message |
//! |---|---|---|---|
//! | 1 | `machine_id` | positive | `machineId must be a positive integer` |
//! | 2 | `event_type` | 0 or 1 | `eventType must be 0 or 1` |
//! | 3 | `value` | non-negative | `value must be non-negative` |
//! | 4 | `currency` | revenue `^[A-Z0-9]{3,10}$`, activity `""` | `currency must match ^[A-Z0-9]{3,10}$` / `currency must be empty for activity events` |
//! | 5 | `trust_level` | 0, 1 or 2 | `trustLevel must be 0, 1, or 2` |
//! | 6 | `source_chain_id` | 0, 3338 or 8453 | `sourceChainId must be a supported chain ID` |
//! | 7 | `raw_data` | non-empty when provided | `rawData must not be empty when provided` |
//! | 8 | `source_tx_hash` | `0x` + 64 hex when provided | `sourceTxHash must be a 0x-prefixed 32-byte hex string` |
//! | 9 | `timestamp` | positive | `timestamp must be a positive integer` |
//! | 10 | `source_tx_hash` | required when `trust_level == 1` | `sourceTxHash is required when trustLevel is 1` |
//!
//! `value` is a `U256`, so rule 3 holds by construction; [`parse_event_value`] gives the
//! documented message for textual input such as `-5`. `metadata` size is not validated
//! client-side (the contract reverts `MetadataTooLarge`), matching the SDKs; see
//! [`metadata_within_limit`].

use std::fmt;
use std::str::FromStr;

use alloy_primitives::{B256, Bytes, U256, keccak256};
use serde::{Deserialize, Serialize};

use crate::constants::{
    DEFAULT_REVENUE_CURRENCY, EVENT_TYPE_ACTIVITY, EVENT_TYPE_REVENUE, METADATA_MAX_BYTES,
    TRUST_HARDWARE_SIGNED, TRUST_ONCHAIN_VERIFIABLE, TRUST_SELF_REPORTED,
    is_supported_source_chain_id,
};
pub use crate::error::ValidationError;

/// Machine-readable `ValidationError::constraint` values produced by this module.
pub mod constraint {
    /// `machine_id` / `timestamp` must be > 0.
    pub const POSITIVE_INTEGER: &str = "positive_integer";
    /// `event_type` must be 0 or 1.
    pub const EVENT_TYPE: &str = "event_type_0_or_1";
    /// `value` must be a non-negative integer.
    pub const NON_NEGATIVE_INTEGER: &str = "non_negative_integer";
    /// Revenue currency must match `^[A-Z0-9]{3,10}$`.
    pub const CURRENCY_PATTERN: &str = "currency_pattern";
    /// Activity currency must be `""`.
    pub const CURRENCY_EMPTY_FOR_ACTIVITY: &str = "currency_empty_for_activity";
    /// Batch submissions need an explicit currency on every event.
    pub const CURRENCY_REQUIRED: &str = "currency_required";
    /// `trust_level` must be 0, 1 or 2.
    pub const TRUST_LEVEL: &str = "trust_level_0_1_or_2";
    /// `source_chain_id` must be 0, 3338 or 8453.
    pub const SUPPORTED_CHAIN_ID: &str = "supported_chain_id";
    /// `raw_data` must not be empty when provided.
    pub const NON_EMPTY_WHEN_PROVIDED: &str = "non_empty_when_provided";
    /// `source_tx_hash` must be `0x` followed by 64 hex digits.
    pub const HEX32: &str = "hex32";
    /// `source_tx_hash` is required when `trust_level` is 1.
    pub const REQUIRED_WHEN_TRUST_LEVEL_1: &str = "required_when_trust_level_1";
    /// A batch must contain at least one event.
    pub const NON_EMPTY_LIST: &str = "non_empty_list";
}

/// Exact documented messages, for callers that match on them.
pub mod message {
    /// Rule 1.
    pub const MACHINE_ID: &str = "machineId must be a positive integer";
    /// Rule 2.
    pub const EVENT_TYPE: &str = "eventType must be 0 or 1";
    /// Rule 3.
    pub const VALUE: &str = "value must be non-negative";
    /// Rule 4, revenue.
    pub const CURRENCY_PATTERN: &str = "currency must match ^[A-Z0-9]{3,10}$";
    /// Rule 4, activity.
    pub const CURRENCY_ACTIVITY: &str = "currency must be empty for activity events";
    /// Rule 5.
    pub const TRUST_LEVEL: &str = "trustLevel must be 0, 1, or 2";
    /// Rule 6.
    pub const SOURCE_CHAIN_ID: &str = "sourceChainId must be a supported chain ID";
    /// Rule 7.
    pub const RAW_DATA: &str = "rawData must not be empty when provided";
    /// Rule 8.
    pub const SOURCE_TX_HASH_FORMAT: &str = "sourceTxHash must be a 0x-prefixed 32-byte hex string";
    /// Rule 9.
    pub const TIMESTAMP: &str = "timestamp must be a positive integer";
    /// Rule 10.
    pub const SOURCE_TX_HASH_REQUIRED: &str = "sourceTxHash is required when trustLevel is 1";
    /// Batch only: missing currency (not in the docs' table; the docs only state that
    /// `batchSubmitEvents` requires an explicit currency).
    pub const CURRENCY_REQUIRED: &str = "currency is required for every event in a batch";
    /// Batch only: empty list.
    pub const EMPTY_BATCH: &str = "events must be a non-empty list";
}

// ---------------------------------------------------------------------------
// Event type / trust level helpers
// ---------------------------------------------------------------------------

/// Event type (`eventType`): revenue (0) or activity (1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// The machine earned money (`0`).
    Revenue,
    /// The machine performed an action (`1`).
    Activity,
}

impl EventType {
    /// The on-chain `uint8` value.
    pub const fn as_u8(self) -> u8 {
        match self {
            EventType::Revenue => EVENT_TYPE_REVENUE,
            EventType::Activity => EVENT_TYPE_ACTIVITY,
        }
    }

    /// The type for an on-chain value, if valid.
    pub const fn from_u8(v: u8) -> Option<EventType> {
        match v {
            EVENT_TYPE_REVENUE => Some(EventType::Revenue),
            EVENT_TYPE_ACTIVITY => Some(EventType::Activity),
            _ => None,
        }
    }

    /// `revenue` or `activity`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::Revenue => "revenue",
            EventType::Activity => "activity",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = ValidationError;

    /// Accepts `revenue` / `0` and `activity` / `1` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "revenue" | "0" => Ok(EventType::Revenue),
            "activity" | "1" => Ok(EventType::Activity),
            _ => Err(ValidationError::new(
                "event_type",
                constraint::EVENT_TYPE,
                message::EVENT_TYPE,
            )),
        }
    }
}

/// Trust level (`trustLevel`) of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustLevel {
    /// `0`: attested by the machine or operator only.
    SelfReported,
    /// `1`: backed by a verifiable on-chain reference (needs `source_tx_hash`).
    OnchainVerifiable,
    /// `2`: signed by attested hardware.
    HardwareSigned,
}

impl TrustLevel {
    /// The on-chain `uint8` value.
    pub const fn as_u8(self) -> u8 {
        match self {
            TrustLevel::SelfReported => TRUST_SELF_REPORTED,
            TrustLevel::OnchainVerifiable => TRUST_ONCHAIN_VERIFIABLE,
            TrustLevel::HardwareSigned => TRUST_HARDWARE_SIGNED,
        }
    }

    /// The level for an on-chain value, if valid.
    pub const fn from_u8(v: u8) -> Option<TrustLevel> {
        match v {
            TRUST_SELF_REPORTED => Some(TrustLevel::SelfReported),
            TRUST_ONCHAIN_VERIFIABLE => Some(TrustLevel::OnchainVerifiable),
            TRUST_HARDWARE_SIGNED => Some(TrustLevel::HardwareSigned),
            _ => None,
        }
    }

    /// The CLI spelling: `self`, `onchain`, `hardware`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TrustLevel::SelfReported => "self",
            TrustLevel::OnchainVerifiable => "onchain",
            TrustLevel::HardwareSigned => "hardware",
        }
    }
}

impl fmt::Display for TrustLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TrustLevel {
    type Err = ValidationError;

    /// Accepts `self`/`self_reported`/`0`, `onchain`/`onchain_verifiable`/`1`,
    /// `hardware`/`hardware_signed`/`2` (ASCII case-insensitive, `-` treated as `_`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "self" | "self_reported" | "0" => Ok(TrustLevel::SelfReported),
            "onchain" | "on_chain" | "onchain_verifiable" | "on_chain_verifiable" | "1" => {
                Ok(TrustLevel::OnchainVerifiable)
            }
            "hardware" | "hardware_signed" | "2" => Ok(TrustLevel::HardwareSigned),
            _ => Err(ValidationError::new(
                "trust_level",
                constraint::TRUST_LEVEL,
                message::TRUST_LEVEL,
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// SubmitEventParams
// ---------------------------------------------------------------------------

/// Input of `submitEvent` (the SDKs' `SubmitEventParams`).
///
/// JSON form: snake_case keys; `value` a number or a decimal / `0x` hex string;
/// `raw_data` and `metadata` `0x` hex strings (arrays of bytes are accepted on input);
/// `currency`, `raw_data`, `source_tx_hash` and `metadata` may be omitted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubmitEventParams {
    /// Machine id from the IdentityRegistry (must be > 0).
    pub machine_id: u64,
    /// [`EVENT_TYPE_REVENUE`] (0) or [`EVENT_TYPE_ACTIVITY`] (1).
    pub event_type: u8,
    /// ISO 4217 minor units of `currency` for revenue; any metric for activity.
    #[serde(with = "serde_u256")]
    pub value: U256,
    /// Revenue: `^[A-Z0-9]{3,10}$`; activity: `""`. `None` applies the single-submit
    /// default (see [`resolve_currency`]); batches require `Some`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Unix seconds when the event happened (must be > 0).
    pub timestamp: u64,
    /// Off-chain payload hashed into `dataHash`; `None` or non-empty.
    #[serde(
        default,
        with = "serde_opt_hex_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub raw_data: Option<Vec<u8>>,
    /// 0 self-reported, 1 on-chain verifiable, 2 hardware-signed.
    pub trust_level: u8,
    /// 0 (off-chain), 3338 (peaq) or 8453 (Base).
    pub source_chain_id: u64,
    /// `0x` + 64 hex digits; required when `trust_level` is 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_tx_hash: Option<String>,
    /// Arbitrary bytes stored on-chain (at most [`METADATA_MAX_BYTES`] or the contract reverts).
    #[serde(default, with = "serde_hex_bytes")]
    pub metadata: Vec<u8>,
}

impl SubmitEventParams {
    /// A self-reported, off-chain revenue event in `currency` with no raw data / metadata.
    pub fn revenue(
        machine_id: u64,
        value: U256,
        currency: impl Into<String>,
        timestamp: u64,
    ) -> Self {
        Self {
            machine_id,
            event_type: EVENT_TYPE_REVENUE,
            value,
            currency: Some(currency.into()),
            timestamp,
            raw_data: None,
            trust_level: TRUST_SELF_REPORTED,
            source_chain_id: 0,
            source_tx_hash: None,
            metadata: Vec::new(),
        }
    }

    /// A self-reported, off-chain activity event (currency `""`) with no raw data / metadata.
    pub fn activity(machine_id: u64, value: U256, timestamp: u64) -> Self {
        Self {
            machine_id,
            event_type: EVENT_TYPE_ACTIVITY,
            value,
            currency: Some(String::new()),
            timestamp,
            raw_data: None,
            trust_level: TRUST_SELF_REPORTED,
            source_chain_id: 0,
            source_tx_hash: None,
            metadata: Vec::new(),
        }
    }

    /// The currency the single-event submit sends (explicit, or the default for the type).
    pub fn resolved_currency(&self) -> &str {
        resolve_currency(self.event_type, self.currency.as_deref())
    }

    /// `dataHash` for this event ([`compute_data_hash`] of `raw_data`, zero when absent).
    pub fn data_hash(&self) -> B256 {
        compute_optional_data_hash(self.raw_data.as_deref())
    }
}

/// Single-submit currency default: an explicit currency is kept as is; otherwise revenue
/// events get `"USD"` and every other type `""`.
pub fn resolve_currency(event_type: u8, currency: Option<&str>) -> &str {
    match currency {
        Some(c) => c,
        None if event_type == EVENT_TYPE_REVENUE => DEFAULT_REVENUE_CURRENCY,
        None => "",
    }
}

/// `true` when `currency` matches `^[A-Z0-9]{3,10}$` (ASCII uppercase letters and digits,
/// 3 to 10 of them, nothing else, not even a trailing newline).
pub fn is_valid_currency_code(currency: &str) -> bool {
    (3..=10).contains(&currency.len())
        && currency
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `true` when `s` is `0x` followed by exactly 64 hex digits (any case).
pub fn is_valid_tx_hash(s: &str) -> bool {
    s.len() == 66 && s.starts_with("0x") && s.as_bytes()[2..].iter().all(|b| b.is_ascii_hexdigit())
}

/// `true` when `metadata` fits the EventRegistry's 4096-byte cap.
pub fn metadata_within_limit(metadata: &[u8]) -> bool {
    metadata.len() <= METADATA_MAX_BYTES
}

fn err(field: &str, constraint: &str, message: &str) -> ValidationError {
    ValidationError::new(field, constraint, message)
}

fn validate_inner(p: &SubmitEventParams, explicit_currency: bool) -> Result<(), ValidationError> {
    // 1. machine_id
    if p.machine_id == 0 {
        return Err(err(
            "machine_id",
            constraint::POSITIVE_INTEGER,
            message::MACHINE_ID,
        ));
    }
    // 2. event_type
    let Some(event_type) = EventType::from_u8(p.event_type) else {
        return Err(err(
            "event_type",
            constraint::EVENT_TYPE,
            message::EVENT_TYPE,
        ));
    };
    // 3. value: a U256 is non-negative by construction.
    // 4. currency
    let currency = match p.currency.as_deref() {
        Some(c) => c,
        None if explicit_currency => {
            return Err(err(
                "currency",
                constraint::CURRENCY_REQUIRED,
                message::CURRENCY_REQUIRED,
            ));
        }
        None => resolve_currency(p.event_type, None),
    };
    match event_type {
        EventType::Revenue if !is_valid_currency_code(currency) => {
            return Err(err(
                "currency",
                constraint::CURRENCY_PATTERN,
                message::CURRENCY_PATTERN,
            ));
        }
        EventType::Activity if !currency.is_empty() => {
            return Err(err(
                "currency",
                constraint::CURRENCY_EMPTY_FOR_ACTIVITY,
                message::CURRENCY_ACTIVITY,
            ));
        }
        _ => {}
    }
    // 5. trust_level
    if TrustLevel::from_u8(p.trust_level).is_none() {
        return Err(err(
            "trust_level",
            constraint::TRUST_LEVEL,
            message::TRUST_LEVEL,
        ));
    }
    // 6. source_chain_id
    if !is_supported_source_chain_id(p.source_chain_id) {
        return Err(err(
            "source_chain_id",
            constraint::SUPPORTED_CHAIN_ID,
            message::SOURCE_CHAIN_ID,
        ));
    }
    // 7. raw_data
    if p.raw_data.as_ref().is_some_and(Vec::is_empty) {
        return Err(err(
            "raw_data",
            constraint::NON_EMPTY_WHEN_PROVIDED,
            message::RAW_DATA,
        ));
    }
    // 8. source_tx_hash format
    if p.source_tx_hash
        .as_deref()
        .is_some_and(|h| !is_valid_tx_hash(h))
    {
        return Err(err(
            "source_tx_hash",
            constraint::HEX32,
            message::SOURCE_TX_HASH_FORMAT,
        ));
    }
    // 9. timestamp
    if p.timestamp == 0 {
        return Err(err(
            "timestamp",
            constraint::POSITIVE_INTEGER,
            message::TIMESTAMP,
        ));
    }
    // 10. source_tx_hash required for on-chain verifiable events
    if p.trust_level == TRUST_ONCHAIN_VERIFIABLE && p.source_tx_hash.is_none() {
        return Err(err(
            "source_tx_hash",
            constraint::REQUIRED_WHEN_TRUST_LEVEL_1,
            message::SOURCE_TX_HASH_REQUIRED,
        ));
    }
    Ok(())
}

/// Validates event parameters for a single submit (the SDKs' `validateSubmitEventParams`):
/// every documented rule in order, returning the first violation. A missing `currency`
/// is validated as its single-submit default (see [`resolve_currency`]).
pub fn validate_submit_event_params(params: &SubmitEventParams) -> Result<(), ValidationError> {
    validate_inner(params, false)
}

/// Batch variant of [`validate_submit_event_params`]: identical, except that a missing
/// `currency` fails at the currency step with `currency is required for every event in a batch`.
pub fn require_explicit_currency(params: &SubmitEventParams) -> Result<(), ValidationError> {
    validate_inner(params, true)
}

/// A batch validation failure: which event (`None` when the list itself is empty) and why.
///
/// `Display` is `event <index>: <message>`, or just the message for an empty batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchValidationError {
    /// Zero-based index of the failing event, `None` for an empty batch.
    pub index: Option<usize>,
    /// The underlying validation error.
    pub error: ValidationError,
}

impl fmt::Display for BatchValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "event {i}: {}", self.error.message),
            None => f.write_str(&self.error.message),
        }
    }
}

impl std::error::Error for BatchValidationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<BatchValidationError> for ValidationError {
    fn from(e: BatchValidationError) -> Self {
        e.error
    }
}

/// Validates a `batchSubmitEvents` list: non-empty, and every event passes
/// [`require_explicit_currency`]. Reports the first failing event.
pub fn validate_batch_submit_event_params(
    events: &[SubmitEventParams],
) -> Result<(), BatchValidationError> {
    if events.is_empty() {
        return Err(BatchValidationError {
            index: None,
            error: err("events", constraint::NON_EMPTY_LIST, message::EMPTY_BATCH),
        });
    }
    for (i, e) in events.iter().enumerate() {
        require_explicit_currency(e).map_err(|error| BatchValidationError {
            index: Some(i),
            error,
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// dataHash and the call arguments
// ---------------------------------------------------------------------------

/// `dataHash` of raw event data: `keccak256(raw)`, except that empty data hashes to
/// `bytes32(0)` (the value the SDKs send when no raw data is given).
pub fn compute_data_hash(raw: &[u8]) -> B256 {
    if raw.is_empty() {
        B256::ZERO
    } else {
        keccak256(raw)
    }
}

/// [`compute_data_hash`] for optional data: `None` gives `bytes32(0)`.
pub fn compute_optional_data_hash(raw: Option<&[u8]>) -> B256 {
    raw.map_or(B256::ZERO, compute_data_hash)
}

/// Parses a validated `source_tx_hash`; `None` gives `bytes32(0)`.
fn tx_hash_bytes(h: Option<&str>) -> B256 {
    h.and_then(|h| B256::from_str(h).ok()).unwrap_or(B256::ZERO)
}

/// The exact arguments of `EventRegistry.submitEvent(uint256 machineId, uint8 eventType,
/// uint256 value, string currency, uint256 timestamp, bytes32 dataHash, uint8 trustLevel,
/// uint256 sourceChainId, bytes32 sourceTxHash, bytes metadata)`, in ABI order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PreparedEvent {
    /// `machineId`.
    pub machine_id: U256,
    /// `eventType`.
    pub event_type: u8,
    /// `value`.
    pub value: U256,
    /// `currency` (resolved).
    pub currency: String,
    /// `timestamp`.
    pub timestamp: U256,
    /// `dataHash`.
    pub data_hash: B256,
    /// `trustLevel`.
    pub trust_level: u8,
    /// `sourceChainId`.
    pub source_chain_id: U256,
    /// `sourceTxHash` (`bytes32(0)` when absent).
    pub source_tx_hash: B256,
    /// `metadata`.
    pub metadata: Bytes,
}

impl PreparedEvent {
    fn from_valid(p: &SubmitEventParams) -> Self {
        Self {
            machine_id: U256::from(p.machine_id),
            event_type: p.event_type,
            value: p.value,
            currency: p.resolved_currency().to_owned(),
            timestamp: U256::from(p.timestamp),
            data_hash: p.data_hash(),
            trust_level: p.trust_level,
            source_chain_id: U256::from(p.source_chain_id),
            source_tx_hash: tx_hash_bytes(p.source_tx_hash.as_deref()),
            metadata: Bytes::copy_from_slice(&p.metadata),
        }
    }
}

/// Validates a single event ([`validate_submit_event_params`]) and returns its call
/// arguments with the currency default applied and `dataHash` computed.
pub fn prepare_submit_event(params: &SubmitEventParams) -> Result<PreparedEvent, ValidationError> {
    validate_submit_event_params(params)?;
    Ok(PreparedEvent::from_valid(params))
}

/// Validates a batch ([`validate_batch_submit_event_params`]) and returns every event's
/// call arguments.
pub fn prepare_batch_submit_events(
    events: &[SubmitEventParams],
) -> Result<Vec<PreparedEvent>, BatchValidationError> {
    validate_batch_submit_event_params(events)?;
    Ok(events.iter().map(PreparedEvent::from_valid).collect())
}

// ---------------------------------------------------------------------------
// Text input helpers (CLI, JSON from other tools)
// ---------------------------------------------------------------------------

fn parse_positive_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().filter(|&v| v > 0)
}

/// Parses a machine id given as text; anything but a positive decimal integer fails with
/// `machineId must be a positive integer`.
pub fn parse_machine_id(s: &str) -> Result<u64, ValidationError> {
    parse_positive_u64(s).ok_or_else(|| {
        err(
            "machine_id",
            constraint::POSITIVE_INTEGER,
            message::MACHINE_ID,
        )
    })
}

/// Parses unix seconds given as text; anything but a positive decimal integer fails with
/// `timestamp must be a positive integer`.
pub fn parse_timestamp_secs(s: &str) -> Result<u64, ValidationError> {
    parse_positive_u64(s).ok_or_else(|| {
        err(
            "timestamp",
            constraint::POSITIVE_INTEGER,
            message::TIMESTAMP,
        )
    })
}

/// Parses an event value given as text: a non-negative decimal integer (minor units) up
/// to 2^256 - 1. Negative, fractional or otherwise malformed input fails with
/// `value must be non-negative`.
pub fn parse_event_value(s: &str) -> Result<U256, ValidationError> {
    let s = s.trim();
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(
            "value",
            constraint::NON_NEGATIVE_INTEGER,
            message::VALUE,
        ));
    }
    U256::from_str_radix(digits, 10)
        .map_err(|_| err("value", constraint::NON_NEGATIVE_INTEGER, message::VALUE))
}

// ---------------------------------------------------------------------------
// serde helpers
// ---------------------------------------------------------------------------

mod serde_u256 {
    use alloy_primitives::U256;
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;

    pub(super) fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
        match u64::try_from(*v) {
            Ok(small) => s.serialize_u64(small),
            Err(_) => s.collect_str(v),
        }
    }

    struct V;

    impl Visitor<'_> for V {
        type Value = U256;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer, decimal string or 0x hex string")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<U256, E> {
            Ok(U256::from(v))
        }

        fn visit_u128<E: de::Error>(self, v: u128) -> Result<U256, E> {
            Ok(U256::from(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<U256, E> {
            u64::try_from(v)
                .map(U256::from)
                .map_err(|_| E::custom(super::message::VALUE))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<U256, E> {
            if let Some(hex) = v.strip_prefix("0x") {
                U256::from_str_radix(hex, 16).map_err(E::custom)
            } else {
                super::parse_event_value(v).map_err(E::custom)
            }
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        d.deserialize_any(V)
    }
}

mod serde_hex_bytes {
    use alloy_primitives::hex;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    pub(super) enum HexOrSeq {
        Hex(String),
        Seq(Vec<u8>),
    }

    impl HexOrSeq {
        pub(super) fn into_bytes<E: serde::de::Error>(self) -> Result<Vec<u8>, E> {
            match self {
                HexOrSeq::Seq(v) => Ok(v),
                HexOrSeq::Hex(s) => {
                    let h = s
                        .strip_prefix("0x")
                        .ok_or_else(|| E::custom("expected 0x-prefixed hex"))?;
                    hex::decode(h).map_err(E::custom)
                }
            }
        }
    }

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_prefixed(v))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        HexOrSeq::deserialize(d)?.into_bytes()
    }
}

mod serde_opt_hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::serde_hex_bytes::HexOrSeq;

    pub(super) fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => super::serde_hex_bytes::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<HexOrSeq>::deserialize(d)?
            .map(HexOrSeq::into_bytes)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TX: &str = "0xa1b2c3d4e5f6789000000000000000000000000000000000000000000000a1b2";

    fn valid() -> SubmitEventParams {
        SubmitEventParams {
            machine_id: 1,
            event_type: EVENT_TYPE_REVENUE,
            value: U256::from(500u64),
            currency: Some("USD".into()),
            timestamp: 1_700_000_000,
            raw_data: Some(b"{\"session\":\"abc123\"}".to_vec()),
            trust_level: TRUST_SELF_REPORTED,
            source_chain_id: 3338,
            source_tx_hash: None,
            metadata: vec![],
        }
    }

    fn expect(p: &SubmitEventParams, field: &str, constraint: &str, msg: &str) {
        let e = validate_submit_event_params(p).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.constraint.as_str(), e.message.as_str()),
            (field, constraint, msg)
        );
        assert_eq!(e.to_string(), msg);
    }

    #[test]
    fn documented_examples_are_valid() {
        validate_submit_event_params(&valid()).unwrap();
        // Cross-chain revenue, trust 1 with Base tx hash.
        let mut p = valid();
        p.value = U256::from(1200u64);
        p.trust_level = TRUST_ONCHAIN_VERIFIABLE;
        p.source_chain_id = 8453;
        p.source_tx_hash = Some(TX.into());
        validate_submit_event_params(&p).unwrap();
        // Activity heartbeat.
        let mut a = SubmitEventParams::activity(1, U256::ZERO, 1_700_000_000);
        a.raw_data = Some(b"{\"type\":\"heartbeat\"}".to_vec());
        a.source_chain_id = 3338;
        validate_submit_event_params(&a).unwrap();
        // Hardware-signed needs no tx hash; off-chain source 0 accepted.
        let mut h = valid();
        h.trust_level = TRUST_HARDWARE_SIGNED;
        h.source_chain_id = 0;
        h.raw_data = None;
        validate_submit_event_params(&h).unwrap();
    }

    #[test]
    fn rule_machine_id() {
        let mut p = valid();
        p.machine_id = 0;
        expect(
            &p,
            "machine_id",
            "positive_integer",
            "machineId must be a positive integer",
        );
        p.machine_id = u64::MAX;
        validate_submit_event_params(&p).unwrap();
    }

    #[test]
    fn rule_event_type() {
        for t in [2u8, 3, 255] {
            let mut p = valid();
            p.event_type = t;
            expect(
                &p,
                "event_type",
                "event_type_0_or_1",
                "eventType must be 0 or 1",
            );
        }
    }

    #[test]
    fn rule_value_via_parse() {
        for bad in ["-5", "-0.5", "1.5", "abc", "", "0x10", "1e3", "--1"] {
            let e = parse_event_value(bad).unwrap_err();
            assert_eq!(e.field, "value");
            assert_eq!(e.message, "value must be non-negative", "{bad}");
        }
        assert_eq!(parse_event_value("0").unwrap(), U256::ZERO);
        assert_eq!(parse_event_value(" +123 ").unwrap(), U256::from(123u64));
        assert_eq!(
            parse_event_value(&U256::MAX.to_string()).unwrap(),
            U256::MAX
        );
        assert!(
            parse_event_value(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936"
            )
            .is_err()
        );
        // Zero and the maximum value are valid in params.
        let mut p = valid();
        p.value = U256::ZERO;
        validate_submit_event_params(&p).unwrap();
        p.value = U256::MAX;
        validate_submit_event_params(&p).unwrap();
    }

    #[test]
    fn rule_currency_revenue() {
        for bad in [
            "",
            "US",
            "usd",
            "Usd",
            "ABCDEFGHIJK",
            "US D",
            "USD\n",
            "ÜSD",
            "US-D",
            "€UR",
        ] {
            let mut p = valid();
            p.currency = Some(bad.into());
            expect(
                &p,
                "currency",
                "currency_pattern",
                "currency must match ^[A-Z0-9]{3,10}$",
            );
        }
        for good in ["USD", "HKD", "JPY", "ABCDEFGHIJ", "123", "USDC", "A1B"] {
            let mut p = valid();
            p.currency = Some(good.into());
            validate_submit_event_params(&p).unwrap();
        }
        // Omitted currency defaults to USD for revenue.
        let mut p = valid();
        p.currency = None;
        validate_submit_event_params(&p).unwrap();
        assert_eq!(p.resolved_currency(), "USD");
    }

    #[test]
    fn rule_currency_activity() {
        let mut p = SubmitEventParams::activity(1, U256::from(7u64), 10);
        for bad in ["USD", " ", "x"] {
            p.currency = Some(bad.into());
            expect(
                &p,
                "currency",
                "currency_empty_for_activity",
                "currency must be empty for activity events",
            );
        }
        p.currency = None;
        validate_submit_event_params(&p).unwrap();
        assert_eq!(p.resolved_currency(), "");
    }

    #[test]
    fn rule_trust_level() {
        for t in [3u8, 4, 255] {
            let mut p = valid();
            p.trust_level = t;
            expect(
                &p,
                "trust_level",
                "trust_level_0_1_or_2",
                "trustLevel must be 0, 1, or 2",
            );
        }
    }

    #[test]
    fn rule_source_chain_id() {
        for c in [1u64, 10, 137, 9990, 31337, 42161, u64::MAX] {
            let mut p = valid();
            p.source_chain_id = c;
            expect(
                &p,
                "source_chain_id",
                "supported_chain_id",
                "sourceChainId must be a supported chain ID",
            );
        }
    }

    #[test]
    fn rule_raw_data() {
        let mut p = valid();
        p.raw_data = Some(vec![]);
        expect(
            &p,
            "raw_data",
            "non_empty_when_provided",
            "rawData must not be empty when provided",
        );
        p.raw_data = None;
        validate_submit_event_params(&p).unwrap();
        p.raw_data = Some(vec![0]);
        validate_submit_event_params(&p).unwrap();
    }

    #[test]
    fn rule_source_tx_hash_format() {
        let upper = format!("0x{}", TX[2..].to_uppercase());
        for bad in [
            "",
            "0x",
            "0xabc...def",
            &TX[2..],
            &TX[..65],
            &format!("{TX}0"),
            &format!("0X{}", &TX[2..]),
            &format!("0x{}g", &TX[2..65]),
            &format!(" {}", &TX[..65]),
        ] {
            let mut p = valid();
            p.source_tx_hash = Some(bad.to_string());
            expect(
                &p,
                "source_tx_hash",
                "hex32",
                "sourceTxHash must be a 0x-prefixed 32-byte hex string",
            );
        }
        let mut p = valid();
        p.source_tx_hash = Some(upper);
        validate_submit_event_params(&p).unwrap();
    }

    #[test]
    fn rule_timestamp() {
        let mut p = valid();
        p.timestamp = 0;
        expect(
            &p,
            "timestamp",
            "positive_integer",
            "timestamp must be a positive integer",
        );
        p.timestamp = 1;
        validate_submit_event_params(&p).unwrap();
    }

    #[test]
    fn rule_tx_hash_required_for_trust_1() {
        let mut p = valid();
        p.trust_level = TRUST_ONCHAIN_VERIFIABLE;
        p.source_tx_hash = None;
        expect(
            &p,
            "source_tx_hash",
            "required_when_trust_level_1",
            "sourceTxHash is required when trustLevel is 1",
        );
        // Trust 0 and 2 do not need it.
        for t in [TRUST_SELF_REPORTED, TRUST_HARDWARE_SIGNED] {
            p.trust_level = t;
            validate_submit_event_params(&p).unwrap();
        }
    }

    #[test]
    fn rules_fire_in_documented_order() {
        // Break every rule at once, then fix them one by one: each step must report the
        // next rule in the documented order.
        let mut p = SubmitEventParams {
            machine_id: 0,
            event_type: 9,
            value: U256::ZERO,
            currency: Some("bad".into()),
            timestamp: 0,
            raw_data: Some(vec![]),
            trust_level: 9,
            source_chain_id: 1,
            source_tx_hash: Some("nope".into()),
            metadata: vec![0; 10_000],
        };
        let mut seen = vec![];
        loop {
            match validate_submit_event_params(&p) {
                Ok(()) => break,
                Err(e) => {
                    seen.push(e.message.clone());
                    match e.constraint.as_str() {
                        constraint::POSITIVE_INTEGER if e.field == "machine_id" => p.machine_id = 5,
                        constraint::EVENT_TYPE => p.event_type = EVENT_TYPE_REVENUE,
                        constraint::CURRENCY_PATTERN => p.currency = Some("EUR".into()),
                        constraint::TRUST_LEVEL => p.trust_level = TRUST_ONCHAIN_VERIFIABLE,
                        constraint::SUPPORTED_CHAIN_ID => p.source_chain_id = 8453,
                        constraint::NON_EMPTY_WHEN_PROVIDED => p.raw_data = None,
                        constraint::HEX32 => p.source_tx_hash = None,
                        constraint::POSITIVE_INTEGER => p.timestamp = 42,
                        constraint::REQUIRED_WHEN_TRUST_LEVEL_1 => {
                            p.source_tx_hash = Some(TX.into())
                        }
                        other => panic!("unexpected {other}"),
                    }
                }
            }
        }
        assert_eq!(
            seen,
            [
                message::MACHINE_ID,
                message::EVENT_TYPE,
                message::CURRENCY_PATTERN,
                message::TRUST_LEVEL,
                message::SOURCE_CHAIN_ID,
                message::RAW_DATA,
                message::SOURCE_TX_HASH_FORMAT,
                message::TIMESTAMP,
                message::SOURCE_TX_HASH_REQUIRED,
            ]
        );
        // Oversized metadata is not a client-side validation error (contract reverts).
        assert!(!metadata_within_limit(&p.metadata));
    }

    #[test]
    fn metadata_limit_boundary() {
        assert!(metadata_within_limit(&[0; 4096]));
        assert!(!metadata_within_limit(&[0; 4097]));
        assert!(metadata_within_limit(&[]));
    }

    #[test]
    fn currency_defaults() {
        assert_eq!(resolve_currency(EVENT_TYPE_REVENUE, None), "USD");
        assert_eq!(resolve_currency(EVENT_TYPE_ACTIVITY, None), "");
        assert_eq!(resolve_currency(EVENT_TYPE_REVENUE, Some("JPY")), "JPY");
        assert_eq!(resolve_currency(EVENT_TYPE_ACTIVITY, Some("")), "");
        assert_eq!(resolve_currency(7, None), "");
    }

    #[test]
    fn batch_requires_explicit_currency() {
        let mut p = valid();
        p.currency = None;
        validate_submit_event_params(&p).unwrap();
        let e = require_explicit_currency(&p).unwrap_err();
        assert_eq!(e.field, "currency");
        assert_eq!(e.constraint, constraint::CURRENCY_REQUIRED);
        assert_eq!(e.message, message::CURRENCY_REQUIRED);
        // Earlier rules still fire first.
        p.machine_id = 0;
        assert_eq!(
            require_explicit_currency(&p).unwrap_err().message,
            message::MACHINE_ID
        );

        let ok = valid();
        let mut missing = valid();
        missing.currency = None;
        let be =
            validate_batch_submit_event_params(&[ok.clone(), ok.clone(), missing]).unwrap_err();
        assert_eq!(be.index, Some(2));
        assert_eq!(be.error.field, "currency");
        assert_eq!(
            be.to_string(),
            format!("event 2: {}", message::CURRENCY_REQUIRED)
        );

        let empty = validate_batch_submit_event_params(&[]).unwrap_err();
        assert_eq!(empty.index, None);
        assert_eq!(empty.to_string(), "events must be a non-empty list");

        let prepared = prepare_batch_submit_events(&[
            ok.clone(),
            SubmitEventParams::activity(2, U256::from(1u64), 5),
        ])
        .unwrap();
        assert_eq!(prepared.len(), 2);
        assert_eq!(prepared[1].currency, "");
    }

    #[test]
    fn data_hash() {
        assert_eq!(compute_data_hash(&[]), B256::ZERO);
        assert_eq!(compute_optional_data_hash(None), B256::ZERO);
        assert_eq!(
            compute_data_hash(&[1, 2, 3]),
            "0xf1885eda54b7a053318cd41e2093220dab15d65381b1157a3633a83bfd5c9239"
                .parse::<B256>()
                .unwrap()
        );
        assert_eq!(compute_data_hash(b"abc"), keccak256(b"abc"));
        assert_eq!(compute_optional_data_hash(Some(b"abc")), keccak256(b"abc"));
    }

    #[test]
    fn prepare_builds_abi_arguments() {
        let mut p = valid();
        p.currency = None;
        p.trust_level = TRUST_ONCHAIN_VERIFIABLE;
        p.source_tx_hash = Some(TX.into());
        p.metadata = b"{\"k\":1}".to_vec();
        let e = prepare_submit_event(&p).unwrap();
        assert_eq!(e.machine_id, U256::from(1u64));
        assert_eq!(e.currency, "USD");
        assert_eq!(e.timestamp, U256::from(1_700_000_000u64));
        assert_eq!(e.data_hash, keccak256(p.raw_data.as_ref().unwrap()));
        assert_eq!(e.source_chain_id, U256::from(3338u64));
        assert_eq!(e.source_tx_hash, TX.parse::<B256>().unwrap());
        assert_eq!(e.metadata.as_ref(), b"{\"k\":1}");

        let mut q = valid();
        q.raw_data = None;
        let e = prepare_submit_event(&q).unwrap();
        assert_eq!(e.data_hash, B256::ZERO);
        assert_eq!(e.source_tx_hash, B256::ZERO);

        q.machine_id = 0;
        assert_eq!(
            prepare_submit_event(&q).unwrap_err().message,
            message::MACHINE_ID
        );
    }

    #[test]
    fn text_parsers() {
        assert_eq!(parse_machine_id("42").unwrap(), 42);
        for bad in ["0", "-1", "", "abc", "1.0", "18446744073709551616"] {
            assert_eq!(
                parse_machine_id(bad).unwrap_err().message,
                message::MACHINE_ID,
                "{bad}"
            );
        }
        assert_eq!(parse_timestamp_secs("1700000000").unwrap(), 1_700_000_000);
        for bad in ["0", "-1700000000", "2024-01-01", ""] {
            assert_eq!(
                parse_timestamp_secs(bad).unwrap_err().message,
                message::TIMESTAMP,
                "{bad}"
            );
        }
    }

    #[test]
    fn enums_parse() {
        assert_eq!("revenue".parse::<EventType>().unwrap(), EventType::Revenue);
        assert_eq!("1".parse::<EventType>().unwrap(), EventType::Activity);
        assert_eq!(
            "x".parse::<EventType>().unwrap_err().message,
            message::EVENT_TYPE
        );
        assert_eq!(
            "self".parse::<TrustLevel>().unwrap(),
            TrustLevel::SelfReported
        );
        assert_eq!(
            "onchain".parse::<TrustLevel>().unwrap(),
            TrustLevel::OnchainVerifiable
        );
        assert_eq!(
            "hardware-signed".parse::<TrustLevel>().unwrap(),
            TrustLevel::HardwareSigned
        );
        assert_eq!(
            "3".parse::<TrustLevel>().unwrap_err().message,
            message::TRUST_LEVEL
        );
        for t in [
            TrustLevel::SelfReported,
            TrustLevel::OnchainVerifiable,
            TrustLevel::HardwareSigned,
        ] {
            assert_eq!(TrustLevel::from_u8(t.as_u8()), Some(t));
            assert_eq!(t.to_string().parse::<TrustLevel>().unwrap(), t);
        }
        for t in [EventType::Revenue, EventType::Activity] {
            assert_eq!(EventType::from_u8(t.as_u8()), Some(t));
            assert_eq!(t.to_string().parse::<EventType>().unwrap(), t);
        }
        assert_eq!(TrustLevel::from_u8(3), None);
        assert_eq!(EventType::from_u8(2), None);
    }

    #[test]
    fn serde_json_shape() {
        let mut p = valid();
        p.metadata = vec![0xde, 0xad];
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["value"], serde_json::json!(500));
        assert_eq!(v["metadata"], serde_json::json!("0xdead"));
        assert_eq!(v["currency"], serde_json::json!("USD"));
        assert!(v.get("source_tx_hash").is_none());
        let back: SubmitEventParams = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);

        p.value = U256::MAX;
        let s = serde_json::to_string(&p).unwrap();
        assert!(s.contains(&format!("\"value\":\"{}\"", U256::MAX)));
        assert_eq!(serde_json::from_str::<SubmitEventParams>(&s).unwrap(), p);

        let minimal: SubmitEventParams = serde_json::from_str(
            r#"{"machine_id":1,"event_type":1,"value":"0x10","timestamp":5,"trust_level":0,"source_chain_id":0,"raw_data":[1,2]}"#,
        )
        .unwrap();
        assert_eq!(minimal.value, U256::from(16u64));
        assert_eq!(minimal.currency, None);
        assert_eq!(minimal.raw_data, Some(vec![1, 2]));
        assert!(minimal.metadata.is_empty());

        let neg = serde_json::from_str::<SubmitEventParams>(
            r#"{"machine_id":1,"event_type":1,"value":-5,"timestamp":5,"trust_level":0,"source_chain_id":0}"#,
        );
        assert!(
            neg.unwrap_err()
                .to_string()
                .contains("value must be non-negative")
        );
    }

    // ---- property tests ----

    fn valid_params() -> impl Strategy<Value = SubmitEventParams> {
        (
            1u64..,
            prop::bool::ANY,
            any::<[u64; 4]>(),
            "[A-Z0-9]{3,10}",
            prop::option::of(Just(())),
            1u64..,
            prop::option::of(prop::collection::vec(any::<u8>(), 1..64)),
            0u8..=2,
            prop::sample::select(vec![0u64, 3338, 8453]),
            prop::option::of("0x[0-9a-fA-F]{64}"),
            prop::collection::vec(any::<u8>(), 0..128),
        )
            .prop_map(
                |(
                    machine_id,
                    revenue,
                    limbs,
                    code,
                    explicit,
                    timestamp,
                    raw,
                    trust,
                    chain,
                    tx,
                    metadata,
                )| {
                    let event_type = if revenue {
                        EVENT_TYPE_REVENUE
                    } else {
                        EVENT_TYPE_ACTIVITY
                    };
                    let currency = explicit.map(|_| if revenue { code } else { String::new() });
                    let source_tx_hash = if trust == TRUST_ONCHAIN_VERIFIABLE {
                        Some(tx.unwrap_or_else(|| format!("0x{}", "ab".repeat(32))))
                    } else {
                        tx
                    };
                    SubmitEventParams {
                        machine_id,
                        event_type,
                        value: U256::from_limbs(limbs),
                        currency,
                        timestamp,
                        raw_data: raw,
                        trust_level: trust,
                        source_chain_id: chain,
                        source_tx_hash,
                        metadata,
                    }
                },
            )
    }

    /// Reference implementation of `^[A-Z0-9]{3,10}$`, written independently.
    fn currency_reference(s: &str) -> bool {
        let n = s.chars().count();
        (3..=10).contains(&n)
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    }

    proptest! {
        #[test]
        fn valid_strategy_always_validates(p in valid_params()) {
            prop_assert_eq!(validate_submit_event_params(&p), Ok(()));
            let prepared = prepare_submit_event(&p).unwrap();
            prop_assert_eq!(prepared.currency.as_str(), p.resolved_currency());
            prop_assert_eq!(prepared.value, p.value);
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<SubmitEventParams>(&json).unwrap(), p);
        }

        #[test]
        fn explicit_currency_passes_batch_rules(mut p in valid_params()) {
            let resolved = p.resolved_currency().to_owned();
            p.currency = Some(resolved);
            prop_assert_eq!(require_explicit_currency(&p), Ok(()));
        }

        #[test]
        fn currency_regex_equivalence_on_matching(s in "[A-Z0-9]{3,10}") {
            prop_assert!(is_valid_currency_code(&s));
        }

        #[test]
        fn currency_regex_equivalence_on_arbitrary(s in "[A-Za-z0-9 _\\-\n€Ü]{0,13}") {
            prop_assert_eq!(is_valid_currency_code(&s), currency_reference(&s));
        }

        #[test]
        fn currency_regex_equivalence_any_string(s in any::<String>()) {
            prop_assert_eq!(is_valid_currency_code(&s), currency_reference(&s));
        }

        #[test]
        fn single_mutation_reports_that_field(p in valid_params(), which in 0usize..6) {
            let mut q = p.clone();
            let field = match which {
                0 => { q.machine_id = 0; "machine_id" }
                1 => { q.event_type = 2; "event_type" }
                2 => { q.trust_level = 3; "trust_level" }
                3 => { q.source_chain_id = 1; "source_chain_id" }
                4 => { q.raw_data = Some(vec![]); "raw_data" }
                _ => { q.timestamp = 0; "timestamp" }
            };
            let e = validate_submit_event_params(&q).unwrap_err();
            prop_assert_eq!(e.field.as_str(), field);
        }

        #[test]
        fn data_hash_is_keccak_for_non_empty(data in prop::collection::vec(any::<u8>(), 1..256)) {
            prop_assert_eq!(compute_data_hash(&data), keccak256(&data));
            prop_assert_ne!(compute_data_hash(&data), B256::ZERO);
        }

        #[test]
        fn value_text_round_trip(limbs in any::<[u64; 4]>()) {
            let v = U256::from_limbs(limbs);
            prop_assert_eq!(parse_event_value(&v.to_string()).unwrap(), v);
            let neg = format!("-{v}");
            prop_assert!(parse_event_value(&neg).is_err());
        }
    }
}
