//! Scoring benchmark helpers, behind the `bench` feature
//! (`cargo run --release -p peaqos-mcr-model --features bench --example bench_scoring`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use peaqos_types::rating::AmountStatus;

use crate::history::daily_series;
use crate::scoring::{MachineFacts, SECONDS_PER_DAY, ScoredEvent, ScoringConfig, score};

/// `now` used by [`bench_scoring`] (2026-11-01T00:00:00Z).
pub const BENCH_NOW: u64 = 1_793_491_200;

/// A deterministic synthetic history of `events` events spread evenly over the two years
/// before `now`, oldest first: 60 % revenue (50 cents to $50, a few `fx_unavailable` and
/// `unsupported_currency`), 40 % activity, trust levels cycling 0/1/2.
pub fn synthetic_history(events: usize, now: u64) -> Vec<ScoredEvent> {
    let span = 730 * SECONDS_PER_DAY;
    let start = now.saturating_sub(span);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..events)
        .map(|i| {
            // xorshift64: cheap, deterministic pseudo-randomness.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let timestamp = start + (i as u64 * span) / events.max(1) as u64;
            let revenue = x % 10 < 6;
            let amount_status = match x % 97 {
                0 => AmountStatus::FxUnavailable,
                1 => AmountStatus::UnsupportedCurrency,
                _ => AmountStatus::Ok,
            };
            ScoredEvent {
                event_type: if revenue { 0 } else { 1 },
                timestamp,
                trust_level: (x % 3) as u8,
                usd_cents: if revenue && amount_status != AmountStatus::UnsupportedCurrency {
                    50 + (x >> 8) % 4_950
                } else {
                    0
                },
                amount_status: if revenue {
                    amount_status
                } else {
                    AmountStatus::Ok
                },
            }
        })
        .collect()
}

/// Times [`score`] on a synthetic bonded machine with `events` events over ~2 years
/// ([`synthetic_history`]): one warm-up run, then 15 timed runs; returns the median.
pub fn bench_scoring(events: usize) -> Duration {
    let history = synthetic_history(events, BENCH_NOW);
    let facts = MachineFacts {
        bonded: true,
        ..MachineFacts::default()
    };
    let config = ScoringConfig::default();
    black_box(score(&facts, &history, BENCH_NOW, &config));
    let mut runs: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            black_box(score(
                black_box(&facts),
                black_box(&history),
                BENCH_NOW,
                &config,
            ));
            t.elapsed()
        })
        .collect();
    runs.sort();
    runs[runs.len() / 2]
}

/// Times [`daily_series`] over the last `days` days of the same synthetic machine as
/// [`bench_scoring`] (`events` events over ~2 years): one warm-up run, then 5 timed runs;
/// returns the median. This is the cost of a `/mcr/{did}/history` request that finds no stored
/// day.
pub fn bench_daily_series(events: usize, days: u64) -> Duration {
    let history = synthetic_history(events, BENCH_NOW);
    let facts = MachineFacts {
        bonded: true,
        ..MachineFacts::default()
    };
    let config = ScoringConfig::default();
    let today = BENCH_NOW / SECONDS_PER_DAY;
    let from = (today + 1).saturating_sub(days);
    black_box(daily_series(
        &facts, &history, from, today, BENCH_NOW, &config,
    ));
    let mut runs: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            black_box(daily_series(
                black_box(&facts),
                black_box(&history),
                from,
                today,
                BENCH_NOW,
                &config,
            ));
            t.elapsed()
        })
        .collect();
    runs.sort();
    runs[runs.len() / 2]
}
