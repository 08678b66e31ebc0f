//! Property tests of the daily rating history ([`daily_series`]) against an independent
//! recomputation: one [`score`] call per day over the events a plain filter keeps.

use crate::common::*;
use peaqos_mcr_model::{MachineFacts, ScoredEvent, ScoringConfig, daily_series, score};
use peaqos_types::rating::AmountStatus;
use proptest::prelude::*;

fn events(max_days_ago: u64) -> impl Strategy<Value = Vec<ScoredEvent>> {
    prop::collection::vec(
        (0u8..3, 0..max_days_ago * DAY, 0u8..3, 0u64..3_000, 0u8..10).prop_map(
            |(event_type, ago, trust_level, cents, status)| ScoredEvent {
                event_type,
                // a few events slightly in the future (clamped by the model)
                timestamp: if status == 9 {
                    NOW + ago % 7_200
                } else {
                    NOW - ago
                },
                trust_level,
                usd_cents: if event_type == 0 { cents } else { 0 },
                amount_status: match (event_type, status) {
                    (0, 0) => AmountStatus::UnsupportedCurrency,
                    (0, 1) => AmountStatus::FxUnavailable,
                    _ => AmountStatus::Ok,
                },
            },
        ),
        0..80,
    )
}

fn facts() -> impl Strategy<Value = MachineFacts> {
    (
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.1),
        prop::option::of(0..60 * DAY),
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_day_is_the_model_at_the_end_of_that_day(f in facts(), ev in events(70), from_ago in 0u64..80, len in 0u64..90) {
        let today = NOW / DAY;
        let from = today - from_ago;
        let to = from + len;
        let c = ScoringConfig::default();
        let s = daily_series(&f, &ev, from, to, NOW, &c);
        let last = to.min(today);
        prop_assert_eq!(s.len() as u64, if from > last { 0 } else { last - from + 1 });
        for p in &s {
            let (now_d, kept): (u64, Vec<ScoredEvent>) = if p.day == today {
                (NOW, ev.clone())
            } else {
                let end = p.day * DAY + DAY - 1;
                (end, ev.iter().filter(|e| e.timestamp <= end).cloned().collect())
            };
            let mut fd = f.clone();
            if p.day != today && fd.flagged_at.is_some_and(|t| t / DAY > p.day) {
                fd.flagged_at = None;
            }
            let r = score(&fd, &kept, now_d, &c);
            prop_assert_eq!(p.score, r.score, "day {}", p.day);
            prop_assert_eq!(p.computed_score, r.terms.computed_score);
            prop_assert_eq!(p.rating, r.rating);
            prop_assert_eq!(p.revenue_trend, r.revenue_trend);
            prop_assert_eq!(p.degraded, r.degraded);
            prop_assert_eq!(p.cumulative_events, r.terms.event_count);
            let on_day = |t: u8| kept.iter().filter(move |e| e.event_type == t && e.timestamp.min(now_d) / DAY == p.day);
            prop_assert_eq!(p.revenue_events, on_day(0).count() as u64);
            prop_assert_eq!(p.activity_events, on_day(1).count() as u64);
            let cents: u64 = on_day(0)
                .filter(|e| e.amount_status != AmountStatus::UnsupportedCurrency)
                .map(|e| e.usd_cents)
                .sum();
            prop_assert_eq!(p.revenue_usd_cents, cents);
        }
    }

    #[test]
    fn the_series_does_not_depend_on_event_order(f in facts(), mut ev in events(40)) {
        let today = NOW / DAY;
        let c = ScoringConfig::default();
        let a = daily_series(&f, &ev, today - 45, today, NOW, &c);
        ev.reverse();
        let b = daily_series(&f, &ev, today - 45, today, NOW, &c);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn daily_counts_add_up_to_the_cumulative_count(f in facts(), ev in events(40)) {
        let today = NOW / DAY;
        let s = daily_series(&f, &ev, today - 45, today, NOW, &ScoringConfig::default());
        let mut total = 0;
        for p in &s {
            total += p.revenue_events + p.activity_events;
            prop_assert_eq!(total, p.cumulative_events, "day {}", p.day);
        }
        let known = ev.iter().filter(|e| e.event_type < 2).count() as u64;
        prop_assert_eq!(total, known);
    }
}
