//! peaqID: `did:peaq:<0x-address>` identifiers, strict address parsing and the
//! `data_visibility` DID attribute values.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::Address;

use crate::error::ValidationError;

/// The DID method prefix every peaqID starts with.
pub const DID_PREFIX: &str = "did:peaq:";

/// Parses a strict `0x`-prefixed, 40-hex-digit EVM address (any hex case, no checksum check).
///
/// Returns `None` for anything else (missing / uppercase `0X` prefix, wrong length,
/// non-hex characters, surrounding whitespace).
pub fn parse_address_strict(s: &str) -> Option<Address> {
    let hex = s.strip_prefix("0x")?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Address::from_str(hex).ok()
}

/// Parses an address for a named input, producing the SDKs' documented message
/// `"<name> must be a valid 0x-prefixed Ethereum address"`.
///
/// `field` is the snake_case field name, `display_name` the name used in the message
/// (e.g. `machine_address` / `machineAddress`).
pub fn parse_address_field(
    field: &str,
    display_name: &str,
    s: &str,
) -> Result<Address, ValidationError> {
    parse_address_strict(s).ok_or_else(|| {
        ValidationError::new(
            field,
            "evm_address",
            format!("{display_name} must be a valid 0x-prefixed Ethereum address"),
        )
    })
}

/// Why a string is not a valid peaqID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidParseError {
    /// The string does not start with `did:peaq:0x`.
    #[error("DID must start with did:peaq:0x")]
    MissingPrefix,
    /// The address part does not have exactly 40 hex characters.
    #[error("DID address must be 40 hex characters after did:peaq:0x, got {0}")]
    InvalidLength(usize),
    /// The address part contains a non-hex character.
    #[error("DID address must contain only hex characters (0-9, a-f, A-F)")]
    InvalidHex,
}

impl From<DidParseError> for ValidationError {
    fn from(e: DidParseError) -> Self {
        let constraint = match e {
            DidParseError::MissingPrefix => "did_prefix",
            DidParseError::InvalidLength(_) => "did_address_length",
            DidParseError::InvalidHex => "did_address_hex",
        };
        ValidationError::new("did", constraint, e.to_string())
    }
}

/// A peaqID: `did:peaq:` followed by the machine's (or operator's) EVM address.
///
/// Parsing accepts any hex case; `Display` always renders the EIP-55 checksummed form.
/// Serialized with serde as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did(Address);

impl Did {
    /// Wraps an address.
    pub const fn new(address: Address) -> Self {
        Self(address)
    }

    /// The address this DID identifies (the DID precompile's `did_account`).
    pub const fn address(&self) -> Address {
        self.0
    }
}

impl From<Address> for Did {
    fn from(address: Address) -> Self {
        Self(address)
    }
}

impl From<Did> for Address {
    fn from(did: Did) -> Self {
        did.0
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{DID_PREFIX}{}", self.0.to_checksum(None))
    }
}

impl FromStr for Did {
    type Err = DidParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s
            .strip_prefix(DID_PREFIX)
            .and_then(|rest| rest.strip_prefix("0x"))
            .ok_or(DidParseError::MissingPrefix)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DidParseError::InvalidHex);
        }
        if hex.len() != 40 {
            return Err(DidParseError::InvalidLength(hex.len()));
        }
        Address::from_str(hex)
            .map(Did)
            .map_err(|_| DidParseError::InvalidHex)
    }
}

impl serde::Serialize for Did {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Did {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Value of the `data_visibility` DID attribute: how the MCR API exposes raw event data.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DataVisibility {
    /// MCR API fetches from `data_api` and includes the data.
    Public,
    /// MCR API returns only the `data_api` URL (the default when unset or empty).
    #[default]
    Private,
    /// MCR API parses JSON metadata of on-chain events into `event_data[]`.
    Onchain,
}

impl DataVisibility {
    /// The attribute value string (`public`, `private`, `onchain`).
    pub const fn as_str(self) -> &'static str {
        match self {
            DataVisibility::Public => "public",
            DataVisibility::Private => "private",
            DataVisibility::Onchain => "onchain",
        }
    }

    /// Interprets a stored attribute value: unset or empty means `private`; any other
    /// unknown value is `None`.
    pub fn from_attribute(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            None | Some("") => Some(DataVisibility::Private),
            Some(v) => v.parse().ok(),
        }
    }
}

impl fmt::Display for DataVisibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DataVisibility {
    type Err = ValidationError;

    /// Parses `public`, `private` or `onchain` (exact lowercase).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(DataVisibility::Public),
            "private" => Ok(DataVisibility::Private),
            "onchain" => Ok(DataVisibility::Onchain),
            _ => Err(ValidationError::new(
                "data_visibility",
                "one_of_public_private_onchain",
                "data_visibility must be one of public, private, onchain",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use proptest::prelude::*;

    const VITALIK: &str = "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B";

    #[test]
    fn parses_and_checksums() {
        let lower = format!("did:peaq:{}", VITALIK.to_lowercase());
        let did: Did = lower.parse().unwrap();
        assert_eq!(did.to_string(), format!("did:peaq:{VITALIK}"));
        assert_eq!(
            did.address(),
            address!("0xab5801a7d398351b8be11c439e05c5b3259aec9b")
        );

        let upper = format!("did:peaq:0x{}", VITALIK[2..].to_uppercase());
        assert_eq!(upper.parse::<Did>().unwrap(), did);
        assert_eq!(format!("did:peaq:{VITALIK}").parse::<Did>().unwrap(), did);
    }

    #[test]
    fn rejects_bad_prefix() {
        for s in [
            "",
            "did:peaq:",
            "did:peaq:Ab5801a7D398351b8bE11C439e05C5B3259aeC9B",
            "did:peaq:0XAb5801a7D398351b8bE11C439e05C5B3259aeC9B",
            "DID:PEAQ:0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B",
            "did:ethr:0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B",
            "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B",
            " did:peaq:0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B",
        ] {
            assert_eq!(s.parse::<Did>(), Err(DidParseError::MissingPrefix), "{s:?}");
        }
    }

    #[test]
    fn rejects_bad_length() {
        assert_eq!(
            "did:peaq:0x".parse::<Did>(),
            Err(DidParseError::InvalidLength(0))
        );
        assert_eq!(
            "did:peaq:0xAb5801a7D398351b8bE11C439e05C5B3259aeC9".parse::<Did>(),
            Err(DidParseError::InvalidLength(39))
        );
        assert_eq!(
            "did:peaq:0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B0".parse::<Did>(),
            Err(DidParseError::InvalidLength(41))
        );
    }

    #[test]
    fn rejects_non_hex() {
        for s in [
            "did:peaq:0xGb5801a7D398351b8bE11C439e05C5B3259aeC9B",
            "did:peaq:0xMachineAddress",
            "did:peaq:0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B ",
            "did:peaq:0x0xb5801a7D398351b8bE11C439e05C5B3259aeC9B",
        ] {
            assert_eq!(s.parse::<Did>(), Err(DidParseError::InvalidHex), "{s:?}");
        }
    }

    #[test]
    fn error_messages_are_clear() {
        assert_eq!(
            DidParseError::MissingPrefix.to_string(),
            "DID must start with did:peaq:0x"
        );
        let v: ValidationError = DidParseError::InvalidLength(3).into();
        assert_eq!(v.field, "did");
        assert_eq!(
            v.message,
            "DID address must be 40 hex characters after did:peaq:0x, got 3"
        );
    }

    #[test]
    fn serde_as_string() {
        let did: Did = format!("did:peaq:{VITALIK}").parse().unwrap();
        let json = serde_json::to_string(&did).unwrap();
        assert_eq!(json, format!("\"did:peaq:{VITALIK}\""));
        let back: Did = serde_json::from_str(&json.to_lowercase()).unwrap();
        assert_eq!(back, did);
        assert!(serde_json::from_str::<Did>("\"did:peaq:0x12\"").is_err());
        assert!(serde_json::from_str::<Did>("42").is_err());
    }

    #[test]
    fn strict_address_parsing() {
        assert_eq!(
            parse_address_strict(VITALIK),
            Some(address!("0xab5801a7d398351b8be11c439e05c5b3259aec9b"))
        );
        assert_eq!(
            parse_address_strict(&VITALIK.to_lowercase()),
            parse_address_strict(VITALIK)
        );
        for bad in [
            "",
            "0x",
            "Ab5801a7D398351b8bE11C439e05C5B3259aeC9B",
            "0XAb5801a7D398351b8bE11C439e05C5B3259aeC9B",
            "0xzz5801a7D398351b8bE11C439e05C5B3259aeC9B",
            "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9",
            " 0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B",
        ] {
            assert_eq!(parse_address_strict(bad), None, "{bad:?}");
        }
        let err = parse_address_field("machine_address", "machineAddress", "0x12").unwrap_err();
        assert_eq!(err.field, "machine_address");
        assert_eq!(
            err.message,
            "machineAddress must be a valid 0x-prefixed Ethereum address"
        );
    }

    #[test]
    fn data_visibility() {
        assert_eq!(DataVisibility::default(), DataVisibility::Private);
        assert_eq!(
            DataVisibility::from_attribute(None),
            Some(DataVisibility::Private)
        );
        assert_eq!(
            DataVisibility::from_attribute(Some("")),
            Some(DataVisibility::Private)
        );
        assert_eq!(
            DataVisibility::from_attribute(Some("onchain")),
            Some(DataVisibility::Onchain)
        );
        assert_eq!(DataVisibility::from_attribute(Some("secret")), None);
        for v in [
            DataVisibility::Public,
            DataVisibility::Private,
            DataVisibility::Onchain,
        ] {
            assert_eq!(v.to_string().parse::<DataVisibility>().unwrap(), v);
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v}\""));
        }
        assert!("Public".parse::<DataVisibility>().is_err());
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(bytes in any::<[u8; 20]>()) {
            let did = Did::new(Address::from(bytes));
            let s = did.to_string();
            prop_assert!(s.starts_with("did:peaq:0x"));
            prop_assert_eq!(s.len(), "did:peaq:0x".len() + 40);
            prop_assert_eq!(s.parse::<Did>().unwrap(), did);
            prop_assert_eq!(s.to_lowercase().parse::<Did>().unwrap(), did);
            let json = serde_json::to_string(&did).unwrap();
            prop_assert_eq!(serde_json::from_str::<Did>(&json).unwrap(), did);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,64}") {
            if let Ok(did) = s.parse::<Did>() {
                // Only canonical shapes parse, and they re-render to the same address.
                prop_assert_eq!(did.to_string().to_lowercase(), s.to_lowercase());
            }
        }
    }
}
