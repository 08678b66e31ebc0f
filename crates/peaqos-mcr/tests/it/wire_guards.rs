//! Every document the API builds, in every machine state (Provisioned, rated, NR, flagged,
//! FX-degraded, unbonded, deactivated) and every visibility, passes peaq's SDK response guards
//! (ported rule for rule in `common/guards.rs`); the error bodies have the `{"detail"}` shape.
//! Pure: no chain, no database; the same documents over HTTP are checked in `service.rs`.

use crate::common::guards;
use alloy::primitives::{Address, B256, Bytes, U256};
use peaqos_mcr::api::ApiError;
use peaqos_mcr::store::{EventRow, MachineRow, MachineState};
use peaqos_mcr::view::{self, MachineView, VisibilityData};
use peaqos_mcr_model::{FxTable, ScoringConfig};
use peaqos_types::Rating;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;

const DAY: u64 = 86_400;
const NOW: u64 = 1_750_000_000;

/// The JSON text the server sends, parsed the way Python's `json` reads it.
fn wire<T: Serialize>(doc: &T) -> Value {
    serde_json::from_str(&serde_json::to_string(doc).unwrap()).unwrap()
}

fn state(bonded: bool) -> MachineState {
    let a = Address::repeat_byte(0x11);
    MachineState {
        machine: MachineRow {
            machine_id: 7,
            address: a,
            owner: a,
            registered_block: 1,
        },
        operator: a,
        status: 1,
        staked: if bonded {
            U256::from(10u64).pow(U256::from(18))
        } else {
            U256::ZERO
        },
        nft_token_id: None,
        flagged_at: None,
        trust_override: None,
    }
}

fn event(index: u64, event_type: u8, value: u64, currency: &str, ts: u64) -> EventRow {
    EventRow {
        machine_id: 7,
        event_index: index,
        event_type,
        value: U256::from(value),
        currency: currency.into(),
        timestamp: ts,
        data_hash: B256::ZERO,
        trust_level: 2,
        source_chain_id: U256::ZERO,
        source_tx_hash: B256::ZERO,
        metadata: Bytes::new(),
        block: 10 + index,
        block_timestamp: Some(ts + 5),
        tx_hash: B256::repeat_byte(3),
        log_index: index,
        source_check: peaqos_mcr_model::SourceCheck::NotApplicable,
    }
}

fn daily_revenue(days: u64) -> Vec<EventRow> {
    (0..days)
        .map(|d| event(d, 0, 500, "USD", NOW - (days - d) * DAY))
        .collect()
}

fn build(state: MachineState, events: &[EventRow]) -> MachineView {
    view::build_view(
        state,
        events,
        FxTable::embedded(),
        &ScoringConfig::default(),
        NOW,
    )
}

/// Every document of one machine, each through its guard; the profile in all three
/// visibilities (with `events` on `onchain`).
fn all_documents_pass(v: &MachineView, events: &[EventRow]) {
    let fx = FxTable::embedded();
    let mcr = wire(&view::mcr_doc(v));
    guards::mcr(&mcr).unwrap();
    let mut attrs: HashMap<String, String> = HashMap::new();
    attrs.insert("data_api".into(), "https://api.example/m".into());
    let private = wire(&view::profile_doc(v, &attrs, fx, VisibilityData::Private));
    guards::profile(&private).unwrap();
    assert_eq!(private["peaqos"]["data_api"], "https://api.example/m");
    assert_eq!(private["peaqos"]["documentation_url"], Value::Null);

    attrs.insert("data_visibility".into(), "onchain".into());
    attrs.insert("documentation_url".into(), "https://docs.example/m".into());
    let onchain = wire(&view::profile_doc(
        v,
        &attrs,
        fx,
        VisibilityData::Onchain(events.to_vec()),
    ));
    guards::profile(&onchain).unwrap();
    assert_eq!(
        onchain["peaqos"]["event_data"].as_array().unwrap().len(),
        events.iter().filter(|e| view::presentable(e)).count()
    );

    attrs.insert("data_visibility".into(), "public".into());
    for fetched in [
        Some(Ok(json!({"kwh": 1.5}))),
        Some(Ok(json!([1, 2]))),
        Some(Err("data_api answered HTTP 500".to_string())),
        None,
    ] {
        let public = wire(&view::profile_doc(
            v,
            &attrs,
            fx,
            VisibilityData::Public(fetched),
        ));
        guards::profile(&public).unwrap();
    }

    let list = wire(&peaqos_types::mcr_wire::OperatorMachinesResponse {
        operator_did: "did:peaq:0x1111111111111111111111111111111111111111".into(),
        machines: vec![view::operator_entry(v)],
        pagination: peaqos_types::mcr_wire::Pagination {
            offset: 0,
            limit: 20,
            total: 1,
        },
    });
    guards::operator_machines(&list).unwrap();

    let card = wire(&view::machine_card(
        v,
        &attrs,
        3338,
        Address::repeat_byte(0x22),
        "https://mcr.example",
    ));
    assert_eq!(card["type"], "peaqos:registration:v1");
    assert_eq!(card["name"], "Machine #7");
    assert!(card["active"].is_boolean() && card["event_count"].is_u64());
    assert!(card["registrations"][0]["machineId"].is_u64());
}

#[test]
fn provisioned() {
    let v = build(state(true), &[]);
    assert_eq!(v.result.rating, Rating::Provisioned);
    let j = wire(&view::mcr_doc(&v));
    assert_eq!(j["mcr_score"], 0);
    assert_eq!(j["last_updated"], 0);
    assert_eq!(j["average_revenue_per_event"], 0.0);
    all_documents_pass(&v, &[]);
}

#[test]
fn rated() {
    let events = daily_revenue(60);
    let v = build(state(true), &events);
    assert!(v.result.rating.is_rated(), "{:?}", v.result.rating);
    let j = wire(&view::mcr_doc(&v));
    assert!(j["average_revenue_per_event"].is_f64());
    assert!(j["total_revenue"].is_u64());
    all_documents_pass(&v, &events);
}

#[test]
fn flagged() {
    let events = daily_revenue(60);
    let mut s = state(true);
    s.flagged_at = Some(NOW - DAY);
    let v = build(s, &events);
    let j = wire(&view::mcr_doc(&v));
    assert_eq!(j["negative_flag"], true);
    all_documents_pass(&v, &events);
}

#[test]
fn fx_degraded() {
    // a EUR event before the first ECB quote has no rate: fx_unavailable, degraded
    let mut events = daily_revenue(30);
    events.push(event(30, 0, 1_000, "EUR", 800_000_000));
    let v = build(state(true), &events);
    assert!(v.result.degraded);
    let j = wire(&view::mcr_doc(&v));
    assert_eq!(j["mcr_degraded"], true);
    let entry = wire(&view::event_entry(FxTable::embedded(), &events[30]));
    assert_eq!(entry["amount_status"], "fx_unavailable");
    assert_eq!(entry["origin_subunit"], 100, "EUR has cents");
    all_documents_pass(&v, &events);
}

#[test]
fn unbonded_is_nr() {
    let events = daily_revenue(90);
    let v = build(state(false), &events);
    assert_eq!(v.result.rating, Rating::NR);
    let j = wire(&view::mcr_doc(&v));
    assert_eq!(j["bond_status"], "unbonded");
    all_documents_pass(&v, &events);
}

#[test]
fn deactivated_is_nr() {
    let events = daily_revenue(60);
    let mut s = state(true);
    s.status = 4;
    let v = build(s, &events);
    assert_eq!(v.result.rating, Rating::NR);
    let card = wire(&view::machine_card(
        &v,
        &HashMap::new(),
        1,
        Address::ZERO,
        "http://x",
    ));
    assert_eq!(card["active"], false);
    all_documents_pass(&v, &events);
}

#[test]
fn every_kind_of_event_entry_passes() {
    let mut events = vec![
        event(0, 0, 1234, "USD", NOW - 3 * DAY),
        event(1, 1, 0, "", NOW - 2 * DAY),
        event(2, 0, 777, "ZZZ", NOW - DAY),
        event(3, 0, 500, "JPY", NOW - DAY),
        event(4, 0, 1, "EUR", 800_000_000),
        event(5, 1, 0, "", NOW),
    ];
    events[0].metadata = Bytes::from_static(br#"{"kwh":3}"#);
    events[1].metadata = Bytes::from_static(b"plain text");
    events[3].metadata = Bytes::from_static(b"[1,2]");
    events[5].metadata = Bytes::from_static(&[0xff, 0xfe]);
    // a value beyond 64 bits stays an exact integer
    events[2].value = U256::from(10u64).pow(U256::from(25));
    // records the contracts refuse (type 2, a revenue currency of the wrong shape) are left out
    events.push(event(6, 2, 0, "", NOW));
    events.push(event(7, 0, 5, "usd", NOW));
    let fx = FxTable::embedded();
    let text = serde_json::to_string(
        &events
            .iter()
            .filter(|e| view::presentable(e))
            .map(|e| view::event_entry(fx, e))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(
        text.contains("\"origin_value\":10000000000000000000000000,"),
        "{text}"
    );
    let entries: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(entries.len(), 6);
    for e in &entries[..] {
        if e["origin_value"].is_f64() {
            continue; // serde_json reads > u64 as a float; Python reads it as an int
        }
        guards::event_entries(std::slice::from_ref(e)).unwrap();
    }
    assert_eq!(entries[0]["metadata"], json!({"kwh": 3}));
    assert_eq!(entries[0]["origin_subunit"], 100);
    assert_eq!(entries[0]["usd_subunit"], 100);
    assert_eq!(entries[0]["fx_source"], "none");
    assert_eq!(entries[1]["metadata"], json!({"text": "plain text"}));
    for k in [
        "origin_currency",
        "usd_value",
        "origin_subunit",
        "usd_subunit",
        "amount_status",
        "fx_source",
    ] {
        assert!(
            entries[1].get(k).is_none(),
            "activity entries carry no {k}: {}",
            entries[1]
        );
    }
    assert_eq!(entries[2]["amount_status"], "unsupported_currency");
    assert_eq!(entries[2]["origin_subunit"], Value::Null);
    assert_eq!(entries[2]["usd_value"], 0);
    assert_eq!(entries[3]["origin_subunit"], 1, "JPY has no minor unit");
    assert_eq!(entries[3]["metadata"], json!({"value": [1, 2]}));
    assert_eq!(entries[5]["metadata"], json!({"hex": "0xfffe"}));
}

#[tokio::test]
async fn error_bodies_have_the_detail_shape() {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    for (code, sdk) in [
        (StatusCode::BAD_REQUEST, "HTTP_ERROR"),
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        (StatusCode::METHOD_NOT_ALLOWED, "HTTP_ERROR"),
        (StatusCode::TOO_MANY_REQUESTS, "HTTP_ERROR"),
        (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
    ] {
        let r = ApiError(code, "why".into()).into_response();
        assert_eq!(r.status(), code);
        assert_eq!(
            r.headers()[axum::http::header::CONTENT_TYPE],
            "application/json"
        );
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, json!({"detail": "why"}));
        assert_eq!(guards::error(code.as_u16(), &v).unwrap(), sdk);
    }
}
