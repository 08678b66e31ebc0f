//! RFC 6238 TOTP (SHA-1, 30 s steps) through `totp-rs`, plus the otpauth URI the service hands
//! out. Everything here is pure: time is a parameter.

use totp_rs::{Algorithm, Secret, TOTP};

/// Time step in seconds.
pub(crate) const STEP_SECS: u64 = 30;
/// Digits of the codes this service issues and accepts.
pub(crate) const DIGITS: usize = 6;
/// Accepted clock skew in steps (either side).
pub(crate) const SKEW_STEPS: u64 = 1;
/// Issuer shown by authenticator apps.
pub(crate) const ISSUER: &str = "peaqOS Gas Station";
/// Length of generated secrets in bytes (160 bits, RFC 4226's recommendation).
pub(crate) const SECRET_LEN: usize = 20;

/// Errors of the pure TOTP helpers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// The secret is not valid base32 (or is empty).
    #[error("secret is not valid base32")]
    BadSecret,
    /// The otpauth URI could not be parsed.
    #[error("invalid otpauth URI: {0}")]
    BadUri(String),
    /// Digits outside 6..=8.
    #[error("unsupported number of digits")]
    BadDigits,
}

fn totp(secret: &[u8], digits: usize, step: u64) -> Result<TOTP, TotpError> {
    if !(6..=8).contains(&digits) {
        return Err(TotpError::BadDigits);
    }
    if secret.is_empty() {
        return Err(TotpError::BadSecret);
    }
    // `new_unchecked`: secrets imported from authenticator URIs may be shorter than 128 bits.
    Ok(TOTP::new_unchecked(
        Algorithm::SHA1,
        digits,
        0,
        step,
        secret.to_vec(),
    ))
}

/// The `digits`-digit SHA-1 TOTP of raw `secret` at Unix time `unix_time` with 30 s steps.
pub(crate) fn code_at(secret: &[u8], digits: usize, unix_time: u64) -> Result<String, TotpError> {
    Ok(totp(secret, digits, STEP_SECS)?.generate(unix_time))
}

/// The 6-digit code of a base32 secret at `unix_time` (what an authenticator app shows).
///
/// Returns an empty string when the secret is not base32.
pub fn totp_now(secret_base32: &str, unix_time: u64) -> String {
    decode_secret(secret_base32)
        .and_then(|s| code_at(&s, DIGITS, unix_time))
        .unwrap_or_default()
}

/// Decodes a base32 secret (RFC 4648, padding and case insensitive, spaces ignored).
pub(crate) fn decode_secret(secret_base32: &str) -> Result<Vec<u8>, TotpError> {
    let clean: String = secret_base32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if clean.is_empty() {
        return Err(TotpError::BadSecret);
    }
    Secret::Encoded(clean)
        .to_bytes()
        .map_err(|_| TotpError::BadSecret)
}

/// Base32 (RFC 4648, no padding) of raw secret bytes.
pub(crate) fn encode_secret(secret: &[u8]) -> String {
    match Secret::Raw(secret.to_vec()).to_encoded() {
        Secret::Encoded(s) => s.trim_end_matches('=').to_owned(),
        Secret::Raw(_) => String::new(),
    }
}

/// A fresh random secret of [`SECRET_LEN`] bytes from the OS RNG.
pub(crate) fn generate_secret() -> Vec<u8> {
    use aes_gcm::aead::OsRng;
    use aes_gcm::aead::rand_core::RngCore;
    let mut s = vec![0u8; SECRET_LEN];
    OsRng.fill_bytes(&mut s);
    s
}

/// Percent-encodes everything outside RFC 3986's unreserved set.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unpct(s: &str) -> Result<String, TotpError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let h = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| TotpError::BadUri("bad percent escape".into()))?;
                out.push(h);
                i += 3;
            }
            b'%' => return Err(TotpError::BadUri("bad percent escape".into())),
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| TotpError::BadUri("not UTF-8".into()))
}

/// The `otpauth://totp/...` URI for `account` (the owner address) and a base32 secret.
pub(crate) fn otpauth_uri(secret_base32: &str, account: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        pct(ISSUER),
        pct(account),
        secret_base32,
        pct(ISSUER)
    )
}

/// Parsed parameters of an otpauth URI.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct OtpAuth {
    /// Raw secret bytes.
    pub secret: Vec<u8>,
    /// Code length.
    pub digits: usize,
    /// Step in seconds.
    pub period: u64,
    /// Label (issuer:account), percent-decoded.
    pub label: String,
}

impl std::fmt::Debug for OtpAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtpAuth")
            .field("secret", &"<redacted>")
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("label", &self.label)
            .finish()
    }
}

/// Parses an `otpauth://totp/LABEL?secret=...&digits=..&period=..&algorithm=SHA1` URI.
pub(crate) fn parse_otpauth_uri(uri: &str) -> Result<OtpAuth, TotpError> {
    let rest = uri
        .strip_prefix("otpauth://totp/")
        .ok_or_else(|| TotpError::BadUri("expected otpauth://totp/".into()))?;
    let (label, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut secret = None;
    let mut digits = DIGITS;
    let mut period = STEP_SECS;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = unpct(v)?;
        match k.to_ascii_lowercase().as_str() {
            "secret" => secret = Some(decode_secret(&v)?),
            "digits" => {
                digits = v
                    .parse()
                    .map_err(|_| TotpError::BadUri("bad digits".into()))?
            }
            "period" => {
                period = v
                    .parse()
                    .map_err(|_| TotpError::BadUri("bad period".into()))?;
                if period == 0 {
                    return Err(TotpError::BadUri("period 0".into()));
                }
            }
            "algorithm" if !v.eq_ignore_ascii_case("SHA1") => {
                return Err(TotpError::BadUri("only SHA1 is supported".into()));
            }
            _ => {}
        }
    }
    let secret = secret.ok_or_else(|| TotpError::BadUri("missing secret".into()))?;
    if !(6..=8).contains(&digits) {
        return Err(TotpError::BadDigits);
    }
    Ok(OtpAuth {
        secret,
        digits,
        period,
        label: unpct(label)?,
    })
}

/// The code an authenticator app shows at `now` for the otpauth URI (for the demo and tests).
pub fn current_code_for(otpauth_uri: &str, now: u64) -> Result<String, TotpError> {
    let p = parse_otpauth_uri(otpauth_uri)?;
    Ok(totp(&p.secret, p.digits, p.period)?.generate(now))
}

/// The time step (`now / 30`) whose code equals `code`, searching `now`'s step and
/// [`SKEW_STEPS`] on either side (newest first). Comparison is constant-time per step.
pub(crate) fn matching_step(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, DIGITS, STEP_SECS).ok()?;
    let current = now / STEP_SECS;
    let mut found = None;
    for step in (current.saturating_sub(SKEW_STEPS)..=current + SKEW_STEPS).rev() {
        let expect = t.generate(step * STEP_SECS);
        if constant_eq(expect.as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_sha1_vectors_8_digits() {
        for (t, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(RFC_SECRET, 8, t).unwrap(), code, "t={t}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_low_digits() {
        // RFC 4226 truncation: the 6-digit code is the 8-digit one modulo 10^6.
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
        ] {
            assert_eq!(code_at(RFC_SECRET, 6, t).unwrap(), code);
            let b32 = encode_secret(RFC_SECRET);
            assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
            assert_eq!(totp_now(&b32, t), code);
        }
        assert_eq!(totp_now("not base32!", 59), "");
        assert_eq!(code_at(RFC_SECRET, 5, 59), Err(TotpError::BadDigits));
    }

    #[test]
    fn skew_window_and_step_reporting() {
        let now = 1_700_000_015;
        let step = now / 30;
        for delta in [-1i64, 0, 1] {
            let t = ((step as i64 + delta) * 30) as u64;
            let code = code_at(RFC_SECRET, 6, t).unwrap();
            assert_eq!(
                matching_step(RFC_SECRET, &code, now),
                Some((step as i64 + delta) as u64)
            );
        }
        for delta in [-3i64, -2, 2, 3] {
            let t = ((step as i64 + delta) * 30) as u64;
            let code = code_at(RFC_SECRET, 6, t).unwrap();
            // A code two steps away only matches if it collides with a window code.
            let m = matching_step(RFC_SECRET, &code, now);
            if let Some(s) = m {
                assert!(s.abs_diff(step) <= 1);
            }
        }
        assert_eq!(matching_step(RFC_SECRET, "12345", now), None);
        assert_eq!(matching_step(RFC_SECRET, "abcdef", now), None);
        assert_eq!(matching_step(RFC_SECRET, "1234567", now), None);
    }

    #[test]
    fn otpauth_uri_round_trip() {
        let secret = generate_secret();
        assert_eq!(secret.len(), SECRET_LEN);
        let b32 = encode_secret(&secret);
        let uri = otpauth_uri(&b32, "0xAbC0000000000000000000000000000000000001");
        assert!(
            uri.starts_with("otpauth://totp/peaqOS%20Gas%20Station:0xAbC"),
            "{uri}"
        );
        let p = parse_otpauth_uri(&uri).unwrap();
        assert_eq!(p.secret, secret);
        assert_eq!(p.digits, 6);
        assert_eq!(p.period, 30);
        assert_eq!(
            p.label,
            "peaqOS Gas Station:0xAbC0000000000000000000000000000000000001"
        );
        assert_eq!(
            current_code_for(&uri, 1_700_000_000).unwrap(),
            totp_now(&b32, 1_700_000_000)
        );
        assert!(!format!("{p:?}").contains(&b32));
    }

    #[test]
    fn otpauth_uri_errors() {
        assert!(parse_otpauth_uri("otpauth://hotp/x?secret=GEZDGNBV").is_err());
        assert!(parse_otpauth_uri("otpauth://totp/x?digits=6").is_err());
        assert!(parse_otpauth_uri("otpauth://totp/x?secret=GEZDGNBV&algorithm=SHA256").is_err());
        assert!(parse_otpauth_uri("otpauth://totp/x?secret=GEZDGNBV&digits=9").is_err());
        assert!(parse_otpauth_uri("otpauth://totp/x?secret=GEZDGNBV&period=0").is_err());
        assert!(parse_otpauth_uri("otpauth://totp/x%G1?secret=GEZDGNBV").is_err());
        let p =
            parse_otpauth_uri("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8")
                .unwrap();
        assert_eq!(p.digits, 8);
        assert_eq!(
            current_code_for(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8",
                59
            )
            .unwrap(),
            "94287082"
        );
    }

    proptest::proptest! {
        #[test]
        fn base32_round_trip(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..64)) {
            let b32 = encode_secret(&bytes);
            proptest::prop_assert_eq!(decode_secret(&b32).unwrap(), bytes.clone());
            proptest::prop_assert_eq!(decode_secret(&b32.to_lowercase()).unwrap(), bytes);
        }

        #[test]
        fn codes_are_six_digits(t in 0u64..40_000_000_000) {
            let c = code_at(RFC_SECRET, 6, t).unwrap();
            proptest::prop_assert_eq!(c.len(), 6);
            proptest::prop_assert!(c.bytes().all(|b| b.is_ascii_digit()));
            proptest::prop_assert_eq!(matching_step(RFC_SECRET, &c, t).map(|s| s.abs_diff(t / 30) <= 1), Some(true));
        }
    }
}
