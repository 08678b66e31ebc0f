//! The public MCR API (axum).

use crate::cache::Cache;
use crate::error::McrError;
use crate::indexer::{IndexedContracts, IndexerStatus};
use crate::partner::PartnerFetcher;
use crate::store::Store;
use crate::view::{self, MachineView};
use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use parking_lot::Mutex;
use peaqos_mcr_model::{FxTable, ScoringConfig};
use peaqos_types::constants::DID_ATTR_MACHINES;
use peaqos_types::did::{DataVisibility, Did, parse_address_strict};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The OpenAPI document served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// Events listed in `event_data[]`.
pub const EVENT_DATA_LIMIT: i64 = 100;
/// Largest page of `/operator/{did}/machines`.
pub const MAX_PAGE: u64 = 20;

/// A JSON error `{"detail": "..."}` with a status.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "detail": self.1 }))).into_response()
    }
}

impl From<McrError> for ApiError {
    fn from(e: McrError) -> Self {
        tracing::warn!(error = %e, "request failed");
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "the index is unavailable".into(),
        )
    }
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

fn not_found(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, msg.into())
}

/// Per-IP token bucket (`per_minute` requests per minute, bursts up to `per_minute`).
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute == 0` disables limiting.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `ip` at `now`; false when the bucket is empty.
    pub fn check(&self, ip: IpAddr, now: Instant) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let cap = f64::from(self.per_minute);
        let rate = cap / 60.0;
        let mut b = self.buckets.lock();
        if b.len() > 100_000 {
            b.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < cap
            });
        }
        let (tokens, at) = b.entry(ip).or_insert((cap, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * rate).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Storage.
    pub store: Store,
    /// Response cache.
    pub cache: Arc<Cache>,
    /// Indexer figures.
    pub status: Arc<IndexerStatus>,
    /// FX table.
    pub fx: Arc<FxTable>,
    /// Model parameters.
    pub scoring: Arc<ScoringConfig>,
    /// EVM chain id (Machine Card registrations).
    pub chain_id: u64,
    /// Followed contracts.
    pub contracts: IndexedContracts,
    /// RPC for `/ready`.
    pub provider: DynProvider,
    /// Rate limiter.
    pub limiter: Arc<RateLimiter>,
    /// Partner data fetcher.
    pub partner: PartnerFetcher,
}

impl AppState {
    /// Scoring time: the later of the wall clock and the last indexed block's time (a devnet's
    /// clock may run ahead after `evm_increaseTime`).
    pub fn now(&self) -> u64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        wall.max(self.status.indexed_timestamp.load(Ordering::Relaxed))
    }

    fn require_index(&self) -> Result<(), ApiError> {
        if self.status.has_cursor.load(Ordering::Relaxed) {
            return Ok(());
        }
        let why = self
            .status
            .last_error
            .lock()
            .clone()
            .unwrap_or_else(|| "indexing has not started".into());
        Err(ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the index is not available yet: {why}"),
        ))
    }

    /// The scored view of a machine (cached; concurrent misses for one machine load it once).
    pub async fn view(&self, machine_id: u64) -> Result<Option<Arc<MachineView>>, McrError> {
        self.cache
            .get_or_compute(machine_id, || async {
                let Some(state) = self.store.machine_state(machine_id).await? else {
                    return Ok(None);
                };
                let events = self.store.scoring_events(machine_id).await?;
                Ok(Some(view::build_view(
                    state,
                    &events,
                    &self.fx,
                    &self.scoring,
                    self.now(),
                )))
            })
            .await
    }
}

/// Parses a DID or a raw `0x` address.
pub fn parse_did_or_address(s: &str) -> Result<Address, ApiError> {
    let s = s.trim();
    if s.starts_with("did:") {
        return s
            .parse::<Did>()
            .map(|d| d.address())
            .map_err(|e| bad(format!("malformed DID: {e}")));
    }
    parse_address_strict(s)
        .ok_or_else(|| bad("expected a DID (did:peaq:0x…) or a 0x-prefixed 40-hex-digit address"))
}

fn parse_id(s: &str, what: &str) -> Result<u64, ApiError> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| bad(format!("{what} must be a non-negative integer")))
}

async fn machine_for(st: &AppState, did: &str) -> Result<Arc<MachineView>, ApiError> {
    let addr = parse_did_or_address(did)?;
    st.require_index()?;
    let id = st
        .store
        .machine_id_by_address(&addr)
        .await?
        .ok_or_else(|| {
            not_found(format!(
                "no machine is registered for {}",
                view::did_of(addr)
            ))
        })?;
    st.view(id)
        .await?
        .ok_or_else(|| not_found("unknown machine"))
}

async fn mcr(State(st): State<AppState>, Path(did): Path<String>) -> Result<Json<Value>, ApiError> {
    let v = machine_for(&st, &did).await?;
    Ok(Json(view::mcr_json(&v)))
}

async fn explain(
    State(st): State<AppState>,
    Path(did): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let v = machine_for(&st, &did).await?;
    Ok(Json(view::explain_json(&v, &st.scoring)))
}

async fn profile(st: &AppState, v: &MachineView, nested: bool) -> Result<Value, ApiError> {
    let attrs = st.store.did_attributes(&v.state.machine.address).await?;
    let mut doc = view::profile_json(v, &attrs);
    let p = doc["peaqos"].as_object_mut().expect("profile has peaqos");
    let data_api = view::data_api(&attrs).map(str::to_owned);
    match view::visibility(&attrs) {
        DataVisibility::Private => {
            if let Some(u) = &data_api {
                p.insert("data_api".into(), json!(u));
            }
        }
        DataVisibility::Onchain => {
            let events = st
                .store
                .events_limited(v.state.machine.machine_id, EVENT_DATA_LIMIT)
                .await?;
            let data: Vec<Value> = events.iter().map(|e| view::event_json(&st.fx, e)).collect();
            p.insert("event_data".into(), Value::Array(data));
        }
        DataVisibility::Public => match &data_api {
            Some(u) => {
                p.insert("data_api".into(), json!(u));
                let fetched = if nested {
                    Err("partner data is not fetched for a request made by a partner-data fetch (loop guard)".to_string())
                } else {
                    st.partner.fetch(u).await
                };
                match fetched {
                    Ok(data) => {
                        p.insert("partner_data".into(), data);
                    }
                    Err(e) => {
                        p.insert("partner_data_error".into(), json!(e));
                    }
                }
            }
            None => {
                p.insert("partner_data_error".into(), json!("data_api is not set"));
            }
        },
    }
    Ok(doc)
}

fn is_nested(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key(crate::partner::NESTED_FETCH_HEADER)
}

async fn machine(
    State(st): State<AppState>,
    Path(did): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let v = machine_for(&st, &did).await?;
    Ok(Json(profile(&st, &v, is_nested(&headers)).await?))
}

async fn metadata(
    State(st): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let token = parse_id(&token, "token_id")?;
    st.require_index()?;
    let id = st
        .store
        .machine_id_by_token(token)
        .await?
        .ok_or_else(|| not_found(format!("no Machine NFT with token id {token}")))?;
    let v = st
        .view(id)
        .await?
        .ok_or_else(|| not_found("unknown machine"))?;
    Ok(Json(profile(&st, &v, is_nested(&headers)).await?))
}

async fn machine_card(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id, "machine_id")?;
    st.require_index()?;
    let v = st
        .view(id)
        .await?
        .ok_or_else(|| not_found(format!("no machine with id {id}")))?;
    let attrs = st.store.did_attributes(&v.state.machine.address).await?;
    Ok(Json(view::machine_card_json(
        &v,
        &attrs,
        st.chain_id,
        st.contracts.identity_registry,
    )))
}

async fn operator_machines(
    State(st): State<AppState>,
    Path(did): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let addr = parse_did_or_address(&did)?;
    let offset = match q.get("offset") {
        Some(s) => parse_id(s, "offset")?,
        None => 0,
    };
    let limit = match q.get("limit") {
        Some(s) => parse_id(s, "limit")?,
        None => MAX_PAGE,
    };
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(bad(format!("limit must be between 1 and {MAX_PAGE}")));
    }
    st.require_index()?;
    let attrs = st.store.did_attributes(&addr).await?;
    // The proxy's own `machines` list (first 100 valid ids), kept only where the registry agrees
    // that this address operates the machine; without the attribute, the registry's list.
    let ids: Vec<u64> = match attrs.get(DID_ATTR_MACHINES) {
        Some(list) => {
            let mut ids = Vec::new();
            for id in view::parse_machines_attribute(list) {
                if let Some(s) = st.store.machine_state(id).await?
                    && s.machine.operator == addr
                {
                    ids.push(id);
                }
            }
            ids
        }
        None => st.store.machines_operated_by(&addr).await?,
    };
    if ids.is_empty() && st.store.machine_id_by_address(&addr).await?.is_none() && attrs.is_empty()
    {
        return Err(not_found(format!(
            "no operator known for {}",
            view::did_of(addr)
        )));
    }
    let total = ids.len() as u64;
    let mut machines = Vec::new();
    for id in ids
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(20))
    {
        if let Some(v) = st.view(*id).await? {
            machines.push(view::operator_entry_json(&v));
        }
    }
    Ok(Json(json!({
        "operator_did": view::did_of(addr),
        "machines": machines,
        "pagination": { "offset": offset, "limit": limit, "total": total },
    })))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn has_code(p: &DynProvider, a: Address) -> bool {
    matches!(p.get_code_at(a).await, Ok(code) if !code.is_empty())
}

/// `/ready` body and whether the service is ready.
pub async fn readiness(st: &AppState) -> (bool, Value) {
    let p = &st.provider;
    let c = st.contracts;
    let rpc = tokio::time::timeout(Duration::from_secs(5), p.get_block_number())
        .await
        .is_ok_and(|r| r.is_ok());
    let (ir, is, er, nft) = if rpc {
        tokio::join!(
            has_code(p, c.identity_registry),
            has_code(p, c.identity_staking),
            has_code(p, c.event_registry),
            has_code(p, c.machine_nft)
        )
    } else {
        (false, false, false, false)
    };
    let af = match c.admin_flags {
        None => true,
        Some(a) => rpc && has_code(p, a).await,
    };
    // The DID precompile has no EVM code on peaq; the documented address is accepted as is.
    let did = rpc
        && (c.did_registry == peaqos_types::constants::DID_PRECOMPILE_ADDRESS
            || has_code(p, c.did_registry).await);
    let synced = st.status.synced.load(Ordering::Relaxed);
    let ready = rpc && ir && is && er && nft && af && did && synced;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "rpc_connected": rpc,
        "contracts": {
            "identity_registry": ir,
            "identity_staking": is,
            "event_registry": er,
            "machine_nft": nft,
            "admin_flags": af,
            "did_registry": did,
        },
        "index": {
            "synced": synced,
            "indexed_block": st.status.indexed_block(),
            "head_block": st.status.head.load(Ordering::Relaxed),
            "lag": st.status.lag(),
            "reorgs": st.status.reorgs.load(Ordering::Relaxed),
        },
    });
    (ready, body)
}

async fn ready(State(st): State<AppState>) -> Response {
    let (ok, body) = readiness(&st).await;
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON,
    )
        .into_response()
}

async fn not_found_fallback() -> ApiError {
    not_found("no such endpoint")
}

async fn rate_limit(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if st.limiter.check(peer.ip(), Instant::now()) {
        next.run(req).await
    } else {
        let mut r = ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            "rate limit exceeded; retry later".into(),
        )
        .into_response();
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        r
    }
}

/// The router (serve it with `into_make_service_with_connect_info::<SocketAddr>()`).
pub fn router(state: AppState) -> Router {
    let limited = Router::new()
        .route("/mcr/{did}", get(mcr))
        .route("/mcr/{did}/explain", get(explain))
        .route("/machine/{did}", get(machine))
        .route("/metadata/{token_id}", get(metadata))
        .route("/machines/{machine_id}", get(machine_card))
        .route("/operator/{did}/machines", get(operator_machines))
        .route("/openapi.json", get(openapi))
        .fallback(not_found_fallback)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit,
        ));
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .merge(limited)
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_refills() {
        let l = RateLimiter::new(60);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(l.check(ip, t0));
        }
        assert!(!l.check(ip, t0));
        assert!(
            l.check("127.0.0.2".parse().unwrap(), t0),
            "buckets are per IP"
        );
        assert!(
            l.check(ip, t0 + Duration::from_secs(1)),
            "one token per second comes back"
        );
        assert!(!l.check(ip, t0 + Duration::from_secs(1)));
        assert!(RateLimiter::new(0).check(ip, t0));
    }

    #[test]
    fn did_or_address() {
        let a = "0xabc1230000000000000000000000000000000001";
        assert_eq!(
            parse_did_or_address(a).unwrap(),
            parse_did_or_address(&format!("did:peaq:{a}")).unwrap()
        );
        assert_eq!(
            parse_did_or_address("nope").unwrap_err().0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            parse_did_or_address("did:peaq:0x12").unwrap_err().0,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn openapi_is_json_and_lists_every_path() {
        let v: Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        for p in [
            "/mcr/{did}",
            "/mcr/{did}/explain",
            "/machine/{did}",
            "/metadata/{token_id}",
            "/machines/{machine_id}",
            "/operator/{did}/machines",
            "/health",
            "/ready",
            "/openapi.json",
        ] {
            assert!(v["paths"].get(p).is_some(), "{p} missing");
        }
    }
}
