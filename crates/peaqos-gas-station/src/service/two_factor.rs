//! 2FA: TOTP enrolment (setup), activation (confirm), code verification with replay and lockout
//! rules, and the short-lived QR images.

use super::wire::{ConfirmData, ConfirmRequest, SetupData, SetupRequest};
use super::{Result, Service, api};
use crate::qr::{self, QrFormat};
use crate::store::{self, Lock, OwnerRow};
use crate::totp;
use peaqos_types::ErrorCode;

/// Renders the QR image of an otpauth URI; a rendering failure is `QR_GENERATION_FAILED`.
fn render_qr(uri: &str, format: QrFormat) -> Result<Vec<u8>> {
    qr::render(uri, format).map_err(|e| {
        api(
            ErrorCode::QrGenerationFailed,
            format!("cannot render the QR image: {e}"),
        )
    })
}

impl Service {
    fn open_secret(&self, owner: &str, sealed: &str) -> Result<Vec<u8>> {
        self.cfg.server_key.open(sealed, owner)
    }

    /// Verifies `code` against one of the owner's secrets, updating replay and lockout state in
    /// `row`. The caller persists `row` whatever the outcome.
    pub(super) fn verify(
        &self,
        owner: &str,
        row: &mut OwnerRow,
        pending: bool,
        code: &str,
        now: u64,
    ) -> Result<()> {
        let sealed = if pending {
            &row.pending_secret
        } else {
            &row.active_secret
        };
        let secret = self.open_secret(owner, sealed.as_deref().unwrap_or_default())?;
        let last = if pending {
            row.pending_last_step
        } else {
            row.active_last_step
        };
        match totp::matching_step(&secret, code.trim(), now) {
            Some(step) if last.is_none_or(|l| (step as i64) > l) => {
                if pending {
                    row.pending_last_step = Some(step as i64);
                } else {
                    row.active_last_step = Some(step as i64);
                }
                row.failed_attempts = 0;
                Ok(())
            }
            found => {
                row.failed_attempts += 1;
                let replay = found.is_some();
                if row.failed_attempts >= i64::from(self.cfg.two_factor.max_failed_attempts) {
                    row.failed_attempts = 0;
                    row.locked_until = (now + self.cfg.two_factor.lockout_secs) as i64;
                    return Err(api(
                        ErrorCode::TwoFaLocked,
                        format!(
                            "too many invalid codes: owner locked for {} s",
                            self.cfg.two_factor.lockout_secs
                        ),
                    ));
                }
                Err(api(
                    ErrorCode::Invalid2fa,
                    if replay {
                        "this code was already used; wait for the next one"
                    } else {
                        "invalid two-factor code"
                    },
                ))
            }
        }
    }

    /// A code as the OpenAPI document states it (`^[0-9]{6}$`), checked before any state: a
    /// malformed code is `INVALID_2FA` without touching the owner's lockout (it cannot be a
    /// guess of the secret), and a locked owner does not turn a malformed request into 423.
    pub(super) fn check_code_shape(code: &str) -> Result<()> {
        if code.len() == totp::DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        Err(api(ErrorCode::Invalid2fa, "twoFactorCode must be 6 digits"))
    }

    pub(super) fn check_locked(&self, row: &OwnerRow, now: u64) -> Result<()> {
        if row.locked_until > now as i64 {
            return Err(api(
                ErrorCode::TwoFaLocked,
                format!(
                    "owner locked for another {} s",
                    row.locked_until - now as i64
                ),
            ));
        }
        Ok(())
    }

    /// `POST /2fa/setup`: enrols (or re-enrols) an owner.
    ///
    /// Before confirmation every setup replaces the pending secret. Once 2FA is active, setup
    /// needs `twoFactorCode` (a current code of the active secret): the new secret stays pending
    /// (the old one keeps working) until it is confirmed; without the code the call is refused
    /// with `2FA_ALREADY_CONFIGURED` (peaq's CLI then skips enrolment and asks for a code).
    pub async fn setup(&self, req: SetupRequest) -> Result<SetupData> {
        let owner = self.owner(&req.owner_address)?;
        if let Some(code) = req.two_factor_code.as_deref() {
            Self::check_code_shape(code)?;
        }
        let key = owner.key();
        let format = req.format.unwrap_or_default();
        let secret = totp::generate_secret();
        let account = req.owner_address.trim().to_owned();
        let uri = totp::otpauth_uri(&totp::encode_secret(&secret), &account);
        let image = render_qr(&uri, format)?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let sealed_secret = self.cfg.server_key.seal(&secret, &key)?;
        let sealed_image = self.cfg.server_key.seal(&image, &token)?;
        let now = self.now();

        let mut tx = self.store.begin_locked(&[Lock::Owner(&key)]).await?;
        let mut row = store::get_owner(&mut tx, &key).await?.unwrap_or(OwnerRow {
            active_secret: None,
            active_last_step: None,
            pending_secret: None,
            pending_last_step: None,
            failed_attempts: 0,
            locked_until: 0,
        });
        self.check_locked(&row, now)?;
        if row.active_secret.is_some() {
            let Some(code) = req.two_factor_code.as_deref() else {
                return Err(api(
                    ErrorCode::TwoFaAlreadyConfigured,
                    "2FA is already active for this owner: send twoFactorCode (a current code) to \
                     replace the secret",
                ));
            };
            if let Err(e) = self.verify(&key, &mut row, false, code, now) {
                store::put_owner(&mut tx, &key, &row, now as i64).await?;
                tx.commit().await?;
                return Err(e);
            }
        }
        row.pending_secret = Some(sealed_secret);
        row.pending_last_step = None;
        store::put_owner(&mut tx, &key, &row, now as i64).await?;
        let expires = (now + self.cfg.two_factor.qr_ttl_secs) as i64;
        store::put_qr(
            &mut tx,
            &token,
            &key,
            format.as_str(),
            &sealed_image,
            expires,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(owner = %key, "2FA setup");
        Ok(SetupData {
            owner_address: account,
            otpauth_uri: uri,
            qr_image_url: format!("{}/2fa/qr/{token}.{}", self.base_url, format.as_str()),
        })
    }

    /// `POST /2fa/confirm`: activates the pending secret with one of its codes.
    pub async fn confirm(&self, req: ConfirmRequest) -> Result<ConfirmData> {
        let owner = self.owner(&req.owner_address)?;
        Self::check_code_shape(&req.two_factor_code)?;
        let key = owner.key();
        let now = self.now();
        let mut tx = self.store.begin_locked(&[Lock::Owner(&key)]).await?;
        let Some(mut row) = store::get_owner(&mut tx, &key).await? else {
            return Err(api(
                ErrorCode::TwoFaNotConfigured,
                "2FA is not set up for this owner",
            ));
        };
        self.check_locked(&row, now)?;
        let pending = row.pending_secret.is_some();
        let verdict = self.verify(&key, &mut row, pending, &req.two_factor_code, now);
        if verdict.is_ok() && pending {
            row.active_secret = row.pending_secret.take();
            // The code that activated the secret counts as unused for the active secret: it may
            // be spent once more in its time step. peaq's CLI funds with the code it has just
            // confirmed (one prompt for both calls); a code is still never accepted twice by the
            // active secret, and never after its step.
            row.active_last_step = row.pending_last_step.take().map(|step| step - 1);
        }
        store::put_owner(&mut tx, &key, &row, now as i64).await?;
        tx.commit().await?;
        verdict?;
        tracing::info!(owner = %key, "2FA confirmed");
        Ok(ConfirmData {
            owner_address: req.owner_address.trim().to_owned(),
            two_factor_active: true,
        })
    }

    /// `GET /2fa/qr/{token}.{svg|png}`: the QR image while it is fresh.
    pub async fn qr_image(&self, file: &str) -> Result<(QrFormat, Vec<u8>)> {
        let not_found = || api(ErrorCode::QrNotFound, "unknown QR image");
        let (token, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
        let want = QrFormat::parse(ext).ok_or_else(not_found)?;
        if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let (format, sealed, expires_at) = store::get_qr(self.store.pool(), token)
            .await?
            .ok_or_else(not_found)?;
        if format != want.as_str() {
            return Err(not_found());
        }
        if self.now() as i64 >= expires_at {
            return Err(api(
                ErrorCode::QrExpired,
                "the QR image expired: run setup again",
            ));
        }
        let image = self.cfg.server_key.open(&sealed, token)?;
        Ok((want, image))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_that_cannot_be_rendered_is_qr_generation_failed() {
        let e = render_qr(&"x".repeat(5000), QrFormat::Png).unwrap_err();
        assert_eq!(e.code(), ErrorCode::QrGenerationFailed);
        assert_eq!(e.status().as_u16(), 500);
        assert!(render_qr("otpauth://totp/x?secret=GEZDGNBV", QrFormat::Svg).is_ok());
    }
}
