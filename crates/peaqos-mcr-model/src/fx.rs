//! FX normalisation of revenue to USD cents with the ECB euro foreign exchange reference
//! rates (vendored in `data/eurofxref-hist.csv`, see `data/README.md`).
//!
//! Rules:
//! - `value` is ISO 4217 minor units of `currency` ([`minor_unit_digits`]: JPY 0, USD 2,
//!   KWD 3, ...). USD needs no FX: `usd_cents = value`, `fx_source = none`.
//! - Otherwise `rate(X -> USD) = USD_per_EUR / X_per_EUR` of the event's UTC date, or of the
//!   last date before it on which both cells are quoted (weekends, TARGET holidays and `N/A`
//!   cells are skipped). EUR itself is `X_per_EUR = 1`.
//! - `usd_cents = value / 10^digits x rate x 100`, rounded half up to a whole cent. The ECB
//!   publishes rates as decimal strings; they are kept as exact fixed-point integers and the
//!   whole conversion is one exact integer division (U256), so there is **no** floating-point
//!   error: the only error is the final rounding, at most half a cent.
//! - A malformed code (`^[A-Z0-9]{3,10}$` fails), a code without an ISO minor unit, a code the
//!   table does not quote, or a currency the ECB stopped quoting (its last quote is more than
//!   7 days before the table's end, e.g. CYP, RUB, BGN) used after its last quote + 7 days ->
//!   `unsupported_currency`, `usd_cents = 0`, `fx_source = unavailable`, not degraded.
//! - An event more than 7 days after the rate it would use (the table ends, or the currency had
//!   a long gap such as ISK 2008-2018) -> `fx_unavailable`, `fx_source = stale_latest`, converted
//!   with that latest rate: degraded.
//! - An event before the first quote -> `fx_unavailable`, `fx_source = unavailable`,
//!   `usd_cents = 0`: degraded.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use alloy_primitives::U256;
use chrono::NaiveDate;
use peaqos_types::event::is_valid_currency_code;
use peaqos_types::rating::AmountStatus;
use serde::{Deserialize, Serialize};

use crate::error::FxError;

/// The vendored ECB history (1999-01-04 .. 2026-10-30).
pub const EMBEDDED_CSV: &str = include_str!("../data/eurofxref-hist.csv");

/// A rate older than the event by more than this many days is stale.
pub const STALE_AFTER_DAYS: i64 = 7;

const SECONDS_PER_DAY: u64 = 86_400;

/// Where the rate of a conversion came from (serde: `none`, `ecb`, `stale_latest`,
/// `unavailable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FxSource {
    /// USD: no FX needed.
    None,
    /// ECB reference rate of the event's date (or the last business day before it).
    Ecb,
    /// The latest ECB rate, more than 7 days older than the event (degraded).
    StaleLatest,
    /// No rate: unsupported currency, or a date before the first quote.
    Unavailable,
}

impl FxSource {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            FxSource::None => "none",
            FxSource::Ecb => "ecb",
            FxSource::StaleLatest => "stale_latest",
            FxSource::Unavailable => "unavailable",
        }
    }
}

/// Result of [`FxTable::convert`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FxConversion {
    /// Value in USD cents (0 when unsupported or unavailable; saturates at `u64::MAX`).
    pub usd_cents: u64,
    /// `ok`, `unsupported_currency` or `fx_unavailable`.
    pub amount_status: AmountStatus,
    /// Where the rate came from.
    pub fx_source: FxSource,
    /// `YYYY-MM-DD` of the ECB row used (None for USD and when no rate was used).
    pub rate_date: Option<String>,
}

impl FxConversion {
    fn unsupported() -> Self {
        Self {
            usd_cents: 0,
            amount_status: AmountStatus::UnsupportedCurrency,
            fx_source: FxSource::Unavailable,
            rate_date: None,
        }
    }

    fn unavailable() -> Self {
        Self {
            usd_cents: 0,
            amount_status: AmountStatus::FxUnavailable,
            fx_source: FxSource::Unavailable,
            rate_date: None,
        }
    }
}

/// An ECB rate kept exactly: `mantissa / 10^decimals` units of the currency per euro.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rate {
    mantissa: u64,
    decimals: u8,
}

/// The ECB reference rate history (units of each currency per 1 EUR), ascending by date.
#[derive(Clone, Debug)]
pub struct FxTable {
    /// Days since 1970-01-01, ascending, unique.
    dates: Vec<i64>,
    /// Currency code -> column index.
    index: HashMap<String, usize>,
    /// One column per currency, parallel to `dates`.
    columns: Vec<Vec<Option<Rate>>>,
    /// Per column: the last row quoting both USD and the currency.
    last_pair: Vec<Option<usize>>,
    /// The last row quoting USD (EUR's last pair).
    eur_last_pair: Option<usize>,
    /// Events after the last row are measured against the last row, not the event date
    /// ([`FxTable::pinned`]).
    pinned: bool,
}

/// Column codes and rows (day, one cell per code) of a table being built.
type Rows = Vec<(i64, Vec<Option<Rate>>)>;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if s.len() != 10 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    Some((date - epoch()).num_days())
}

fn format_day(day: i64) -> String {
    // NaiveDate's Display is ISO 8601 `YYYY-MM-DD` for years 0..=9999.
    (epoch() + chrono::Duration::days(day)).to_string()
}

/// Parses a positive decimal such as `1.1172` or `372816` exactly.
fn parse_rate(s: &str) -> Option<Rate> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || frac.len() > 12 {
        return None;
    }
    let mut mantissa: u64 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if mantissa == 0 {
        return None;
    }
    Some(Rate {
        mantissa,
        decimals: frac.len() as u8,
    })
}

/// The ECB decimal spelling of a rate (`1.1172`, `372816`).
fn format_rate(r: Rate) -> String {
    let s = r.mantissa.to_string();
    if r.decimals == 0 {
        return s;
    }
    let d = usize::from(r.decimals);
    let s = format!("{s:0>width$}", width = d + 1);
    format!("{}.{}", &s[..s.len() - d], &s[s.len() - d..])
}

/// `name='value'` / `name="value"` pairs of a tag's text (after the element name).
fn xml_attributes(tag: &str) -> Result<Vec<(&str, &str)>, String> {
    let mut out = Vec::new();
    let mut rest = tag.trim_start().trim_end_matches('/').trim_end();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("attribute without a value in <Cube{tag}>"))?;
        let name = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let quote = after
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')
            .ok_or_else(|| format!("unquoted attribute {name:?}"))?;
        let close = after[1..]
            .find(quote)
            .ok_or_else(|| format!("unterminated attribute {name:?}"))?;
        out.push((name, &after[1..1 + close]));
        rest = after[close + 2..].trim_start();
    }
    Ok(out)
}

fn pow10(n: u32) -> U256 {
    U256::from(10u64).pow(U256::from(n))
}

impl FxTable {
    /// The vendored ECB history, parsed once.
    pub fn embedded() -> &'static FxTable {
        static TABLE: OnceLock<FxTable> = OnceLock::new();
        TABLE.get_or_init(|| FxTable::from_csv(EMBEDDED_CSV).expect("vendored ECB CSV parses"))
    }

    /// Parses the ECB `eurofxref-hist.csv` format: a `Date,USD,JPY,...` header, one row per
    /// business day (any order), `N/A` for missing cells, optional trailing comma.
    pub fn from_csv(text: &str) -> Result<FxTable, FxError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate();
        let (_, header) = lines.next().ok_or(FxError::Empty)?;
        let mut cols = header.split(',').map(str::trim);
        if cols.next() != Some("Date") {
            return Err(FxError::Csv {
                line: 1,
                message: "header must start with Date".into(),
            });
        }
        let mut codes: Vec<String> = Vec::new();
        for code in cols {
            if code.is_empty() {
                continue;
            }
            if !is_valid_currency_code(code) || code == "EUR" || codes.iter().any(|c| c == code) {
                return Err(FxError::Csv {
                    line: 1,
                    message: format!("invalid or duplicate currency column {code:?}"),
                });
            }
            codes.push(code.to_owned());
        }
        if !codes.iter().any(|c| c == "USD") {
            return Err(FxError::Csv {
                line: 1,
                message: "no USD column".into(),
            });
        }
        let mut rows: Vec<(i64, Vec<Option<Rate>>)> = Vec::new();
        for (i, line) in lines {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let mut cells = line.split(',').map(str::trim);
            let date_s = cells.next().unwrap_or_default();
            let date = parse_date(date_s).ok_or_else(|| FxError::Csv {
                line: line_no,
                message: format!("invalid date {date_s:?}"),
            })?;
            let mut values = Vec::with_capacity(codes.len());
            for (j, cell) in cells.enumerate() {
                if j >= codes.len() {
                    if cell.is_empty() {
                        continue;
                    }
                    return Err(FxError::Csv {
                        line: line_no,
                        message: "more cells than header columns".into(),
                    });
                }
                if cell.is_empty() || cell == "N/A" {
                    values.push(None);
                } else {
                    values.push(Some(parse_rate(cell).ok_or_else(|| FxError::Csv {
                        line: line_no,
                        message: format!("invalid rate {cell:?} for {}", codes[j]),
                    })?));
                }
            }
            values.resize(codes.len(), None);
            rows.push((date, values));
        }
        FxTable::build(codes, rows)
    }

    /// A table of `codes` and `rows` (any order, unique dates, one cell per code).
    fn build(codes: Vec<String>, mut rows: Rows) -> Result<FxTable, FxError> {
        if rows.is_empty() {
            return Err(FxError::Empty);
        }
        if !codes.iter().any(|c| c == "USD") {
            return Err(FxError::Csv {
                line: 1,
                message: "no USD column".into(),
            });
        }
        rows.sort_unstable_by_key(|r| r.0);
        if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(FxError::Csv {
                line: 0,
                message: format!("duplicate date {}", format_day(w[0].0)),
            });
        }
        let mut columns = vec![Vec::with_capacity(rows.len()); codes.len()];
        let mut dates = Vec::with_capacity(rows.len());
        for (date, values) in rows {
            dates.push(date);
            for (col, v) in columns.iter_mut().zip(values) {
                col.push(v);
            }
        }
        let index: HashMap<String, usize> =
            codes.into_iter().enumerate().map(|(i, c)| (c, i)).collect();
        let mut table = FxTable {
            dates,
            index,
            columns,
            last_pair: Vec::new(),
            eur_last_pair: None,
            pinned: false,
        };
        let usd = table.index["USD"];
        let last_row = table.dates.len() - 1;
        table.last_pair = (0..table.columns.len())
            .map(|c| table.latest_pair(usd, Some(c), last_row))
            .collect();
        table.eur_last_pair = table.latest_pair(usd, None, last_row);
        Ok(table)
    }

    /// Column codes in column order.
    fn codes(&self) -> Vec<String> {
        let mut codes = vec![String::new(); self.columns.len()];
        for (code, &i) in &self.index {
            codes[i].clone_from(code);
        }
        codes
    }

    /// Parses an ECB euro reference rate XML feed (`eurofxref-daily.xml`,
    /// `eurofxref-hist-90d.xml`, `eurofxref-hist.xml`): `<Cube time='YYYY-MM-DD'>` elements
    /// holding `<Cube currency='USD' rate='1.0507'/>` entries. Pure: no I/O.
    pub fn from_ecb_xml(text: &str) -> Result<FxTable, FxError> {
        let xml = |message: String| FxError::Xml(message);
        let mut codes: Vec<String> = Vec::new();
        let mut rows: Vec<(i64, Vec<(usize, Rate)>)> = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("<Cube") {
            rest = &rest[at + 5..];
            let end = rest
                .find('>')
                .ok_or_else(|| xml("unterminated <Cube> tag".into()))?;
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if !tag.is_empty() && !tag.starts_with(|c: char| c.is_ascii_whitespace() || c == '/') {
                continue; // another element whose name starts with Cube
            }
            let attrs = xml_attributes(tag).map_err(xml)?;
            let get = |name: &str| attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
            if let Some(time) = get("time") {
                let day = parse_date(time).ok_or_else(|| xml(format!("invalid time {time:?}")))?;
                if rows.iter().any(|r| r.0 == day) {
                    return Err(xml(format!("duplicate time {time}")));
                }
                rows.push((day, Vec::new()));
            } else if let Some(code) = get("currency") {
                let rate_s = get("rate").ok_or_else(|| xml(format!("{code} has no rate")))?;
                if !is_valid_currency_code(code) || code == "EUR" {
                    return Err(xml(format!("invalid currency {code:?}")));
                }
                let rate = parse_rate(rate_s)
                    .ok_or_else(|| xml(format!("invalid rate {rate_s:?} for {code}")))?;
                let col = match codes.iter().position(|c| c == code) {
                    Some(i) => i,
                    None => {
                        codes.push(code.to_owned());
                        codes.len() - 1
                    }
                };
                let row = rows
                    .last_mut()
                    .ok_or_else(|| xml(format!("{code} rate outside a <Cube time=...>")))?;
                if row.1.iter().any(|(c, _)| *c == col) {
                    return Err(xml(format!("{code} quoted twice on {}", format_day(row.0))));
                }
                row.1.push((col, rate));
            }
        }
        let rows: Rows = rows
            .into_iter()
            .filter(|r| !r.1.is_empty())
            .map(|(day, cells)| {
                let mut values = vec![None; codes.len()];
                for (c, r) in cells {
                    values[c] = Some(r);
                }
                (day, values)
            })
            .collect();
        FxTable::build(codes, rows)
    }

    /// This table with the rows of `newer` added: a date of both keeps this table's cells that
    /// `newer` does not quote and takes `newer`'s for the others; currencies only `newer` quotes
    /// become new columns. [`FxTable::pinned`] is kept from `self`.
    pub fn merged(&self, newer: &FxTable) -> FxTable {
        let mut codes = self.codes();
        for code in newer.codes() {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        let mut rows: std::collections::BTreeMap<i64, Vec<Option<Rate>>> =
            std::collections::BTreeMap::new();
        for t in [self, newer] {
            let cols: Vec<(usize, usize)> = t
                .codes()
                .iter()
                .enumerate()
                .map(|(i, c)| (i, codes.iter().position(|x| x == c).expect("union")))
                .collect();
            for (r, &day) in t.dates.iter().enumerate() {
                let row = rows.entry(day).or_insert_with(|| vec![None; codes.len()]);
                for &(from, to) in &cols {
                    if let Some(rate) = t.columns[from][r] {
                        row[to] = Some(rate);
                    }
                }
            }
        }
        let mut table = FxTable::build(codes, rows.into_iter().collect())
            .expect("a union of tables with USD and rows is a table");
        table.pinned = self.pinned;
        table
    }

    /// The table in the ECB's `eurofxref-hist.csv` format (newest row first, `N/A` for
    /// missing cells, trailing comma), readable by [`FxTable::from_csv`].
    pub fn to_csv(&self) -> String {
        let codes = self.codes();
        let mut out = String::from("Date");
        for c in &codes {
            out.push(',');
            out.push_str(c);
        }
        out.push_str(",\n");
        for r in (0..self.dates.len()).rev() {
            out.push_str(&format_day(self.dates[r]));
            for col in &self.columns {
                out.push(',');
                match col[r] {
                    Some(rate) => out.push_str(&format_rate(rate)),
                    None => out.push_str("N/A"),
                }
            }
            out.push_str(",\n");
        }
        out
    }

    /// Treats the table as current (`true`): an event after the table's last date is converted
    /// with the last rate as `ecb`, not `stale_latest`; a gap of one currency inside the table
    /// is still stale. For devnets, whose amounts are test values and whose table is the
    /// shipped one by design; a public deployment refreshes its table instead.
    pub fn pinned(mut self, pinned: bool) -> FxTable {
        self.pinned = pinned;
        self
    }

    /// Whether [`FxTable::pinned`] is on.
    pub fn is_pinned(&self) -> bool {
        self.pinned
    }

    /// Days since 1970-01-01 of the newest row.
    pub fn last_day(&self) -> i64 {
        *self.dates.last().expect("a table has at least one row")
    }

    /// Number of rows (business days).
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Never true: a table has at least one row.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Loads a newer ECB history from a `.csv` file or the ECB's `eurofxref-hist.zip` (the
    /// first `.csv` entry of the archive).
    pub fn from_path(path: &Path) -> Result<FxTable, FxError> {
        let io = |e: std::io::Error| FxError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let bytes = std::fs::read(path).map_err(io)?;
        let text = if bytes.starts_with(b"PK\x03\x04") {
            let zip_err = |e: zip::result::ZipError| FxError::Zip(e.to_string());
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_err)?;
            let index = archive
                .file_names_raw()
                .position(|n| n.to_ascii_lowercase().ends_with(b".csv"))
                .ok_or_else(|| FxError::Zip("no .csv entry in the archive".into()))?;
            let mut entry = archive.by_index(index).map_err(zip_err)?;
            let mut text = String::new();
            // The ECB file is ~2 MB; refuse anything absurd.
            entry
                .by_ref()
                .take(64 * 1024 * 1024)
                .read_to_string(&mut text)
                .map_err(io)?;
            text
        } else {
            String::from_utf8(bytes).map_err(|_| FxError::Csv {
                line: 0,
                message: "not UTF-8".into(),
            })?
        };
        FxTable::from_csv(&text)
    }

    /// `YYYY-MM-DD` of the newest row.
    pub fn last_date(&self) -> String {
        format_day(*self.dates.last().expect("a table has at least one row"))
    }

    /// `YYYY-MM-DD` of the oldest row.
    pub fn first_date(&self) -> String {
        format_day(self.dates[0])
    }

    /// Currency codes quoted by the table (plus EUR), sorted.
    pub fn currencies(&self) -> Vec<String> {
        let mut v: Vec<String> = self.index.keys().cloned().collect();
        v.push("EUR".into());
        v.sort();
        v
    }

    /// Units of `currency` per EUR at row `i` (EUR is 1).
    fn cell(&self, col: Option<usize>, i: usize) -> Option<Rate> {
        match col {
            None => Some(Rate {
                mantissa: 1,
                decimals: 0,
            }),
            Some(c) => self.columns[c][i],
        }
    }

    /// Latest row `<= upto` (row index) where both USD and the currency are quoted.
    fn latest_pair(&self, usd: usize, col: Option<usize>, upto: usize) -> Option<usize> {
        (0..=upto)
            .rev()
            .find(|&i| self.columns[usd][i].is_some() && self.cell(col, i).is_some())
    }

    /// The ECB reference rate as a decimal string pair `(USD per EUR, currency per EUR)` on
    /// exactly `date` (`YYYY-MM-DD`), for tests and the explain endpoint.
    pub fn quote(&self, currency: &str, date: &str) -> Option<(String, String)> {
        let day = parse_date(date)?;
        let i = self.dates.binary_search(&day).ok()?;
        let usd = self.columns[*self.index.get("USD")?][i]?;
        let col = if currency == "EUR" {
            None
        } else {
            Some(*self.index.get(currency)?)
        };
        let x = self.cell(col, i)?;
        Some((format_rate(usd), format_rate(x)))
    }

    /// Converts `value` minor units of `currency` at the event time `timestamp` (unix seconds)
    /// to USD cents. Never fails: problems are reported in `amount_status` / `fx_source`.
    pub fn convert(&self, value: U256, currency: &str, timestamp: u64) -> FxConversion {
        if !is_valid_currency_code(currency) {
            return FxConversion::unsupported();
        }
        let Some(digits) = minor_unit_digits(currency) else {
            return FxConversion::unsupported();
        };
        if currency == "USD" {
            // Minor units of USD are cents already.
            return FxConversion {
                usd_cents: u64::try_from(value).unwrap_or(u64::MAX),
                amount_status: AmountStatus::Ok,
                fx_source: FxSource::None,
                rate_date: None,
            };
        }
        let Some(&usd) = self.index.get("USD") else {
            return FxConversion::unavailable();
        };
        let col = if currency == "EUR" {
            None
        } else {
            match self.index.get(currency) {
                Some(&c) => Some(c),
                None => return FxConversion::unsupported(),
            }
        };
        let event_day = (timestamp / SECONDS_PER_DAY) as i64;
        let last_row = self.dates.len() - 1;
        let table_last = self.dates[last_row];

        // A currency the ECB stopped quoting is not supported after its last quote.
        let currency_last = match col {
            Some(c) => self.last_pair[c],
            None => self.eur_last_pair,
        };
        let Some(currency_last) = currency_last else {
            return FxConversion::unsupported();
        };
        let currency_last_day = self.dates[currency_last];
        if table_last - currency_last_day > STALE_AFTER_DAYS
            && event_day - currency_last_day > STALE_AFTER_DAYS
        {
            return FxConversion::unsupported();
        }

        // Last row at or before the event's date.
        let upto = match self.dates.binary_search(&event_day) {
            Ok(i) => i,
            Err(0) => return FxConversion::unavailable(),
            Err(i) => i - 1,
        };
        let Some(row) = self.latest_pair(usd, col, upto) else {
            return FxConversion::unavailable();
        };
        let row_day = self.dates[row];
        // A pinned table is current through its last row: staleness is measured from there.
        let measured_day = if self.pinned {
            event_day.min(table_last)
        } else {
            event_day
        };
        let (status, source) = if measured_day - row_day > STALE_AFTER_DAYS {
            (AmountStatus::FxUnavailable, FxSource::StaleLatest)
        } else {
            (AmountStatus::Ok, FxSource::Ecb)
        };
        let usd_rate = self.columns[usd][row].expect("latest_pair checked");
        let x_rate = self.cell(col, row).expect("latest_pair checked");
        FxConversion {
            usd_cents: to_usd_cents(value, digits, usd_rate, x_rate),
            amount_status: status,
            fx_source: source,
            rate_date: Some(format_day(row_day)),
        }
    }
}

/// `value / 10^digits x (usd / x) x 100`, exactly, rounded half up; saturates at `u64::MAX`.
fn to_usd_cents(value: U256, digits: u8, usd: Rate, x: Rate) -> u64 {
    // usd = um / 10^ud, x = xm / 10^xd
    // cents = value * um * 100 * 10^xd / (10^digits * xm * 10^ud)
    let num = value
        .checked_mul(U256::from(usd.mantissa))
        .and_then(|n| n.checked_mul(U256::from(100u64)))
        .and_then(|n| n.checked_mul(pow10(u32::from(x.decimals))));
    let den = pow10(u32::from(digits)) * U256::from(x.mantissa) * pow10(u32::from(usd.decimals));
    let Some(num) = num else {
        return u64::MAX;
    };
    // Half up: floor((2 num + den) / (2 den)).
    let rounded = match num
        .checked_mul(U256::from(2u64))
        .and_then(|n| n.checked_add(den))
    {
        Some(n2) => n2 / (den * U256::from(2u64)),
        None => {
            let q = num / den;
            let r = num % den;
            if r >= den - r {
                q + U256::from(1u64)
            } else {
                q
            }
        }
    };
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

/// ISO 4217 minor-unit digits of `currency`: JPY 0, USD 2, KWD 3, CLF 4, ... Covers every
/// active ISO 4217 currency and every (also withdrawn) currency of the ECB table; `None` for
/// unknown codes and for codes without a minor unit (precious metals, XDR, ...).
pub fn minor_unit_digits(currency: &str) -> Option<u8> {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "TRL", "UGX", "UYI",
        "VND", "VUV", "XAF", "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    const FOUR: &[&str] = &["CLF", "UYW"];
    const TWO: &[&str] = &[
        // Active ISO 4217 codes with two decimals.
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
        "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
        "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP",
        "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ",
        "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR",
        "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK",
        "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
        "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB",
        "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN",
        "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD",
        "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
        // Withdrawn currencies the ECB history quotes (two decimals when they circulated).
        "CYP", "EEK", "HRK", "LTL", "LVL", "MTL", "ROL", "SIT", "SKK",
    ];
    if ZERO.contains(&currency) {
        Some(0)
    } else if TWO.contains(&currency) {
        Some(2)
    } else if THREE.contains(&currency) {
        Some(3)
    } else if FOUR.contains(&currency) {
        Some(4)
    } else {
        None
    }
}
