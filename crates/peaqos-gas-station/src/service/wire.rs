//! Wire types of the HTTP API: request bodies and the success envelopes, exactly what peaq's
//! SDK parses (`status` plus, on confirm and fund, the `code` it requires; amounts as decimal wei
//! strings). Error envelopes are built from [`crate::GasStationError`] in [`crate::http`].

use crate::qr::QrFormat;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `code` of a successful `/2fa/confirm`.
pub(crate) const CODE_2FA_ACTIVATED: &str = "2FA_ACTIVATED";
/// `code` of a funding that sent a transfer.
pub(crate) const CODE_SUCCESS: &str = "SUCCESS";
/// `code` of a funding skipped because the target already holds enough.
pub(crate) const CODE_SUFFICIENT_BALANCE: &str = "SUFFICIENT_BALANCE";

/// Body of `POST /2fa/setup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetupRequest {
    /// Owner (0x hex or SS58).
    pub owner_address: String,
    /// QR image format (svg by default).
    #[serde(default)]
    pub format: Option<QrFormat>,
    /// Current code of the confirmed secret: required to rotate an already active 2FA.
    #[serde(default)]
    pub two_factor_code: Option<String>,
}

/// Body of `POST /2fa/confirm`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfirmRequest {
    /// Owner.
    pub owner_address: String,
    /// Code from the authenticator.
    pub two_factor_code: String,
}

/// `chainId` as a JSON number or string (decimal id or alias).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ChainIdValue {
    /// Numeric id.
    Number(u64),
    /// Decimal id or alias.
    Text(String),
}

impl ChainIdValue {
    /// The value as text ("31337", "peaq").
    pub fn as_string(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(s) => s.clone(),
        }
    }
}

/// Body of `POST /faucet/fund`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FundRequest {
    /// Owner whose 2FA authorizes the funding.
    pub owner_address: String,
    /// Wallet to fund (0x hex).
    pub target_wallet_address: String,
    /// Chain id or alias.
    pub chain_id: ChainIdValue,
    /// Current TOTP code.
    pub two_factor_code: String,
    /// Idempotency key (UUID); generated when absent.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// `data` of a successful setup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SetupData {
    /// The owner as sent.
    pub owner_address: String,
    /// `otpauth://totp/...` for manual entry.
    pub otpauth_uri: String,
    /// Where the QR image is served for [`crate::config::TwoFactorSettings::qr_ttl_secs`].
    pub qr_image_url: String,
}

impl SetupData {
    /// `{"status":"success","data":{ownerAddress, otpauthUri, qrImageUrl}}`.
    pub fn envelope(&self) -> Value {
        json!({"status": "success", "data": self})
    }
}

/// `data` of a successful confirmation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmData {
    /// The owner as sent.
    pub owner_address: String,
    /// Always `true`.
    pub two_factor_active: bool,
}

impl ConfirmData {
    /// `{"status":"success","code":"2FA_ACTIVATED","data":{ownerAddress, twoFactorActive}}`.
    pub fn envelope(&self) -> Value {
        json!({"status": "success", "code": CODE_2FA_ACTIVATED, "data": self})
    }
}

/// Result of a funding request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundOutcome {
    /// Transfer mined.
    Success {
        /// Idempotency key.
        request_id: String,
        /// Transaction hash (0x hex).
        tx_hash: String,
        /// Amount sent (decimal wei).
        funded_amount: String,
    },
    /// Target already holds at least `min_gas_balance`.
    Skipped {
        /// Idempotency key.
        request_id: String,
        /// Target balance (decimal wei).
        current_balance: String,
        /// Configured threshold (decimal wei).
        min_gas_balance: String,
    },
}

impl FundOutcome {
    /// The response envelope: `{"status":"success","code":"SUCCESS","data":{requestId, txHash,
    /// fundedAmount}}` or `{"status":"skipped","code":"SUFFICIENT_BALANCE","data":{requestId,
    /// currentBalance, minGasBalance}}`.
    pub fn envelope(&self) -> Value {
        match self {
            Self::Success {
                request_id,
                tx_hash,
                funded_amount,
            } => json!({
                "status": "success",
                "code": CODE_SUCCESS,
                "data": {"requestId": request_id, "txHash": tx_hash, "fundedAmount": funded_amount}
            }),
            Self::Skipped {
                request_id,
                current_balance,
                min_gas_balance,
            } => json!({
                "status": "skipped",
                "code": CODE_SUFFICIENT_BALANCE,
                "data": {
                    "requestId": request_id,
                    "currentBalance": current_balance,
                    "minGasBalance": min_gas_balance
                }
            }),
        }
    }
}

/// The stored result of a transfer that was mined but reverted (never sent to a client as a
/// success; `REQUEST_ALREADY_PROCESSED` shows it as `{status: "failed", ...}`).
pub(crate) fn failed_result(request_id: &str, tx_hash: &str) -> Value {
    json!({"status": "failed", "data": {"requestId": request_id, "txHash": tx_hash}})
}

/// The `data` of `REQUEST_ALREADY_PROCESSED`: the original result flattened,
/// `{"status": "success"|"skipped"|"failed", ...its data}`.
pub(crate) fn already_processed_data(stored: &Value) -> Value {
    let mut d = stored.get("data").cloned().unwrap_or_else(|| json!({}));
    if let Some(obj) = d.as_object_mut() {
        obj.insert(
            "status".into(),
            stored.get("status").cloned().unwrap_or(Value::Null),
        );
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_envelopes_carry_the_codes_peaqs_sdk_requires() {
        let s = FundOutcome::Success {
            request_id: "r".into(),
            tx_hash: "0xab".into(),
            funded_amount: "2000000000000000000".into(),
        }
        .envelope();
        assert_eq!(
            s,
            json!({"status": "success", "code": "SUCCESS", "data": {
                "requestId": "r", "txHash": "0xab", "fundedAmount": "2000000000000000000"}})
        );
        let k = FundOutcome::Skipped {
            request_id: "r".into(),
            current_balance: "5".into(),
            min_gas_balance: "3".into(),
        }
        .envelope();
        assert_eq!(
            k,
            json!({"status": "skipped", "code": "SUFFICIENT_BALANCE", "data": {
                "requestId": "r", "currentBalance": "5", "minGasBalance": "3"}})
        );
        let c = ConfirmData {
            owner_address: "0x1".into(),
            two_factor_active: true,
        }
        .envelope();
        assert_eq!(
            c,
            json!({"status": "success", "code": "2FA_ACTIVATED", "data": {
                "ownerAddress": "0x1", "twoFactorActive": true}})
        );
        let st = SetupData {
            owner_address: "0x1".into(),
            otpauth_uri: "otpauth://totp/x".into(),
            qr_image_url: "http://q".into(),
        }
        .envelope();
        assert_eq!(
            st,
            json!({"status": "success", "data": {
                "ownerAddress": "0x1", "otpauthUri": "otpauth://totp/x", "qrImageUrl": "http://q"}})
        );
        assert_eq!(
            already_processed_data(&k),
            json!({"status": "skipped", "requestId": "r", "currentBalance": "5", "minGasBalance": "3"})
        );
        assert_eq!(
            already_processed_data(&failed_result("r", "0xcd")),
            json!({"status": "failed", "requestId": "r", "txHash": "0xcd"})
        );
    }
}
