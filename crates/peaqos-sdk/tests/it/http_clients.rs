//! MCR API and Gas Station clients against small axum servers on 127.0.0.1 that speak the
//! documented wire formats.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use peaqos_sdk::{
    ErrorCode, FundParams, FundResult, GasStationClient, McrClient, PeaqosError, QrFormat, Rating,
};
use serde_json::{Value, json};

const DID: &str = "did:peaq:0xabc1230000000000000000000000000000000001";

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn mcr_body(score: Value) -> Value {
    json!({
        "did": DID, "machine_id": 1, "mcr_score": score, "mcr": "BB", "mcr_degraded": false,
        "bond_status": "bonded", "negative_flag": false, "event_count": 12, "revenue_event_count": 7,
        "activity_event_count": 5, "revenue_trend": "stable", "total_revenue": 35000,
        "average_revenue_per_event": 5000.0, "last_updated": 1711900000
    })
}

async fn mcr_route(Path(did): Path<String>) -> Response {
    match did.as_str() {
        DID => Json(mcr_body(json!(45))).into_response(),
        "did:peaq:0x0000000000000000000000000000000000000002" => {
            Json(mcr_body(Value::Null)).into_response()
        }
        "did:peaq:0x0000000000000000000000000000000000000003" => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"detail": "Chain unavailable"})),
        )
            .into_response(),
        "did:peaq:0x0000000000000000000000000000000000000004" => {
            (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response()
        }
        "did:peaq:0x0000000000000000000000000000000000000005" => (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"detail": "slow down"})),
        )
            .into_response(),
        "did:peaq:0x0000000000000000000000000000000000000006" => {
            Json(json!({"did": DID})).into_response()
        }
        "did:peaq:0x0000000000000000000000000000000000000007" => {
            (StatusCode::OK, "not json").into_response()
        }
        "did:peaq:0x0000000000000000000000000000000000000008" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(mcr_body(json!(1))).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"detail": "Machine not found"})),
        )
            .into_response(),
    }
}

async fn machine_route(Path(did): Path<String>) -> Response {
    let mut body = json!({
        "schema_version": "1.0", "name": "Machine #1", "image": "x",
        "peaqos": {
            "machine_id": 1, "did": did, "operator": null, "mcr": "Provisioned", "mcr_score": null,
            "bond_status": "bonded", "negative_flag": false, "event_count": 0, "data_visibility": "onchain",
            "documentation_url": "https://d",
            "event_data": [{"event_type": 1, "origin_value": 0, "timestamp": 1, "trust_level": 0, "metadata": {}}]
        }
    });
    if did.ends_with("9") {
        body["peaqos"]["data_visibility"] = json!("secret");
    }
    Json(body).into_response()
}

fn param(q: &Option<String>, name: &str) -> Option<u64> {
    q.as_deref()?
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}="))?.parse().ok())
}

async fn operator_route(Path(did): Path<String>, RawQuery(q): RawQuery) -> Response {
    let total = 250u64;
    let offset = param(&q, "offset").unwrap_or(0);
    let limit = param(&q, "limit").unwrap_or(20).min(100);
    let machines: Vec<Value> = (offset..(offset + limit).min(total))
        .map(|i| {
            json!({"did": format!("did:peaq:0x{:040x}", i + 1), "machine_id": i + 1, "mcr_score": if i % 2 == 0 { json!(null) } else { json!(60) },
                   "mcr": if i % 2 == 0 { "NR" } else { "BBB" }, "negative_flag": false})
        })
        .collect();
    Json(json!({"operator_did": did, "machines": machines, "pagination": {"offset": offset, "limit": limit, "total": total}}))
        .into_response()
}

async fn mcr_server() -> String {
    serve(
        axum::Router::new()
            .route("/mcr/{did}", get(mcr_route))
            .route("/machine/{did}", get(machine_route))
            .route("/operator/{did}/machines", get(operator_route)),
    )
    .await
}

fn api_code(e: &PeaqosError) -> (ErrorCode, Option<u16>) {
    match e {
        PeaqosError::Api { code, status, .. } => (*code, *status),
        other => panic!("not an API error: {other:?}"),
    }
}

#[tokio::test]
async fn mcr_queries_and_error_codes() {
    let url = mcr_server().await;
    let c = McrClient::new(&url).unwrap();
    let r = c.query_mcr(DID).await.unwrap();
    assert_eq!((r.mcr_score, r.mcr, r.event_count), (45, Rating::BB, 12));
    let r = c
        .query_mcr("did:peaq:0x0000000000000000000000000000000000000002")
        .await
        .unwrap();
    assert_eq!(r.mcr_score, 0, "null score becomes 0");

    let cases = [
        (
            "did:peaq:0x00000000000000000000000000000000000000ff",
            ErrorCode::NotFound,
            Some(404),
        ),
        (
            "did:peaq:0x0000000000000000000000000000000000000003",
            ErrorCode::ServiceUnavailable,
            Some(503),
        ),
        (
            "did:peaq:0x0000000000000000000000000000000000000004",
            ErrorCode::ServerError,
            Some(500),
        ),
        (
            "did:peaq:0x0000000000000000000000000000000000000005",
            ErrorCode::HttpError,
            Some(429),
        ),
        (
            "did:peaq:0x0000000000000000000000000000000000000006",
            ErrorCode::BadResponse,
            Some(200),
        ),
        (
            "did:peaq:0x0000000000000000000000000000000000000007",
            ErrorCode::BadResponse,
            Some(200),
        ),
    ];
    for (did, code, status) in cases {
        let e = c.query_mcr(did).await.unwrap_err();
        assert_eq!(api_code(&e), (code, status), "{did}: {e}");
    }
    let e = c
        .query_mcr("did:peaq:0x0000000000000000000000000000000000000003")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Chain unavailable"), "{e}");

    let slow = c.clone().with_timeout(Duration::from_millis(200));
    let e = slow
        .query_mcr("did:peaq:0x0000000000000000000000000000000000000008")
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), (ErrorCode::Timeout, None));

    let e = c.query_mcr("peaq:0xabc").await.unwrap_err();
    assert_eq!(e.to_string(), "DID must start with did:peaq:0x");
    assert_eq!(e.code(), Some(ErrorCode::ValidationError));

    // Nothing listening: NETWORK_ERROR.
    let dead = McrClient::new("http://127.0.0.1:1").unwrap();
    assert_eq!(
        api_code(&dead.query_mcr(DID).await.unwrap_err()),
        (ErrorCode::NetworkError, None)
    );
}

#[tokio::test]
async fn machine_profile_and_operator_pages() {
    let url = mcr_server().await;
    let c = McrClient::new(&url).unwrap();
    let p = c.query_machine(DID).await.unwrap();
    assert_eq!(p.schema_version, "1.0");
    assert_eq!(p.peaqos.mcr, Rating::Provisioned);
    assert_eq!(p.peaqos.mcr_score, 0);
    assert_eq!(p.peaqos.operator, None);
    assert!(p.peaqos.data_api.is_none());
    assert_eq!(p.peaqos.event_data.as_ref().unwrap().len(), 1);
    assert_eq!(p.extra["image"], "x");
    let e = c
        .query_machine("did:peaq:0x0000000000000000000000000000000000000009")
        .await
        .unwrap_err();
    assert_eq!(api_code(&e).0, ErrorCode::BadResponse);

    let page = c
        .query_operator_machines(DID, Some(10), Some(5))
        .await
        .unwrap();
    assert_eq!(
        page.pagination,
        peaqos_sdk::Pagination {
            offset: 10,
            limit: 5,
            total: 250
        }
    );
    assert_eq!(page.machines.len(), 5);
    assert_eq!(page.machines[0].machine_id, 11);
    let all = c.query_all_operator_machines(DID).await.unwrap();
    assert_eq!(all.len(), 250);
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, m)| m.machine_id == i as u64 + 1)
    );
    assert_eq!(all[0].mcr_score, 0);
}

// ----- Gas Station ----------------------------------------------------------------------------

#[derive(Default)]
struct Faucet {
    bodies: Mutex<Vec<Value>>,
    force: Mutex<Option<Response>>,
}

type Shared = Arc<Faucet>;

fn error(status: StatusCode, code: &str) -> Response {
    (
        status,
        Json(json!({"status": "error", "code": code, "message": format!("{code} happened")})),
    )
        .into_response()
}

async fn setup(State(s): State<Shared>, Json(b): Json<Value>) -> Response {
    s.bodies.lock().unwrap().push(b.clone());
    if let Some(r) = s.force.lock().unwrap().take() {
        return r;
    }
    if b["format"] != "svg" && b["format"] != "png" {
        return error(StatusCode::BAD_REQUEST, "INVALID_PAYLOAD");
    }
    Json(json!({"status": "success", "data": {
        "ownerAddress": b["ownerAddress"], "otpauthUri": "otpauth://totp/peaq?secret=JBSWY3DPEHPK3PXP",
        "qrImageUrl": "https://gs/qr/1"}}))
    .into_response()
}

async fn confirm(State(s): State<Shared>, Json(b): Json<Value>) -> Response {
    s.bodies.lock().unwrap().push(b.clone());
    if let Some(r) = s.force.lock().unwrap().take() {
        return r;
    }
    if b["twoFactorCode"] != "123456" {
        return error(StatusCode::UNAUTHORIZED, "INVALID_2FA");
    }
    Json(
        json!({"status": "success", "code": "2FA_ACTIVATED", "data": {
        "ownerAddress": b["ownerAddress"], "twoFactorActive": true}}),
    )
    .into_response()
}

async fn fund(State(s): State<Shared>, Json(b): Json<Value>) -> Response {
    s.bodies.lock().unwrap().push(b.clone());
    if let Some(r) = s.force.lock().unwrap().take() {
        return r;
    }
    if b["targetWalletAddress"] == "0xfunded" {
        return Json(
            json!({"status": "skipped", "code": "SUFFICIENT_BALANCE", "data": {"requestId": b["requestId"],
            "currentBalance": "2000000000000000000", "minGasBalance": "1000000000000000000"}}),
        )
        .into_response();
    }
    Json(
        json!({"status": "success", "code": "SUCCESS", "data": {"requestId": b["requestId"],
        "txHash": format!("0x{}", "ab".repeat(32)), "fundedAmount": "1500000000000000000"}}),
    )
    .into_response()
}

async fn faucet() -> (String, Shared) {
    let s: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/2fa/setup", post(setup))
        .route("/2fa/confirm", post(confirm))
        .route("/faucet/fund", post(fund))
        .with_state(s.clone());
    (serve(app).await, s)
}

fn params() -> FundParams {
    FundParams {
        owner_address: "0xowner".into(),
        target_wallet_address: "0xmachine".into(),
        chain_id: "peaq".into(),
        two_factor_code: "123456".into(),
        request_id: None,
    }
}

#[tokio::test]
async fn gas_station_happy_paths_and_wire_format() {
    let (url, s) = faucet().await;
    let g = GasStationClient::new(&url).unwrap();
    let setup = g.setup_faucet_2fa("0xowner", QrFormat::Png).await.unwrap();
    assert_eq!(setup.owner_address, "0xowner");
    assert!(setup.otpauth_uri.starts_with("otpauth://"));
    assert!(!format!("{setup:?}").contains("JBSWY3DPEHPK3PXP"));
    assert_eq!(
        s.bodies.lock().unwrap()[0],
        json!({"ownerAddress": "0xowner", "format": "png"})
    );

    g.confirm_faucet_2fa("0xowner", "123456").await.unwrap();
    let e = g.confirm_faucet_2fa("0xowner", "000000").await.unwrap_err();
    assert_eq!(api_code(&e), (ErrorCode::Invalid2fa, Some(401)));
    assert_eq!(e.to_string(), "INVALID_2FA happened");

    let r = g.fund_from_gas_station(&params()).await.unwrap();
    let FundResult::Success {
        request_id,
        tx_hash,
        funded_amount,
    } = &r
    else {
        panic!("{r:?}")
    };
    assert!(uuid_like(request_id), "{request_id}");
    assert_eq!(tx_hash.to_string(), format!("0x{}", "ab".repeat(32)));
    assert_eq!(funded_amount.to_string(), "1500000000000000000");
    let sent = s.bodies.lock().unwrap().last().cloned().unwrap();
    assert_eq!(sent["ownerAddress"], "0xowner");
    assert_eq!(sent["targetWalletAddress"], "0xmachine");
    assert_eq!(sent["chainId"], "peaq");
    assert_eq!(sent["twoFactorCode"], "123456");
    assert_eq!(sent["requestId"], request_id.as_str());

    let mut p = params();
    p.target_wallet_address = "0xfunded".into();
    p.request_id = Some("6f1c1f0e-2d4b-4c1a-9d7e-3b2a1c0d9e8f".into());
    let r = g.fund_from_gas_station(&p).await.unwrap();
    assert_eq!(
        r,
        FundResult::Skipped {
            request_id: "6f1c1f0e-2d4b-4c1a-9d7e-3b2a1c0d9e8f".into(),
            current_balance: "2000000000000000000".parse().unwrap(),
            min_gas_balance: "1000000000000000000".parse().unwrap(),
        }
    );

    // Local checks before any request.
    let before = s.bodies.lock().unwrap().len();
    p.request_id = Some("not-a-uuid".into());
    let e = g.fund_from_gas_station(&p).await.unwrap_err();
    assert_eq!(api_code(&e), (ErrorCode::InvalidRequestId, None));
    let e = g
        .fund_from_gas_station(&FundParams {
            owner_address: " ".into(),
            ..params()
        })
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "ownerAddress must not be empty");
    assert_eq!(s.bodies.lock().unwrap().len(), before);
    let e = GasStationClient::new("").unwrap_err();
    assert_eq!(e.to_string(), "faucetBaseUrl must not be empty");
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn every_faucet_code_surfaces_as_the_error_code() {
    let (url, s) = faucet().await;
    let g = GasStationClient::new(&url).unwrap();
    let codes = [
        "INVALID_2FA",
        "2FA_NOT_CONFIGURED",
        "2FA_NOT_ACTIVE",
        "2FA_LOCKED",
        "DUPLICATE_REQUEST",
        "REQUEST_ALREADY_PROCESSED",
        "RATE_LIMITED",
        "CAP_EXCEEDED_OWNER",
        "CAP_EXCEEDED_WALLET",
        "INVALID_PAYLOAD",
        "INVALID_OWNER_ADDRESS",
        "INVALID_TARGET_ADDRESS",
        "INVALID_CHAIN_ID",
        "INVALID_REQUEST_ID",
        "TRANSFER_FAILED",
        "CHAIN_RPC_ERROR",
        "INTERNAL_ERROR",
        "QR_NOT_FOUND",
        "QR_EXPIRED",
        "QR_GENERATION_FAILED",
    ];
    assert_eq!(codes.len(), 20);
    for code in codes {
        *s.force.lock().unwrap() = Some(error(StatusCode::BAD_REQUEST, code));
        let e = g.fund_from_gas_station(&params()).await.unwrap_err();
        assert_eq!(e.code_str(), Some(code));
        assert_eq!(api_code(&e).1, Some(400));
    }
    // Envelope sentinels.
    *s.force.lock().unwrap() =
        Some((StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response());
    let e = g.fund_from_gas_station(&params()).await.unwrap_err();
    assert_eq!(api_code(&e), (ErrorCode::InvalidResponse, Some(502)));
    *s.force.lock().unwrap() = Some(Json(json!({"ok": true})).into_response());
    let e = g
        .setup_faucet_2fa("0xowner", QrFormat::Svg)
        .await
        .unwrap_err();
    assert_eq!(api_code(&e).0, ErrorCode::UnexpectedResponse);
    *s.force.lock().unwrap() =
        Some(Json(json!({"status": "success", "data": {"txHash": "0x12"}})).into_response());
    let e = g.fund_from_gas_station(&params()).await.unwrap_err();
    assert_eq!(api_code(&e).0, ErrorCode::UnexpectedResponse);
    *s.force.lock().unwrap() = Some(Json(json!({"status": "skipped", "data": {}})).into_response());
    let e = g.confirm_faucet_2fa("0xowner", "123456").await.unwrap_err();
    assert_eq!(api_code(&e).0, ErrorCode::UnexpectedResponse);
    // Successes without the codes peaq's SDK requires are refused too.
    *s.force.lock().unwrap() = Some(Json(json!({"status": "success", "data": {}})).into_response());
    let e = g.confirm_faucet_2fa("0xowner", "123456").await.unwrap_err();
    assert_eq!(api_code(&e).0, ErrorCode::UnexpectedResponse);
    let tx = format!("0x{}", "ab".repeat(32));
    for forced in [
        json!({"status": "success", "data": {"txHash": tx, "fundedAmount": "1"}}),
        json!({"status": "success", "code": "SUFFICIENT_BALANCE", "data": {"txHash": tx, "fundedAmount": "1"}}),
        json!({"status": "skipped", "data": {"currentBalance": "2", "minGasBalance": "1"}}),
        json!({"status": "error", "code": "INVALID_2FA", "message": "on a 200"}),
    ] {
        *s.force.lock().unwrap() = Some(Json(forced.clone()).into_response());
        let e = g.fund_from_gas_station(&params()).await.unwrap_err();
        assert_eq!(
            api_code(&e),
            (ErrorCode::UnexpectedResponse, Some(200)),
            "{forced}"
        );
    }
    // A non-2xx answer is an error by its code, whatever its status field says.
    *s.force.lock().unwrap() = Some(
        (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"code": "RATE_LIMITED", "message": "slow down"})),
        )
            .into_response(),
    );
    let e = g.fund_from_gas_station(&params()).await.unwrap_err();
    assert_eq!(api_code(&e), (ErrorCode::RateLimited, Some(429)));
    assert_eq!(e.to_string(), "slow down");
    let dead = GasStationClient::new("http://127.0.0.1:1").unwrap();
    assert_eq!(
        api_code(&dead.confirm_faucet_2fa("0x1", "1").await.unwrap_err()),
        (ErrorCode::NetworkError, None)
    );
}
