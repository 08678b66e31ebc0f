//! Helpers shared by the integration tests.
#![allow(dead_code)]

use peaqos_mcr_model::{MachineFacts, ScoredEvent};
use peaqos_types::rating::AmountStatus;

pub(crate) const DAY: u64 = 86_400;
/// 2026-03-01T00:00:00Z, UTC day 20513.
pub(crate) const D: u64 = 1_772_323_200;
/// 2026-03-01T12:00:00Z.
pub(crate) const NOW: u64 = D + 12 * 3600;

/// Timestamp `days_ago` days before day D at `hour`:00 UTC.
pub(crate) fn at(days_ago: u64, hour: u64) -> u64 {
    D - days_ago * DAY + hour * 3600
}

pub(crate) fn revenue(ts: u64, trust: u8, cents: u64) -> ScoredEvent {
    ScoredEvent {
        event_type: 0,
        timestamp: ts,
        trust_level: trust,
        usd_cents: cents,
        amount_status: AmountStatus::Ok,
    }
}

pub(crate) fn activity(ts: u64, trust: u8) -> ScoredEvent {
    ScoredEvent {
        event_type: 1,
        timestamp: ts,
        trust_level: trust,
        usd_cents: 0,
        amount_status: AmountStatus::Ok,
    }
}

pub(crate) fn bonded() -> MachineFacts {
    MachineFacts {
        bonded: true,
        ..MachineFacts::default()
    }
}

/// One revenue event a day on each of `days_ago` (10:00 UTC).
pub(crate) fn daily_revenue(
    days_ago: impl IntoIterator<Item = u64>,
    trust: u8,
    cents: u64,
) -> Vec<ScoredEvent> {
    days_ago
        .into_iter()
        .map(|d| revenue(at(d, 10), trust, cents))
        .collect()
}

/// One activity event a day on each of `days_ago` (11:00 UTC).
pub(crate) fn daily_activity(
    days_ago: impl IntoIterator<Item = u64>,
    trust: u8,
) -> Vec<ScoredEvent> {
    days_ago
        .into_iter()
        .map(|d| activity(at(d, 11), trust))
        .collect()
}

pub(crate) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[track_caller]
pub(crate) fn assert_close(actual: f64, expected: f64) {
    assert!(close(actual, expected), "expected {expected}, got {actual}");
}
