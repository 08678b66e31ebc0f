//! Prints the median time of one `score()` call for 1k, 10k and 100k events, of one
//! `daily_series()` (the rating history) over 30 and 366 days, and the cost of parsing the
//! embedded ECB history and of one FX conversion.
//!
//! `cargo run --release -p peaqos-mcr-model --features bench --example bench_scoring`

use std::hint::black_box;
use std::time::Instant;

use alloy_primitives::U256;
use peaqos_mcr_model::{FxTable, bench_daily_series, bench_scoring, fx::EMBEDDED_CSV};

fn main() {
    for n in [1_000usize, 10_000, 100_000] {
        let d = bench_scoring(n);
        println!(
            "score() with {n:>7} events: median {:>9.3} ms ({:.1} ns/event)",
            d.as_secs_f64() * 1e3,
            d.as_nanos() as f64 / n as f64
        );
    }

    for (n, days) in [
        (1_000usize, 30u64),
        (1_000, 366),
        (10_000, 30),
        (10_000, 366),
    ] {
        let d = bench_daily_series(n, days);
        println!(
            "daily_series() with {n:>6} events over {days:>3} days: median {:>8.3} ms ({:.1} us/day)",
            d.as_secs_f64() * 1e3,
            d.as_secs_f64() * 1e6 / days as f64
        );
    }

    let t = Instant::now();
    let table = FxTable::from_csv(black_box(EMBEDDED_CSV)).expect("embedded CSV parses");
    println!(
        "parse embedded ECB history ({} .. {}): {:.1} ms",
        table.first_date(),
        table.last_date(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let n = 100_000u64;
    let t = Instant::now();
    let mut sum = 0u64;
    for i in 0..n {
        // Dates spread over 2000..2026, alternating currencies.
        let ts = 946_684_800 + (i * 8_191) % (26 * 365 * 86_400);
        let cur = ["JPY", "GBP", "EUR", "CHF"][(i % 4) as usize];
        sum = sum.wrapping_add(table.convert(U256::from(10_000u64 + i), cur, ts).usd_cents);
    }
    black_box(sum);
    println!(
        "FxTable::convert: {:.0} ns/conversion ({n} conversions)",
        t.elapsed().as_nanos() as f64 / n as f64
    );
}
