//! BIP-39 mnemonics, BIP-32 secp256k1 derivation (coins-bip32) and SLIP-10 ed25519 derivation.

use coins_bip32::xkeys::XPriv;
use coins_bip39::{English, Mnemonic};
use hmac::{Hmac, Mac};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::error::WalletError;

type HmacSha512 = Hmac<Sha512>;

/// Generates a fresh English BIP-39 phrase of 12 or 24 words from the OS RNG.
pub fn generate_mnemonic(words: usize) -> Result<Zeroizing<String>, WalletError> {
    if words != 12 && words != 24 {
        return Err(WalletError::invalid(
            "words",
            "one_of",
            "words must be 12 or 24",
        ));
    }
    let mut rng = rand::rngs::OsRng;
    let m = Mnemonic::<English>::new_with_count(&mut rng, words)
        .map_err(|_| WalletError::invalid("words", "one_of", "words must be 12 or 24"))?;
    Ok(Zeroizing::new(m.to_phrase()))
}

/// Normalises (trim, single spaces, lowercase) and validates a phrase (word list + checksum).
pub fn normalize_mnemonic(phrase: &str) -> Result<Zeroizing<String>, WalletError> {
    let norm = Zeroizing::new(
        phrase
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" "),
    );
    Mnemonic::<English>::new_from_phrase(&norm)
        .map_err(|_| WalletError::invalid("mnemonic", "bip39", "invalid BIP-39 mnemonic"))?;
    Ok(norm)
}

/// BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds) of a validated phrase and BIP-39 passphrase.
pub fn mnemonic_to_seed(
    phrase: &str,
    bip39_passphrase: &str,
) -> Result<Zeroizing<[u8; 64]>, WalletError> {
    let m = Mnemonic::<English>::new_from_phrase(phrase)
        .map_err(|_| WalletError::invalid("mnemonic", "bip39", "invalid BIP-39 mnemonic"))?;
    let seed = m
        .to_seed(Some(bip39_passphrase))
        .map_err(|_| WalletError::invalid("mnemonic", "bip39", "invalid BIP-39 mnemonic"))?;
    Ok(Zeroizing::new(seed))
}

/// BIP-32 secp256k1 private key at `path` (e.g. `m/44'/60'/0'/0/0`).
pub fn derive_secp256k1(seed: &[u8], path: &str) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let root = XPriv::root_from_seed(seed, None)
        .map_err(|_| WalletError::invalid("seed", "bip32", "invalid BIP-32 seed"))?;
    let child = root
        .derive_path(path)
        .map_err(|_| WalletError::invalid("derivation_path", "bip32", "invalid derivation path"))?;
    let sk: &k256::ecdsa::SigningKey = child.as_ref();
    Ok(Zeroizing::new(sk.to_bytes().into()))
}

/// A SLIP-10 node: private key and chain code.
pub struct Slip10Node {
    /// The 32-byte ed25519 secret (seed of the key pair).
    pub key: Zeroizing<[u8; 32]>,
    /// The chain code.
    pub chain_code: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Slip10Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Slip10Node(<redacted>)")
    }
}

fn hmac_split(key: &[u8], parts: &[&[u8]]) -> Slip10Node {
    let mut mac = HmacSha512::new_from_slice(key).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    let out = Zeroizing::new(<[u8; 64]>::from(mac.finalize().into_bytes()));
    let mut k = Zeroizing::new([0u8; 32]);
    let mut c = Zeroizing::new([0u8; 32]);
    k.copy_from_slice(&out[..32]);
    c.copy_from_slice(&out[32..]);
    Slip10Node {
        key: k,
        chain_code: c,
    }
}

/// Parses `m/a'/b'/...` into hardened indexes; SLIP-10 ed25519 only allows hardened steps.
fn parse_hardened(path: &str) -> Result<Vec<u32>, WalletError> {
    let err = || {
        WalletError::invalid(
            "derivation_path",
            "slip10",
            "ed25519 paths must be m/ followed by hardened indexes",
        )
    };
    let mut it = path.split('/');
    if it.next() != Some("m") {
        return Err(err());
    }
    it.map(|s| {
        let n = s
            .strip_suffix('\'')
            .or_else(|| s.strip_suffix('h'))
            .ok_or_else(err)?;
        let i: u32 = n.parse().map_err(|_| err())?;
        if i >= 1 << 31 {
            return Err(err());
        }
        Ok(i | 1 << 31)
    })
    .collect()
}

/// SLIP-10 ed25519 derivation (`ed25519 seed` master, hardened children only).
pub fn derive_slip10_ed25519(seed: &[u8], path: &str) -> Result<Slip10Node, WalletError> {
    let steps = parse_hardened(path)?;
    let mut node = hmac_split(b"ed25519 seed", &[seed]);
    for i in steps {
        node = hmac_split(
            node.chain_code.as_ref(),
            &[&[0u8], node.key.as_ref(), &i.to_be_bytes()],
        );
    }
    Ok(node)
}

/// ed25519 public key of a 32-byte secret.
pub fn ed25519_public(secret: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(secret)
        .verifying_key()
        .to_bytes()
}

/// Compressed (33-byte) secp256k1 public key.
pub fn secp256k1_public_compressed(secret: &[u8; 32]) -> Result<[u8; 33], WalletError> {
    let sk = k256::ecdsa::SigningKey::from_slice(secret).map_err(|_| {
        WalletError::invalid("private_key", "secp256k1", "invalid secp256k1 private key")
    })?;
    let p = sk.verifying_key().to_encoded_point(true);
    let mut out = [0u8; 33];
    out.copy_from_slice(p.as_bytes());
    Ok(out)
}

/// Uncompressed (65-byte) secp256k1 public key.
pub fn secp256k1_public_uncompressed(secret: &[u8; 32]) -> Result<[u8; 65], WalletError> {
    let sk = k256::ecdsa::SigningKey::from_slice(secret).map_err(|_| {
        WalletError::invalid("private_key", "secp256k1", "invalid secp256k1 private key")
    })?;
    let p = sk.verifying_key().to_encoded_point(false);
    let mut out = [0u8; 65];
    out.copy_from_slice(p.as_bytes());
    Ok(out)
}
