//! From stored rows to the model's inputs and the API's JSON documents (pure functions).

use crate::store::{EventCounts, EventRow, MachineState};
use alloy::primitives::{Address, U256};
use peaqos_mcr_model::{
    FxConversion, FxTable, MachineFacts, McrResult, ScoredEvent, ScoringConfig,
};
use peaqos_types::constants::{
    DID_ATTR_DATA_API, DID_ATTR_DATA_VISIBILITY, DID_ATTR_DOCUMENTATION_URL,
    MAX_OPERATOR_MACHINES_READ,
};
use peaqos_types::did::{DataVisibility, Did};
use peaqos_types::identity::MachineStatus;
use peaqos_types::rating::{AmountStatus, BondStatus};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A scored machine: what `/mcr`, `/explain`, `/machine` and the operator list are built from.
#[derive(Debug, Clone)]
pub struct MachineView {
    /// Folded chain state.
    pub state: MachineState,
    /// Event counts.
    pub counts: EventCounts,
    /// The model's output.
    pub result: McrResult,
    /// The facts given to the model.
    pub facts: MachineFacts,
    /// Newest submission time of an event (block time when known, else the event time).
    pub last_updated: u64,
}

/// The machine facts the model needs.
pub fn facts_of(state: &MachineState) -> MachineFacts {
    MachineFacts {
        bonded: state.bonded(),
        deactivated: state.deactivated(),
        flagged_at: state.flagged_at,
        trust_override: state.trust_override,
    }
}

/// FX conversion of one event (activity events need none).
pub fn convert(fx: &FxTable, e: &EventRow) -> Option<FxConversion> {
    (e.event_type == 0).then(|| fx.convert(e.value, &e.currency, e.timestamp))
}

/// Converts and scores.
pub fn build_view(
    state: MachineState,
    events: &[EventRow],
    fx: &FxTable,
    config: &ScoringConfig,
    now: u64,
) -> MachineView {
    let scored: Vec<ScoredEvent> = events
        .iter()
        .map(|e| {
            let (usd_cents, amount_status) = match convert(fx, e) {
                Some(c) => (c.usd_cents, c.amount_status),
                None => (0, AmountStatus::Ok),
            };
            ScoredEvent {
                event_type: e.event_type,
                timestamp: e.timestamp,
                trust_level: e.trust_level,
                usd_cents,
                amount_status,
            }
        })
        .collect();
    let facts = facts_of(&state);
    let result = peaqos_mcr_model::score(&facts, &scored, now, config);
    let mut counts = EventCounts::default();
    for e in events {
        counts.total += 1;
        match e.event_type {
            0 => counts.revenue += 1,
            1 => counts.activity += 1,
            _ => {}
        }
    }
    let last_updated = events
        .iter()
        .map(|e| e.block_timestamp.unwrap_or(e.timestamp))
        .max()
        .unwrap_or(0);
    MachineView {
        state,
        counts,
        result,
        facts,
        last_updated,
    }
}

/// `did:peaq:0x…` (EIP-55) of an address.
pub fn did_of(a: Address) -> String {
    Did::new(a).to_string()
}

fn bond_status(v: &MachineView) -> BondStatus {
    if v.facts.bonded {
        BondStatus::Bonded
    } else {
        BondStatus::Unbonded
    }
}

/// The `GET /mcr/{did}` document (the seed's exact shape).
pub fn mcr_json(v: &MachineView) -> Value {
    let avg = if v.counts.revenue == 0 {
        0.0
    } else {
        v.result.total_revenue_usd_cents as f64 / v.counts.revenue as f64
    };
    json!({
        "did": did_of(v.state.machine.address),
        "machine_id": v.state.machine.machine_id,
        "mcr_score": v.result.score,
        "mcr": v.result.rating.as_str(),
        "mcr_degraded": v.result.degraded,
        "bond_status": bond_status(v).as_str(),
        "negative_flag": v.state.flagged_at.is_some(),
        "event_count": v.counts.total,
        "revenue_event_count": v.counts.revenue,
        "activity_event_count": v.counts.activity,
        "revenue_trend": v.result.revenue_trend.as_str(),
        "total_revenue": v.result.total_revenue_usd_cents,
        "average_revenue_per_event": avg,
        "last_updated": v.last_updated,
    })
}

/// The `GET /mcr/{did}/explain` document: every term and the gate status.
pub fn explain_json(v: &MachineView, config: &ScoringConfig) -> Value {
    json!({
        "did": did_of(v.state.machine.address),
        "machine_id": v.state.machine.machine_id,
        "mcr_score": v.result.score,
        "mcr": v.result.rating.as_str(),
        "mcr_degraded": v.result.degraded,
        "graduated": v.result.graduated,
        "facts": {
            "bonded": v.facts.bonded,
            "deactivated": v.facts.deactivated,
            "flagged_at": v.facts.flagged_at,
            "trust_override": v.facts.trust_override,
            "status": status_name(v.state.status),
        },
        "terms": serde_json::to_value(&v.result.terms).unwrap_or(Value::Null),
        "config": format!("{config:?}"),
    })
}

fn status_name(s: u8) -> &'static str {
    MachineStatus::from_u8(s).map_or("Unknown", MachineStatus::as_str)
}

fn attr<'a>(attrs: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    attrs
        .get(name)
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// `data_visibility` of a machine (unset, empty or unknown: private).
pub fn visibility(attrs: &HashMap<String, String>) -> DataVisibility {
    DataVisibility::from_attribute(attrs.get(DID_ATTR_DATA_VISIBILITY).map(String::as_str))
        .unwrap_or_default()
}

fn operator_did(v: &MachineView) -> Option<String> {
    let m = &v.state.machine;
    (m.operator != m.address).then(|| did_of(m.operator))
}

fn machine_name(v: &MachineView) -> String {
    v.state.nft_token_id.map_or_else(
        || "Machine (no NFT)".to_owned(),
        |t| format!("Machine #{t}"),
    )
}

fn u256_json(x: U256) -> Value {
    u64::try_from(x).map_or_else(|_| Value::String(x.to_string()), Value::from)
}

/// Event metadata as JSON when it is JSON, else UTF-8 text, else `0x` hex; empty is null.
pub fn metadata_json(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned())),
        Err(_) => Value::String(alloy::primitives::hex::encode_prefixed(bytes)),
    }
}

/// One `event_data[]` entry.
pub fn event_json(fx: &FxTable, e: &EventRow) -> Value {
    let conv = convert(fx, e);
    json!({
        "event_index": e.event_index,
        "event_type": e.event_type,
        "value": u256_json(e.value),
        "currency": e.currency,
        "timestamp": e.timestamp,
        "trust_level": e.trust_level,
        "data_hash": e.data_hash.to_string(),
        "source_chain_id": u256_json(e.source_chain_id),
        "source_tx_hash": e.source_tx_hash.to_string(),
        "metadata": metadata_json(&e.metadata),
        "submitter": e.submitter.to_checksum(None),
        "block_number": e.block,
        "tx_hash": e.tx_hash.to_string(),
        "origin_value": u256_json(e.value),
        "usd_value": conv.as_ref().map(|c| c.usd_cents),
        "amount_status": conv.as_ref().map(|c| c.amount_status.as_str()),
        "fx_source": conv.as_ref().map(|c| c.fx_source.as_str()),
    })
}

/// The machine profile (`/machine/{did}`, `/metadata/{token_id}`) without the visibility extras.
pub fn profile_json(v: &MachineView, attrs: &HashMap<String, String>) -> Value {
    let m = &v.state.machine;
    json!({
        "schema_version": "1.0",
        "name": machine_name(v),
        "description": "peaqOS machine",
        "peaqos": {
            "machine_id": m.machine_id,
            "did": did_of(m.address),
            "operator": operator_did(v),
            "mcr": v.result.rating.as_str(),
            "mcr_score": v.result.score,
            "bond_status": bond_status(v).as_str(),
            "negative_flag": v.state.flagged_at.is_some(),
            "event_count": v.counts.total,
            "data_visibility": visibility(attrs).as_str(),
            "documentation_url": attr(attrs, DID_ATTR_DOCUMENTATION_URL),
            "nft_token_id": v.state.nft_token_id,
            "status": status_name(v.state.status),
            "revenue_trend": v.result.revenue_trend.as_str(),
            "mcr_degraded": v.result.degraded,
        }
    })
}

/// The `data_api` attribute.
pub fn data_api(attrs: &HashMap<String, String>) -> Option<&str> {
    attr(attrs, DID_ATTR_DATA_API)
}

/// The Machine Card (`/machines/{machine_id}`, ERC-8004 registration pattern).
pub fn machine_card_json(
    v: &MachineView,
    attrs: &HashMap<String, String>,
    chain_id: u64,
    registry: Address,
) -> Value {
    let m = &v.state.machine;
    let services: Vec<Value> = data_api(attrs)
        .map(|u| json!({"name": "web", "endpoint": u}))
        .into_iter()
        .collect();
    let active = matches!(
        MachineStatus::from_u8(v.state.status),
        Some(MachineStatus::Pending | MachineStatus::Verified)
    );
    json!({
        "type": "peaqos:registration:v1",
        "name": machine_name(v),
        "description": "peaqOS machine",
        "did": did_of(m.address),
        "active": active,
        "services": services,
        "data_visibility": visibility(attrs).as_str(),
        "documentation_url": attr(attrs, DID_ATTR_DOCUMENTATION_URL),
        "operator": operator_did(v),
        "bond_status": bond_status(v).as_str(),
        "event_count": v.counts.total,
        "registrations": [{
            "type": "peaqos:registration:v1",
            "machineId": m.machine_id,
            "machineRegistry": format!("eip155:{chain_id}:{}", registry.to_checksum(None)),
        }],
    })
}

/// One entry of `/operator/{did}/machines`.
pub fn operator_entry_json(v: &MachineView) -> Value {
    json!({
        "did": did_of(v.state.machine.address),
        "machine_id": v.state.machine.machine_id,
        "mcr_score": v.result.score,
        "mcr": v.result.rating.as_str(),
        "negative_flag": v.state.flagged_at.is_some(),
    })
}

/// Parses a proxy's `machines` attribute: a JSON array of ids (numbers or decimal strings);
/// invalid entries are skipped, duplicates dropped, the first 100 valid ids kept.
pub fn parse_machines_attribute(value: &str) -> Vec<u64> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(value) else {
        return Vec::new();
    };
    let mut out: Vec<u64> = Vec::new();
    for item in items {
        let id = match item {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        if let Some(id) = id.filter(|id| *id > 0)
            && !out.contains(&id)
        {
            out.push(id);
            if out.len() == MAX_OPERATOR_MACHINES_READ {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn machines_attribute_is_truncated_to_100_valid_ids() {
        let ids: Vec<String> = (1..=150).map(|i| i.to_string()).collect();
        let text = format!("[\"x\", -1, 0, {}]", ids.join(","));
        let parsed = parse_machines_attribute(&text);
        assert_eq!(parsed.len(), 100);
        assert_eq!(parsed[0], 1);
        assert_eq!(parsed[99], 100);
        assert_eq!(parse_machines_attribute("[\"7\", 7, 8]"), vec![7, 8]);
        assert!(parse_machines_attribute("not json").is_empty());
    }

    #[test]
    fn metadata_rendering() {
        assert_eq!(metadata_json(b""), Value::Null);
        assert_eq!(metadata_json(br#"{"kwh":3}"#), json!({"kwh": 3}));
        assert_eq!(metadata_json(b"plain"), json!("plain"));
        assert_eq!(metadata_json(&[0xff, 0x00]), json!("0xff00"));
    }

    proptest! {
        #[test]
        fn machines_attribute_never_exceeds_the_cap(ids in proptest::collection::vec(any::<u64>(), 0..300)) {
            let text = serde_json::to_string(&ids).unwrap();
            let parsed = parse_machines_attribute(&text);
            prop_assert!(parsed.len() <= MAX_OPERATOR_MACHINES_READ);
            prop_assert!(parsed.iter().all(|id| ids.contains(id) && *id > 0));
        }
    }
}
