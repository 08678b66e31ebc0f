//! HTML pieces: escaping, the page frame and small helpers. Every untrusted string (DIDs,
//! metadata, attribute values, error details) goes through [`esc`] before it reaches a page.

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values (`&`, `<`, `>`, `"`,
/// `'`). Also drops control characters other than tab and newline.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query or path component (unreserved characters kept).
pub(crate) fn url_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; background: #ffffff; line-height: 1.45; }
header { background: #0b1020; color: #ffffff; padding: 12px 24px; }
header a { color: #ffffff; }
header nav { font-size: 14px; }
header h1 { margin: 4px 0 0; font-size: 22px; word-break: break-all; }
main { padding: 16px 24px 48px; max-width: 1200px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d1d5db; padding-bottom: 4px; }
a { color: #1d4ed8; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { border: 1px solid #d1d5db; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.did { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; word-break: break-all; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; }
.flag { color: #991b1b; font-weight: 600; }
.muted { color: #4b5563; }
form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin: 8px 0; font-size: 14px; }
form.filters label { display: flex; flex-direction: column; gap: 2px; }
svg.chart { max-width: 100%; height: auto; background: #ffffff; }
svg.chart text { font-family: system-ui, sans-serif; font-size: 12px; fill: #111827; }
.error { border: 1px solid #991b1b; background: #fef2f2; color: #7f1d1d; padding: 12px; }
"#;

/// A whole page: `title` is escaped here; `body` must already be HTML.
pub(crate) fn page(title: &str, heading: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · peaqOS MCR dashboard</title><style>{STYLE}</style></head><body>\
         <header><nav aria-label=\"dashboard\"><a href=\"/dashboard\">Network</a> · \
         <a href=\"/openapi.json\">API</a></nav><h1>{h}</h1></header>\
         <main>{body}</main></body></html>\n",
        t = esc(title),
        h = esc(heading),
    )
}

/// `<dl class="facts">` of label / HTML value pairs (labels are escaped, values are HTML).
pub(crate) fn facts(pairs: &[(&str, String)]) -> String {
    let mut s = String::from("<dl class=\"facts\">");
    for (k, v) in pairs {
        let _ = write!(s, "<dt>{}</dt><dd>{v}</dd>", esc(k));
    }
    s.push_str("</dl>");
    s
}

/// `YYYY-MM-DD HH:MM:SS UTC` of unix seconds.
pub(crate) fn datetime(ts: u64) -> String {
    i64::try_from(ts)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(
            || ts.to_string(),
            |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

/// US dollars of cents, `$12.34`.
pub(crate) fn usd(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("a\u{0}b\u{1b}c\nd"), "abc\nd");
        assert_eq!(esc("did:peaq:0xAbC"), "did:peaq:0xAbC");
    }

    #[test]
    fn url_components_are_encoded() {
        assert_eq!(url_component("did:peaq:0xAb"), "did:peaq:0xAb");
        assert_eq!(url_component("a b&c=\"<"), "a%20b%26c%3D%22%3C");
    }

    #[test]
    fn page_escapes_title_and_heading() {
        let p = page("<x>", "\"y\"", "<p>ok</p>");
        assert!(p.contains("<title>&lt;x&gt; · "));
        assert!(p.contains("<h1>&quot;y&quot;</h1>"));
        assert!(p.contains("<p>ok</p>"));
        assert!(!p.contains("<x>"));
    }

    #[test]
    fn money_and_time() {
        assert_eq!(usd(0), "$0.00");
        assert_eq!(usd(123_456), "$1234.56");
        assert_eq!(datetime(1_772_323_200), "2026-03-01 00:00:00 UTC");
    }
}
