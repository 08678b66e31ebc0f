//! Unit tests of every term of the scoring model on small hand-made histories.

use crate::common::*;
use peaqos_mcr_model::{GateStatus, MachineFacts, ScoredEvent, ScoringConfig, score};
use peaqos_types::rating::{AmountStatus, Rating, RevenueTrend};

fn cfg() -> ScoringConfig {
    ScoringConfig::default()
}

/// 40 days of $2.50 on-chain revenue (days 39..=0 ago), 25 days of hardware activity
/// (24..=0 ago) and one $0.50 self-reported revenue event 45 days ago: the docs' example.
fn worked_example_events() -> Vec<ScoredEvent> {
    let mut ev = vec![revenue(at(45, 10), 0, 50)];
    ev.extend(daily_revenue(0..40, 1, 250));
    ev.extend(daily_activity(0..25, 2));
    ev
}

#[test]
fn worked_example_matches_docs() {
    let r = score(&bonded(), &worked_example_events(), NOW, &cfg());
    let t = &r.terms;
    assert_eq!(t.today, 20513);
    assert_eq!(t.event_count, 66);
    // Gates.
    assert_close(t.gates.span_days, 45.0 + 1.0 / 24.0);
    assert!(t.gates.span_ok);
    assert_eq!(t.gates.qualifying_revenue_events, 40);
    assert_eq!(t.gates.activity_events, 25);
    assert!(t.gates.events_ok && t.gates.graduated);
    // Revenue: 40 qualifying days of 46 days of history, span 39 days.
    assert_eq!(t.revenue.days_of_history_in_window, 46);
    assert_eq!(t.revenue.counted_days_in_window, 40);
    assert_close(t.revenue.consistency, 40.0 / 46.0);
    assert_close(t.revenue.depth, 40.0 / 60.0);
    assert_eq!(t.revenue.span_days, 39);
    assert_close(t.revenue.tenure, 39.0 / 365.0);
    assert!((t.revenue.contribution - 18.2362).abs() < 1e-4);
    // Activity: 25 active days of 46, 25 events of 200, span 24 days.
    assert_close(t.activity.consistency, 25.0 / 46.0);
    assert_close(t.activity.depth, 25.0 / 200.0);
    assert_eq!(t.activity.span_days, 24);
    assert!((t.activity.contribution - 5.5516).abs() < 1e-4);
    // Trust: weights self 0.5 ($0.50), on-chain 100 ($100), hardware 25 (25 events).
    assert_close(t.trust.weight_self, 0.5);
    assert_close(t.trust.weight_onchain, 100.0);
    assert_close(t.trust.weight_hardware, 25.0);
    assert_close(t.trust.mean_tier, 100.2 / 125.5);
    assert_eq!(t.trust.freshness.value, 1.0);
    assert_eq!(t.trust.freshness.dormancy_cap, None);
    assert_eq!(t.trust.flag_penalty, 1.0);
    assert!((t.trust.contribution - 23.9522).abs() < 1e-4);
    assert!((t.sum - 67.7399).abs() < 5e-4);
    assert_eq!(t.computed_score, 68);
    assert_eq!(r.score, 68);
    assert_eq!(r.rating, Rating::BBB);
    assert_eq!(t.gates.status, GateStatus::Rated);
    // Trend: 250 cents a day in both windows.
    assert_eq!(t.trend.qualifying_revenue_events_long, 30);
    assert_close(t.trend.short_mean_cents, 250.0);
    assert_close(t.trend.long_mean_cents, 250.0);
    assert_eq!(r.revenue_trend, RevenueTrend::Stable);
    assert_eq!(r.total_revenue_usd_cents, 10_050);
    assert!(!r.degraded);

    // Variant of the docs: a negative flag set 10 days ago halves the trust term.
    let flagged = MachineFacts {
        flagged_at: Some(NOW - 10 * DAY),
        ..bonded()
    };
    let r = score(&flagged, &worked_example_events(), NOW, &cfg());
    assert_eq!(r.terms.trust.flag_penalty, 0.5);
    assert!((r.terms.trust.contribution - 11.9761).abs() < 1e-4);
    assert_eq!(r.score, 56);
    assert_eq!(r.rating, Rating::BB);

    // Variant: the same history read 37 days later (no new events).
    let later = NOW + 37 * DAY;
    let r = score(&bonded(), &worked_example_events(), later, &cfg());
    let f = &r.terms.trust.freshness;
    assert_close(f.days_since_last_event.unwrap(), 37.0 + 1.0 / 24.0);
    assert_close(f.decay, 0.5f64.powf((30.0 + 1.0 / 24.0) / 30.0));
    assert_eq!(r.terms.revenue.days_of_history_in_window, 83);
    assert_eq!(r.terms.revenue.counted_days_in_window, 40);
    assert!((r.terms.sum - 49.1625).abs() < 5e-4, "{}", r.terms.sum);
    assert_eq!(r.score, 49);
    assert_eq!(r.rating, Rating::BB);
    assert_eq!(r.revenue_trend, RevenueTrend::Insufficient);
}

#[test]
fn unbonded_and_deactivated_are_nr_with_zero_score() {
    let ev = worked_example_events();
    let r = score(&MachineFacts::default(), &ev, NOW, &cfg());
    assert_eq!((r.score, r.rating), (0, Rating::NR));
    assert_eq!(r.terms.gates.status, GateStatus::Unbonded);
    assert_eq!(r.terms.bond_baseline, 0.0);
    assert!(
        r.graduated,
        "the history gates are reported independently of the bond"
    );
    let deactivated = MachineFacts {
        deactivated: true,
        ..bonded()
    };
    let r = score(&deactivated, &ev, NOW, &cfg());
    assert_eq!((r.score, r.rating), (0, Rating::NR));
    assert_eq!(r.terms.gates.status, GateStatus::Deactivated);
}

#[test]
fn no_events_is_provisioned() {
    let r = score(&bonded(), &[], NOW, &cfg());
    assert_eq!((r.score, r.rating), (0, Rating::Provisioned));
    assert!(!r.graduated);
    assert_eq!(r.revenue_trend, RevenueTrend::Insufficient);
    assert_eq!(r.terms.revenue.days_of_history_in_window, 0);
    assert_eq!(r.terms.trust.mean_tier, 0.0);
    assert_eq!(r.terms.computed_score, 20);
    assert!(
        r.terms.gates.reason.contains("span"),
        "{}",
        r.terms.gates.reason
    );
}

#[test]
fn span_gate_needs_fourteen_days() {
    // 100 qualifying days' worth of events, but all within 13 days.
    let mut ev = daily_revenue(0..14, 2, 10_000);
    ev.extend(daily_activity(0..14, 2));
    ev.extend(daily_activity(0..14, 2));
    // span 13 days + 1 h
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert!(!r.terms.gates.span_ok);
    assert!(r.terms.gates.events_ok);
    assert_eq!((r.score, r.rating), (0, Rating::Provisioned));
    // One more day of history clears it.
    ev.push(activity(at(14, 11), 2));
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert!(r.terms.gates.span_ok && r.graduated);
    assert!(r.rating.is_rated());
}

#[test]
fn events_gate_revenue_or_activity() {
    // 9 qualifying revenue events and 19 activity events over 30 days: provisioned.
    let mut ev = daily_revenue((0..30).step_by(3).take(9), 1, 500);
    ev.extend(daily_activity(0..19, 1));
    ev.push(activity(at(29, 11), 1));
    assert_eq!(ev.len(), 29);
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_eq!(r.terms.gates.qualifying_revenue_events, 9);
    assert_eq!(r.terms.gates.activity_events, 20);
    assert!(r.graduated, "20 activity events graduate alone");

    let mut ev = daily_revenue((0..30).step_by(3).take(9), 1, 500);
    ev.extend(daily_activity(0..19, 1));
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_eq!(r.terms.gates.activity_events, 19);
    assert!(r.terms.gates.span_ok && !r.terms.gates.events_ok);
    assert_eq!(r.rating, Rating::Provisioned);

    ev.push(revenue(at(28, 10), 1, 500));
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_eq!(r.terms.gates.qualifying_revenue_events, 10);
    assert!(r.graduated);
}

#[test]
fn activity_only_machine_graduates_and_is_rated() {
    let ev = daily_activity(0..90, 2);
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert!(r.graduated);
    assert_eq!(r.terms.revenue.contribution, 0.0);
    assert_close(r.terms.activity.consistency, 1.0);
    assert_close(r.terms.activity.depth, 90.0 / 200.0);
    // 20 + 20 x (0.4 + 0.35 x 0.45 + 0.25 x 89/365) + 30 = 62.37.. -> 62
    assert_eq!(r.score, 62);
    assert_eq!(r.rating, Rating::BBB);
}

#[test]
fn revenue_is_aggregated_per_utc_day() {
    // 12 events of 60 cents on 12 different days: no day qualifies.
    let ev = daily_revenue(0..12, 1, 60);
    let mut ev2 = ev.clone();
    ev2.push(revenue(at(20, 10), 1, 60));
    let r = score(&bonded(), &ev2, NOW, &cfg());
    assert_eq!(r.terms.revenue.counted_days, 0);
    assert_eq!(r.terms.gates.qualifying_revenue_events, 0);
    assert_eq!(r.total_revenue_usd_cents, 13 * 60);
    // A second 60-cent event on each day makes every day qualify (120 >= 100).
    let mut ev3 = ev2.clone();
    ev3.extend(daily_revenue(0..12, 1, 60).into_iter().map(|mut e| {
        e.timestamp += 3 * 3600;
        e
    }));
    let r = score(&bonded(), &ev3, NOW, &cfg());
    assert_eq!(r.terms.revenue.counted_days, 12);
    assert_eq!(r.terms.gates.qualifying_revenue_events, 24);
    // Exactly 100 cents qualifies, 99 does not; 23:59:59 and 00:00:00 are different days.
    let ev = vec![
        revenue(at(3, 0), 1, 100),
        revenue(at(1, 0) - 1, 1, 50),
        revenue(at(1, 0), 1, 50),
        revenue(at(0, 5), 1, 99),
    ];
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_eq!(r.terms.revenue.counted_days, 1);
}

#[test]
fn consistency_depth_tenure_of_revenue() {
    // 30 qualifying days out of 30 days of history.
    let ev = daily_revenue(0..30, 1, 150);
    let r = score(&bonded(), &ev, NOW, &cfg());
    let t = &r.terms.revenue;
    assert_eq!(t.days_of_history_in_window, 30);
    assert_eq!(t.counted_days_in_window, 30);
    assert_close(t.consistency, 1.0);
    assert_close(t.depth, 0.5);
    assert_eq!(t.span_days, 29);
    assert_close(t.tenure, 29.0 / 365.0);
    assert_close(
        t.contribution,
        30.0 * (0.4 + 0.35 * 0.5 + 0.25 * 29.0 / 365.0),
    );
    // 200 days of history, every other day in the last 90 qualifies: 45 / 90.
    let mut ev = daily_revenue((0..90).step_by(2), 1, 150);
    ev.push(activity(at(199, 11), 1));
    let r = score(&bonded(), &ev, NOW, &cfg());
    let t = &r.terms.revenue;
    assert_eq!(t.days_of_history_in_window, 90);
    assert_eq!(t.counted_days_in_window, 45);
    assert_close(t.consistency, 0.5);
    assert_close(t.depth, 45.0 / 60.0);
    // Depth and tenure saturate at 60 days / 365 days.
    let ev = daily_revenue(0..400, 1, 150);
    let r = score(&bonded(), &ev, NOW, &cfg());
    let t = &r.terms.revenue;
    assert_close(t.depth, 1.0);
    assert_close(t.tenure, 1.0);
    assert_close(t.consistency, 1.0);
    assert_close(t.contribution, 30.0);
}

#[test]
fn activity_depth_counts_events_not_days() {
    let mut ev = daily_activity(0..50, 1);
    ev.extend(daily_activity(0..50, 1));
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_eq!(r.terms.activity.counted_days, 50);
    assert_eq!(r.terms.activity.depth_count, 100);
    assert_close(r.terms.activity.depth, 0.5);
    let ev: Vec<_> = (0..400).map(|i| activity(at(i % 100, 11), 1)).collect();
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.activity.depth, 1.0);
    // Full activity factor after a year of daily activity.
    let ev = daily_activity(0..366, 1);
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.activity.contribution, 20.0);
}

#[test]
fn trust_tiers_weighted_by_usd_value() {
    let ev = daily_activity(0..20, 2);
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.trust.mean_tier, 1.0);
    // $99 on-chain revenue vs one self-reported activity event.
    let ev = vec![revenue(at(1, 10), 1, 9_900), activity(at(1, 11), 0)];
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.trust.mean_tier, (99.0 * 0.75 + 0.40) / 100.0);
    // Unsupported currency carries no weight and no revenue even if a value slipped through.
    let mut unsupported = revenue(at(1, 12), 2, 1_000_000);
    unsupported.amount_status = AmountStatus::UnsupportedCurrency;
    let ev = vec![unsupported, activity(at(1, 11), 0)];
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.trust.mean_tier, 0.40);
    assert_eq!(r.total_revenue_usd_cents, 0);
    assert!(!r.degraded);
    assert_eq!(r.terms.unsupported_currency_event_count, 1);
    // Unknown trust levels score as self-reported.
    let ev = vec![activity(at(1, 11), 7)];
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.trust.mean_tier, 0.40);
}

#[test]
fn self_reported_graduation_bonus_after_a_year() {
    let mk = |span: u64| {
        let mut ev = daily_activity(0..30, 0);
        ev.push(activity(at(span, 11), 0));
        ev
    };
    let r = score(&bonded(), &mk(364), NOW, &cfg());
    assert!(!r.terms.trust.self_graduation_bonus);
    assert_close(r.terms.trust.mean_tier, 0.40);
    let r = score(&bonded(), &mk(365), NOW, &cfg());
    assert!(r.terms.trust.self_graduation_bonus);
    assert_close(r.terms.trust.tier_self_used, 0.50);
    assert_close(r.terms.trust.mean_tier, 0.50);
    assert!(r.terms.trust.mean_tier < cfg().tier_onchain);
}

#[test]
fn trust_override_replaces_the_mean() {
    let ev = daily_activity(0..30, 0);
    let over = |o: u8| MachineFacts {
        trust_override: Some(o),
        ..bonded()
    };
    let r = score(&over(100), &ev, NOW, &cfg());
    assert_close(r.terms.trust.mean_tier, 0.40);
    assert_eq!(r.terms.trust.override_used, Some(1.0));
    assert_close(r.terms.trust.contribution, 30.0);
    let r = score(&over(0), &ev, NOW, &cfg());
    assert_close(r.terms.trust.contribution, 0.0);
    let r = score(&over(250), &ev, NOW, &cfg());
    assert_eq!(r.terms.trust.override_used, Some(1.0));
    let r = score(&over(55), &ev, NOW, &cfg());
    assert_close(r.terms.trust.base, 0.55);
}

#[test]
fn freshness_decay_and_floor() {
    let cases = [
        (7.0, 1.0),
        (8.0, 0.5f64.powf(1.0 / 30.0)),
        (37.0, 0.5),
        (67.0, 0.25),
        (200.0, 0.25),
    ];
    // Activity on days 100..=30+k ago is irrelevant; only the last event matters.
    for (days, expected) in cases {
        let last = NOW - (days * DAY as f64) as u64;
        let ev = vec![activity(last - 20 * DAY, 1), activity(last, 1)];
        let r = score(&bonded(), &ev, NOW, &cfg());
        let f = &r.terms.trust.freshness;
        assert_close(f.days_since_last_event.unwrap(), days);
        assert_close(f.decay, expected);
        assert_close(f.value, expected);
    }
}

#[test]
fn dormancy_caps_freshness_until_recovered() {
    // Activity for 30 days, a 70-day gap, resumed 15 days ago, daily since.
    let mut ev = daily_activity(85..115, 1);
    ev.extend(daily_activity(0..=15, 1));
    let r = score(&bonded(), &ev, NOW, &cfg());
    let f = &r.terms.trust.freshness;
    assert_close(f.dormancy_gap_days.unwrap(), 70.0);
    assert_eq!(f.resumed_at, Some(at(15, 11)));
    assert_close(f.days_since_resumption.unwrap(), 15.0 + 1.0 / 24.0);
    let cap = 0.25 + 0.75 * (15.0 + 1.0 / 24.0) / 30.0;
    assert_close(f.dormancy_cap.unwrap(), cap);
    assert_close(f.decay, 1.0);
    assert_close(f.value, cap);
    // 30+ days after the resumption the cap is 1.
    let mut ev = daily_activity(100..130, 1);
    ev.extend(daily_activity(0..=35, 1));
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.trust.freshness.dormancy_cap.unwrap(), 1.0);
    assert_close(r.terms.trust.freshness.value, 1.0);
    // A 59-day gap is no dormancy.
    let ev = vec![activity(at(60, 11), 1), activity(at(1, 11), 1)];
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_eq!(r.terms.trust.freshness.dormancy_cap, None);
}

#[test]
fn resumption_right_after_dormancy_earns_only_the_floor() {
    // Documented edge (docs/MCR-MODEL.md): an event exactly after a 60-day silence replaces a
    // decayed freshness of 0.5^(53/30) = 0.29 by the dormancy cap 0.25: recovery is earned.
    let ev = daily_activity(60..100, 1);
    let before = score(&bonded(), &ev, NOW, &cfg());
    assert_close(
        before.terms.trust.freshness.value,
        0.5f64.powf((53.0 + 1.0 / 24.0) / 30.0),
    );
    let mut ev2 = ev.clone();
    ev2.push(activity(at(0, 11), 1));
    let after = score(&bonded(), &ev2, NOW, &cfg());
    assert_close(
        after.terms.trust.freshness.dormancy_cap.unwrap(),
        0.25 + 0.75 / 30.0 / 24.0,
    );
    assert!(after.terms.trust.freshness.value < before.terms.trust.freshness.value);
}

#[test]
fn flag_penalty_window() {
    let ev = daily_activity(0..30, 2);
    let flagged = |t: u64| MachineFacts {
        flagged_at: Some(t),
        ..bonded()
    };
    let clean = score(&bonded(), &ev, NOW, &cfg());
    let r = score(&flagged(NOW - 179 * DAY), &ev, NOW, &cfg());
    assert_eq!(r.terms.trust.flag_penalty, 0.5);
    assert_close(
        r.terms.trust.contribution,
        clean.terms.trust.contribution / 2.0,
    );
    assert!(r.score < clean.score);
    let r = score(&flagged(NOW - 180 * DAY), &ev, NOW, &cfg());
    assert_eq!(r.terms.trust.flag_penalty, 1.0);
    assert!(r.terms.trust.flag_active);
    assert_eq!(r.score, clean.score);
    // A flag timestamp after `now` (clock skew) is young: penalised.
    let r = score(&flagged(NOW + DAY), &ev, NOW, &cfg());
    assert_eq!(r.terms.trust.flag_penalty, 0.5);
}

#[test]
fn revenue_trend_windows() {
    // 4 qualifying events in 30 days: insufficient.
    let ev = daily_revenue(0..4, 1, 500);
    assert_eq!(
        score(&bonded(), &ev, NOW, &cfg()).revenue_trend,
        RevenueTrend::Insufficient
    );
    // Flat $5 a day for 30 days: stable.
    let ev = daily_revenue(0..30, 1, 500);
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_eq!(r.revenue_trend, RevenueTrend::Stable);
    assert_close(r.terms.trust.mean_tier, 0.75);
    // Last 7 days at $10 vs $5 before: short 1000, long (7x1000 + 23x500)/30 = 616.67 -> +62 %.
    let mut ev = daily_revenue(7..30, 1, 500);
    ev.extend(daily_revenue(0..7, 1, 1_000));
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.trust.mean_tier, 0.75);
    assert_close(r.terms.trend.short_mean_cents, 1_000.0);
    assert_close(r.terms.trend.long_mean_cents, 18_500.0 / 30.0);
    assert_eq!(r.revenue_trend, RevenueTrend::Up);
    // Nothing in the last 7 days: down.
    let ev = daily_revenue(7..30, 1, 500);
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.trend.change.unwrap(), -1.0);
    assert_eq!(r.revenue_trend, RevenueTrend::Down);
    // Non-qualifying days do not count.
    let ev = daily_revenue(0..30, 1, 99);
    assert_eq!(
        score(&bonded(), &ev, NOW, &cfg()).revenue_trend,
        RevenueTrend::Insufficient
    );
}

#[test]
fn fx_unavailable_degrades_but_still_scores() {
    let mut ev = daily_revenue(0..30, 1, 500);
    ev[3].amount_status = AmountStatus::FxUnavailable;
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert!(r.degraded);
    assert_eq!(r.terms.fx_unavailable_event_count, 1);
    assert_eq!(r.total_revenue_usd_cents, 30 * 500);
}

#[test]
fn below_threshold_is_nr_with_zero_wire_score() {
    // Graduated, but dormant for a year: 20 + small factors + 30 x 0.75 x 0.25.
    let ev = daily_activity(365..400, 1);
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert!(r.graduated);
    assert!(r.terms.computed_score < 30, "{}", r.terms.computed_score);
    assert_eq!((r.score, r.rating), (0, Rating::NR));
    assert_eq!(r.terms.gates.status, GateStatus::BelowThreshold);
    let keep = ScoringConfig {
        zero_score_when_unrated: false,
        ..cfg()
    };
    let r2 = score(&bonded(), &ev, NOW, &keep);
    assert_eq!(r2.score, r.terms.computed_score);
    assert_eq!(r2.rating, Rating::NR);
}

#[test]
fn maximum_history_scores_one_hundred() {
    let mut ev = daily_revenue(0..400, 2, 10_000);
    ev.extend(daily_activity(0..400, 2));
    let r = score(&bonded(), &ev, NOW, &cfg());
    assert_close(r.terms.sum, 100.0);
    assert_eq!((r.score, r.rating), (100, Rating::AAA));
}

#[test]
fn event_order_and_future_timestamps() {
    let ev = worked_example_events();
    let mut rev = ev.clone();
    rev.reverse();
    rev.swap(3, 40);
    let a = score(&bonded(), &ev, NOW, &cfg());
    let b = score(&bonded(), &rev, NOW, &cfg());
    assert_eq!(a.terms, b.terms);
    // An event after `now` counts as `now`; unknown event types are ignored.
    let mut ev2 = ev.clone();
    ev2.push(activity(NOW + 5 * DAY, 2));
    ev2.push(ScoredEvent {
        event_type: 9,
        ..activity(at(3, 1), 2)
    });
    let r = score(&bonded(), &ev2, NOW, &cfg());
    assert_eq!(r.terms.future_event_count, 1);
    assert_eq!(r.terms.ignored_event_count, 1);
    assert_eq!(r.terms.last_event_at, Some(NOW));
    assert_eq!(r.terms.activity_event_count, 26);
}

#[test]
fn terms_serialize_for_explain() {
    let r = score(&bonded(), &worked_example_events(), NOW, &cfg());
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["score"], 68);
    assert_eq!(v["rating"], "BBB");
    assert_eq!(v["revenue_trend"], "stable");
    assert_eq!(v["terms"]["gates"]["status"], "rated");
    assert_eq!(v["terms"]["revenue"]["counted_days_in_window"], 40);
    assert_eq!(v["terms"]["trust"]["freshness"]["value"], 1.0);
    assert!(v["terms"]["trust"]["override_used"].is_null());
    // The config round-trips and partial configs fill in defaults.
    let c: ScoringConfig = serde_json::from_str(r#"{"bond_baseline": 10}"#).unwrap();
    assert_eq!(c.bond_baseline, 10.0);
    assert_eq!(c.revenue_weight, 30.0);
    let back: ScoringConfig = serde_json::from_value(serde_json::to_value(cfg()).unwrap()).unwrap();
    assert_eq!(back, cfg());
}
