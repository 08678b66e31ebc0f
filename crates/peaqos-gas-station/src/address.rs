//! Owner and target address validation.
//!
//! Owners may be EVM addresses (`0x` + 40 hex; mixed case must be a valid EIP-55 checksum,
//! all-lowercase / all-uppercase accepted) or SS58 addresses (base58, any network prefix, 32-byte
//! account id, `blake2b-512("SS58PRE" ‖ prefix ‖ account)` checksum verified). Targets are EVM
//! addresses only.

use alloy::primitives::Address;
use blake2::{Blake2b512, Digest};

/// A validated owner address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OwnerAddress {
    /// An EVM (H160) address.
    Evm(Address),
    /// A Substrate account: SS58 network prefix and 32-byte account id.
    Ss58 {
        /// SS58 network prefix (peaq uses 42 for generic Substrate addresses).
        prefix: u16,
        /// The account id.
        account: [u8; 32],
    },
}

impl OwnerAddress {
    /// Canonical storage key: `0x` + 40 lowercase hex for EVM, `0x` + 64 lowercase hex (the
    /// account id) for SS58, so the same account under any SS58 prefix is one owner.
    pub fn key(&self) -> String {
        match self {
            Self::Evm(a) => format!("{a:#x}"),
            Self::Ss58 { account, .. } => format!("0x{}", hex::encode(account)),
        }
    }
}

/// Parses an EVM address: `0x` + 40 hex digits; mixed case must carry a valid EIP-55 checksum.
pub fn parse_evm_address(s: &str) -> Option<Address> {
    let hex_part = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if hex_part.len() != 40 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let has_lower = hex_part.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex_part.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        Address::parse_checksummed(format!("0x{hex_part}"), None).ok()
    } else {
        hex_part.parse::<Address>().ok()
    }
}

/// Decodes an SS58 address with a 32-byte account id, verifying its checksum.
pub fn parse_ss58(s: &str) -> Option<(u16, [u8; 32])> {
    let raw = bs58::decode(s).into_vec().ok()?;
    let (prefix, prefix_len) = match raw.first()? {
        b @ 0..=63 => (u16::from(*b), 1usize),
        64..=127 => {
            let b0 = u16::from(*raw.first()?);
            let b1 = u16::from(*raw.get(1)?);
            // Two-byte prefix encoding (SS58 spec).
            let lower = ((b0 << 2) | (b1 >> 6)) & 0xff;
            let upper = b1 & 0x3f;
            (lower | (upper << 8), 2usize)
        }
        _ => return None,
    };
    if raw.len() != prefix_len + 32 + 2 {
        return None;
    }
    let body = &raw[..prefix_len + 32];
    let mut h = Blake2b512::new();
    h.update(b"SS58PRE");
    h.update(body);
    let digest = h.finalize();
    if digest[..2] != raw[prefix_len + 32..] {
        return None;
    }
    let mut account = [0u8; 32];
    account.copy_from_slice(&raw[prefix_len..prefix_len + 32]);
    Some((prefix, account))
}

/// Validates an owner address (EVM hex or SS58).
pub fn parse_owner(s: &str) -> Option<OwnerAddress> {
    let s = s.trim();
    if s.starts_with("0x") || s.starts_with("0X") {
        return parse_evm_address(s).map(OwnerAddress::Evm);
    }
    parse_ss58(s).map(|(prefix, account)| OwnerAddress::Ss58 { prefix, account })
}

/// Validates a target wallet address (EVM hex only).
pub fn parse_target(s: &str) -> Option<Address> {
    parse_evm_address(s.trim())
}

/// Encodes an SS58 address (for tests and tools).
pub fn encode_ss58(prefix: u16, account: &[u8; 32]) -> String {
    let mut raw = Vec::with_capacity(36);
    if prefix < 64 {
        raw.push(prefix as u8);
    } else {
        raw.push((((prefix & 0b1111_1100) >> 2) | 0b0100_0000) as u8);
        raw.push(((prefix >> 8) | ((prefix & 0b11) << 6)) as u8);
    }
    raw.extend_from_slice(account);
    let mut h = Blake2b512::new();
    h.update(b"SS58PRE");
    h.update(&raw);
    let digest = h.finalize();
    raw.extend_from_slice(&digest[..2]);
    bs58::encode(raw).into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Alice's well-known account (sr25519 //Alice) under the generic prefix 42.
    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    const ALICE_HEX: &str = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";

    #[test]
    fn ss58_known_vector() {
        let (prefix, account) = parse_ss58(ALICE).unwrap();
        assert_eq!(prefix, 42);
        assert_eq!(hex::encode(account), ALICE_HEX);
        assert_eq!(encode_ss58(42, &account), ALICE);
        let owner = parse_owner(ALICE).unwrap();
        assert_eq!(owner.key(), format!("0x{ALICE_HEX}"));
        // Same account, peaq-style other prefix -> same key.
        let other = encode_ss58(7, &account);
        assert_eq!(parse_owner(&other).unwrap().key(), owner.key());
    }

    #[test]
    fn ss58_bad_checksum_and_garbage() {
        let mut bad = ALICE.to_owned();
        bad.replace_range(47..48, "Z");
        assert!(parse_ss58(&bad).is_none());
        assert!(parse_owner("5Grwva").is_none());
        assert!(parse_owner("").is_none());
        assert!(parse_owner("0OIl").is_none()); // not base58
    }

    #[test]
    fn two_byte_prefix_round_trip() {
        let account = [7u8; 32];
        for prefix in [64u16, 100, 1000, 16383] {
            let s = encode_ss58(prefix, &account);
            assert_eq!(parse_ss58(&s), Some((prefix, account)), "prefix {prefix}");
        }
    }

    #[test]
    fn evm_checksum_rules() {
        let good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert!(parse_evm_address(good).is_some());
        assert!(parse_evm_address(&good.to_lowercase()).is_some());
        assert!(parse_evm_address(&format!("0x{}", good[2..].to_uppercase())).is_some());
        // Flip the case of one letter: checksum fails.
        let bad = "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert!(parse_evm_address(bad).is_none());
        assert!(parse_evm_address("0x1234").is_none());
        assert!(parse_evm_address("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").is_none());
        assert!(parse_evm_address("0xzzAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").is_none());
        assert_eq!(
            parse_owner(good).unwrap().key(),
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        );
        assert!(parse_target(ALICE).is_none());
        assert!(parse_target(good).is_some());
    }

    proptest::proptest! {
        #[test]
        fn ss58_any_account_round_trips(account in proptest::prelude::any::<[u8; 32]>(), prefix in 0u16..16384) {
            let s = encode_ss58(prefix, &account);
            proptest::prop_assert_eq!(parse_ss58(&s), Some((prefix, account)));
        }

        #[test]
        fn evm_lowercase_always_ok(bytes in proptest::prelude::any::<[u8; 20]>()) {
            let a = Address::from(bytes);
            proptest::prop_assert_eq!(parse_evm_address(&format!("{a:#x}")), Some(a));
            proptest::prop_assert_eq!(parse_evm_address(&a.to_checksum(None)), Some(a));
        }
    }
}
