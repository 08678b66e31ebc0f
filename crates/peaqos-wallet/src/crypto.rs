//! The OWS crypto envelope: scrypt-derived AES-256-GCM key, hex fields, tag kept apart.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::WalletError;

/// Default scrypt cost (`n`), the weakest the reference and this crate accept.
pub const SCRYPT_N: u64 = 1 << 16;
/// Default scrypt block size (`r`), also the minimum accepted.
pub const SCRYPT_R: u32 = 8;
/// Default scrypt parallelism (`p`), also the minimum accepted.
pub const SCRYPT_P: u32 = 1;
/// The only accepted derived-key length (an AES-256 key).
pub const SCRYPT_DKLEN: u32 = 32;

/// `crypto.cipherparams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherParams {
    /// 12-byte GCM nonce, hex.
    pub iv: String,
}

/// `crypto.kdfparams` (keys in sorted order, as the reference writes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Derived key length, must be 32.
    pub dklen: u32,
    /// scrypt cost, a power of two >= 65536.
    pub n: u64,
    /// scrypt parallelism, >= 1.
    pub p: u32,
    /// scrypt block size, >= 8.
    pub r: u32,
    /// 32-byte salt, hex.
    pub salt: String,
}

/// The `crypto` object of a wallet file (fields in sorted order, as the reference writes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptoEnvelope {
    /// 16-byte GCM tag, hex.
    pub auth_tag: String,
    /// Always `aes-256-gcm`.
    pub cipher: String,
    /// The nonce.
    pub cipherparams: CipherParams,
    /// Ciphertext without the tag, hex.
    pub ciphertext: String,
    /// Always `scrypt`.
    pub kdf: String,
    /// scrypt parameters.
    pub kdfparams: KdfParams,
}

fn bad(field: &str, msg: &str) -> WalletError {
    WalletError::invalid(field, "wallet_file", msg.to_string())
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    n: u64,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    if !n.is_power_of_two() {
        return Err(bad("kdfparams.n", "scrypt n must be a power of two"));
    }
    let log_n = n.trailing_zeros() as u8;
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|_| bad("kdfparams", "invalid scrypt parameters"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, key.as_mut())
        .map_err(|_| bad("kdfparams", "invalid scrypt parameters"))?;
    Ok(key)
}

/// Encrypts `plaintext` under `passphrase` with fresh salt and nonce and the default parameters.
pub fn encrypt(plaintext: &[u8], passphrase: &str) -> Result<CryptoEnvelope, WalletError> {
    let mut salt = [0u8; 32];
    let mut iv = [0u8; 12];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut iv);
    let key = derive_key(passphrase, &salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).expect("32-byte key");
    let iv_arr: [u8; 12] = iv;
    let mut out = cipher
        .encrypt(
            &Nonce::from(iv_arr),
            Payload {
                msg: plaintext,
                aad: &[],
            },
        )
        .map_err(|_| WalletError::Signing("encryption failed".into()))?;
    let tag = out.split_off(out.len() - 16);
    Ok(CryptoEnvelope {
        auth_tag: hex::encode(tag),
        cipher: "aes-256-gcm".into(),
        cipherparams: CipherParams {
            iv: hex::encode(iv),
        },
        ciphertext: hex::encode(&out),
        kdf: "scrypt".into(),
        kdfparams: KdfParams {
            dklen: SCRYPT_DKLEN,
            n: SCRYPT_N,
            p: SCRYPT_P,
            r: SCRYPT_R,
            salt: hex::encode(salt),
        },
    })
}

/// Checks the envelope's algorithm names and refuses weak KDF parameters
/// (n < 2^16, r < 8, p < 1, dklen != 32), like the reference.
pub fn check_params(env: &CryptoEnvelope) -> Result<(), WalletError> {
    if env.cipher != "aes-256-gcm" {
        return Err(bad("cipher", "unsupported cipher (expected aes-256-gcm)"));
    }
    if env.kdf != "scrypt" {
        return Err(bad("kdf", "unsupported kdf (expected scrypt)"));
    }
    let k = &env.kdfparams;
    if k.n < SCRYPT_N {
        return Err(bad("kdfparams.n", "scrypt n below 65536 refused"));
    }
    if k.r < SCRYPT_R {
        return Err(bad("kdfparams.r", "scrypt r below 8 refused"));
    }
    if k.p < SCRYPT_P {
        return Err(bad("kdfparams.p", "scrypt p below 1 refused"));
    }
    if k.dklen != SCRYPT_DKLEN {
        return Err(bad("kdfparams.dklen", "scrypt dklen must be 32"));
    }
    Ok(())
}

/// Decrypts an envelope. A failed GCM tag (wrong passphrase or tampering) is
/// [`WalletError::InvalidPassphrase`]; malformed or weak parameters are `INVALID_INPUT`.
pub fn decrypt(env: &CryptoEnvelope, passphrase: &str) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    check_params(env)?;
    let salt =
        hex::decode(&env.kdfparams.salt).map_err(|_| bad("kdfparams.salt", "salt is not hex"))?;
    let iv =
        hex::decode(&env.cipherparams.iv).map_err(|_| bad("cipherparams.iv", "iv is not hex"))?;
    if iv.len() != 12 {
        return Err(bad("cipherparams.iv", "iv must be 12 bytes"));
    }
    let tag = hex::decode(&env.auth_tag).map_err(|_| bad("auth_tag", "auth_tag is not hex"))?;
    if tag.len() != 16 {
        return Err(bad("auth_tag", "auth_tag must be 16 bytes"));
    }
    let mut ct =
        hex::decode(&env.ciphertext).map_err(|_| bad("ciphertext", "ciphertext is not hex"))?;
    ct.extend_from_slice(&tag);
    let k = &env.kdfparams;
    let key = derive_key(passphrase, &salt, k.n, k.r, k.p)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).expect("32-byte key");
    let iv_arr: [u8; 12] = iv.try_into().expect("checked length");
    cipher
        .decrypt(&Nonce::from(iv_arr), Payload { msg: &ct, aad: &[] })
        .map(Zeroizing::new)
        .map_err(|_| WalletError::InvalidPassphrase)
}
