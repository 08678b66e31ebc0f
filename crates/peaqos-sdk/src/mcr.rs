//! MCR API client: `query_mcr`, `query_machine`, `query_operator_machines` (and a helper that
//! walks every page), with the documented error codes. The answers deserialize into the MCR
//! server's own wire types ([`peaqos_types::mcr_wire`]): a body that does not fit is
//! `BAD_RESPONSE`.

use std::time::Duration;

use peaqos_types::{Did, ErrorCode};
use serde::de::DeserializeOwned;

use crate::client::PeaqosClient;
use crate::config::{DEFAULT_HTTP_TIMEOUT, validate_http_url};
use crate::error::{PeaqosError, Result};

/// The response documents: the very structs the MCR server serializes
/// ([`peaqos_types::mcr_wire`]), read as leniently as peaq's SDK guards read them.
pub use peaqos_types::mcr_wire::{
    EventEntry, ExplainResponse, JsonUint, MachineProfile, McrResponse, OperatorMachine,
    OperatorMachinesResponse, Pagination, PeaqosData,
};

/// Default MCR HTTP timeout in milliseconds (the JS SDK's `DEFAULT_MCR_HTTP_TIMEOUT_MS`).
pub const DEFAULT_MCR_HTTP_TIMEOUT_MS: u64 = 30_000;

/// Page size used by [`McrClient::query_all_operator_machines`]: the API's maximum (`limit <= 20`).
pub const OPERATOR_PAGE_LIMIT: u64 = 20;

/// Validates a DID argument (`did:peaq:0x` + 40 hex).
pub fn validate_did(did: &str) -> Result<Did> {
    did.parse::<Did>()
        .map_err(|e| PeaqosError::Validation(e.into()))
}

/// The documented code for a non-2xx status.
pub fn code_for_status(status: u16) -> ErrorCode {
    match status {
        404 => ErrorCode::NotFound,
        503 => ErrorCode::ServiceUnavailable,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::HttpError,
    }
}

/// A transport error's code: `TIMEOUT` or `NETWORK_ERROR`.
pub(crate) fn transport_code(e: &reqwest::Error) -> ErrorCode {
    if e.is_timeout() {
        ErrorCode::Timeout
    } else {
        ErrorCode::NetworkError
    }
}

/// An MCR API client (no chain access needed).
#[derive(Debug, Clone)]
pub struct McrClient {
    http: reqwest::Client,
    api_url: String,
    timeout: Duration,
}

impl McrClient {
    /// A client for `api_url` with the default 30 s timeout.
    pub fn new(api_url: &str) -> Result<Self> {
        validate_http_url("api_url", "api_url", api_url)?;
        Ok(Self {
            http: reqwest::Client::new(),
            api_url: api_url.trim().trim_end_matches('/').to_string(),
            timeout: DEFAULT_HTTP_TIMEOUT,
        })
    }

    pub(crate) fn from_parts(http: reqwest::Client, api_url: &str, timeout: Duration) -> Self {
        Self {
            http,
            api_url: api_url.trim().trim_end_matches('/').to_string(),
            timeout,
        }
    }

    /// The same client with another per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The base URL.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, u64)]) -> Result<T> {
        let query: Vec<(&str, String)> = query.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self.get_query(path, &query).await
    }

    async fn get_query<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let mut url = format!("{}{path}", self.api_url);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            // Dates and numbers need no escaping; anything else is percent-encoded.
            for b in v.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
                    url.push(char::from(b));
                } else {
                    url.push_str(&format!("%{b:02X}"));
                }
            }
        }
        let req = self.http.get(&url).timeout(self.timeout);
        let resp = req.send().await.map_err(|e| {
            let code = transport_code(&e);
            PeaqosError::api(
                code,
                None,
                format!(
                    "GET {url}: {}",
                    if code == ErrorCode::Timeout {
                        format!("timed out after {:?}", self.timeout)
                    } else {
                        e.to_string()
                    }
                ),
            )
        })?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| {
            PeaqosError::api(transport_code(&e), Some(status), format!("GET {url}: {e}"))
        })?;
        if !(200..300).contains(&status) {
            let detail = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("detail")
                        .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_string))
                })
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
                });
            return Err(PeaqosError::api(
                code_for_status(status),
                Some(status),
                format!("MCR API returned {status}: {detail}"),
            ));
        }
        serde_json::from_slice::<T>(&body).map_err(|e| {
            PeaqosError::api(
                ErrorCode::BadResponse,
                Some(status),
                format!("unexpected MCR API response from {url}: {e}"),
            )
        })
    }

    /// `GET /mcr/{did}`.
    pub async fn query_mcr(&self, did: &str) -> Result<McrResponse> {
        validate_did(did)?;
        self.get(&format!("/mcr/{did}"), &[]).await
    }

    /// `GET /machine/{did}`.
    pub async fn query_machine(&self, did: &str) -> Result<MachineProfile> {
        validate_did(did)?;
        self.get(&format!("/machine/{did}"), &[]).await
    }

    /// `GET /mcr/{did}/explain`: every term of the scoring model for the machine.
    pub async fn explain_mcr(&self, did: &str) -> Result<ExplainResponse> {
        validate_did(did)?;
        self.get(&format!("/mcr/{did}/explain"), &[]).await
    }

    /// `GET /mcr/{did}/history?from&to`: the machine's daily score, rating and trend, as the
    /// MCR service's JSON document (`from` / `to` are passed as given, e.g. `2026-01-31`).
    pub async fn query_mcr_history(
        &self,
        did: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<serde_json::Value> {
        validate_did(did)?;
        let mut q = Vec::new();
        if let Some(f) = from {
            q.push(("from", f.to_string()));
        }
        if let Some(t) = to {
            q.push(("to", t.to_string()));
        }
        self.get_query(&format!("/mcr/{did}/history"), &q).await
    }

    /// `GET /operator/{did}/machines` with optional `offset` / `limit`.
    pub async fn query_operator_machines(
        &self,
        did: &str,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> Result<OperatorMachinesResponse> {
        validate_did(did)?;
        let mut q = Vec::new();
        if let Some(o) = offset {
            q.push(("offset", o));
        }
        if let Some(l) = limit {
            q.push(("limit", l));
        }
        self.get(&format!("/operator/{did}/machines"), &q).await
    }

    /// Every machine of an operator, walking the pages until `pagination.total`.
    pub async fn query_all_operator_machines(&self, did: &str) -> Result<Vec<OperatorMachine>> {
        let mut all = Vec::new();
        let mut offset = 0u64;
        loop {
            let page = self
                .query_operator_machines(did, Some(offset), Some(OPERATOR_PAGE_LIMIT))
                .await?;
            let n = page.machines.len() as u64;
            all.extend(page.machines);
            offset += n;
            if n == 0 || offset >= page.pagination.total {
                return Ok(all);
            }
        }
    }
}

impl PeaqosClient {
    /// An MCR API client for this client's `api_url` and HTTP timeout.
    pub fn mcr(&self) -> McrClient {
        McrClient::from_parts(
            self.inner.http.clone(),
            self.api_url(),
            self.inner.config.http_timeout,
        )
    }

    /// `GET /mcr/{did}` on the configured MCR API.
    pub async fn query_mcr(&self, did: &str) -> Result<McrResponse> {
        self.mcr().query_mcr(did).await
    }

    /// `GET /machine/{did}` on the configured MCR API.
    pub async fn query_machine(&self, did: &str) -> Result<MachineProfile> {
        self.mcr().query_machine(did).await
    }

    /// `GET /operator/{did}/machines` on the configured MCR API.
    pub async fn query_operator_machines(
        &self,
        did: &str,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> Result<OperatorMachinesResponse> {
        self.mcr().query_operator_machines(did, offset, limit).await
    }

    /// Every machine of an operator (all pages).
    pub async fn query_all_operator_machines(&self, did: &str) -> Result<Vec<OperatorMachine>> {
        self.mcr().query_all_operator_machines(did).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peaqos_types::Rating;

    #[test]
    fn status_codes() {
        assert_eq!(code_for_status(404), ErrorCode::NotFound);
        assert_eq!(code_for_status(503), ErrorCode::ServiceUnavailable);
        assert_eq!(code_for_status(500), ErrorCode::ServerError);
        assert_eq!(code_for_status(502), ErrorCode::ServerError);
        assert_eq!(code_for_status(400), ErrorCode::HttpError);
        assert_eq!(code_for_status(429), ErrorCode::HttpError);
    }

    #[test]
    fn did_validation() {
        let e = validate_did("0xabc").unwrap_err();
        assert_eq!(e.to_string(), "DID must start with did:peaq:0x");
        assert_eq!(e.as_validation().unwrap().field, "did");
        assert!(validate_did("did:peaq:0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").is_ok());
    }

    #[test]
    fn mcr_shape_null_score_and_range() {
        let mut v = serde_json::json!({
            "did": "did:peaq:0xabc1230000000000000000000000000000000001", "machine_id": 1, "mcr_score": null,
            "mcr": "Provisioned", "mcr_degraded": false, "bond_status": "bonded", "negative_flag": false,
            "event_count": 12, "revenue_event_count": 7, "activity_event_count": 5, "revenue_trend": "stable",
            "total_revenue": 35000, "average_revenue_per_event": 5000.0, "last_updated": 1711900000
        });
        let r: McrResponse = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(r.mcr_score, 0);
        assert_eq!(r.mcr, Rating::Provisioned);
        v["mcr_score"] = serde_json::json!(101);
        assert!(serde_json::from_value::<McrResponse>(v.clone()).is_err());
        v["mcr_score"] = serde_json::json!(45);
        v["mcr"] = serde_json::json!("ZZZ");
        assert!(serde_json::from_value::<McrResponse>(v.clone()).is_err());
        v["mcr"] = serde_json::json!("BB");
        v.as_object_mut().unwrap().remove("event_count");
        assert!(serde_json::from_value::<McrResponse>(v).is_err());
    }
}
