//! The one SDK error type, [`PeaqosError`], and the decoding of contract reverts.
//!
//! Kinds follow the Python SDK's hierarchy: [`PeaqosError::Validation`] (bad input, with
//! `field` / `constraint` / `message`), [`PeaqosError::Rpc`] (chain: decoded revert names,
//! `TX_REVERTED`, `RECEIPT_AWAIT_FAILED`, ...), [`PeaqosError::Api`] (MCR API and Gas Station
//! codes), [`PeaqosError::ValueCapExceeded`] and [`PeaqosError::RateLimitExceeded`].

use alloy::primitives::{B256, Bytes};
use alloy::sol_types::SolError;
use peaqos_contracts::{AdminFlags, EventRegistry, IdentityRegistry, IdentityStaking, MachineNFT};
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

    /// The name of the contract error this failure reverted with, decoded from its revert data
    /// (`FutureTimestamp`, `AlreadyRegistered`, `Error` for `Error(string)`, ...), also for the
    /// reverts whose code is `TX_REVERTED`.
    pub fn revert_name(&self) -> Option<String> {
        match self {
            PeaqosError::Rpc {
                revert_data: Some(d),
                ..
            } => decode_revert(d).name,
            _ => None,
        }
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
    /// The documented code: one of the [`KNOWN_REVERTS`] names, else `TX_REVERTED`.
    pub code: ErrorCode,
    /// The custom error's name when a binding knows its selector (`AlreadyRegistered`,
    /// `FutureTimestamp`, `ERC721NonexistentToken`, ...), `Error` for `Error(string)`, `Panic`
    /// for `Panic(uint256)`.
    pub name: Option<String>,
    /// Human-readable message.
    pub message: String,
}

/// The revert names peaq's SDK maps to their own code, with its messages (`KNOWN_REVERTS` of
/// peaq's `utils/transaction.py`). Every other revert is `TX_REVERTED`.
pub const KNOWN_REVERTS: [(&str, &str); 14] = [
    ("AlreadyRegistered", "Machine address is already registered"),
    (
        "InvalidMachineAddress",
        "Invalid machine address (zero address not allowed)",
    ),
    ("AmountZero", "Bond amount must be greater than zero"),
    ("AlreadyStaked", "Machine is already bonded/staked"),
    ("MachineNotBonded", "Machine is not bonded"),
    ("MachineNotFound", "Machine not found in the registry"),
    ("AlreadyMinted", "NFT already minted for this machine"),
    ("NotMachineOwner", "Caller is not the machine owner"),
    (
        "RecipientMustBeMachineOwner",
        "Operator mint requires recipient to be the machine owner",
    ),
    (
        "InvalidAddress",
        "Invalid address (zero address not allowed)",
    ),
    ("MachineDeactivated", "Machine is deactivated"),
    (
        "NotAuthorizedSubmitter",
        "Caller is not authorized submitter",
    ),
    ("InvalidEventType", "Invalid event type"),
    ("InvalidTrustLevel", "Invalid trust level"),
];

/// The message peaq's SDK gives a known revert name.
fn known_message(name: &str) -> Option<&'static str> {
    KNOWN_REVERTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| *m)
}

/// What the other custom errors of the peaqOS contracts mean (they stay `TX_REVERTED`).
fn explanation(name: &str) -> &'static str {
    match name {
        "FutureTimestamp" => "event timestamp is after the block timestamp",
        "MetadataTooLarge" => "metadata is larger than MAX_METADATA_SIZE",
        "InvalidCurrencyShape" => "currency shape invalid for the event type",
        "IncorrectBondAmount" => "msg.value differs from minBond()",
        "IdentityNFTSoulbound" => "identity NFTs cannot be transferred",
        "WalletAlreadyBound" => "the machine address already has an identity",
        "ContractNotConfigured" => "the registry's staking contract or WPEAQ is not set",
        "OffsetOutOfBounds" => "offset is past the machine's event count",
        "NotAuthorized" => "caller is not authorized on IdentityStaking",
        "InvalidStatus" => "the machine's status does not allow this change",
        "BondBelowFloor" => "bond below MIN_BOND_FLOOR()",
        "EnforcedPause" => "the contract is paused",
        "InvalidTrustOverride" => "trust override must be 0..100",
        _ => "",
    }
}

/// The custom error in `data`, decoded with the generated `sol!` error enums of the peaqOS
/// contracts: its name and (for errors with parameters) its rendered arguments. `None` when no
/// binding knows the selector or the data does not decode as that error.
fn decode_custom_error(data: &[u8]) -> Option<(&'static str, String)> {
    use alloy::sol_types::SolInterface;
    macro_rules! try_decode {
        ($($t:ty),*) => {$(
            if let Ok(e) = <$t>::abi_decode(data) {
                let selector = e.selector();
                let name = <$t>::name_by_selector(selector)?;
                // `Variant(Variant { a: 1 })` -> `{ a: 1 }`; parameterless errors render nothing.
                let s = format!("{e:?}");
                let args = s
                    .find(" {")
                    .map(|i| s[i + 1..].trim_end_matches(')').to_string())
                    .unwrap_or_default();
                return Some((name, args));
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

/// The code of a revert name, as peaq's SDK maps it: a [`KNOWN_REVERTS`] name is its own code,
/// anything else `TX_REVERTED`.
pub(crate) fn revert_code(name: &str) -> ErrorCode {
    match known_message(name) {
        Some(_) => ErrorCode::from_revert_name(name),
        None => ErrorCode::TxReverted,
    }
}

/// Decodes revert data: a custom error of the peaqOS contracts (through the generated error
/// enums), `Error(string)` (precompiles, OpenZeppelin), or `Panic(uint256)`. Only the
/// [`KNOWN_REVERTS`] names get their own code; the rest, unknown and empty data give
/// `TX_REVERTED` (with the name in [`DecodedRevert::name`] and the message when known).
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
        } else if let Some((name, args)) = decode_custom_error(data) {
            let args = if args.is_empty() {
                String::new()
            } else {
                format!(" {args}")
            };
            let message = match known_message(name) {
                Some(text) => format!("{name}: {text}{args}"),
                None => match explanation(name) {
                    "" => format!("execution reverted: {name}{args}"),
                    text => format!("execution reverted: {name}: {text}{args}"),
                },
            };
            return DecodedRevert {
                code: revert_code(name),
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;
    use alloy::sol_types::SolError;

    #[test]
    fn decodes_custom_errors_by_name() {
        let data = IdentityRegistry::AlreadyRegistered {}.abi_encode();
        assert_eq!(data.len(), 4, "parameterless");
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::AlreadyRegistered);
        assert_eq!(d.name.as_deref(), Some("AlreadyRegistered"));
        assert_eq!(
            d.message,
            "AlreadyRegistered: Machine address is already registered"
        );
        let data = IdentityRegistry::InvalidMachineAddress {}.abi_encode();
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::InvalidMachineAddress);
        assert!(d.message.contains("zero address"));
        // A custom error with parameters keeps them in the message.
        let data = IdentityRegistry::WalletAlreadyBound {
            wallet: Address::repeat_byte(0xab),
        }
        .abi_encode();
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::TxReverted);
        assert_eq!(d.name.as_deref(), Some("WalletAlreadyBound"));
        assert!(d.message.contains("abab"), "{}", d.message);
    }

    #[test]
    fn reverts_outside_peaqs_known_list_are_tx_reverted_with_their_name() {
        for (data, name) in [
            (
                EventRegistry::FutureTimestamp {}.abi_encode(),
                "FutureTimestamp",
            ),
            (
                IdentityRegistry::IncorrectBondAmount {}.abi_encode(),
                "IncorrectBondAmount",
            ),
            (
                IdentityRegistry::IdentityNFTSoulbound {}.abi_encode(),
                "IdentityNFTSoulbound",
            ),
            (
                EventRegistry::OffsetOutOfBounds {}.abi_encode(),
                "OffsetOutOfBounds",
            ),
        ] {
            let d = decode_revert(&data);
            assert_eq!(d.code, ErrorCode::TxReverted, "{name}");
            assert_eq!(d.name.as_deref(), Some(name));
            assert!(d.message.contains(name), "{}", d.message);
            let e = revert_error(data.into(), Some(3));
            assert_eq!(e.code(), Some(ErrorCode::TxReverted));
            assert_eq!(e.revert_name().as_deref(), Some(name));
        }
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
        // A known selector with data that does not decode as that error is unknown data.
        let mut bad = IdentityRegistry::WalletAlreadyBound {
            wallet: Address::ZERO,
        }
        .abi_encode();
        bad.truncate(10);
        assert_eq!(decode_revert(&bad).name, None);
    }

    #[test]
    fn known_non_documented_custom_error_is_tx_reverted_with_name() {
        let data = MachineNFT::ERC721NonexistentToken {
            tokenId: alloy::primitives::U256::from(5),
        }
        .abi_encode();
        let d = decode_revert(&data);
        assert_eq!(d.code, ErrorCode::TxReverted);
        assert_eq!(d.name.as_deref(), Some("ERC721NonexistentToken"));
    }

    #[test]
    fn exactly_peaqs_known_reverts_get_their_own_code() {
        // Walk every error selector of every binding: the names that decode to their own code
        // are exactly peaq's KNOWN_REVERTS, each found in some binding.
        let mut seen = std::collections::BTreeSet::new();
        macro_rules! walk {
            ($($t:ty),*) => {$(
                for sel in <$t>::SELECTORS {
                    let name = <$t>::name_by_selector(*sel).unwrap();
                    let d = decode_revert(sel);
                    if d.name.is_none() {
                        // an error with parameters: the bare selector does not decode
                        continue;
                    }
                    assert_eq!(d.name.as_deref(), Some(name));
                    assert_eq!(d.code, revert_code(name));
                    if d.code != ErrorCode::TxReverted {
                        assert_eq!(d.code.as_str(), name);
                        seen.insert(name);
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
        let expected: std::collections::BTreeSet<&str> =
            KNOWN_REVERTS.iter().map(|(n, _)| *n).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn codes() {
        let v = PeaqosError::validation(
            "machine_id",
            "positive_integer",
            "machineId must be a positive integer",
        );
        assert_eq!(v.code(), Some(ErrorCode::ValidationError));
        assert_eq!(v.to_string(), "machineId must be a positive integer");
        let r = PeaqosError::rpc(Some(ErrorCode::WalletNotConfigured), "no signer");
        assert_eq!(r.code_str(), Some("WALLET_NOT_CONFIGURED"));
        assert_eq!(PeaqosError::rpc(None, "x").code(), None);
        assert_eq!(PeaqosError::rpc(None, "x").revert_name(), None);
    }
}
