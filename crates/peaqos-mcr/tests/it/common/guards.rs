//! The response guards of peaq's Python SDK (`peaq-os-sdk` 0.1.0,
//! `query/_internal/response_guards.py` and `query/http_client.py`), rule for rule, over the
//! JSON the service sends. Python's `isinstance(x, int)` accepts no floats and, in the guards,
//! no booleans: `Value::is_i64`/`is_u64` say the same (a JSON `500.0` is a float in both).
//! Each guard returns the first rule a body breaks.
#![allow(dead_code)]

use serde_json::{Map, Value};

fn is_int(v: &Value) -> bool {
    v.is_i64() || v.is_u64()
}

fn is_non_negative_int(v: &Value) -> bool {
    v.is_u64()
}

fn is_mcr_score(v: &Value) -> bool {
    v.as_u64().is_some_and(|s| s <= 100)
}

fn is_numeric(v: &Value) -> bool {
    v.is_number()
}

fn non_empty_str(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty())
}

fn str_in(v: &Value, allowed: &[&str]) -> bool {
    v.as_str().is_some_and(|s| allowed.contains(&s))
}

const MCR_VALUES: &[&str] = &["AAA", "AA", "A", "BBB", "BB", "B", "NR", "Provisioned"];
const BOND_STATUSES: &[&str] = &["bonded", "unbonded"];
const REVENUE_TRENDS: &[&str] = &["up", "stable", "down", "insufficient"];
const AMOUNT_STATUSES: &[&str] = &["ok", "unsupported_currency", "fx_unavailable"];

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} is not an object: {v}"))
}

fn check(ok: bool, rule: &str, body: &Value) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("BAD_RESPONSE: {rule} in {body}"))
    }
}

/// `guard_mcr_response` (`GET /mcr/{did}`).
pub(crate) fn mcr(body: &Value) -> Result<(), String> {
    let b = object(body, "body")?;
    let g = |k: &str| b.get(k).unwrap_or(&Value::Null);
    check(non_empty_str(g("did")), "did non-empty string", body)?;
    check(
        is_non_negative_int(g("machine_id")),
        "machine_id int >= 0",
        body,
    )?;
    check(
        g("mcr_score").is_null() || is_mcr_score(g("mcr_score")),
        "mcr_score int 0..100 or null",
        body,
    )?;
    check(str_in(g("mcr"), MCR_VALUES), "mcr value", body)?;
    check(str_in(g("bond_status"), BOND_STATUSES), "bond_status", body)?;
    check(g("negative_flag").is_boolean(), "negative_flag bool", body)?;
    for k in ["event_count", "revenue_event_count", "activity_event_count"] {
        check(is_non_negative_int(g(k)), k, body)?;
    }
    check(
        str_in(g("revenue_trend"), REVENUE_TRENDS),
        "revenue_trend",
        body,
    )?;
    check(is_numeric(g("total_revenue")), "total_revenue number", body)?;
    check(
        is_numeric(g("average_revenue_per_event")),
        "average_revenue_per_event number",
        body,
    )?;
    check(
        g("last_updated").is_null() || is_non_negative_int(g("last_updated")),
        "last_updated int >= 0 or null",
        body,
    )?;
    check(g("mcr_degraded").is_boolean(), "mcr_degraded bool", body)
}

fn currency_shape(s: &str) -> bool {
    (3..=10).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `_guard_event_entries`.
pub(crate) fn event_entries(entries: &[Value]) -> Result<(), String> {
    for e in entries {
        let m = object(e, "event entry")?;
        let g = |k: &str| m.get(k).unwrap_or(&Value::Null);
        for k in ["event_type", "origin_value", "timestamp", "trust_level"] {
            check(is_int(g(k)), &format!("{k} int"), e)?;
        }
        check(
            matches!(g("event_type").as_i64(), Some(0 | 1)),
            "event_type 0 or 1",
            e,
        )?;
        check(g("metadata").is_object(), "metadata object", e)?;
        if g("event_type").as_i64() == Some(0) {
            check(
                g("origin_currency").as_str().is_some_and(currency_shape),
                "origin_currency shape",
                e,
            )?;
            check(m.contains_key("usd_value"), "usd_value present", e)?;
            check(
                g("usd_value").is_null() || is_non_negative_int(g("usd_value")),
                "usd_value int >= 0 or null",
                e,
            )?;
            check(
                m.contains_key("origin_subunit"),
                "origin_subunit present",
                e,
            )?;
            check(
                g("origin_subunit").is_null()
                    || g("origin_subunit").as_i64().is_some_and(|s| s > 0),
                "origin_subunit positive int or null",
                e,
            )?;
            check(
                m.contains_key("usd_subunit") && g("usd_subunit").as_i64() == Some(100),
                "usd_subunit == 100",
                e,
            )?;
            check(
                str_in(g("amount_status"), AMOUNT_STATUSES),
                "amount_status",
                e,
            )?;
        }
    }
    Ok(())
}

/// `guard_machine_profile_response` (`GET /machine/{did}`, `GET /metadata/{token_id}`).
pub(crate) fn profile(body: &Value) -> Result<(), String> {
    let b = object(body, "body")?;
    check(
        b.get("schema_version").is_some_and(non_empty_str),
        "schema_version non-empty string",
        body,
    )?;
    check(
        b.get("name").is_some_and(Value::is_string),
        "name string",
        body,
    )?;
    let p = object(b.get("peaqos").unwrap_or(&Value::Null), "peaqos")?;
    let g = |k: &str| p.get(k).unwrap_or(&Value::Null);
    check(is_non_negative_int(g("machine_id")), "machine_id", body)?;
    check(non_empty_str(g("did")), "did", body)?;
    check(
        g("operator").is_null() || g("operator").is_string(),
        "operator string or null",
        body,
    )?;
    check(str_in(g("mcr"), MCR_VALUES), "mcr", body)?;
    check(
        g("mcr_score").is_null() || is_mcr_score(g("mcr_score")),
        "mcr_score",
        body,
    )?;
    check(str_in(g("bond_status"), BOND_STATUSES), "bond_status", body)?;
    check(g("negative_flag").is_boolean(), "negative_flag", body)?;
    check(is_non_negative_int(g("event_count")), "event_count", body)?;
    check(non_empty_str(g("data_visibility")), "data_visibility", body)?;
    check(
        g("documentation_url").is_null() || g("documentation_url").is_string(),
        "documentation_url string or null",
        body,
    )?;
    if let Some(Value::Array(entries)) = p.get("event_data") {
        event_entries(entries)?;
    }
    Ok(())
}

/// `guard_operator_machines_response` (`GET /operator/{did}/machines`).
pub(crate) fn operator_machines(body: &Value) -> Result<(), String> {
    let b = object(body, "body")?;
    check(
        b.get("operator_did").is_some_and(non_empty_str),
        "operator_did",
        body,
    )?;
    let machines = b
        .get("machines")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("machines is not a list: {body}"))?;
    let page = object(b.get("pagination").unwrap_or(&Value::Null), "pagination")?;
    for k in ["offset", "limit", "total"] {
        check(
            page.get(k).is_some_and(is_non_negative_int),
            &format!("pagination.{k}"),
            body,
        )?;
    }
    for m in machines {
        let o = object(m, "machine")?;
        let g = |k: &str| o.get(k).unwrap_or(&Value::Null);
        check(non_empty_str(g("did")), "did", m)?;
        check(is_non_negative_int(g("machine_id")), "machine_id", m)?;
        check(
            g("mcr_score").is_null() || is_mcr_score(g("mcr_score")),
            "mcr_score",
            m,
        )?;
        check(str_in(g("mcr"), MCR_VALUES), "mcr", m)?;
        check(g("negative_flag").is_boolean(), "negative_flag", m)?;
    }
    Ok(())
}

/// `http_client._map_http_status` / `_read_detail`: a non-2xx answer maps by status (404
/// NOT_FOUND, 503 SERVICE_UNAVAILABLE, other 5xx SERVER_ERROR, else HTTP_ERROR) and its
/// `{"detail": str}` goes into the message. Checks that `status` is an error and `body` has a
/// string `detail`; returns the SDK's code.
pub(crate) fn error(status: u16, body: &Value) -> Result<&'static str, String> {
    check(!(200..300).contains(&status), "error status", body)?;
    check(
        body.get("detail").is_some_and(Value::is_string),
        "{\"detail\": str}",
        body,
    )?;
    Ok(match status {
        404 => "NOT_FOUND",
        503 => "SERVICE_UNAVAILABLE",
        500..=599 => "SERVER_ERROR",
        _ => "HTTP_ERROR",
    })
}
