//! The bundler's JSON-RPC server: `POST /` with one request or a batch (JSON-RPC 2.0; a
//! notification gets no answer, HTTP 204 when nothing is left to answer), on axum.

use crate::bundler::{Bundler, BundlerConfig, BundlingMode};
use crate::error::BundlerError;
use crate::userop::{Completeness, UserOperation};
use alloy::primitives::{Address, B256, U64};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::net::SocketAddr;
use tokio::sync::watch;

/// Largest request body (a batch included): larger ones are answered -32600.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The methods served (the `debug_bundler_*` ones only with `debug_api`).
pub const METHODS: [&str; 10] = [
    "eth_sendUserOperation",
    "eth_estimateUserOperationGas",
    "eth_getUserOperationByHash",
    "eth_getUserOperationReceipt",
    "eth_supportedEntryPoints",
    "eth_chainId",
    "debug_bundler_sendBundleNow",
    "debug_bundler_setBundlingMode",
    "debug_bundler_dumpMempool",
    "debug_bundler_clearState",
];

fn param<'a>(params: &'a [Value], i: usize, what: &str) -> Result<&'a Value, BundlerError> {
    params
        .get(i)
        .filter(|v| !v.is_null())
        .ok_or_else(|| BundlerError::InvalidParams(format!("missing parameter {i}: {what}")))
}

fn address_param(params: &[Value], i: usize, what: &str) -> Result<Address, BundlerError> {
    let v = param(params, i, what)?;
    v.as_str()
        .filter(|s| s.len() == 42 && s.starts_with("0x"))
        .and_then(|s| s.parse::<Address>().ok())
        .ok_or_else(|| {
            BundlerError::InvalidParams(format!("parameter {i} ({what}) is not an address"))
        })
}

fn hash_param(params: &[Value], i: usize) -> Result<B256, BundlerError> {
    let v = param(params, i, "userOpHash")?;
    v.as_str()
        .filter(|s| s.len() == 66 && s.starts_with("0x"))
        .and_then(|s| s.parse::<B256>().ok())
        .ok_or_else(|| {
            BundlerError::InvalidParams(format!(
                "parameter {i} (userOpHash) is not a 32-byte hex hash"
            ))
        })
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value, BundlerError> {
    serde_json::to_value(v).map_err(|e| BundlerError::Internal(format!("serialising: {e}")))
}

/// Runs one method.
pub async fn dispatch(b: &Bundler, method: &str, params: &[Value]) -> Result<Value, BundlerError> {
    let debug = b.config().debug_api;
    match method {
        "eth_chainId" => Ok(json!(U64::from(b.chain_id()))),
        "eth_supportedEntryPoints" => Ok(json!([b.entry_point()])),
        "eth_sendUserOperation" => {
            let op =
                UserOperation::from_json(param(params, 0, "UserOperation")?, Completeness::Full)?;
            let ep = address_param(params, 1, "entryPoint")?;
            Ok(json!(b.send_user_operation(op, ep).await?))
        }
        "eth_estimateUserOperationGas" => {
            let op = UserOperation::from_json(
                param(params, 0, "UserOperation")?,
                Completeness::ForEstimation,
            )?;
            let ep = address_param(params, 1, "entryPoint")?;
            if params.get(2).is_some_and(|v| !v.is_null()) {
                return Err(BundlerError::InvalidParams(
                    "state overrides are not supported".into(),
                ));
            }
            to_json(b.estimate_user_operation_gas(op, ep).await?)
        }
        "eth_getUserOperationByHash" => {
            to_json(b.user_operation_by_hash(hash_param(params, 0)?).await?)
        }
        "eth_getUserOperationReceipt" => {
            to_json(b.user_operation_receipt(hash_param(params, 0)?).await?)
        }
        "debug_bundler_sendBundleNow" if debug => to_json(b.send_bundle_now().await?),
        "debug_bundler_setBundlingMode" if debug => {
            let mode: BundlingMode = param(params, 0, "mode")?
                .as_str()
                .ok_or_else(|| BundlerError::InvalidParams("mode must be a string".into()))?
                .parse()?;
            b.set_mode(mode);
            Ok(json!("ok"))
        }
        "debug_bundler_dumpMempool" if debug => {
            if params.first().is_some_and(|v| !v.is_null()) {
                let ep = address_param(params, 0, "entryPoint")?;
                if ep != b.entry_point() {
                    return Err(BundlerError::InvalidParams(format!(
                        "EntryPoint {ep} is not supported"
                    )));
                }
            }
            to_json(b.dump_mempool())
        }
        "debug_bundler_clearState" if debug => {
            b.clear_state()?;
            Ok(json!("ok"))
        }
        other => Err(BundlerError::MethodNotFound(other.to_string())),
    }
}

/// One request object; `None` for a notification.
async fn one(b: &Bundler, req: Value) -> Option<Value> {
    let Some(obj) = req.as_object() else {
        return Some(error_response(
            Value::Null,
            &BundlerError::InvalidRequest("expected a request object".into()),
        ));
    };
    let id = obj.get("id").cloned();
    let result = match (obj.get("method").and_then(Value::as_str), obj.get("params")) {
        (None, _) => Err(BundlerError::InvalidRequest("missing method".into())),
        (Some(m), None | Some(Value::Null)) => dispatch(b, m, &[]).await,
        (Some(m), Some(Value::Array(p))) => dispatch(b, m, p).await,
        (Some(_), Some(_)) => Err(BundlerError::InvalidRequest(
            "params must be an array".into(),
        )),
    };
    let id = id?;
    Some(match result {
        Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
        Err(e) => {
            if e.code() == crate::error::codes::INTERNAL {
                tracing::warn!(error = %e, "request failed");
            }
            error_response(id, &e)
        }
    })
}

fn error_response(id: Value, e: &BundlerError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": e.to_json()})
}

fn json_response(v: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

async fn handle(
    State(b): State<Bundler>,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Response {
    // An unreadable or oversized body is a JSON-RPC error too, not a bare HTTP one.
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return json_response(error_response(
                Value::Null,
                &BundlerError::InvalidRequest(format!(
                    "unreadable request body (at most {MAX_BODY_BYTES} bytes): {}",
                    e.body_text()
                )),
            ));
        }
    };
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return json_response(error_response(
                Value::Null,
                &BundlerError::Parse(e.to_string()),
            ));
        }
    };
    match v {
        Value::Array(reqs) if reqs.is_empty() => json_response(error_response(
            Value::Null,
            &BundlerError::InvalidRequest("empty batch".into()),
        )),
        Value::Array(reqs) => {
            let mut out = Vec::new();
            for r in reqs {
                if let Some(resp) = one(&b, r).await {
                    out.push(resp);
                }
            }
            if out.is_empty() {
                StatusCode::NO_CONTENT.into_response()
            } else {
                json_response(Value::Array(out))
            }
        }
        req => match one(&b, req).await {
            Some(resp) => json_response(resp),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    }
}

/// The router: `POST /`.
pub fn router(b: Bundler) -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::post(handle))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(b)
}

/// A running bundler.
#[derive(Debug)]
pub struct BundlerHandle {
    bundler: Bundler,
    stop: Option<watch::Sender<bool>>,
    server: peaqos_server::Server,
    auto: tokio::task::JoinHandle<()>,
}

impl BundlerHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The bundler (direct calls from tests and tools).
    pub fn bundler(&self) -> &Bundler {
        &self.bundler
    }

    /// Stops serving and bundling (in-flight requests and a bundle in flight finish).
    pub async fn shutdown(mut self) -> Result<(), BundlerError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(true);
        }
        let _ = (&mut self.auto).await;
        Ok(self.server.shutdown().await?)
    }

    /// Waits until the server stops (it does not, unless it fails).
    pub async fn wait(&mut self) -> Result<(), BundlerError> {
        Ok(self.server.wait().await?)
    }
}

/// Binds the listener, connects to the node ([`Bundler::connect`]: refuses an unfunded key and
/// an address without EntryPoint code) and serves until [`BundlerHandle::shutdown`], bundling
/// in the background in auto mode.
pub async fn spawn(cfg: BundlerConfig) -> Result<BundlerHandle, BundlerError> {
    let listener = peaqos_server::bind(&cfg.host, cfg.port).await?;
    let bundler = Bundler::connect(cfg).await?;
    let (stop, rx) = watch::channel(false);
    let server = peaqos_server::serve(listener, router(bundler.clone()))?;
    let auto = tokio::spawn(bundler.clone().run_auto(rx));
    tracing::info!(addr = %server.addr(), chain_id = bundler.chain_id(), entry_point = %bundler.entry_point(), "bundler listening");
    Ok(BundlerHandle {
        bundler,
        stop: Some(stop),
        server,
        auto,
    })
}
