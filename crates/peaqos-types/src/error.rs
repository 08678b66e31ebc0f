//! Stable error codes and the shared [`ValidationError`].
//!
//! [`ErrorCode`] lists every code the peaqOS SDKs document: the local validation / limit
//! errors, the on-chain revert names the SDK decodes, the SDK transaction sentinels, the
//! MCR API codes, the Gas Station (faucet) codes and envelope sentinels, and the OWS
//! signing codes. `as_str()` gives the exact wire spelling.

use std::fmt;
use std::str::FromStr;

/// A client-side validation failure (the SDKs' `ValidationError`).
///
/// `field` is the snake_case field name (`machine_id`, `source_tx_hash`, ...),
/// `constraint` a short machine-readable name of the violated rule and `message` the
/// human-readable text, exactly as the docs give it. `Display` prints `message` only.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[error("{message}")]
pub struct ValidationError {
    /// The offending field, in snake_case (e.g. `machine_id`).
    pub field: String,
    /// Machine-readable name of the violated constraint (e.g. `positive_integer`).
    pub constraint: String,
    /// Human-readable message (e.g. `machineId must be a positive integer`).
    pub message: String,
}

impl ValidationError {
    /// Builds a validation error from its three parts.
    pub fn new(
        field: impl Into<String>,
        constraint: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            constraint: constraint.into(),
            message: message.into(),
        }
    }

    /// The stable code of every validation error: [`ErrorCode::ValidationError`].
    pub const fn code(&self) -> ErrorCode {
        ErrorCode::ValidationError
    }
}

/// Coarse grouping of [`ErrorCode`]s, used to pick CLI exit codes and retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    /// Bad caller input detected locally.
    Validation,
    /// Local operational limit (value cap, rate limit).
    Limit,
    /// A decoded contract revert name.
    Revert,
    /// SDK transaction helper sentinel (unknown revert, missing receipt, ABI mismatch).
    Transaction,
    /// MCR API / HTTP transport failure.
    Api,
    /// Gas Station (faucet) error code or envelope sentinel.
    Faucet,
    /// OWS vault / signing failure, or missing signer.
    Wallet,
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => $s:literal, $cat:ident; )*) => {
        /// Every stable error code the peaqOS SDKs document.
        ///
        /// `as_str()` returns the exact wire / `error.code` spelling: revert names in
        /// PascalCase as the contracts name them, sentinels in SCREAMING_SNAKE_CASE.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// All codes, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The exact documented string of this code.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $s, )* }
            }

            /// The category this code belongs to.
            pub const fn category(self) -> ErrorCategory {
                match self { $( ErrorCode::$variant => ErrorCategory::$cat, )* }
            }
        }
    };
}

error_codes! {
    // --- local ---
    /// Client-side parameter validation failed (`ValidationError`).
    ValidationError => "VALIDATION_ERROR", Validation;
    /// Event value above `max_value_per_tx` (the SDKs' `ValueCapExceeded`).
    ValueCapExceeded => "ValueCapExceeded", Limit;
    /// Too many events inside the rate-limit window (the SDKs' `RateLimitExceeded`).
    RateLimitExceeded => "RateLimitExceeded", Limit;

    // --- contract revert names decoded by the SDKs ---
    /// Address already has a machine id.
    AlreadyRegistered => "AlreadyRegistered", Revert;
    /// `registerFor` with the zero address.
    InvalidMachineAddress => "InvalidMachineAddress", Revert;
    /// Zero address where a real address is required.
    InvalidAddress => "InvalidAddress", Revert;
    /// Bond amount is zero.
    AmountZero => "AmountZero", Revert;
    /// Machine already bonded / staked.
    AlreadyStaked => "AlreadyStaked", Revert;
    /// Machine not bonded on the IdentityRegistry.
    MachineNotBonded => "MachineNotBonded", Revert;
    /// A Machine NFT is already minted for the machine.
    AlreadyMinted => "AlreadyMinted", Revert;
    /// Caller is not the owner of the machine.
    NotMachineOwner => "NotMachineOwner", Revert;
    /// Operator mint: recipient must be the registered machine owner.
    RecipientMustBeMachineOwner => "RecipientMustBeMachineOwner", Revert;
    /// machineId has no identity record.
    MachineNotFound => "MachineNotFound", Revert;
    /// Machine deactivated by the IdentityRegistry.
    MachineDeactivated => "MachineDeactivated", Revert;
    /// Caller may not submit events for this machine.
    NotAuthorizedSubmitter => "NotAuthorizedSubmitter", Revert;
    /// `eventType` not 0 or 1.
    InvalidEventType => "InvalidEventType", Revert;
    /// `trustLevel` not 0, 1 or 2.
    InvalidTrustLevel => "InvalidTrustLevel", Revert;
    /// Event timestamp after `block.timestamp`.
    FutureTimestamp => "FutureTimestamp", Revert;
    /// `metadata` larger than 4096 bytes.
    MetadataTooLarge => "MetadataTooLarge", Revert;
    /// Currency shape invalid for the event type.
    InvalidCurrencyShape => "InvalidCurrencyShape", Revert;
    /// `msg.value` differs from `minBond`.
    IncorrectBondAmount => "IncorrectBondAmount", Revert;
    /// Identity NFTs cannot be transferred.
    IdentityNFTSoulbound => "IdentityNFTSoulbound", Revert;
    /// AdminFlags trust override out of range (`InvalidTrustOverride(value)`).
    InvalidTrustOverride => "InvalidTrustOverride", Revert;

    // --- SDK transaction sentinels ---
    /// Method needs a signer but none is configured.
    WalletNotConfigured => "WALLET_NOT_CONFIGURED", Wallet;
    /// Transaction reverted with a reason the SDK does not recognise.
    TxReverted => "TX_REVERTED", Transaction;
    /// Transaction submitted but its receipt could not be retrieved.
    ReceiptAwaitFailed => "RECEIPT_AWAIT_FAILED", Transaction;
    /// Registration receipt has no `Registered` log.
    RegisteredEventMissing => "REGISTERED_EVENT_MISSING", Transaction;
    /// `Registered` log had unexpected fields.
    RegisteredEventMalformed => "REGISTERED_EVENT_MALFORMED", Transaction;
    /// `quoteSend` returned a malformed `MessagingFee`.
    InvalidFeeResult => "INVALID_FEE_RESULT", Transaction;
    /// `minBond()` returned an unusable value.
    MinBondInvalidResult => "MIN_BOND_INVALID_RESULT", Transaction;
    /// `createAccount` receipt has no `AccountCreated` log (the account existed already).
    AccountCreatedEventMissing => "ACCOUNT_CREATED_EVENT_MISSING", Transaction;
    /// `AccountCreated` log had an unusable account address.
    AccountCreatedEventMalformed => "ACCOUNT_CREATED_EVENT_MALFORMED", Transaction;
    /// `MachineAccountFactory.getAddress` returned something that is not an address.
    InvalidAddressResult => "INVALID_ADDRESS_RESULT", Transaction;

    // --- MCR API ---
    /// HTTP 404 from the MCR API.
    NotFound => "NOT_FOUND", Api;
    /// Unexpected payload shape.
    BadResponse => "BAD_RESPONSE", Api;
    /// Unhandled non-2xx status.
    HttpError => "HTTP_ERROR", Api;
    /// HTTP 5xx.
    ServerError => "SERVER_ERROR", Api;
    /// HTTP 503.
    ServiceUnavailable => "SERVICE_UNAVAILABLE", Api;
    /// Request timed out.
    Timeout => "TIMEOUT", Api;
    /// Transport-level failure (DNS, TCP, TLS).
    NetworkError => "NETWORK_ERROR", Api;
    /// Caller aborted the request.
    Aborted => "ABORTED", Api;

    // --- Gas Station envelope sentinels ---
    /// Faucet returned a non-JSON body.
    InvalidResponse => "INVALID_RESPONSE", Faucet;
    /// Faucet JSON envelope did not match the endpoint's shape.
    UnexpectedResponse => "UNEXPECTED_RESPONSE", Faucet;

    // --- Gas Station codes (20) ---
    /// TOTP code rejected.
    Invalid2fa => "INVALID_2FA", Faucet;
    /// Owner never completed 2FA setup.
    TwoFaNotConfigured => "2FA_NOT_CONFIGURED", Faucet;
    /// 2FA set up but never confirmed.
    TwoFaNotActive => "2FA_NOT_ACTIVE", Faucet;
    /// Owner locked after too many invalid codes.
    TwoFaLocked => "2FA_LOCKED", Faucet;
    /// Setup without a code for an owner whose 2FA is active (not among the seed's 20 codes:
    /// peaq's CLI expects it, skips enrolment on it and asks for a current code).
    TwoFaAlreadyConfigured => "2FA_ALREADY_CONFIGURED", Faucet;
    /// Same `requestId` still in flight.
    DuplicateRequest => "DUPLICATE_REQUEST", Faucet;
    /// Same `requestId` already completed.
    RequestAlreadyProcessed => "REQUEST_ALREADY_PROCESSED", Faucet;
    /// Faucet rate limit hit.
    RateLimited => "RATE_LIMITED", Faucet;
    /// Daily per-owner funding cap reached.
    CapExceededOwner => "CAP_EXCEEDED_OWNER", Faucet;
    /// Daily per-wallet funding cap reached.
    CapExceededWallet => "CAP_EXCEEDED_WALLET", Faucet;
    /// Request body malformed.
    InvalidPayload => "INVALID_PAYLOAD", Faucet;
    /// Malformed owner address.
    InvalidOwnerAddress => "INVALID_OWNER_ADDRESS", Faucet;
    /// Malformed target wallet address.
    InvalidTargetAddress => "INVALID_TARGET_ADDRESS", Faucet;
    /// Chain id not configured on the faucet.
    InvalidChainId => "INVALID_CHAIN_ID", Faucet;
    /// `requestId` not a UUID.
    InvalidRequestId => "INVALID_REQUEST_ID", Faucet;
    /// On-chain transfer failed.
    TransferFailed => "TRANSFER_FAILED", Faucet;
    /// Faucet upstream RPC failed.
    ChainRpcError => "CHAIN_RPC_ERROR", Faucet;
    /// Unhandled server-side failure.
    InternalError => "INTERNAL_ERROR", Faucet;
    /// QR token does not exist.
    QrNotFound => "QR_NOT_FOUND", Faucet;
    /// QR token expired.
    QrExpired => "QR_EXPIRED", Faucet;
    /// Faucet could not render the QR image.
    QrGenerationFailed => "QR_GENERATION_FAILED", Faucet;

    // --- OWS signing ---
    /// Vault wallet does not exist.
    WalletNotFound => "WALLET_NOT_FOUND", Wallet;
    /// Wrong vault passphrase.
    InvalidPassphrase => "INVALID_PASSPHRASE", Wallet;
    /// Malformed transaction or sign-hash payload.
    InvalidInput => "INVALID_INPUT", Validation;
    /// Signing blocked by an OWS policy.
    PolicyDenied => "POLICY_DENIED", Wallet;
    /// Chain not configured in OWS.
    ChainNotSupported => "CHAIN_NOT_SUPPORTED", Wallet;
}

impl ErrorCode {
    /// Maps a decoded revert name to its code; anything unknown becomes [`ErrorCode::TxReverted`].
    ///
    /// Accepts a bare name (`MachineNotFound`), a signature (`InvalidTrustOverride(uint256)`)
    /// or a rendered call (`InvalidTrustOverride(150)`), with surrounding whitespace.
    pub fn from_revert_name(name: &str) -> ErrorCode {
        let name = name.trim();
        let bare = name.split_once('(').map_or(name, |(head, _)| head).trim();
        match ErrorCode::from_str(bare) {
            Ok(code) if code.category() == ErrorCategory::Revert => code,
            _ => ErrorCode::TxReverted,
        }
    }

    /// `true` for codes that are contract revert names.
    pub const fn is_revert(self) -> bool {
        matches!(self.category(), ErrorCategory::Revert)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when a string is not a documented [`ErrorCode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code: {0}")]
pub struct UnknownErrorCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    /// Parses the exact documented spelling (case-sensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The revert names the SDKs decode into a code (FACTS.md list, in order).
    const KNOWN_REVERT_NAMES: [&str; 20] = [
        "AlreadyRegistered",
        "InvalidMachineAddress",
        "InvalidAddress",
        "AmountZero",
        "AlreadyStaked",
        "MachineNotBonded",
        "AlreadyMinted",
        "NotMachineOwner",
        "RecipientMustBeMachineOwner",
        "MachineNotFound",
        "MachineDeactivated",
        "NotAuthorizedSubmitter",
        "InvalidEventType",
        "InvalidTrustLevel",
        "FutureTimestamp",
        "MetadataTooLarge",
        "InvalidCurrencyShape",
        "IncorrectBondAmount",
        "IdentityNFTSoulbound",
        "InvalidTrustOverride",
    ];
    use std::collections::HashSet;

    #[test]
    fn strings_are_unique_and_round_trip() {
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {}", code.as_str());
            assert_eq!(code.as_str().parse::<ErrorCode>().unwrap(), code);
            assert_eq!(code.to_string(), code.as_str());
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn documented_sentinels_spelled_exactly() {
        assert_eq!(ErrorCode::ValidationError.as_str(), "VALIDATION_ERROR");
        assert_eq!(ErrorCode::TxReverted.as_str(), "TX_REVERTED");
        assert_eq!(
            ErrorCode::RegisteredEventMissing.as_str(),
            "REGISTERED_EVENT_MISSING"
        );
        assert_eq!(
            ErrorCode::RegisteredEventMalformed.as_str(),
            "REGISTERED_EVENT_MALFORMED"
        );
        assert_eq!(ErrorCode::TwoFaLocked.as_str(), "2FA_LOCKED");
        assert_eq!(
            ErrorCode::IdentityNFTSoulbound.as_str(),
            "IdentityNFTSoulbound"
        );
    }

    #[test]
    fn every_known_revert_name_maps_to_itself() {
        for name in KNOWN_REVERT_NAMES {
            let code = ErrorCode::from_revert_name(name);
            assert_eq!(code.as_str(), name);
            assert!(code.is_revert());
        }
        let reverts = ErrorCode::ALL.iter().filter(|c| c.is_revert()).count();
        assert_eq!(reverts, KNOWN_REVERT_NAMES.len());
    }

    #[test]
    fn revert_names_with_arguments_and_whitespace() {
        assert_eq!(
            ErrorCode::from_revert_name("InvalidTrustOverride(150)"),
            ErrorCode::InvalidTrustOverride
        );
        assert_eq!(
            ErrorCode::from_revert_name("  InvalidTrustOverride(uint256) "),
            ErrorCode::InvalidTrustOverride
        );
        assert_eq!(
            ErrorCode::from_revert_name(" MachineNotFound\n"),
            ErrorCode::MachineNotFound
        );
    }

    #[test]
    fn unknown_reverts_become_tx_reverted() {
        for name in [
            "",
            "SomethingElse",
            "machinenotfound",
            "ERC721NonexistentToken(5)",
            // Sentinels are not revert names.
            "TX_REVERTED",
            "VALIDATION_ERROR",
            "NOT_FOUND",
        ] {
            assert_eq!(
                ErrorCode::from_revert_name(name),
                ErrorCode::TxReverted,
                "{name}"
            );
        }
    }

    #[test]
    fn twenty_faucet_codes() {
        // The seed's 20, plus 2FA_ALREADY_CONFIGURED that peaq's CLI relies on; the two client-side
        // envelope sentinels are not server codes.
        let faucet: Vec<_> = ErrorCode::ALL
            .iter()
            .filter(|c| c.category() == ErrorCategory::Faucet)
            .filter(|c| {
                !matches!(
                    c,
                    ErrorCode::InvalidResponse
                        | ErrorCode::UnexpectedResponse
                        | ErrorCode::TwoFaAlreadyConfigured
                )
            })
            .collect();
        assert_eq!(faucet.len(), 20);
        assert_eq!(
            ErrorCode::TwoFaAlreadyConfigured.category(),
            ErrorCategory::Faucet
        );
    }

    #[test]
    fn unknown_code_string_is_rejected() {
        let err = "NOPE".parse::<ErrorCode>().unwrap_err();
        assert_eq!(err.to_string(), "unknown error code: NOPE");
        assert!(serde_json::from_str::<ErrorCode>("\"tx_reverted\"").is_err());
    }

    #[test]
    fn validation_error_display_is_message() {
        let e = ValidationError::new(
            "machine_id",
            "positive_integer",
            "machineId must be a positive integer",
        );
        assert_eq!(e.to_string(), "machineId must be a positive integer");
        assert_eq!(e.code(), ErrorCode::ValidationError);
        let _: &dyn std::error::Error = &e;
    }
}
