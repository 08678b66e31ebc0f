//! Fresh FX rates: the ECB XML feeds parsed as a pure function, merged into the vendored
//! history, written back as the ECB CSV, and the pinned (devnet) staleness rule.

use alloy_primitives::U256;
use peaqos_mcr_model::{FxError, FxSource, FxTable};
use peaqos_types::rating::AmountStatus;

/// A copy of the ECB's `eurofxref-hist-90d.xml` layout: single and double quotes, a currency
/// the vendored history lacks (XYZ), and a date the history has (2026-10-30, USD overridden).
const FIXTURE: &str = include_str!("data/eurofxref-hist-90d.xml");

fn noon(date: &str) -> u64 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let days = (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days();
    days as u64 * 86_400 + 43_200
}

#[test]
fn the_ecb_xml_feed_parses_exactly() {
    let t = FxTable::from_ecb_xml(FIXTURE).unwrap();
    assert_eq!(t.first_date(), "2026-10-30");
    assert_eq!(t.last_date(), "2026-11-30");
    assert_eq!(t.len(), 3);
    assert_eq!(
        t.quote("JPY", "2026-11-30"),
        Some(("1.0507".into(), "158.41".into()))
    );
    assert_eq!(
        t.quote("GBP", "2026-11-27"),
        Some(("1.0552".into(), "0.8312".into()))
    );
    assert_eq!(t.quote("ISK", "2026-11-27"), None, "not quoted that day");
    let c = t.currencies();
    assert_eq!(c, ["EUR", "GBP", "ISK", "JPY", "USD", "XYZ"]);
}

#[test]
fn garbage_feeds_are_refused() {
    for (text, what) in [
        ("", "empty"),
        (
            "<html><body>503 Service Unavailable</body></html>",
            "an HTML page",
        ),
        (
            "<Cube><Cube time='2026-11-30'></Cube></Cube>",
            "a day without rates",
        ),
        ("<Cube currency='USD' rate='1.05'/>", "a rate outside a day"),
        (
            "<Cube time='2026-13-01'><Cube currency='USD' rate='1.05'/></Cube>",
            "a bad date",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='USD' rate='-1'/></Cube>",
            "a negative rate",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='USD' rate='0'/></Cube>",
            "a zero rate",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='usd' rate='1'/></Cube>",
            "a bad code",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='EUR' rate='1'/></Cube>",
            "EUR itself",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='JPY' rate='150'/></Cube>",
            "no USD",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='USD' rate=1.05/></Cube>",
            "unquoted",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='USD' rate='1.05",
            "truncated",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='USD' rate='1'/><Cube currency='USD' rate='2'/></Cube>",
            "a currency twice",
        ),
        (
            "<Cube time='2026-11-30'><Cube currency='USD' rate='1'/></Cube><Cube time='2026-11-30'><Cube currency='USD' rate='1'/></Cube>",
            "a day twice",
        ),
    ] {
        assert!(FxTable::from_ecb_xml(text).is_err(), "{what} was accepted");
    }
    assert_eq!(
        FxTable::from_ecb_xml("nothing").unwrap_err(),
        FxError::Empty
    );
}

#[test]
fn a_feed_extends_the_vendored_history() {
    let base = FxTable::embedded();
    let feed = FxTable::from_ecb_xml(FIXTURE).unwrap();
    let t = base.merged(&feed);
    assert_eq!(t.first_date(), "1999-01-04");
    assert_eq!(t.last_date(), "2026-11-30");
    assert_eq!(t.len(), base.len() + 2);
    // the feed's cell wins, the history's other cells of that date stay
    let (usd, jpy) = t.quote("JPY", "2026-10-30").unwrap();
    assert_eq!(usd, "1.2");
    assert_eq!(
        (usd, jpy),
        ("1.2".to_owned(), base.quote("JPY", "2026-10-30").unwrap().1)
    );
    assert!(t.currencies().contains(&"XYZ".to_owned()));

    // an event of 2026-12-01 is no longer stale: it uses the 2026-11-30 row
    let jpy = t.convert(U256::from(10_000u64), "JPY", noon("2026-12-01"));
    assert_eq!(jpy.fx_source, FxSource::Ecb);
    assert_eq!(jpy.amount_status, AmountStatus::Ok);
    assert_eq!(jpy.rate_date.as_deref(), Some("2026-11-30"));
    // 10000 JPY x 1.0507 / 158.41 = 66.328... USD
    assert_eq!(jpy.usd_cents, 6_633);
    let stale = base.convert(U256::from(10_000u64), "JPY", noon("2026-12-01"));
    assert_eq!(stale.fx_source, FxSource::StaleLatest);

    // merging is idempotent and the CSV round trip is exact
    let again = t.merged(&feed);
    assert_eq!(again.to_csv(), t.to_csv());
    let back = FxTable::from_csv(&t.to_csv()).unwrap();
    assert_eq!(back.to_csv(), t.to_csv());
    assert_eq!(back.len(), t.len());
    assert_eq!(
        back.quote("JPY", "2026-11-30"),
        t.quote("JPY", "2026-11-30")
    );
    // the vendored CSV itself round-trips cell for cell
    let vendored = FxTable::from_csv(&base.to_csv()).unwrap();
    for (cur, date) in [
        ("ISK", "2008-12-09"),
        ("CYP", "2007-12-31"),
        ("TRL", "2004-12-31"),
    ] {
        assert_eq!(
            vendored.quote(cur, date),
            base.quote(cur, date),
            "{cur} {date}"
        );
    }
    assert_eq!(vendored.to_csv(), base.to_csv());
}

#[test]
fn a_pinned_table_is_current_through_its_last_row() {
    let pinned = FxTable::embedded().clone().pinned(true);
    assert!(pinned.is_pinned());
    let c = pinned.convert(U256::from(10_000u64), "EUR", noon("2026-12-01"));
    assert_eq!(c.amount_status, AmountStatus::Ok);
    assert_eq!(c.fx_source, FxSource::Ecb);
    assert_eq!(c.rate_date.as_deref(), Some("2026-10-30"));
    assert_eq!(c.usd_cents, 11_172);
    // a real gap inside the table stays stale, a stopped currency unsupported, an event
    // before the first quote unavailable
    let isk = pinned.convert(U256::from(10_000u64), "ISK", noon("2012-06-15"));
    assert_eq!(isk.fx_source, FxSource::StaleLatest);
    let cyp = pinned.convert(U256::from(10_000u64), "CYP", noon("2026-12-01"));
    assert_eq!(cyp.amount_status, AmountStatus::UnsupportedCurrency);
    let early = pinned.convert(U256::from(10_000u64), "GBP", noon("1998-12-31"));
    assert_eq!(early.fx_source, FxSource::Unavailable);
    // pinning survives a merge of fresh rows
    let feed = FxTable::from_ecb_xml(FIXTURE).unwrap();
    assert!(pinned.merged(&feed).is_pinned());
}
