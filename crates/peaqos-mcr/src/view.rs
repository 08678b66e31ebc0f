//! From stored rows to the model's inputs and the API's JSON documents (pure functions).

use crate::store::{EventCounts, EventRow, MachineState};
use alloy::primitives::Address;
use peaqos_mcr_model::fx::minor_unit_digits;
use peaqos_mcr_model::{
    FxConversion, FxTable, MachineFacts, McrResult, ScoredEvent, ScoringConfig, SourceCheck,
};
use peaqos_types::constants::{
    DID_ATTR_DATA_API, DID_ATTR_DATA_VISIBILITY, DID_ATTR_DOCUMENTATION_URL,
    MAX_OPERATOR_MACHINES_READ,
};
use peaqos_types::did::{DataVisibility, Did};
use peaqos_types::identity::MachineStatus;
use peaqos_types::mcr_wire::{
    CardRegistration, CardService, EventEntry, ExplainFacts, ExplainResponse, JsonUint,
    MACHINE_CARD_TYPE, MachineCard, MachineProfile, McrResponse, OperatorMachine,
    PROFILE_SCHEMA_VERSION, PeaqosData, SourceVerification, USD_SUBUNIT, metadata_object,
};
use peaqos_types::rating::{AmountStatus, BondStatus};
use serde_json::Value;
use std::collections::HashMap;

/// `description` of the profile and the Machine Card.
pub const DESCRIPTION: &str = "peaqOS machine";

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
    /// Trust-level-1 events by source-chain check.
    pub source_verification: SourceVerification,
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

/// The model's inputs of stored events (revenue converted to USD cents; a trust-level-1 event
/// counts as on-chain only once its source-chain check verified it:
/// [`peaqos_mcr_model::scored_trust_level`]).
pub fn scored_events(events: &[EventRow], fx: &FxTable) -> Vec<ScoredEvent> {
    events
        .iter()
        .map(|e| {
            let (usd_cents, amount_status) = match convert(fx, e) {
                Some(c) => (c.usd_cents, c.amount_status),
                None => (0, AmountStatus::Ok),
            };
            ScoredEvent {
                event_type: e.event_type,
                timestamp: e.timestamp,
                trust_level: peaqos_mcr_model::scored_trust_level(e.trust_level, e.source_check),
                usd_cents,
                amount_status,
            }
        })
        .collect()
}

/// Converts and scores.
pub fn build_view(
    state: MachineState,
    events: &[EventRow],
    fx: &FxTable,
    config: &ScoringConfig,
    now: u64,
) -> MachineView {
    let scored = scored_events(events, fx);
    let facts = facts_of(&state);
    let result = peaqos_mcr_model::score(&facts, &scored, now, config);
    let mut counts = EventCounts::default();
    let mut source_verification = SourceVerification::default();
    for e in events {
        match e.source_check {
            SourceCheck::Verified => source_verification.verified += 1,
            SourceCheck::Unverified => source_verification.unverified += 1,
            SourceCheck::Pending => source_verification.pending += 1,
            SourceCheck::NotApplicable => {}
        }
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
        source_verification,
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
pub fn mcr_doc(v: &MachineView) -> McrResponse {
    let avg = if v.counts.revenue == 0 {
        0.0
    } else {
        v.result.total_revenue_usd_cents as f64 / v.counts.revenue as f64
    };
    McrResponse {
        did: did_of(v.state.machine.address),
        machine_id: v.state.machine.machine_id,
        mcr_score: v.result.score,
        mcr: v.result.rating,
        mcr_degraded: v.result.degraded,
        bond_status: bond_status(v),
        negative_flag: v.state.flagged_at.is_some(),
        event_count: v.counts.total,
        revenue_event_count: v.counts.revenue,
        activity_event_count: v.counts.activity,
        revenue_trend: v.result.revenue_trend,
        total_revenue: v.result.total_revenue_usd_cents as f64,
        average_revenue_per_event: avg,
        last_updated: Some(v.last_updated),
    }
}

/// The `GET /mcr/{did}/explain` document: every term and the gate status.
pub fn explain_doc(v: &MachineView, config: &ScoringConfig) -> ExplainResponse {
    ExplainResponse {
        did: did_of(v.state.machine.address),
        machine_id: v.state.machine.machine_id,
        mcr_score: v.result.score,
        mcr: v.result.rating,
        mcr_degraded: v.result.degraded,
        graduated: v.result.graduated,
        facts: ExplainFacts {
            bonded: v.facts.bonded,
            deactivated: v.facts.deactivated,
            flagged_at: v.facts.flagged_at,
            trust_override: v.facts.trust_override,
            status: status_name(v.state.status).to_owned(),
        },
        terms: serde_json::to_value(&v.result.terms).unwrap_or(Value::Null),
        config: format!("{config:?}"),
        source_verification: Some(v.source_verification),
    }
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
    let s = &v.state;
    (s.operator != s.machine.address).then(|| did_of(s.operator))
}

fn machine_name(v: &MachineView) -> String {
    v.state.nft_token_id.map_or_else(
        || "Machine (no NFT)".to_owned(),
        |t| format!("Machine #{t}"),
    )
}

/// Whether an event record can be shown the way peaq's SDK reads `event_data[]`: event type 0
/// or 1, and a revenue currency of 3-10 upper-case letters or digits (what the contract
/// accepts). Records the contracts would have refused are left out of `event_data`.
pub fn presentable(e: &EventRow) -> bool {
    match e.event_type {
        0 => is_currency_shape(&e.currency),
        1 => true,
        _ => false,
    }
}

fn is_currency_shape(c: &str) -> bool {
    (3..=10).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// One `event_data[]` entry (revenue entries carry the FX fields, activity entries none).
pub fn event_entry(fx: &FxTable, e: &EventRow) -> EventEntry {
    let mut entry = EventEntry {
        event_index: Some(e.event_index),
        event_type: e.event_type,
        origin_value: JsonUint(e.value),
        timestamp: e.timestamp,
        trust_level: e.trust_level,
        metadata: metadata_object(&e.metadata),
        data_hash: Some(e.data_hash.to_string()),
        source_chain_id: Some(JsonUint(e.source_chain_id)),
        source_tx_hash: Some(e.source_tx_hash.to_string()),
        block_number: Some(e.block),
        tx_hash: Some(e.tx_hash.to_string()),
        origin_currency: None,
        usd_value: None,
        origin_subunit: None,
        usd_subunit: None,
        amount_status: None,
        fx_source: None,
    };
    if let Some(c) = convert(fx, e) {
        let subunit = (c.amount_status != AmountStatus::UnsupportedCurrency)
            .then(|| minor_unit_digits(&e.currency).map(|d| 10u64.pow(u32::from(d))))
            .flatten();
        entry.origin_currency = Some(e.currency.clone());
        entry.usd_value = Some(c.usd_cents);
        entry.origin_subunit = Some(subunit);
        entry.usd_subunit = Some(USD_SUBUNIT);
        entry.amount_status = Some(c.amount_status);
        entry.fx_source = Some(c.fx_source.as_str().to_owned());
    }
    entry
}

/// What a profile shows beyond the common fields, by `data_visibility`.
#[derive(Debug, Clone, PartialEq)]
pub enum VisibilityData {
    /// `private`: `data_api` when set.
    Private,
    /// `onchain`: these events (the first [`crate::api::EVENT_DATA_LIMIT`], oldest first).
    Onchain(Vec<EventRow>),
    /// `public`: the partner fetch of `data_api` (`None` when the attribute is unset).
    Public(Option<Result<Value, String>>),
}

/// The machine profile (`/machine/{did}`, `/metadata/{token_id}`).
pub fn profile_doc(
    v: &MachineView,
    attrs: &HashMap<String, String>,
    fx: &FxTable,
    data: VisibilityData,
) -> MachineProfile {
    let m = &v.state.machine;
    let mut peaqos = PeaqosData {
        machine_id: m.machine_id,
        did: did_of(m.address),
        operator: operator_did(v),
        mcr: v.result.rating,
        mcr_score: v.result.score,
        bond_status: bond_status(v),
        negative_flag: v.state.flagged_at.is_some(),
        event_count: v.counts.total,
        data_visibility: visibility(attrs),
        documentation_url: attr(attrs, DID_ATTR_DOCUMENTATION_URL).map(str::to_owned),
        nft_token_id: v.state.nft_token_id,
        status: Some(status_name(v.state.status).to_owned()),
        revenue_trend: Some(v.result.revenue_trend),
        mcr_degraded: Some(v.result.degraded),
        data_api: None,
        event_data: None,
        partner_data: None,
        partner_data_error: None,
        source_verification: Some(v.source_verification),
        machine_nft: None,
    };
    match data {
        VisibilityData::Private => peaqos.data_api = data_api(attrs).map(str::to_owned),
        VisibilityData::Onchain(events) => {
            peaqos.event_data = Some(
                events
                    .iter()
                    .filter(|e| presentable(e))
                    .map(|e| event_entry(fx, e))
                    .collect(),
            );
        }
        VisibilityData::Public(fetched) => {
            peaqos.data_api = data_api(attrs).map(str::to_owned);
            match fetched {
                Some(Ok(d)) => peaqos.partner_data = Some(d),
                Some(Err(e)) => peaqos.partner_data_error = Some(e),
                None => peaqos.partner_data_error = Some("data_api is not set".into()),
            }
        }
    }
    MachineProfile {
        schema_version: PROFILE_SCHEMA_VERSION.to_owned(),
        name: machine_name(v),
        description: Some(DESCRIPTION.to_owned()),
        peaqos,
        extra: serde_json::Map::new(),
    }
}

/// The `data_api` attribute.
pub fn data_api(attrs: &HashMap<String, String>) -> Option<&str> {
    attr(attrs, DID_ATTR_DATA_API)
}

/// The Machine Card (`/machines/{machine_id}`, ERC-8004 registration-file pattern). `base` is
/// the service's public URL (no trailing slash): the card's image and MCR endpoints hang off it.
pub fn machine_card(
    v: &MachineView,
    attrs: &HashMap<String, String>,
    chain_id: u64,
    registry: Address,
    base: &str,
) -> MachineCard {
    let m = &v.state.machine;
    let did = did_of(m.address);
    let id = m.machine_id;
    let service = |name: &str, endpoint: String, version: Option<&str>| CardService {
        name: name.to_owned(),
        endpoint,
        version: version.map(str::to_owned),
    };
    let mut services = vec![
        service("MCR", format!("{base}/mcr/{did}"), None),
        service("explain", format!("{base}/mcr/{did}/explain"), None),
        service(
            "profile",
            format!("{base}/machine/{did}"),
            Some(PROFILE_SCHEMA_VERSION),
        ),
    ];
    if let Some(t) = v.state.nft_token_id {
        services.push(service(
            "metadata",
            format!("{base}/metadata/{t}"),
            Some(PROFILE_SCHEMA_VERSION),
        ));
    }
    if let Some(u) = data_api(attrs) {
        services.push(service("web", u.to_owned(), None));
    }
    let active = matches!(
        MachineStatus::from_u8(v.state.status),
        Some(MachineStatus::Pending | MachineStatus::Verified)
    );
    let mut supported_trust = vec!["reputation".to_owned()];
    if v.facts.bonded {
        supported_trust.push("crypto-economic".to_owned());
    }
    MachineCard {
        kind: MACHINE_CARD_TYPE.to_owned(),
        name: format!("Machine #{id}"),
        description: DESCRIPTION.to_owned(),
        image: format!("{base}/machines/{id}/image.svg"),
        did,
        active,
        services,
        data_visibility: visibility(attrs),
        documentation_url: attr(attrs, DID_ATTR_DOCUMENTATION_URL).map(str::to_owned),
        operator: operator_did(v),
        bond_status: bond_status(v),
        event_count: v.counts.total,
        registrations: vec![CardRegistration {
            kind: MACHINE_CARD_TYPE.to_owned(),
            machine_id: id,
            machine_registry: format!("eip155:{chain_id}:{}", registry.to_checksum(None)),
        }],
        supported_trust,
    }
}

/// The Machine Card's image: an SVG with the machine id and its rating (only digits and
/// fixed words are interpolated).
pub fn machine_card_svg(v: &MachineView) -> String {
    let id = v.state.machine.machine_id;
    let rating = v.result.rating.as_str();
    let score = v.result.score;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400"><rect width="400" height="400" rx="24" fill="#0b1020"/><text x="200" y="150" font-family="sans-serif" font-size="36" fill="#ffffff" text-anchor="middle">Machine #{id}</text><text x="200" y="240" font-family="sans-serif" font-size="72" fill="#7cf2c0" text-anchor="middle">{rating}</text><text x="200" y="300" font-family="sans-serif" font-size="24" fill="#9aa4c0" text-anchor="middle">MCR {score}</text></svg>"##
    )
}

/// One entry of `/operator/{did}/machines`.
pub fn operator_entry(v: &MachineView) -> OperatorMachine {
    OperatorMachine {
        did: did_of(v.state.machine.address),
        machine_id: v.state.machine.machine_id,
        mcr_score: v.result.score,
        mcr: v.result.rating,
        negative_flag: v.state.flagged_at.is_some(),
    }
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
