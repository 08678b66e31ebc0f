//! The HTTP surface (axum): routes, the JSON extractor that turns every body problem into
//! `INVALID_PAYLOAD`, and the response envelopes.

use crate::error::{GasStationError, http_status};
use crate::ip_limit::IpLimiter;
use crate::service::{ConfirmRequest, FundRequest, Service, SetupRequest};
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use peaqos_types::ErrorCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// A JSON body whose rejection (bad JSON, wrong type, unknown field, missing field, wrong
/// content type) answers `INVALID_PAYLOAD` instead of axum's plain-text errors.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = GasStationError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rej) => Err(GasStationError::api(
                ErrorCode::InvalidPayload,
                format!("invalid request body: {}", rej.body_text()),
            )),
        }
    }
}

impl IntoResponse for GasStationError {
    fn into_response(self) -> Response {
        let code = self.code();
        let (message, data) = match self {
            GasStationError::Api { message, data, .. } => (message, data),
            other => {
                tracing::error!(error = %other, "internal error");
                ("internal server error".to_owned(), None)
            }
        };
        let mut body = json!({"status": "error", "code": code.as_str(), "message": message});
        if let Some(d) = data {
            body["data"] = d;
        }
        (http_status(code), Json(body)).into_response()
    }
}

type Shared = State<Arc<Service>>;

async fn setup(
    State(s): Shared,
    ApiJson(req): ApiJson<SetupRequest>,
) -> Result<Json<Value>, GasStationError> {
    Ok(Json(s.setup(req).await?.envelope()))
}

async fn confirm(
    State(s): Shared,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> Result<Json<Value>, GasStationError> {
    Ok(Json(s.confirm(req).await?.envelope()))
}

async fn fund(
    State(s): Shared,
    ApiJson(req): ApiJson<FundRequest>,
) -> Result<Json<Value>, GasStationError> {
    // Run to completion even when the client disconnects: a cancelled funding could leave a
    // broadcast transfer whose nonce the wallet has not advanced past.
    let out = tokio::spawn(async move { s.fund(req).await })
        .await
        .map_err(|e| GasStationError::Server(format!("funding task failed: {e}")))??;
    Ok(Json(out.envelope()))
}

async fn qr(State(s): Shared, Path(file): Path<String>) -> Result<Response, GasStationError> {
    let (format, bytes) = s.qr_image(&file).await?;
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

async fn health(State(s): Shared) -> Json<Value> {
    let chains: Vec<Value> = s
        .config()
        .chains
        .iter()
        .map(|c| json!({"chainId": c.chain_id, "aliases": c.aliases, "hotWallet": c.hot_wallet.address()}))
        .collect();
    Json(json!({"status": "ok", "chains": chains}))
}

async fn openapi(State(s): Shared) -> Json<Value> {
    Json(crate::openapi::document(s.config()))
}

/// Counts the request against its client address (all requests whose address is unknown, as
/// when the router is served without connect info, share one allowance).
async fn limit_by_ip(State(limiter): State<Arc<IpLimiter>>, req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    match limiter.check(ip) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// The router with every endpoint. The POST endpoints sit behind the per-client-IP limit when
/// the configuration has one (serve it with `into_make_service_with_connect_info::<SocketAddr>`
/// so the limit sees client addresses).
pub(crate) fn router(service: Arc<Service>) -> Router {
    let posts = Router::new()
        .route("/2fa/setup", post(setup))
        .route("/faucet/2fa/setup", post(setup))
        .route("/2fa/confirm", post(confirm))
        .route("/faucet/2fa/confirm", post(confirm))
        .route("/faucet/fund", post(fund));
    let posts = match service.config().ip_rate_limit {
        Some(limit) => {
            let limiter = Arc::new(IpLimiter::new(limit, service.config().clock.clone()));
            posts.route_layer(middleware::from_fn_with_state(limiter, limit_by_ip))
        }
        None => posts,
    };
    Router::new()
        .merge(posts)
        .route("/2fa/qr/{file}", get(qr))
        .route("/faucet/2fa/qr/{file}", get(qr))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .with_state(service)
}
