//! Property tests of the scoring model.

use crate::common::*;
use peaqos_mcr_model::{MachineFacts, McrResult, ScoredEvent, ScoringConfig, score};
use peaqos_types::rating::{AmountStatus, Rating};
use proptest::prelude::*;

fn event_strategy(max_days_ago: u64) -> impl Strategy<Value = ScoredEvent> {
    (
        0u8..2,
        0..max_days_ago * DAY,
        0u8..3,
        0u64..5_000,
        prop_oneof![
            8 => Just(AmountStatus::Ok),
            1 => Just(AmountStatus::UnsupportedCurrency),
        ],
    )
        .prop_map(
            |(event_type, ago, trust_level, cents, status)| ScoredEvent {
                event_type,
                timestamp: NOW - ago,
                trust_level,
                usd_cents: if event_type == 0 { cents } else { 0 },
                amount_status: if event_type == 0 {
                    status
                } else {
                    AmountStatus::Ok
                },
            },
        )
}

fn history(max_days_ago: u64, max_len: usize) -> impl Strategy<Value = Vec<ScoredEvent>> {
    prop::collection::vec(event_strategy(max_days_ago), 0..max_len)
}

fn facts_strategy() -> impl Strategy<Value = MachineFacts> {
    (
        any::<bool>(),
        prop::bool::weighted(0.1),
        prop::option::of(0..400 * DAY),
        prop::option::of(0u8..=100),
    )
        .prop_map(
            |(bonded, deactivated, flag_ago, trust_override)| MachineFacts {
                bonded,
                deactivated,
                flagged_at: flag_ago.map(|a| NOW - a),
                trust_override,
            },
        )
}

fn sc(facts: &MachineFacts, ev: &[ScoredEvent]) -> McrResult {
    score(facts, ev, NOW, &ScoringConfig::default())
}

/// Highest trust tier in the history (the extra day uses it, so the trust mean cannot fall).
fn max_tier(ev: &[ScoredEvent]) -> u8 {
    ev.iter().map(|e| e.trust_level).max().unwrap_or(2)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn score_in_range_and_letter_consistent(facts in facts_strategy(), ev in history(800, 300)) {
        let r = sc(&facts, &ev);
        prop_assert!(r.score <= 100);
        prop_assert!(r.terms.computed_score <= 100);
        prop_assert!(r.terms.sum.is_finite());
        for f in [&r.terms.revenue, &r.terms.activity] {
            for v in [f.consistency, f.depth, f.tenure] {
                prop_assert!((0.0..=1.0).contains(&v));
            }
        }
        let fr = r.terms.trust.freshness.value;
        prop_assert!((0.25..=1.0).contains(&fr));
        if r.rating.is_rated() {
            prop_assert_eq!(peaqos_types::rating_for_score(r.score), r.rating);
            prop_assert!(r.graduated && facts.bonded && !facts.deactivated);
        } else {
            prop_assert_eq!(r.score, 0);
        }
    }

    #[test]
    fn unbonded_is_always_nr(facts in facts_strategy(), ev in history(800, 200)) {
        let facts = MachineFacts { bonded: false, ..facts };
        let r = sc(&facts, &ev);
        prop_assert_eq!(r.rating, Rating::NR);
        prop_assert_eq!(r.score, 0);
    }

    #[test]
    fn below_the_span_gate_is_provisioned(
        facts in facts_strategy(),
        ev in prop::collection::vec(event_strategy(14), 0..300),
    ) {
        // Every event within 14 days: the span is below 14 days unless exactly 14 * DAY apart,
        // which the strategy (0..14 DAY) cannot produce.
        let facts = MachineFacts { bonded: true, deactivated: false, ..facts };
        let r = sc(&facts, &ev);
        prop_assert!(!r.terms.gates.span_ok);
        prop_assert_eq!(r.rating, Rating::Provisioned);
        prop_assert_eq!(r.score, 0);
    }

    #[test]
    fn below_the_events_gate_is_provisioned(
        facts in facts_strategy(),
        ev in prop::collection::vec(event_strategy(400), 0..28),
    ) {
        // At most 9 revenue and 18 activity events.
        let mut rev = 0;
        let mut act = 0;
        let ev: Vec<_> = ev.into_iter().filter(|e| {
            if e.event_type == 0 { rev += 1; rev <= 9 } else { act += 1; act <= 18 }
        }).collect();
        let facts = MachineFacts { bonded: true, deactivated: false, ..facts };
        let r = sc(&facts, &ev);
        prop_assert!(!r.terms.gates.events_ok);
        prop_assert_eq!(r.rating, Rating::Provisioned);
    }

    #[test]
    fn an_active_flag_never_raises_the_score(
        facts in facts_strategy(),
        ev in history(800, 200),
        flag_ago in 0..400 * DAY,
    ) {
        let clean = MachineFacts { flagged_at: None, ..facts.clone() };
        let flagged = MachineFacts { flagged_at: Some(NOW - flag_ago), ..facts };
        let a = sc(&clean, &ev);
        let b = sc(&flagged, &ev);
        prop_assert!(b.score <= a.score);
        prop_assert!(b.terms.sum <= a.terms.sum);
    }

    #[test]
    fn an_extra_qualifying_revenue_day_inside_the_history_never_lowers_the_score(
        facts in facts_strategy(),
        ev in history(800, 200),
        pos in 0.0f64..=1.0,
        cents in 100u64..100_000,
    ) {
        prop_assume!(ev.len() >= 2);
        let first = ev.iter().map(|e| e.timestamp).min().unwrap();
        let last = ev.iter().map(|e| e.timestamp).max().unwrap();
        let ts = first + ((last - first) as f64 * pos) as u64;
        let mut more = ev.clone();
        more.push(revenue(ts, max_tier(&ev), cents));
        let a = sc(&facts, &ev);
        let b = sc(&facts, &more);
        prop_assert!(b.terms.sum >= a.terms.sum - 1e-9, "{} < {}", b.terms.sum, a.terms.sum);
        prop_assert!(b.score >= a.score);
    }

    #[test]
    fn an_extra_recent_qualifying_revenue_day_never_lowers_the_score(
        facts in facts_strategy(),
        ev in history(60, 200),
        ago in 0..59 * DAY,
        cents in 100u64..100_000,
    ) {
        // A new event after the last one, less than a dormancy gap later.
        let last = ev.iter().map(|e| e.timestamp).max().unwrap_or(NOW - 59 * DAY);
        let ts = (NOW - ago).max(last);
        prop_assume!(ts - last < 60 * DAY);
        let mut more = ev.clone();
        more.push(revenue(ts, max_tier(&ev), cents));
        let a = sc(&facts, &ev);
        let b = sc(&facts, &more);
        prop_assert!(b.terms.sum >= a.terms.sum - 1e-9, "{} < {}", b.terms.sum, a.terms.sum);
        prop_assert!(b.score >= a.score);
    }

    #[test]
    fn an_fx_unavailable_event_sets_degraded(
        facts in facts_strategy(),
        ev in history(800, 100),
        ago in 0..800 * DAY,
        cents in 0u64..10_000,
    ) {
        prop_assert!(!sc(&facts, &ev).degraded);
        let mut more = ev.clone();
        more.push(ScoredEvent {
            amount_status: AmountStatus::FxUnavailable,
            ..revenue(NOW - ago, 0, cents)
        });
        prop_assert!(sc(&facts, &more).degraded);
    }

    #[test]
    fn order_does_not_matter(facts in facts_strategy(), ev in history(800, 100), seed in any::<u64>()) {
        let mut shuffled = ev.clone();
        // Deterministic Fisher-Yates with a xorshift.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(sc(&facts, &ev).terms, sc(&facts, &shuffled).terms);
    }
}
