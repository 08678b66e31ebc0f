//! FX conversion against the vendored ECB history.

use std::io::Write;

use alloy_primitives::U256;
use peaqos_mcr_model::{FxError, FxSource, FxTable, minor_unit_digits};
use peaqos_types::rating::AmountStatus;

/// Unix seconds of `date` (YYYY-MM-DD) at 12:00 UTC.
fn noon(date: &str) -> u64 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let days = (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days();
    days as u64 * 86_400 + 43_200
}

fn table() -> &'static FxTable {
    FxTable::embedded()
}

#[test]
fn embedded_range() {
    assert_eq!(table().first_date(), "1999-01-04");
    assert_eq!(table().last_date(), "2026-10-30");
    let c = table().currencies();
    assert!(c.contains(&"EUR".to_owned()) && c.contains(&"JPY".to_owned()));
    assert_eq!(c.len(), 42);
}

#[test]
fn known_ecb_rows_are_reproduced_exactly() {
    // First data row and last rows of eurofxref-hist.csv.
    assert_eq!(
        table().quote("JPY", "2026-10-30"),
        Some(("1.1172".into(), "175.68".into()))
    );
    assert_eq!(
        table().quote("GBP", "2026-10-29"),
        Some(("1.113".into(), "0.83578".into()))
    );
    assert_eq!(
        table().quote("JPY", "1999-01-04"),
        Some(("1.1789".into(), "133.73".into()))
    );
    assert_eq!(
        table().quote("IDR", "2026-10-30"),
        Some(("1.1172".into(), "20275.17".into()))
    );
    assert_eq!(table().quote("BGN", "2026-10-30"), None, "N/A cell");
    assert_eq!(table().quote("JPY", "2026-10-31"), None, "Saturday");
    // EUR 100.00 -> exactly the USD column, in cents.
    let c = table().convert(U256::from(10_000u64), "EUR", noon("2026-10-30"));
    assert_eq!(c.usd_cents, 11_172);
    assert_eq!(c.fx_source, FxSource::Ecb);
    assert_eq!(c.amount_status, AmountStatus::Ok);
    assert_eq!(c.rate_date.as_deref(), Some("2026-10-30"));
    // GBP 100.00 on 2026-10-29: 10000/100 x 1.113/0.83578 x 100 = 13316.90.. -> 13317.
    let c = table().convert(U256::from(10_000u64), "GBP", noon("2026-10-29"));
    assert_eq!(c.usd_cents, 13_317);
    assert_eq!(c.rate_date.as_deref(), Some("2026-10-29"));
}

#[test]
fn jpy_has_no_decimals() {
    assert_eq!(minor_unit_digits("JPY"), Some(0));
    // 1000 JPY on 2026-10-30: 1000 x 1.1172 / 175.68 = 6.3593 USD -> 636 cents.
    let c = table().convert(U256::from(1_000u64), "JPY", noon("2026-10-30"));
    assert_eq!(c.usd_cents, 636);
    assert_eq!(c.amount_status, AmountStatus::Ok);
    // 2020-06-12: the expected value computed from the file's own row for that date.
    let (usd, jpy) = table().quote("JPY", "2020-06-12").unwrap();
    let expected = (1_000.0 * usd.parse::<f64>().unwrap() / jpy.parse::<f64>().unwrap() * 100.0)
        .round() as u64;
    let c = table().convert(U256::from(1_000u64), "JPY", noon("2020-06-12"));
    assert_eq!(c.usd_cents, expected);
    assert!((600..=1_000).contains(&c.usd_cents));
    // KRW is whole units too.
    assert_eq!(minor_unit_digits("KRW"), Some(0));
}

#[test]
fn usd_is_identity() {
    let c = table().convert(U256::from(12_345u64), "USD", noon("2026-10-30"));
    assert_eq!(c.usd_cents, 12_345);
    assert_eq!(c.fx_source, FxSource::None);
    assert_eq!(c.amount_status, AmountStatus::Ok);
    assert_eq!(c.rate_date, None);
    // Even far outside the table's dates.
    let c = table().convert(U256::from(7u64), "USD", 0);
    assert_eq!((c.usd_cents, c.amount_status), (7, AmountStatus::Ok));
    let c = table().convert(U256::MAX, "USD", 0);
    assert_eq!(c.usd_cents, u64::MAX);
}

#[test]
fn weekend_uses_the_previous_business_day() {
    for day in ["2026-10-31", "2026-11-01"] {
        let c = table().convert(U256::from(10_000u64), "EUR", noon(day));
        assert_eq!(c.rate_date.as_deref(), Some("2026-10-30"), "{day}");
        assert_eq!(c.usd_cents, 11_172);
        assert_eq!(c.fx_source, FxSource::Ecb);
    }
    // 23:59:59 UTC on Thursday still uses Thursday's row; the day boundary is UTC.
    let friday_end = noon("2026-10-29") + 43_199;
    let c = table().convert(U256::from(10_000u64), "EUR", friday_end);
    assert_eq!(c.rate_date.as_deref(), Some("2026-10-29"));
    assert_eq!(c.usd_cents, 11_130);
}

#[test]
fn stale_after_seven_days_beyond_the_data() {
    let ok = table().convert(U256::from(10_000u64), "EUR", noon("2026-11-06"));
    assert_eq!(ok.amount_status, AmountStatus::Ok);
    assert_eq!(ok.fx_source, FxSource::Ecb);
    let stale = table().convert(U256::from(10_000u64), "EUR", noon("2026-11-07"));
    assert_eq!(stale.amount_status, AmountStatus::FxUnavailable);
    assert_eq!(stale.fx_source, FxSource::StaleLatest);
    assert_eq!(stale.usd_cents, 11_172, "converted with the latest rate");
    assert_eq!(stale.rate_date.as_deref(), Some("2026-10-30"));
    // A long gap of one currency (ISK was not quoted 2008-12-10 .. 2018-01-31) is stale too.
    let isk = table().convert(U256::from(10_000u64), "ISK", noon("2012-06-15"));
    assert_eq!(isk.fx_source, FxSource::StaleLatest);
    assert_eq!(isk.amount_status, AmountStatus::FxUnavailable);
    assert_eq!(isk.rate_date.as_deref(), Some("2008-12-09"));
    // Before the first row: unavailable.
    let early = table().convert(U256::from(10_000u64), "GBP", noon("1998-12-31"));
    assert_eq!(early.amount_status, AmountStatus::FxUnavailable);
    assert_eq!(early.fx_source, FxSource::Unavailable);
    assert_eq!(early.usd_cents, 0);
    // Before a currency's first quote (CNY from 2005-04-01): unavailable.
    let cny = table().convert(U256::from(10_000u64), "CNY", noon("2004-06-01"));
    assert_eq!(cny.fx_source, FxSource::Unavailable);
}

#[test]
fn unsupported_currencies() {
    for code in ["XYZ", "usd", "US", "ABCDEFGHIJK", "KWD", "BTC", "US D", ""] {
        let c = table().convert(U256::from(500u64), code, noon("2026-10-30"));
        assert_eq!(
            c.amount_status,
            AmountStatus::UnsupportedCurrency,
            "{code:?}"
        );
        assert_eq!(c.usd_cents, 0);
        assert_eq!(c.fx_source, FxSource::Unavailable);
    }
    // Currencies the ECB stopped quoting: fine while quoted, unsupported after.
    let cyp = table().convert(U256::from(100u64), "CYP", noon("2005-03-01"));
    assert_eq!(cyp.amount_status, AmountStatus::Ok);
    for (code, date) in [
        ("CYP", "2020-01-02"),
        ("RUB", "2025-01-02"),
        ("BGN", "2026-03-02"),
    ] {
        let c = table().convert(U256::from(100u64), code, noon(date));
        assert_eq!(c.amount_status, AmountStatus::UnsupportedCurrency, "{code}");
    }
    let bgn = table().convert(U256::from(100u64), "BGN", noon("2025-12-31"));
    assert_eq!(bgn.amount_status, AmountStatus::Ok);
}

#[test]
fn minor_units_cover_the_ecb_table() {
    for code in table().currencies() {
        assert!(minor_unit_digits(&code).is_some(), "{code}");
    }
    assert_eq!(minor_unit_digits("USD"), Some(2));
    assert_eq!(minor_unit_digits("KWD"), Some(3));
    assert_eq!(minor_unit_digits("BHD"), Some(3));
    assert_eq!(minor_unit_digits("CLF"), Some(4));
    assert_eq!(minor_unit_digits("ISK"), Some(0));
    assert_eq!(minor_unit_digits("XAU"), None);
    assert_eq!(minor_unit_digits("ZZZ"), None);
}

const SMALL: &str = "Date,USD,GBP,JPY,\n2024-01-03,1.5,1,N/A,\n2024-01-02,1.4,1,150,\n";

#[test]
fn half_up_rounding_and_saturation() {
    let t = FxTable::from_csv(SMALL).unwrap();
    assert_eq!(t.first_date(), "2024-01-02");
    assert_eq!(t.last_date(), "2024-01-03");
    let at = noon("2024-01-03");
    // 1 penny at 1.5 USD/GBP = 1.5 cents -> 2; 3 pennies = 4.5 -> 5; 1 penny at 1.4 -> 1.
    assert_eq!(t.convert(U256::from(1u64), "GBP", at).usd_cents, 2);
    assert_eq!(t.convert(U256::from(3u64), "GBP", at).usd_cents, 5);
    assert_eq!(
        t.convert(U256::from(1u64), "GBP", noon("2024-01-02"))
            .usd_cents,
        1
    );
    // JPY is N/A on 01-03: the previous row is used.
    let c = t.convert(U256::from(1_000u64), "JPY", at);
    assert_eq!(c.rate_date.as_deref(), Some("2024-01-02"));
    assert_eq!(c.usd_cents, 933); // 1000 x 1.4 / 150 = 9.333 USD
    assert_eq!(t.convert(U256::MAX, "GBP", at).usd_cents, u64::MAX);
    assert_eq!(
        t.convert(U256::from(u64::MAX) * U256::from(1_000u64), "GBP", at)
            .usd_cents,
        u64::MAX
    );
}

#[test]
fn csv_errors() {
    assert_eq!(FxTable::from_csv("").unwrap_err(), FxError::Empty);
    assert_eq!(
        FxTable::from_csv("Date,USD,\n").unwrap_err(),
        FxError::Empty
    );
    assert!(matches!(
        FxTable::from_csv("When,USD\n2024-01-02,1\n"),
        Err(FxError::Csv { line: 1, .. })
    ));
    assert!(matches!(
        FxTable::from_csv("Date,GBP\n2024-01-02,1\n"),
        Err(FxError::Csv { line: 1, .. })
    ));
    assert!(matches!(
        FxTable::from_csv("Date,USD\n2024-01-02,-1\n"),
        Err(FxError::Csv { line: 2, .. })
    ));
    assert!(matches!(
        FxTable::from_csv("Date,USD\n2024-01-02,0\n"),
        Err(FxError::Csv { line: 2, .. })
    ));
    assert!(matches!(
        FxTable::from_csv("Date,USD\n2024-13-02,1\n"),
        Err(FxError::Csv { line: 2, .. })
    ));
    assert!(matches!(
        FxTable::from_csv("Date,USD\n2024-01-02,1,2\n"),
        Err(FxError::Csv { line: 2, .. })
    ));
    assert!(matches!(
        FxTable::from_csv("Date,USD\n2024-01-02,1\n2024-01-02,1\n"),
        Err(FxError::Csv { .. })
    ));
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("peaqos-mcr-model-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn from_path_reads_csv_and_zip() {
    let csv = temp_path("rates.csv");
    std::fs::write(&csv, SMALL).unwrap();
    let t = FxTable::from_path(&csv).unwrap();
    assert_eq!(t.last_date(), "2024-01-03");

    let zip_path = temp_path("eurofxref-hist.zip");
    {
        let f = std::fs::File::create(&zip_path).unwrap();
        let mut w = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("eurofxref-hist.csv", opts).unwrap();
        w.write_all(SMALL.as_bytes()).unwrap();
        w.finish().unwrap();
    }
    let t = FxTable::from_path(&zip_path).unwrap();
    assert_eq!(t.first_date(), "2024-01-02");
    assert_eq!(
        t.convert(U256::from(3u64), "GBP", noon("2024-01-03"))
            .usd_cents,
        5
    );

    let missing = FxTable::from_path(&temp_path("missing.csv").with_extension("nope"));
    assert!(matches!(missing, Err(FxError::Io { .. })));
    let bad_zip = temp_path("bad.zip");
    std::fs::write(&bad_zip, b"PK\x03\x04garbage").unwrap();
    assert!(matches!(FxTable::from_path(&bad_zip), Err(FxError::Zip(_))));
}

#[test]
fn from_path_reads_the_vendored_csv() {
    let t = FxTable::from_path(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/eurofxref-hist.csv"),
    )
    .unwrap();
    assert_eq!(t.last_date(), table().last_date());
    assert_eq!(t.first_date(), table().first_date());
}
