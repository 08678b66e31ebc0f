//! Encryption of TOTP secrets (and QR images, which embed them) at rest: AES-256-GCM with a
//! 32-byte server key, given as 64 hex digits or kept in a key file (mode 0600).

use crate::error::GasStationError;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use std::path::Path;

/// The 32-byte server key. `Debug` never prints it.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(<redacted>)")
    }
}

impl ServerKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let k = Aes256Gcm::generate_key(OsRng);
        let mut b = [0u8; 32];
        b.copy_from_slice(&k);
        Self(b)
    }

    /// Parses 64 hex digits (optional `0x`, surrounding whitespace ignored).
    pub fn from_hex(s: &str) -> Result<Self, GasStationError> {
        let s = s.trim();
        let s = s.strip_prefix("0x").unwrap_or(s);
        let v =
            hex::decode(s).map_err(|_| GasStationError::Config("server key is not hex".into()))?;
        let b: [u8; 32] = v.try_into().map_err(|_| {
            GasStationError::Config("server key must be 32 bytes (64 hex digits)".into())
        })?;
        Ok(Self(b))
    }

    /// Loads the key file, or creates it (mode 0600, random key; missing parent directories
    /// 0700) when it does not exist. A key file readable by group or others is refused.
    pub fn load_or_create(path: &Path) -> Result<Self, GasStationError> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        if path.exists() {
            let meta = std::fs::metadata(path).map_err(|e| {
                GasStationError::Config(format!("key file {}: {e}", path.display()))
            })?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(GasStationError::Config(format!(
                    "key file {} must not be readable by group or others (chmod 600)",
                    path.display()
                )));
            }
            let text = std::fs::read_to_string(path).map_err(|e| {
                GasStationError::Config(format!("key file {}: {e}", path.display()))
            })?;
            return Self::from_hex(&text);
        }
        let key = Self::generate();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| GasStationError::Config(format!("key dir {}: {e}", dir.display())))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| GasStationError::Config(format!("key file {}: {e}", path.display())))?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| GasStationError::Config(e.to_string()))?;
        std::io::Write::write_all(&mut f, format!("{}\n", hex::encode(key.0)).as_bytes())
            .map_err(|e| GasStationError::Config(e.to_string()))?;
        f.sync_all()
            .map_err(|e| GasStationError::Config(e.to_string()))?;
        Ok(key)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.0))
    }

    /// Encrypts `plaintext` bound to `context` (the owner key / QR token) as hex(nonce ‖ ct).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, GasStationError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| GasStationError::Config("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(hex::encode(out))
    }

    /// Decrypts what [`ServerKey::seal`] produced for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, GasStationError> {
        let raw = hex::decode(sealed)
            .map_err(|_| GasStationError::Corrupt("sealed value is not hex".into()))?;
        if raw.len() < 12 + 16 {
            return Err(GasStationError::Corrupt("sealed value too short".into()));
        }
        let (nonce, ct) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().unwrap_or_default();
        self.cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                GasStationError::Corrupt(
                    "cannot decrypt a stored secret (wrong server key?)".into(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_context_binding() {
        let k = ServerKey::generate();
        let s = k.seal(b"secret", "owner-a").unwrap();
        assert!(!s.contains(&hex::encode(b"secret")));
        assert_eq!(k.open(&s, "owner-a").unwrap(), b"secret");
        assert!(k.open(&s, "owner-b").is_err());
        assert!(ServerKey::generate().open(&s, "owner-a").is_err());
        assert!(k.open("zz", "owner-a").is_err());
        assert!(k.open("00", "owner-a").is_err());
        assert_eq!(format!("{k:?}"), "ServerKey(<redacted>)");
    }

    #[test]
    fn hex_parsing() {
        assert!(ServerKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(ServerKey::from_hex(&format!("0x{}\n", "ab".repeat(32))).is_ok());
        assert!(ServerKey::from_hex("abcd").is_err());
        assert!(ServerKey::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn key_file_created_0600_and_reloaded() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/gas-station.key");
        let k1 = ServerKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        let k2 = ServerKey::load_or_create(&path).unwrap();
        assert_eq!(k1.0, k2.0);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(ServerKey::load_or_create(&path).is_err());
    }
}
