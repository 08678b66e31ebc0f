//! The public MCR API (axum). Every body is one of the [`peaqos_types::mcr_wire`] documents.

use crate::cache::{Cache, Entry};
use crate::error::McrError;
use crate::indexer::{IndexedContracts, IndexerStatus};
use crate::partner::PartnerFetcher;
use crate::store::Store;
use crate::view::{self, MachineView, VisibilityData};
use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Gcra};
use peaqos_mcr_model::ScoringConfig;
use peaqos_types::constants::DID_ATTR_MACHINES;
use peaqos_types::did::{DataVisibility, Did, parse_address_strict};
use peaqos_types::mcr_wire::{
    ErrorBody, ExplainResponse, Health, MachineCard, MachineProfile, OperatorMachinesResponse,
    Pagination, Ready, ReadyContracts, ReadyIndex, ReadyStatus,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
        (self.0, Json(ErrorBody { detail: self.1 })).into_response()
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

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        bad(format!("malformed path: {e}"))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        bad(format!("malformed query: {e}"))
    }
}

pub(crate) fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

pub(crate) fn not_found(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, msg.into())
}

/// Per-IP rate limits beyond this many tracked addresses drop the ones whose budget is full
/// again.
const MAX_TRACKED_IPS: usize = 100_000;

type KeyedGcra<C> =
    Gcra<IpAddr, DefaultKeyedStateStore<IpAddr>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Per-IP limit of `per_minute` requests per minute with bursts up to `per_minute` (GCRA from
/// `governor`, equivalent to a token bucket of `per_minute` tokens refilled evenly over a
/// minute); `per_minute == 0` disables it.
pub struct RateLimiter<C: Clock = DefaultClock> {
    per_minute: u32,
    limiter: Option<KeyedGcra<C>>,
    clock: C,
}

impl<C: Clock> std::fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A limiter on the system clock.
    pub fn new(per_minute: u32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    /// A limiter on `clock` (tests use `governor::clock::FakeRelativeClock`).
    pub fn with_clock(per_minute: u32, clock: C) -> Self {
        let limiter = NonZeroU32::new(per_minute)
            .map(|n| Gcra::dashmap_with_clock(Quota::per_minute(n), clock.clone()));
        Self {
            per_minute,
            limiter,
            clock,
        }
    }

    /// Takes one request of `ip`'s budget: `Err(wait)` when it is spent, with the time until
    /// the next request is allowed.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let Some(l) = &self.limiter else {
            return Ok(());
        };
        if l.len() > MAX_TRACKED_IPS {
            l.retain_recent();
        }
        l.check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
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
    /// FX table in use (refreshed from the ECB when configured).
    pub fx: Arc<crate::fx_refresh::FxRates>,
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
    /// Public base URL of the service (no trailing slash): the Machine Card's links.
    pub public_url: String,
    /// The trust-level-1 checker's figures.
    pub source_checks: Arc<crate::verify::CheckerStatus>,
    /// The Machine NFT bridge (where a bridged NFT is).
    pub nft_bridge: Option<NftBridge>,
}

/// The Machine NFT bridge as `/machine/{did}` reads it.
#[derive(Debug, Clone)]
pub struct NftBridge {
    /// MachineNFTAdapter on this chain.
    pub adapter: Address,
    /// MachineNFTBase on Base.
    pub base_nft: Option<Address>,
    /// Base JSON-RPC (and its URL, kept out of answers but for its origin).
    pub base: Option<(DynProvider, String)>,
}

/// Where token `token_id` is: `ownerOf` on this chain, and on Base when the adapter holds it.
pub async fn nft_location(st: &AppState, token_id: u64) -> peaqos_types::mcr_wire::NftLocation {
    use peaqos_contracts::MachineNFT;
    use peaqos_types::mcr_wire::NftLocation;
    let id = alloy::primitives::U256::from(token_id);
    let unknown = |peaq_owner: Option<Address>, locked: bool, reason: String| NftLocation {
        chain: "unknown".into(),
        token_id: Some(token_id),
        owner: None,
        peaq_owner: peaq_owner.map(|a| a.to_string()),
        locked_in_adapter: locked,
        reason: Some(reason),
    };
    let peaq_owner = match MachineNFT::new(st.contracts.machine_nft, &st.provider)
        .ownerOf(id)
        .call()
        .await
    {
        Ok(o) => o,
        Err(e) => {
            return unknown(
                None,
                false,
                format!("ownerOf({token_id}) on peaq failed: {e}"),
            );
        }
    };
    let bridge = st.nft_bridge.as_ref();
    if bridge.is_none_or(|b| b.adapter != peaq_owner) {
        return NftLocation {
            chain: "peaq".into(),
            token_id: Some(token_id),
            owner: Some(peaq_owner.to_string()),
            peaq_owner: Some(peaq_owner.to_string()),
            locked_in_adapter: false,
            reason: None,
        };
    }
    let b = bridge.expect("checked above");
    let (Some((base, base_url)), Some(base_nft)) = (&b.base, b.base_nft) else {
        return unknown(
            Some(peaq_owner),
            true,
            "locked in MachineNFTAdapter (bridged to Base), but no Base RPC / MachineNFTBase is configured"
                .into(),
        );
    };
    match MachineNFT::new(base_nft, base).ownerOf(id).call().await {
        Ok(o) => NftLocation {
            chain: "base".into(),
            token_id: Some(token_id),
            owner: Some(o.to_string()),
            peaq_owner: Some(peaq_owner.to_string()),
            locked_in_adapter: true,
            reason: None,
        },
        Err(e) => unknown(
            Some(peaq_owner),
            true,
            crate::verify::redact(
                &format!(
                    "locked in MachineNFTAdapter; ownerOf({token_id}) on Base failed (in flight, or the Base RPC is down): {e}"
                ),
                base_url,
            ),
        ),
    }
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

    pub(crate) fn require_index(&self) -> Result<(), ApiError> {
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
        Ok(self.entry(machine_id).await?.map(|e| Arc::clone(&e.view)))
    }

    /// The cache entry of a machine: its view and the response bodies built from it.
    pub async fn entry(&self, machine_id: u64) -> Result<Option<Arc<Entry>>, McrError> {
        self.cache
            .get_or_compute(machine_id, || async {
                let Some((state, events)) = self.store.machine_with_events(machine_id).await?
                else {
                    return Ok(None);
                };
                Ok(Some(view::build_view(
                    state,
                    &events,
                    &self.fx.table(),
                    &self.scoring,
                    self.now(),
                )))
            })
            .await
    }
}

/// Parses a DID or a raw `0x` address, exactly (the OpenAPI pattern
/// `^(did:peaq:)?0x[0-9a-fA-F]{40}$`: no surrounding whitespace).
pub fn parse_did_or_address(s: &str) -> Result<Address, ApiError> {
    if s.starts_with("did:") {
        return s
            .parse::<Did>()
            .map(|d| d.address())
            .map_err(|e| bad(format!("malformed DID: {e}")));
    }
    parse_address_strict(s)
        .ok_or_else(|| bad("expected a DID (did:peaq:0x…) or a 0x-prefixed 40-hex-digit address"))
}

/// A decimal `u64` as the OpenAPI documents it (`integer`, `0..=2^64-1`): digits only.
fn parse_id(s: &str, what: &str) -> Result<u64, ApiError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("{what} must be a non-negative integer")));
    }
    s.parse::<u64>()
        .map_err(|_| bad(format!("{what} must be at most {}", u64::MAX)))
}

pub(crate) async fn machine_for(st: &AppState, did: &str) -> Result<Arc<MachineView>, ApiError> {
    Ok(Arc::clone(&machine_entry_for(st, did).await?.view))
}

/// The cache entry of the machine registered for `did` (the address -> id mapping is cached
/// too: a hit reads neither the database nor the chain).
pub(crate) async fn machine_entry_for(st: &AppState, did: &str) -> Result<Arc<Entry>, ApiError> {
    let addr = parse_did_or_address(did)?;
    st.require_index()?;
    let id = match st.cache.machine_by_address(&addr) {
        Some(id) => id,
        None => {
            let ticket = st.cache.ticket(0);
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
            st.cache.remember_address(addr, id, ticket);
            id
        }
    };
    st.entry(id)
        .await?
        .ok_or_else(|| not_found("unknown machine"))
}

/// A `200 application/json` answer with a pre-serialized body (the bytes `Json` would write).
fn json_body(body: axum::body::Bytes) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

async fn mcr(
    State(st): State<AppState>,
    did: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let e = machine_entry_for(&st, &did?.0).await?;
    Ok(json_body(e.mcr_body()))
}

async fn explain(
    State(st): State<AppState>,
    did: Result<Path<String>, PathRejection>,
) -> Result<Json<ExplainResponse>, ApiError> {
    let v = machine_for(&st, &did?.0).await?;
    Ok(Json(view::explain_doc(&v, &st.scoring)))
}

pub(crate) async fn profile(
    st: &AppState,
    v: &MachineView,
    nested: bool,
) -> Result<MachineProfile, ApiError> {
    let attrs = st.store.did_attributes(&v.state.machine.address).await?;
    let data = match view::visibility(&attrs) {
        DataVisibility::Private => VisibilityData::Private,
        DataVisibility::Onchain => VisibilityData::Onchain(
            st.store
                .events_limited(v.state.machine.machine_id, EVENT_DATA_LIMIT)
                .await?,
        ),
        DataVisibility::Public => VisibilityData::Public(match view::data_api(&attrs) {
            Some(_) if nested => Some(Err("partner data is not fetched for a request made by a partner-data fetch (loop guard)".to_string())),
            Some(u) => Some(st.partner.fetch(u).await),
            None => None,
        }),
    };
    let mut doc = view::profile_doc(v, &attrs, &st.fx.table(), data);
    doc.peaqos.machine_nft = Some(match v.state.nft_token_id {
        Some(t) => nft_location(st, t).await,
        None => peaqos_types::mcr_wire::NftLocation {
            chain: "none".into(),
            token_id: None,
            owner: None,
            peaq_owner: None,
            locked_in_adapter: false,
            reason: Some("no Machine NFT minted for this machine".into()),
        },
    });
    Ok(doc)
}

fn is_nested(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key(crate::partner::NESTED_FETCH_HEADER)
}

/// The `/machine` and `/metadata` body of a cache entry: stored with the entry when the
/// profile has no live part (no Machine NFT, whose location is read live, and no partner data),
/// so that the next hit is a clone of the stored bytes.
async fn profile_body(
    st: &AppState,
    e: &Entry,
    headers: &axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(body) = e.profile_body() {
        return Ok(json_body(body));
    }
    let doc = profile(st, &e.view, is_nested(headers)).await?;
    let body = crate::cache::json_bytes(&doc);
    let live_partner_data =
        doc.peaqos.data_visibility == DataVisibility::Public && doc.peaqos.data_api.is_some();
    if e.view.state.nft_token_id.is_none() && !live_partner_data {
        e.set_profile_body(body.clone());
    }
    Ok(json_body(body))
}

async fn machine(
    State(st): State<AppState>,
    did: Result<Path<String>, PathRejection>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let e = machine_entry_for(&st, &did?.0).await?;
    profile_body(&st, &e, &headers).await
}

async fn metadata(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let token = parse_id(&token?.0, "token_id")?;
    st.require_index()?;
    let id = match st.cache.machine_by_token(token) {
        Some(id) => id,
        None => {
            let ticket = st.cache.ticket(0);
            let id = st
                .store
                .machine_id_by_token(token)
                .await?
                .ok_or_else(|| not_found(format!("no Machine NFT with token id {token}")))?;
            st.cache.remember_token(token, id, ticket);
            id
        }
    };
    let e = st
        .entry(id)
        .await?
        .ok_or_else(|| not_found("unknown machine"))?;
    profile_body(&st, &e, &headers).await
}

async fn card_view(
    st: &AppState,
    id: Result<Path<String>, PathRejection>,
) -> Result<Arc<MachineView>, ApiError> {
    let id = parse_id(&id?.0, "machine_id")?;
    st.require_index()?;
    st.view(id)
        .await?
        .ok_or_else(|| not_found(format!("no machine with id {id}")))
}

async fn machine_card(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<MachineCard>, ApiError> {
    let v = card_view(&st, id).await?;
    let attrs = st.store.did_attributes(&v.state.machine.address).await?;
    Ok(Json(view::machine_card(
        &v,
        &attrs,
        st.chain_id,
        st.contracts.identity_registry,
        &st.public_url,
    )))
}

async fn machine_card_image(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let v = card_view(&st, id).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "image/svg+xml")],
        view::machine_card_svg(&v),
    )
        .into_response())
}

async fn operator_machines(
    State(st): State<AppState>,
    did: Result<Path<String>, PathRejection>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<OperatorMachinesResponse>, ApiError> {
    let addr = parse_did_or_address(&did?.0)?;
    let Query(q) = q?;
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
    let ids = fleet_ids(&st, addr).await?;
    let total = ids.len() as u64;
    let mut machines = Vec::new();
    for id in ids
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(20))
    {
        if let Some(v) = st.view(*id).await? {
            machines.push(view::operator_entry(&v));
        }
    }
    Ok(Json(OperatorMachinesResponse {
        operator_did: view::did_of(addr),
        machines,
        pagination: Pagination {
            offset,
            limit,
            total,
        },
    }))
}

/// The machine ids of an operator's fleet (404 for an address the index does not know).
pub(crate) async fn fleet_ids(st: &AppState, addr: Address) -> Result<Vec<u64>, ApiError> {
    st.require_index()?;
    let attrs = st.store.did_attributes(&addr).await?;
    // The proxy's own `machines` list (first 100 valid ids), kept only where the registry agrees
    // that this address operates the machine; without the attribute, the registry's list.
    let ids: Vec<u64> = match attrs.get(DID_ATTR_MACHINES) {
        Some(list) => {
            let mut ids = Vec::new();
            for id in view::parse_machines_attribute(list) {
                if let Some(s) = st.store.machine_state(id).await?
                    && s.operator == addr
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
    Ok(ids)
}

/// An operator's DID and the scored views of its whole fleet, by machine id.
pub(crate) async fn operator_fleet(
    st: &AppState,
    did: &str,
) -> Result<(String, Vec<Arc<MachineView>>), ApiError> {
    let addr = parse_did_or_address(did)?;
    let ids = fleet_ids(st, addr).await?;
    let mut fleet = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(v) = st.view(id).await? {
            fleet.push(v);
        }
    }
    Ok((view::did_of(addr), fleet))
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

async fn has_code(p: &DynProvider, a: Address) -> bool {
    matches!(p.get_code_at(a).await, Ok(code) if !code.is_empty())
}

/// `/ready` body and whether the service is ready.
pub async fn readiness(st: &AppState) -> (bool, Ready) {
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
    let body = Ready {
        status: if ready {
            ReadyStatus::Ready
        } else {
            ReadyStatus::NotReady
        },
        rpc_connected: rpc,
        contracts: ReadyContracts {
            identity_registry: ir,
            identity_staking: is,
            event_registry: er,
            machine_nft: nft,
            admin_flags: af,
            did_registry: did,
        },
        index: ReadyIndex {
            synced,
            indexed_block: st.status.indexed_block(),
            head_block: st.status.head.load(Ordering::Relaxed),
            lag: st.status.lag(),
            reorgs: st.status.reorgs.load(Ordering::Relaxed),
            undecodable_logs: st.status.undecodable_logs.load(Ordering::Relaxed),
            record_mismatches: st.status.record_mismatches.load(Ordering::Relaxed),
        },
        fx: Some(st.fx.ready(st.now())),
        source_checks: match st.store.source_check_counts().await {
            Ok(c) => Some(peaqos_types::mcr_wire::ReadySourceChecks {
                chains: st.source_checks.chains.clone(),
                verified: c.verified,
                unverified: c.unverified,
                pending: c.pending,
                last_error: st.source_checks.last_error(),
            }),
            Err(_) => None,
        },
    };
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

async fn method_not_allowed() -> ApiError {
    ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed: the MCR API answers GET".into(),
    )
}

async fn rate_limit(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    match st.limiter.check(peer.ip()) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let mut r = ApiError(
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit exceeded; retry later".into(),
            )
            .into_response();
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs(wait)),
            );
            r
        }
    }
}

/// `Retry-After` seconds for a wait: rounded up, at least 1.
fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The router (serve it with `into_make_service_with_connect_info::<SocketAddr>()`).
pub fn router(state: AppState) -> Router {
    let limited = Router::new()
        .route("/mcr/{did}", get(mcr))
        .route("/mcr/{did}/explain", get(explain))
        .route("/machine/{did}", get(machine))
        .route("/metadata/{token_id}", get(metadata))
        .route("/machines/{machine_id}", get(machine_card))
        .route("/machines/{machine_id}/image.svg", get(machine_card_image))
        .route("/operator/{did}/machines", get(operator_machines))
        .route("/mcr/{did}/history", get(crate::history::history))
        .route("/operator/{did}/summary", get(crate::history::summary))
        .merge(crate::dashboard::routes())
        .route("/openapi.json", get(openapi))
        .fallback(not_found_fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit,
        ));
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .merge(limited)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn token_bucket_refills() {
        let clock = governor::clock::FakeRelativeClock::default();
        let l = RateLimiter::with_clock(60, clock.clone());
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..60 {
            assert!(l.check(ip).is_ok());
        }
        assert!(l.check(ip).is_err());
        assert!(
            l.check("127.0.0.2".parse().unwrap()).is_ok(),
            "buckets are per IP"
        );
        clock.advance(Duration::from_secs(1));
        assert!(l.check(ip).is_ok(), "one token per second comes back");
        let wait = l.check(ip).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert_eq!(retry_after_secs(wait), 1);
        assert!(RateLimiter::new(0).check(ip).is_ok());
    }

    #[test]
    fn the_hosted_default_allows_90_a_minute() {
        let clock = governor::clock::FakeRelativeClock::default();
        let l = RateLimiter::with_clock(crate::DEFAULT_RATE_LIMIT_PER_MINUTE, clock.clone());
        let ip: IpAddr = "::1".parse().unwrap();
        for _ in 0..90 {
            assert!(l.check(ip).is_ok());
        }
        let wait = l.check(ip).unwrap_err();
        assert_eq!(retry_after_secs(wait), 1, "{wait:?}");
        clock.advance(Duration::from_secs(60));
        for _ in 0..90 {
            assert!(l.check(ip).is_ok(), "a full minute refills the budget");
        }
        assert!(l.check(ip).is_err());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(20)), 20);
        assert_eq!(retry_after_secs(Duration::from_millis(20_001)), 21);
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
    fn ids_and_dids_are_parsed_as_the_openapi_states() {
        // schemathesis regressions: what the document's pattern / integer range allows is
        // accepted, everything else is a 400
        let a = "0xabc1230000000000000000000000000000000001";
        assert!(
            parse_did_or_address(&format!(" {a}")).is_err(),
            "no whitespace"
        );
        assert!(parse_did_or_address(&format!("{a}\n")).is_err());
        assert!(parse_did_or_address("did:peaq:").is_err());
        assert!(parse_did_or_address("").is_err());
        assert!(parse_did_or_address(&a.to_uppercase().replacen("0X", "0x", 1)).is_ok());
        let re = |s: &str| {
            let hex = s.strip_prefix("did:peaq:").unwrap_or(s);
            hex.len() == 42
                && hex.starts_with("0x")
                && hex[2..].bytes().all(|b| b.is_ascii_hexdigit())
        };
        for s in [
            a,
            "did:peaq:0xABC1230000000000000000000000000000000001",
            " x",
            "0x12",
        ] {
            assert_eq!(parse_did_or_address(s).is_ok(), re(s), "{s:?}");
        }
        assert_eq!(parse_id("0", "id").unwrap(), 0);
        assert_eq!(parse_id("18446744073709551615", "id").unwrap(), u64::MAX);
        for s in [
            "18446744073709551616",
            "+5",
            "-0",
            " 5",
            "5 ",
            "",
            "1e3",
            "0x10",
        ] {
            assert_eq!(
                parse_id(s, "id").unwrap_err().0,
                StatusCode::BAD_REQUEST,
                "{s:?}"
            );
        }
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
            "/machines/{machine_id}/image.svg",
            "/operator/{did}/machines",
            "/mcr/{did}/history",
            "/operator/{did}/summary",
            "/health",
            "/ready",
            "/openapi.json",
        ] {
            assert!(v["paths"].get(p).is_some(), "{p} missing");
        }
    }
}
