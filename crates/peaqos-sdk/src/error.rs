//! The one SDK error type, [`PeaqosError`], and the decoding of contract reverts.
//!
//! Kinds follow the Python SDK's hierarchy: [`PeaqosError::Validation`] (bad input, with
//! `field` / `constraint` / `message`), [`PeaqosError::Rpc`] (chain: decoded revert names,
//! `TX_REVERTED`, `RECEIPT_AWAIT_FAILED`, ...), [`PeaqosError::Api`] (MCR API and Gas Station
//! codes), [`PeaqosError::ValueCapExceeded`] and [`PeaqosError::RateLimitExceeded`].

use alloy::primitives::{B256, Bytes};
use alloy::sol_types::SolError;
use peaqos_contracts::{AdminFlags, EventRegistry, IdentityRegistry, IdentityStaking, MachineNFT};
use peaqos_types::error::{ErrorCategory, KNOWN_REVERT_NAMES};
use peaqos_types::{ErrorCode, LimitError, ValidationError};

/// Result alias of the SDK.
pub type Result<T, E = PeaqosError> = std::result::Result<T, E>;

/// Every error the SDK returns.
///
/// `Display` gives a human-readable message; [`PeaqosError::code`] the stable documented code.
/// No variant ever carries a private key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PeaqosError {
    /// Client-side validation failed (`VALIDATION_ERROR`).
    #[error("{0}")]
    Validation(#[from] ValidationError),

    /// A chain / JSON-RPC failure.
    #[error("{message}")]
    Rpc {
        /// Documented code: a decoded revert name (`MachineNotFound`, ...), `TX_REVERTED`,
        /// `RECEIPT_AWAIT_FAILED`, `REGISTERED_EVENT_MISSING`, `WALLET_NOT_CONFIGURED`,
        /// `NETWORK_ERROR` (transport), ... `None` for a node error without a documented
        /// code (e.g. insufficient funds).
        code: Option<ErrorCode>,
        /// The JSON-RPC error code when the node answered with an error object.
        rpc_code: Option<i64>,
        /// Human-readable message (decoded revert, node message).
        message: String,
        /// The transaction hash when a transaction was sent (always set for
        /// `RECEIPT_AWAIT_FAILED`, so callers can reconcile).
        tx_hash: Option<B256>,
        /// Raw revert data when the chain returned some.
        revert_data: Option<Bytes>,
    },

    /// An HTTP API failure (MCR API or Gas Station).
    #[error("{message}")]
    Api {
        /// Documented code (`NOT_FOUND`, `TIMEOUT`, `INVALID_2FA`, `UNEXPECTED_RESPONSE`, ...).
        code: ErrorCode,
        /// HTTP status when a response arrived; `None` for transport failures and local checks.
        status: Option<u16>,
        /// Human-readable message (server `detail` / `message` when present).
        message: String,
    },

    /// Event value above `max_value_per_tx` (`ValueCapExceeded`).
    #[error("{0}")]
    ValueCapExceeded(LimitError),

    /// Too many events for a machine inside the rate-limit window (`RateLimitExceeded`).
    #[error("{0}")]
    RateLimitExceeded(LimitError),
}

/// OWS wallet vault failures surface with their documented code (`WALLET_NOT_FOUND`,
/// `INVALID_PASSPHRASE`, `CHAIN_NOT_SUPPORTED`, ...); invalid input becomes a validation error.
impl From<peaqos_wallet::WalletError> for PeaqosError {
    fn from(e: peaqos_wallet::WalletError) -> Self {
        match e {
            peaqos_wallet::WalletError::InvalidInput(v) => PeaqosError::Validation(v),
            other => PeaqosError::Api {
                code: other.code(),
                status: None,
                message: other.to_string(),
            },
        }
    }
}

impl From<LimitError> for PeaqosError {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::ValueCapExceeded { .. } => PeaqosError::ValueCapExceeded(e),
            LimitError::RateLimitExceeded { .. } => PeaqosError::RateLimitExceeded(e),
        }
    }
}

impl PeaqosError {
    /// The documented code of this error, when it has one (`VALIDATION_ERROR`,
    /// `ValueCapExceeded`, `RateLimitExceeded`, revert names, API / faucet codes, ...).
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            PeaqosError::Validation(_) => Some(ErrorCode::ValidationError),
            PeaqosError::Rpc { code, .. } => *code,
            PeaqosError::Api { code, .. } => Some(*code),
            PeaqosError::ValueCapExceeded(_) => Some(ErrorCode::ValueCapExceeded),
            PeaqosError::RateLimitExceeded(_) => Some(ErrorCode::RateLimitExceeded),
        }
    }

    /// The code as its documented string (`"MachineNotFound"`, `"INVALID_2FA"`, ...).
    pub fn code_str(&self) -> Option<&'static str> {
        self.code().map(ErrorCode::as_str)
    }

    /// The transaction hash attached to the error, if a transaction was sent.
    pub fn tx_hash(&self) -> Option<B256> {
        match self {
            PeaqosError::Rpc { tx_hash, .. } => *tx_hash,
            _ => None,
        }
    }

    /// The peaqos CLI exit code: 1 validation / limits, 3 configuration, 2 everything else.
    pub fn exit_code(&self) -> i32 {
        self.code().map_or(2, ErrorCode::exit_code)
    }

    /// The validation error, if this is one.
    pub fn as_validation(&self) -> Option<&ValidationError> {
        match self {
            PeaqosError::Validation(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn validation(field: &str, constraint: &str, message: impl Into<String>) -> Self {
        PeaqosError::Validation(ValidationError::new(field, constraint, message))
    }

    pub(crate) fn rpc(code: Option<ErrorCode>, message: impl Into<String>) -> Self {
        PeaqosError::Rpc {
            code,
            rpc_code: None,
            message: message.into(),
            tx_hash: None,
            revert_data: None,
        }
    }

    pub(crate) fn api(code: ErrorCode, status: Option<u16>, message: impl Into<String>) -> Self {
        PeaqosError::Api {
            code,
            status,
            message: message.into(),
        }
    }

    pub(crate) fn with_tx_hash(mut self, hash: B256) -> Self {
        if let PeaqosError::Rpc { tx_hash, .. } = &mut self {
            *tx_hash = Some(hash);
        }
        self
    }
}

/// A contract revert decoded from its return data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRevert {
    /// The documented code: one of the 20 known revert names, else `TX_REVERTED`.
    pub code: ErrorCode,
    /// The custom error's name when the selector is known (`AlreadyRegistered`,
    /// `ERC721NonexistentToken`, ...), `Error` for `Error(string)`, `Panic` for `Panic(uint256)`.
    pub name: Option<String>,
    /// Human-readable message.
    pub message: String,
}

/// Friendly text for each revert name the SDKs document.
fn friendly(name: &str) -> &'static str {
    match name {
        "AlreadyRegistered" => "address is already registered (already has a machine id)",
        "InvalidMachineAddress" => "machine address is the zero address",
        "InvalidAddress" => "the zero address was passed where a real address is required",
        "AmountZero" => "bond amount is zero",
        "AlreadyStaked" => "machine is already bonded",
        "MachineNotBonded" => "machine is not bonded on the IdentityRegistry",
        "AlreadyMinted" => "a Machine NFT is already minted for this machine",
        "NotMachineOwner" => "caller is not the machine wallet nor its operator",
        "RecipientMustBeMachineOwner" => {
            "operator mint: recipient must be the registered machine wallet"
        }
        "MachineNotFound" => "machineId has no identity record on the IdentityRegistry",
        "MachineDeactivated" => "machine has been deactivated",
        "NotAuthorizedSubmitter" => "caller is not authorized to submit events for this machine",
        "InvalidEventType" => "eventType must be 0 or 1",
        "InvalidTrustLevel" => "trustLevel must be 0, 1, or 2",
        "FutureTimestamp" => "event timestamp is after the block timestamp",
        "MetadataTooLarge" => "metadata is larger than 4096 bytes",
        "InvalidCurrencyShape" => "currency shape invalid for the event type",
        "IncorrectBondAmount" => "msg.value differs from minBond",
        "IdentityNFTSoulbound" => "identity NFTs cannot be transferred",
        "InvalidTrustOverride" => "trust override must be 0..100",
        _ => "",
    }
}

/// Name of a custom error selector known to any peaqOS contract binding.
fn custom_error_name(selector: [u8; 4]) -> Option<&'static str> {
    IdentityRegistry::IdentityRegistryErrors::name_by_selector(selector)
        .or_else(|| IdentityStaking::IdentityStakingErrors::name_by_selector(selector))
        .or_else(|| EventRegistry::EventRegistryErrors::name_by_selector(selector))
        .or_else(|| MachineNFT::MachineNFTErrors::name_by_selector(selector))
        .or_else(|| AdminFlags::AdminFlagsErrors::name_by_selector(selector))
}

/// Arguments of a known custom error, rendered for the message (best effort).
fn render_args(data: &[u8]) -> Option<String> {
    use alloy::sol_types::SolInterface;
    macro_rules! try_decode {
        ($($t:ty),*) => {$(
            if let Ok(e) = <$t>::abi_decode(data) {
                let s = format!("{e:?}");
                // `Variant(Variant { a: 1 })` -> `{ a: 1 }`
                if let Some(i) = s.find(" {") {
                    return Some(s[i + 1..].trim_end_matches(')').to_string());
                }
                return None;
            }
        )*};
    }
    try_decode!(
        IdentityRegistry::IdentityRegistryErrors,
        IdentityStaking::IdentityStakingErrors,
        EventRegistry::EventRegistryErrors,
        MachineNFT::MachineNFTErrors,
        AdminFlags::AdminFlagsErrors
    );
    None
}

/// Decodes revert data: a custom error of the peaqOS contracts (by selector), `Error(string)`
/// (precompiles, OpenZeppelin), or `Panic(uint256)`. Unknown or empty data gives `TX_REVERTED`.
pub fn decode_revert(data: &[u8]) -> DecodedRevert {
    if data.len() >= 4 {
        let selector: [u8; 4] = data[..4].try_into().expect("4 bytes");
        if selector == alloy::sol_types::Revert::SELECTOR {
            if let Ok(r) = alloy::sol_types::Revert::abi_decode(data) {
                return DecodedRevert {
                    code: ErrorCode::TxReverted,
                    name: Some("Error".into()),
                    message: format!("execution reverted: {}", r.reason),
                };
            }
        } else if selector == alloy::sol_types::Panic::SELECTOR {
            if let Ok(p) = alloy::sol_types::Panic::abi_decode(data) {
                return DecodedRevert {
                    code: ErrorCode::TxReverted,
                    name: Some("Panic".into()),
                    message: format!("execution reverted: panic {}", p.code),
                };
            }
        } else if let Some(name) = custom_error_name(selector) {
            let code = ErrorCode::from_revert_name(name);
            let args = render_args(data)
                .map(|a| format!(" {a}"))
                .unwrap_or_default();
            let text = friendly(name);
            let message = if text.is_empty() {
                format!("execution reverted: {name}{args}")
            } else {
                format!("{name}: {text}{args}")
            };
            return DecodedRevert {
                code,
                name: Some(name.to_string()),
                message,
            };
        }
        return DecodedRevert {
            code: ErrorCode::TxReverted,
            name: None,
            message: format!(
                "execution reverted with unknown data {}",
                alloy::hex::encode_prefixed(data)
            ),
        };
    }
    DecodedRevert {
        code: ErrorCode::TxReverted,
        name: None,
        message: if data.is_empty() {
            "execution reverted without data".to_string()
        } else {
            format!(
                "execution reverted with data {}",
                alloy::hex::encode_prefixed(data)
            )
        },
    }
}

/// Builds the error for a revert with `data`.
pub(crate) fn revert_error(data: Bytes, rpc_code: Option<i64>) -> PeaqosError {
    let d = decode_revert(&data);
    PeaqosError::Rpc {
        code: Some(d.code),
        rpc_code,
        message: d.message,
        tx_hash: None,
        revert_data: Some(data),
    }
}

/// Maps an alloy transport / RPC error. A JSON-RPC error with revert data (code 3) is decoded;
/// other node errors keep their code and message; transport failures become `NETWORK_ERROR`.
pub(crate) fn from_transport(e: alloy::transports::TransportError) -> PeaqosError {
    use alloy::transports::RpcError;
    match e {
        RpcError::ErrorResp(payload) => {
            let data = payload
                .data
                .as_ref()
                .and_then(|raw| serde_json::from_str::<Bytes>(raw.get()).ok());
            if let Some(data) = data {
                return revert_error(data, Some(payload.code));
            }
            if payload.code == 3 || payload.message.starts_with("execution reverted") {
                let mut err = revert_error(Bytes::new(), Some(payload.code));
                if let PeaqosError::Rpc { message, .. } = &mut err {
                    *message = payload.message.to_string();
                }
                return err;
            }
            PeaqosError::Rpc {
                code: None,
                rpc_code: Some(payload.code),
                message: payload.message.to_string(),
                tx_hash: None,
                revert_data: None,
            }
        }
        RpcError::Transport(t) => PeaqosError::rpc(
            Some(ErrorCode::NetworkError),
            format!("RPC transport error: {t}"),
        ),
        other => PeaqosError::rpc(None, format!("RPC error: {other}")),
    }
}

/// Every revert name the SDK decodes into its own code (the FACTS.md list).
pub const DECODED_REVERT_NAMES: [&str; 20] = KNOWN_REVERT_NAMES;

/// `true` when `code` is a decoded contract revert name.
pub fn is_revert_code(code: ErrorCode) -> bool {
    code.category() == ErrorCategory::Revert
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256};
    use alloy::sol_types::SolError;

    #[test]
    fn decodes_custom_errors_by_name() {
        let data = IdentityRegistry::AlreadyRegistered {
            machine: Address::repeat_byte(1),
        }
        .abi_encode();
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::AlreadyRegistered);
        assert_eq!(d.name.as_deref(), Some("AlreadyRegistered"));
        assert!(
            d.message.starts_with("AlreadyRegistered: "),
            "{}",
            d.message
        );
        let data = IdentityRegistry::InvalidMachineAddress {}.abi_encode();
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::InvalidMachineAddress);
        assert!(d.message.contains("zero address"));
        let data = AdminFlags::InvalidTrustOverride {
            value: U256::from(150),
        }
        .abi_encode();
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::InvalidTrustOverride);
        assert!(d.message.contains("150"), "{}", d.message);
    }

    #[test]
    fn error_string_and_unknown() {
        let data = alloy::sol_types::Revert::from("Cannot find the item").abi_encode();
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::TxReverted);
        assert_eq!(d.message, "execution reverted: Cannot find the item");
        let d = decode_revert(&[1, 2, 3, 4, 5]);
        assert_eq!(d.code, ErrorCode::TxReverted);
        assert!(d.message.contains("0x0102030405"));
        assert_eq!(decode_revert(&[]).code, ErrorCode::TxReverted);
    }

    #[test]
    fn known_non_documented_custom_error_is_tx_reverted_with_name() {
        let data = MachineNFT::ERC721NonexistentToken {
            tokenId: U256::from(5),
        }
        .abi_encode();
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::TxReverted);
        assert_eq!(d.name.as_deref(), Some("ERC721NonexistentToken"));
    }

    #[test]
    fn every_documented_revert_name_is_decoded_from_a_binding_selector() {
        let mut seen = std::collections::BTreeSet::new();
        macro_rules! walk {
            ($($t:ty),*) => {$(
                for sel in <$t>::SELECTORS {
                    let name = <$t>::name_by_selector(*sel).unwrap();
                    let d = decode_revert(sel);
                    // Selector-only data may not decode the arguments, but the name must.
                    assert_eq!(d.name.as_deref(), Some(name));
                    assert_eq!(d.code, ErrorCode::from_revert_name(name));
                    if is_revert_code(d.code) {
                        seen.insert(d.code.as_str());
                    }
                }
            )*};
        }
        walk!(
            IdentityRegistry::IdentityRegistryErrors,
            IdentityStaking::IdentityStakingErrors,
            EventRegistry::EventRegistryErrors,
            MachineNFT::MachineNFTErrors,
            AdminFlags::AdminFlagsErrors
        );
        let expected: std::collections::BTreeSet<&str> = DECODED_REVERT_NAMES.into_iter().collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn codes_and_exit_codes() {
        let v = PeaqosError::validation(
            "machine_id",
            "positive_integer",
            "machineId must be a positive integer",
        );
        assert_eq!(v.code(), Some(ErrorCode::ValidationError));
        assert_eq!(v.exit_code(), 1);
        assert_eq!(v.to_string(), "machineId must be a positive integer");
        let r = PeaqosError::rpc(Some(ErrorCode::WalletNotConfigured), "no signer");
        assert_eq!(r.exit_code(), 3);
        assert_eq!(PeaqosError::rpc(None, "x").exit_code(), 2);
    }
}
