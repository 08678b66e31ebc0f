//! Gas Station client: 2FA setup and confirmation, and funding a machine wallet.
//!
//! Wire format, checked as strictly as peaq's SDK checks it:
//! * setup: 2xx `{"status":"success","data":{ownerAddress, otpauthUri, qrImageUrl}}` (strings);
//! * confirm: 2xx `{"status":"success","code":"2FA_ACTIVATED",...}`;
//! * fund: 2xx `{"status":"success","code":"SUCCESS","data":{txHash, fundedAmount}}` or
//!   `{"status":"skipped","code":"SUFFICIENT_BALANCE","data":{currentBalance, minGasBalance}}`
//!   (decimal wei strings; `requestId` in `data` when the server echoes it);
//! * errors: any non-2xx answer whose JSON body has a `code` string
//!   (`{"status":"error","code":"<CODE>","message":"..."}`): every documented faucet code
//!   surfaces as [`PeaqosError::Api`]'s `code` with the server's message.
//!
//! A non-JSON body is `INVALID_RESPONSE`; any other shape (a success without its `code`, an error
//! envelope on a 2xx, an error without a code or with an unknown one) `UNEXPECTED_RESPONSE`; a
//! transport failure `NETWORK_ERROR`.

use std::fmt;
use std::time::Duration;

use alloy::primitives::{B256, U256};
use peaqos_types::ErrorCode;
use peaqos_types::error::ErrorCategory;
use serde_json::{Value, json};

use crate::client::PeaqosClient;
use crate::config::{DEFAULT_HTTP_TIMEOUT, REDACTED, validate_http_url};
use crate::error::{PeaqosError, Result};

/// QR image format of the 2FA setup (the Gas Station's own type, from `peaqos-types`).
pub use peaqos_types::QrFormat;

/// Result of the 2FA setup (the SDKs' `FaucetSetupResponse`). `otpauth_uri` holds the TOTP
/// secret: `Debug` redacts it.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct FaucetSetupResponse {
    /// The enrolled owner.
    pub owner_address: String,
    /// `otpauth://totp/...` URI for authenticator apps (contains the secret).
    pub otpauth_uri: String,
    /// QR image URL, valid for about 2 minutes.
    pub qr_image_url: String,
}

impl fmt::Debug for FaucetSetupResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaucetSetupResponse")
            .field("owner_address", &self.owner_address)
            .field("otpauth_uri", &REDACTED)
            .field("qr_image_url", &self.qr_image_url)
            .finish()
    }
}

/// Input of [`PeaqosClient::fund_from_gas_station`] (the SDKs' `FundFromGasStationParams`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FundParams {
    /// 2FA-enrolled owner (hex or SS58).
    pub owner_address: String,
    /// Machine wallet to fund.
    pub target_wallet_address: String,
    /// Faucet chain identifier, e.g. `"peaq"`.
    pub chain_id: String,
    /// Current TOTP code.
    pub two_factor_code: String,
    /// Idempotency key (UUID); generated when `None`.
    pub request_id: Option<String>,
}

/// Result of a funding request (the SDKs' `FaucetFundResponse`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum FundResult {
    /// The transfer landed.
    Success {
        /// Idempotency key (echoed by the server, else the one sent).
        request_id: String,
        /// Funding transaction hash.
        tx_hash: B256,
        /// Amount sent, in wei.
        funded_amount: U256,
    },
    /// The wallet already had enough gas; nothing was sent.
    Skipped {
        /// Idempotency key.
        request_id: String,
        /// Target's balance, in wei.
        current_balance: U256,
        /// The faucet's threshold, in wei.
        min_gas_balance: U256,
    },
}

impl FundResult {
    /// The idempotency key of the request.
    pub fn request_id(&self) -> &str {
        match self {
            FundResult::Success { request_id, .. } | FundResult::Skipped { request_id, .. } => {
                request_id
            }
        }
    }
}

fn non_empty(field: &str, display: &str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return Err(PeaqosError::validation(
            field,
            "non_empty",
            format!("{display} must not be empty"),
        ));
    }
    Ok(())
}

fn unexpected(status: u16, why: impl fmt::Display) -> PeaqosError {
    PeaqosError::api(
        ErrorCode::UnexpectedResponse,
        Some(status),
        format!("unexpected Gas Station response: {why}"),
    )
}

/// `code` of a successful confirmation.
pub(crate) const CODE_2FA_ACTIVATED: &str = "2FA_ACTIVATED";
/// `code` of a funding that sent a transfer.
pub(crate) const CODE_SUCCESS: &str = "SUCCESS";
/// `code` of a funding skipped because the wallet already holds enough.
pub(crate) const CODE_SUFFICIENT_BALANCE: &str = "SUFFICIENT_BALANCE";

/// The Gas Station endpoint that answered: each has its own success envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `POST /2fa/setup`.
    Setup,
    /// `POST /2fa/confirm`.
    Confirm,
    /// `POST /faucet/fund`.
    Fund,
}

/// The documented error of a non-2xx answer: its `code` (a faucet code) and `message`.
fn error_of(status: u16, v: &Value) -> PeaqosError {
    let Some(code_s) = v.get("code").and_then(Value::as_str) else {
        return unexpected(status, format!("HTTP {status} without an error code"));
    };
    let message = v
        .get("message")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .unwrap_or(code_s)
        .to_string();
    match code_s.parse::<ErrorCode>() {
        Ok(code) if code.category() == ErrorCategory::Faucet => {
            PeaqosError::api(code, Some(status), message)
        }
        _ => unexpected(
            status,
            format!("unknown error code {code_s:?} (HTTP {status}): {message}"),
        ),
    }
}

/// Maps an HTTP response (status, body) of `endpoint` to its success envelope's `status` and
/// `data` (`Null` when a confirmation has none), or to the documented error.
pub(crate) fn parse_envelope(
    status: u16,
    body: &[u8],
    endpoint: Endpoint,
) -> Result<(String, Value)> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        PeaqosError::api(
            ErrorCode::InvalidResponse,
            Some(status),
            format!("Gas Station returned a non-JSON body (HTTP {status})"),
        )
    })?;
    if !(200..300).contains(&status) {
        return Err(error_of(status, &v));
    }
    let Some(obj) = v.as_object() else {
        return Err(unexpected(status, "not a JSON object"));
    };
    let st = obj.get("status").and_then(Value::as_str);
    let code = obj.get("code").and_then(Value::as_str);
    let data = obj.get("data").cloned();
    let data_object = |data: Option<Value>| match data {
        Some(d @ Value::Object(_)) => Ok(d),
        _ => Err(unexpected(status, "data missing or not an object")),
    };
    match (endpoint, st, code) {
        (Endpoint::Setup, Some("success"), _) => Ok(("success".into(), data_object(data)?)),
        (Endpoint::Confirm, Some("success"), Some(CODE_2FA_ACTIVATED)) => {
            Ok(("success".into(), data.unwrap_or(Value::Null)))
        }
        (Endpoint::Fund, Some(s @ "success"), Some(CODE_SUCCESS))
        | (Endpoint::Fund, Some(s @ "skipped"), Some(CODE_SUFFICIENT_BALANCE)) => {
            Ok((s.to_string(), data_object(data)?))
        }
        _ => Err(unexpected(
            status,
            format!(
                "{endpoint:?} answered HTTP {status} with status {} and code {}",
                st.unwrap_or("<missing>"),
                code.unwrap_or("<missing>")
            ),
        )),
    }
}

fn field<'a>(data: &'a Value, status: u16, name: &str) -> Result<&'a str> {
    data.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| unexpected(status, format!("data.{name} missing or not a string")))
}

fn wei(data: &Value, status: u16, name: &str) -> Result<U256> {
    let s = field(data, status, name)?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unexpected(
            status,
            format!("data.{name} is not a decimal wei string"),
        ));
    }
    U256::from_str_radix(s, 10).map_err(|_| unexpected(status, format!("data.{name} out of range")))
}

/// A Gas Station client for one base URL.
#[derive(Debug, Clone)]
pub struct GasStationClient {
    http: reqwest::Client,
    base_url: String,
}

impl GasStationClient {
    /// A client for `base_url` (30 s timeout).
    pub fn new(base_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_HTTP_TIMEOUT)
            .build()
            .map_err(|e| PeaqosError::api(ErrorCode::NetworkError, None, e.to_string()))?;
        Self::from_parts(http, base_url)
    }

    pub(crate) fn from_parts(http: reqwest::Client, base_url: &str) -> Result<Self> {
        if base_url.trim().is_empty() {
            return Err(PeaqosError::validation(
                "faucet_base_url",
                "non_empty",
                "faucetBaseUrl must not be empty",
            ));
        }
        validate_http_url("faucet_base_url", "faucetBaseUrl", base_url)?;
        Ok(Self {
            http,
            base_url: base_url.trim().trim_end_matches('/').to_string(),
        })
    }

    /// The same client with a different timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self> {
        self.http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| PeaqosError::api(ErrorCode::NetworkError, None, e.to_string()))?;
        Ok(self)
    }

    async fn post(
        &self,
        path: &str,
        body: Value,
        endpoint: Endpoint,
    ) -> Result<(String, Value, u16)> {
        let url = format!("{}{path}", self.base_url);
        let resp = self.http.post(&url).json(&body).send().await.map_err(|e| {
            PeaqosError::api(ErrorCode::NetworkError, None, format!("POST {url}: {e}"))
        })?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| {
            PeaqosError::api(
                ErrorCode::NetworkError,
                Some(status),
                format!("POST {url}: {e}"),
            )
        })?;
        let (st, data) = parse_envelope(status, &bytes, endpoint)?;
        Ok((st, data, status))
    }

    /// `POST /2fa/setup {ownerAddress, format}`.
    pub async fn setup_faucet_2fa(
        &self,
        owner_address: &str,
        qr_format: QrFormat,
    ) -> Result<FaucetSetupResponse> {
        non_empty("owner_address", "ownerAddress", owner_address)?;
        let (_, data, status) = self
            .post(
                "/2fa/setup",
                json!({"ownerAddress": owner_address, "format": qr_format.as_str()}),
                Endpoint::Setup,
            )
            .await?;
        Ok(FaucetSetupResponse {
            owner_address: field(&data, status, "ownerAddress")?.to_string(),
            otpauth_uri: field(&data, status, "otpauthUri")?.to_string(),
            qr_image_url: field(&data, status, "qrImageUrl")?.to_string(),
        })
    }

    /// `POST /2fa/confirm {ownerAddress, twoFactorCode}`.
    pub async fn confirm_faucet_2fa(
        &self,
        owner_address: &str,
        two_factor_code: &str,
    ) -> Result<()> {
        non_empty("owner_address", "ownerAddress", owner_address)?;
        non_empty("two_factor_code", "twoFactorCode", two_factor_code)?;
        self.post(
            "/2fa/confirm",
            json!({"ownerAddress": owner_address, "twoFactorCode": two_factor_code}),
            Endpoint::Confirm,
        )
        .await?;
        Ok(())
    }

    /// `POST /faucet/fund {ownerAddress, targetWalletAddress, chainId, twoFactorCode, requestId}`.
    ///
    /// `request_id` must be a UUID (`INVALID_REQUEST_ID` otherwise, before any request); a v4
    /// UUID is generated when `None`.
    pub async fn fund_from_gas_station(&self, params: &FundParams) -> Result<FundResult> {
        non_empty("owner_address", "ownerAddress", &params.owner_address)?;
        non_empty(
            "target_wallet_address",
            "targetWalletAddress",
            &params.target_wallet_address,
        )?;
        non_empty("chain_id", "chainId", &params.chain_id)?;
        non_empty("two_factor_code", "twoFactorCode", &params.two_factor_code)?;
        let request_id = match &params.request_id {
            Some(r) => uuid::Uuid::parse_str(r)
                .map_err(|_| {
                    PeaqosError::api(
                        ErrorCode::InvalidRequestId,
                        None,
                        "requestId must be a UUID",
                    )
                })?
                .hyphenated()
                .to_string(),
            None => uuid::Uuid::new_v4().hyphenated().to_string(),
        };
        let body = json!({
            "ownerAddress": params.owner_address,
            "targetWalletAddress": params.target_wallet_address,
            "chainId": params.chain_id,
            "twoFactorCode": params.two_factor_code,
            "requestId": request_id,
        });
        let (st, data, status) = self.post("/faucet/fund", body, Endpoint::Fund).await?;
        let echoed = data
            .get("requestId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or(request_id);
        if st == "success" {
            let tx = field(&data, status, "txHash")?;
            let tx_hash = tx
                .parse::<B256>()
                .map_err(|_| unexpected(status, "data.txHash is not a 32-byte hex hash"))?;
            Ok(FundResult::Success {
                request_id: echoed,
                tx_hash,
                funded_amount: wei(&data, status, "fundedAmount")?,
            })
        } else {
            Ok(FundResult::Skipped {
                request_id: echoed,
                current_balance: wei(&data, status, "currentBalance")?,
                min_gas_balance: wei(&data, status, "minGasBalance")?,
            })
        }
    }
}

impl PeaqosClient {
    fn gas_station(&self, faucet_base_url: &str) -> Result<GasStationClient> {
        GasStationClient::from_parts(self.inner.http.clone(), faucet_base_url)
    }

    /// Enrols `owner_address` in the Gas Station's 2FA (the SDKs' `setup_faucet_2fa`).
    pub async fn setup_faucet_2fa(
        &self,
        owner_address: &str,
        faucet_base_url: &str,
        qr_format: QrFormat,
    ) -> Result<FaucetSetupResponse> {
        self.gas_station(faucet_base_url)?
            .setup_faucet_2fa(owner_address, qr_format)
            .await
    }

    /// Confirms the 2FA enrolment with a TOTP code (the SDKs' `confirm_faucet_2fa`).
    pub async fn confirm_faucet_2fa(
        &self,
        owner_address: &str,
        faucet_base_url: &str,
        two_factor_code: &str,
    ) -> Result<()> {
        self.gas_station(faucet_base_url)?
            .confirm_faucet_2fa(owner_address, two_factor_code)
            .await
    }

    /// Funds a machine wallet (the SDKs' `fund_from_gas_station`).
    pub async fn fund_from_gas_station(
        &self,
        params: &FundParams,
        faucet_base_url: &str,
    ) -> Result<FundResult> {
        self.gas_station(faucet_base_url)?
            .fund_from_gas_station(params)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(r: Result<(String, Value)>) -> Option<ErrorCode> {
        r.unwrap_err().code()
    }

    #[test]
    fn envelopes() {
        use Endpoint::{Confirm, Fund, Setup};
        let (s, d) = parse_envelope(200, br#"{"status":"success","data":{"a":1}}"#, Setup).unwrap();
        assert_eq!((s.as_str(), d["a"].as_u64()), ("success", Some(1)));
        let e = parse_envelope(200, b"<html>", Setup).unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::InvalidResponse));
        let e = parse_envelope(502, b"<html>", Fund).unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::InvalidResponse));
        for (body, endpoint) in [
            (&br#"{"status":"skipped","data":{}}"#[..], Setup),
            (br#"{"status":"success"}"#, Setup),
            (br#"{"status":"success","data":[1]}"#, Setup),
            (br#"[1]"#, Setup),
            // peaq's SDK requires the success codes.
            (br#"{"status":"success","data":{}}"#, Confirm),
            (
                br#"{"status":"success","code":"SUCCESS","data":{}}"#,
                Confirm,
            ),
            (br#"{"status":"success","data":{"txHash":"0x1"}}"#, Fund),
            (
                br#"{"status":"success","code":"SUFFICIENT_BALANCE","data":{}}"#,
                Fund,
            ),
            (br#"{"status":"skipped","code":"SUCCESS","data":{}}"#, Fund),
            (br#"{"status":"skipped","data":{}}"#, Fund),
            (br#"{"status":"success","code":"SUCCESS","data":"x"}"#, Fund),
            (br#"{"status":"success","code":"SUCCESS"}"#, Fund),
            // An error envelope on a 2xx is not an answer peaq's SDK accepts either.
            (
                br#"{"status":"error","code":"INVALID_2FA","message":"x"}"#,
                Fund,
            ),
        ] {
            assert_eq!(
                code_of(parse_envelope(200, body, endpoint)),
                Some(ErrorCode::UnexpectedResponse),
                "{endpoint:?} {}",
                String::from_utf8_lossy(body)
            );
        }
        let (s, d) = parse_envelope(
            200,
            br#"{"status":"success","code":"2FA_ACTIVATED"}"#,
            Confirm,
        )
        .unwrap();
        assert_eq!((s.as_str(), d), ("success", Value::Null));
        let (s, _) = parse_envelope(
            200,
            br#"{"status":"skipped","code":"SUFFICIENT_BALANCE","data":{}}"#,
            Fund,
        )
        .unwrap();
        assert_eq!(s, "skipped");

        // Non-2xx: the code decides, whatever the status field says.
        for (status, body) in [
            (500, &br#"{"status":"success","data":{}}"#[..]),
            (400, br#"{"status":"error","code":"NOPE","message":"x"}"#),
            (
                400,
                br#"{"status":"error","code":"NOT_FOUND","message":"x"}"#,
            ),
            (400, br#"{"status":"error","code":7,"message":"x"}"#),
            (400, br#"[1]"#),
        ] {
            assert_eq!(
                code_of(parse_envelope(status, body, Fund)),
                Some(ErrorCode::UnexpectedResponse),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let e = parse_envelope(
            401,
            br#"{"status":"error","code":"INVALID_2FA","message":"bad code"}"#,
            Fund,
        )
        .unwrap_err();
        assert_eq!(
            e,
            PeaqosError::api(ErrorCode::Invalid2fa, Some(401), "bad code")
        );
        let e = parse_envelope(429, br#"{"code":"RATE_LIMITED"}"#, Setup).unwrap_err();
        assert_eq!(
            e,
            PeaqosError::api(ErrorCode::RateLimited, Some(429), "RATE_LIMITED")
        );
    }

    #[test]
    fn setup_debug_redacts_the_otpauth_secret() {
        let r = FaucetSetupResponse {
            owner_address: "0x1".into(),
            otpauth_uri: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".into(),
            qr_image_url: "https://q".into(),
        };
        let s = format!("{r:?}");
        assert!(!s.contains("JBSWY3DPEHPK3PXP"));
        assert!(s.contains(REDACTED));
    }

    #[test]
    fn qr_format_parse() {
        assert_eq!("png".parse::<QrFormat>().unwrap(), QrFormat::Png);
        assert_eq!(
            "gif".parse::<QrFormat>().unwrap_err().message,
            "qrFormat must be svg or png"
        );
    }
}
