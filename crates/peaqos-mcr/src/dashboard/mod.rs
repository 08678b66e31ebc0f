//! The read-only fleet dashboard, served by the MCR service under `/dashboard`: HTML rendered
//! on the server with inline SVG charts ([`svg`]); no JavaScript (sorting and filtering are
//! query parameters), and a Content-Security-Policy that forbids scripts.
//!
//! - `/dashboard`: the network (rating distribution, operators, machines);
//! - `/dashboard/operator/{did}`: an operator's fleet table (`?sort=&order=&rating=&flagged=&degraded=&q=`);
//! - `/dashboard/machine/{did}`: one machine (`?from=&to=` as on `/mcr/{did}/history`).

mod html;
mod svg;

use crate::api::{ApiError, AppState, machine_for, operator_fleet, profile};
use crate::history::{self, HistoryDay, RatingDistribution, is_low, summarize};
use crate::view::{self, MachineView};
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use html::{datetime, esc, facts, page, url_component, usd};
use peaqos_types::rating::Rating;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use svg::{Bar, ScorePoint, bar_chart, rating_color, score_chart};

/// Machines the network view scores at most.
pub(crate) const MAX_NETWORK_MACHINES: u64 = 10_000;
/// Machines the network view lists.
pub(crate) const NETWORK_LIST: usize = 100;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The dashboard's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(network))
        .route("/dashboard/", get(network))
        .route("/dashboard/operator/{did}", get(operator))
        .route("/dashboard/machine/{did}", get(machine))
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn error_page(e: ApiError) -> Response {
    let body = page(
        "Error",
        &format!("Error {}", e.0.as_u16()),
        &format!(
            "<p class=\"error\" id=\"error\">{}</p><p><a href=\"/dashboard\">Back to the network</a></p>",
            esc(&e.1)
        ),
    );
    html_response(e.0, body)
}

fn respond(r: Result<String, ApiError>) -> Response {
    match r {
        Ok(body) => html_response(StatusCode::OK, body),
        Err(e) => error_page(e),
    }
}

fn machine_link(v: &MachineView) -> String {
    let did = view::did_of(v.state.machine.address);
    format!(
        "<a class=\"did\" href=\"/dashboard/machine/{}\">{}</a>",
        url_component(&did),
        esc(&did)
    )
}

fn rating_cell(r: Rating) -> String {
    format!(
        "<span style=\"color:{}\">{}</span>",
        rating_color(r),
        r.as_str()
    )
}

fn distribution_chart(id: &str, d: &RatingDistribution) -> String {
    let bars: Vec<Bar> = Rating::ALL
        .iter()
        .map(|r| Bar {
            label: r.as_str().to_owned(),
            value: d.get(*r) as f64,
            shown: d.get(*r).to_string(),
        })
        .collect();
    bar_chart(id, "Machines per rating", "machines", &bars, "#1d4ed8")
}

fn distribution_table(d: &RatingDistribution) -> String {
    let mut s = String::from(
        "<table id=\"distribution\"><thead><tr><th>Rating</th><th class=\"num\">Machines</th></tr></thead><tbody>",
    );
    for r in Rating::ALL {
        let _ = write!(
            s,
            "<tr data-rating=\"{r}\"><td>{r}</td><td class=\"num\">{}</td></tr>",
            d.get(r),
            r = r.as_str()
        );
    }
    s.push_str("</tbody></table>");
    s
}

async fn network(State(st): State<AppState>) -> Response {
    respond(network_page(&st).await)
}

async fn network_page(st: &AppState) -> Result<String, ApiError> {
    st.require_index()?;
    let ids = st.store.machine_ids(MAX_NETWORK_MACHINES).await?;
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(v) = st.view(id).await? {
            views.push(v);
        }
    }
    let mut d = RatingDistribution::default();
    let mut operators: BTreeMap<String, u64> = BTreeMap::new();
    for v in &views {
        d.add(v.result.rating);
        if v.state.operator != v.state.machine.address {
            *operators.entry(view::did_of(v.state.operator)).or_default() += 1;
        }
    }
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>Indexed block <span id=\"indexed-block\">{}</span>; <span id=\"machine-count\">{}</span> machines.</p>",
        st.status.indexed_block(),
        views.len()
    );
    b.push_str("<h2 id=\"ratings\">Rating distribution</h2>");
    b.push_str(&distribution_chart("chart-distribution", &d));
    b.push_str(&distribution_table(&d));
    b.push_str("<h2>Proxy operators</h2>");
    if operators.is_empty() {
        b.push_str("<p class=\"muted\">No proxy operator yet (every machine manages itself).</p>");
    } else {
        b.push_str("<table id=\"operators\"><thead><tr><th>Operator</th><th class=\"num\">Machines</th></tr></thead><tbody>");
        for (did, n) in &operators {
            let _ = write!(
                b,
                "<tr><td><a class=\"did\" href=\"/dashboard/operator/{}\">{}</a></td><td class=\"num\">{n}</td></tr>",
                url_component(did),
                esc(did)
            );
        }
        b.push_str("</tbody></table>");
    }
    let _ = write!(
        b,
        "<h2>Machines</h2><p class=\"muted\">The first {NETWORK_LIST} by machine id.</p>"
    );
    b.push_str("<table id=\"machines\"><thead><tr><th class=\"num\">Id</th><th>Machine</th><th>Rating</th><th class=\"num\">Score</th></tr></thead><tbody>");
    for v in views.iter().take(NETWORK_LIST) {
        let _ = write!(
            b,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            v.state.machine.machine_id,
            machine_link(v),
            rating_cell(v.result.rating),
            v.result.score
        );
    }
    b.push_str("</tbody></table>");
    Ok(page("Network", "peaqOS machine network", &b))
}

/// One row of the operator's fleet table.
#[derive(Debug, Clone)]
struct FleetRow {
    view: Arc<MachineView>,
    did: String,
}

impl FleetRow {
    fn rating(&self) -> Rating {
        self.view.result.rating
    }
    fn last_event(&self) -> Option<u64> {
        self.view.result.terms.last_event_at
    }
    fn flagged(&self) -> bool {
        self.view.state.flagged_at.is_some()
    }
    fn degraded(&self) -> bool {
        self.view.result.degraded
    }
}

/// Sort keys of the fleet table.
const SORTS: [(&str, &str); 8] = [
    ("machine", "Machine"),
    ("rating", "Rating"),
    ("score", "Score"),
    ("trend", "Trend"),
    ("last_event", "Last event"),
    ("bond", "Bond"),
    ("flags", "Flags"),
    ("fx", "FX-degraded"),
];

fn rating_order(r: Rating) -> i16 {
    r.rank().map_or(-1, i16::from)
}

fn sort_rows(rows: &mut [FleetRow], key: &str, desc: bool) {
    rows.sort_by(|a, b| {
        let o = match key {
            "rating" => rating_order(a.rating()).cmp(&rating_order(b.rating())),
            "score" => a.view.result.score.cmp(&b.view.result.score),
            "trend" => a
                .view
                .result
                .revenue_trend
                .as_str()
                .cmp(b.view.result.revenue_trend.as_str()),
            "last_event" => a.last_event().cmp(&b.last_event()),
            "bond" => a.view.facts.bonded.cmp(&b.view.facts.bonded),
            "flags" => a.flagged().cmp(&b.flagged()),
            "fx" => a.degraded().cmp(&b.degraded()),
            _ => std::cmp::Ordering::Equal,
        };
        let o = if desc { o.reverse() } else { o };
        // ties (and "machine") by machine id, ascending
        o.then(
            a.view
                .state
                .machine
                .machine_id
                .cmp(&b.view.state.machine.machine_id),
        )
    });
}

fn keep(row: &FleetRow, q: &HashMap<String, String>) -> bool {
    let on = |k: &str| {
        q.get(k)
            .is_some_and(|v| v == "1" || v == "true" || v == "on")
    };
    if on("flagged") && !row.flagged() {
        return false;
    }
    if on("degraded") && !row.degraded() {
        return false;
    }
    if let Some(text) = q.get("q").map(|s| s.trim().to_ascii_lowercase())
        && !text.is_empty()
        && !row.did.to_ascii_lowercase().contains(&text)
        && row.view.state.machine.machine_id.to_string() != text
    {
        return false;
    }
    match q.get("rating").map(String::as_str).unwrap_or("") {
        "" | "all" => true,
        "unrated" => !row.rating().is_rated(),
        "low" => is_low(row.rating()),
        "rated" => row.rating().is_rated(),
        other => row.rating().as_str() == other,
    }
}

fn query_string(q: &HashMap<String, String>, set: &[(&str, &str)]) -> String {
    let mut m: BTreeMap<&str, &str> = q
        .iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "sort" | "order" | "rating" | "flagged" | "degraded" | "q"
            )
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for (k, v) in set {
        m.insert(k, v);
    }
    let parts: Vec<String> = m
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_component(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&amp;"))
    }
}

async fn operator(
    State(st): State<AppState>,
    did: Result<Path<String>, PathRejection>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    respond(operator_page(&st, did, q).await)
}

async fn operator_page(
    st: &AppState,
    did: Result<Path<String>, PathRejection>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<String, ApiError> {
    let did = did?.0;
    let Query(q) = q?;
    let (operator_did, fleet) = operator_fleet(st, &did).await?;
    let sort = q.get("sort").map_or("machine", String::as_str);
    if !SORTS.iter().any(|(k, _)| *k == sort) {
        return Err(crate::api::bad(format!(
            "sort must be one of {}",
            SORTS.map(|(k, _)| k).join(", ")
        )));
    }
    let desc = match q.get("order").map(String::as_str) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(crate::api::bad("order must be asc or desc")),
    };
    let rating_filter = q.get("rating").map_or("", String::as_str);
    let known_filters = ["", "all", "unrated", "low", "rated"];
    if !known_filters.contains(&rating_filter)
        && !Rating::ALL.iter().any(|r| r.as_str() == rating_filter)
    {
        return Err(crate::api::bad(
            "rating must be a letter, NR, Provisioned, unrated, low, rated or all",
        ));
    }
    let summary = summarize(operator_did.clone(), &fleet);
    let mut rows: Vec<FleetRow> = fleet
        .into_iter()
        .map(|v| FleetRow {
            did: view::did_of(v.state.machine.address),
            view: v,
        })
        .filter(|r| keep(r, &q))
        .collect();
    sort_rows(&mut rows, sort, desc);

    let mut b = String::new();
    let _ = write!(
        b,
        "<p>Operator <span class=\"did\" id=\"operator-did\">{}</span>: \
         <span id=\"fleet-size\">{}</span> machines; \
         <span id=\"unrated-count\">{}</span> without a rating, \
         <span id=\"low-count\">{}</span> rated below {}, \
         <span id=\"flagged-count\">{}</span> flagged, \
         <span id=\"degraded-count\">{}</span> FX-degraded. \
         <a href=\"/operator/{}/summary\">JSON</a></p>",
        esc(&operator_did),
        summary.machine_count,
        summary.unrated.len(),
        summary.low_rated.len(),
        summary.low_rating_below.as_str(),
        summary.flagged.len(),
        summary.fx_degraded.len(),
        url_component(&operator_did),
    );
    b.push_str("<h2>Rating distribution</h2>");
    b.push_str(&distribution_chart(
        "chart-distribution",
        &summary.rating_distribution,
    ));
    b.push_str(&distribution_table(&summary.rating_distribution));

    b.push_str("<h2 id=\"fleet\">Fleet</h2>");
    // Filters: a plain GET form (works without JavaScript).
    let _ = write!(
        b,
        "<form class=\"filters\" method=\"get\" action=\"/dashboard/operator/{}\">\
         <input type=\"hidden\" name=\"sort\" value=\"{}\"><input type=\"hidden\" name=\"order\" value=\"{}\">\
         <label>Rating<select name=\"rating\" id=\"filter-rating\">",
        url_component(&operator_did),
        esc(sort),
        if desc { "desc" } else { "asc" },
    );
    let mut options: Vec<(String, String)> = vec![
        ("all".into(), "all".into()),
        ("unrated".into(), "no rating (NR, Provisioned)".into()),
        (
            "low".into(),
            format!("low (below {})", summary.low_rating_below.as_str()),
        ),
        ("rated".into(), "rated".into()),
    ];
    options.extend(
        Rating::ALL
            .iter()
            .map(|r| (r.as_str().to_owned(), r.as_str().to_owned())),
    );
    for (v, label) in &options {
        let selected = if rating_filter == v || (rating_filter.is_empty() && v == "all") {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            b,
            "<option value=\"{}\"{selected}>{}</option>",
            esc(v),
            esc(label)
        );
    }
    let checked = |k: &str| {
        if q.get(k)
            .is_some_and(|v| v == "1" || v == "true" || v == "on")
        {
            " checked"
        } else {
            ""
        }
    };
    let _ = write!(
        b,
        "</select></label>\
         <label><span><input type=\"checkbox\" name=\"flagged\" value=\"1\" id=\"filter-flagged\"{}> flagged only</span></label>\
         <label><span><input type=\"checkbox\" name=\"degraded\" value=\"1\" id=\"filter-degraded\"{}> FX-degraded only</span></label>\
         <label>DID or id contains<input type=\"search\" name=\"q\" id=\"filter-q\" value=\"{}\"></label>\
         <button type=\"submit\">Apply</button> <a href=\"/dashboard/operator/{}\">Reset</a></form>",
        checked("flagged"),
        checked("degraded"),
        esc(q.get("q").map_or("", String::as_str)),
        url_component(&operator_did),
    );
    let _ = write!(
        b,
        "<p class=\"muted\"><span id=\"row-count\">{}</span> of {} machines shown, sorted by {} ({}).</p>",
        rows.len(),
        summary.machine_count,
        esc(sort),
        if desc { "descending" } else { "ascending" }
    );
    b.push_str("<table id=\"fleet-table\"><thead><tr>");
    for (key, label) in SORTS {
        let next = if key == sort && !desc { "desc" } else { "asc" };
        let mark = if key == sort {
            if desc { " ▼" } else { " ▲" }
        } else {
            ""
        };
        let aria = if key == sort {
            if desc {
                " aria-sort=\"descending\""
            } else {
                " aria-sort=\"ascending\""
            }
        } else {
            ""
        };
        let _ = write!(
            b,
            "<th{aria}><a href=\"/dashboard/operator/{}{}\">{label}</a>{mark}</th>",
            url_component(&operator_did),
            query_string(&q, &[("sort", key), ("order", next)]),
        );
    }
    b.push_str("</tr></thead><tbody>");
    for r in &rows {
        let v = &r.view;
        let last = r.last_event().map_or_else(|| "none".to_owned(), datetime);
        let bond = if v.facts.bonded {
            format!("bonded ({} wei)", v.state.staked)
        } else {
            "unbonded".to_owned()
        };
        let flags = match v.state.flagged_at {
            Some(t) => format!("<span class=\"flag\">flagged {}</span>", esc(&datetime(t))),
            None => "none".to_owned(),
        };
        let _ = write!(
            b,
            "<tr data-did=\"{did}\" data-machine-id=\"{id}\">\
             <td>{link}</td><td class=\"rating\">{rating}</td><td class=\"num score\">{score}</td>\
             <td class=\"trend\">{trend}</td><td class=\"last-event\">{last}</td><td class=\"bond\">{bond}</td>\
             <td class=\"flags\">{flags}</td><td class=\"fx\">{fx}</td></tr>",
            did = esc(&r.did),
            id = v.state.machine.machine_id,
            link = machine_link(v),
            rating = rating_cell(r.rating()),
            score = v.result.score,
            trend = v.result.revenue_trend.as_str(),
            last = esc(&last),
            bond = esc(&bond),
            fx = if r.degraded() { "yes" } else { "no" },
        );
    }
    b.push_str("</tbody></table>");
    Ok(page(
        &format!("Operator {operator_did}"),
        &format!("Operator {operator_did}"),
        &b,
    ))
}

async fn machine(
    State(st): State<AppState>,
    did: Result<Path<String>, PathRejection>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    respond(machine_page(&st, did, q).await)
}

/// `(path, value)` leaves of a JSON document, in document order (`a.b.c`).
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

async fn machine_page(
    st: &AppState,
    did: Result<Path<String>, PathRejection>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<String, ApiError> {
    let did = did?.0;
    let Query(q) = q?;
    let (from, to) = history::parse_range(&q, history::today(st))?;
    let v = machine_for(st, &did).await?;
    let id = v.state.machine.machine_id;
    let did = view::did_of(v.state.machine.address);
    let points = history::machine_history(st, &v, from, to).await?;
    let days: Vec<HistoryDay> = points.iter().map(history::history_day).collect();
    let explain = view::explain_doc(&v, &st.scoring);
    let events = st.store.scoring_events(id).await?;
    let prof = serde_json::to_value(profile(st, &v, true).await?).unwrap_or(Value::Null);

    let mut b = String::new();
    let operator = if v.state.operator == v.state.machine.address {
        "self-managed".to_owned()
    } else {
        let od = view::did_of(v.state.operator);
        format!(
            "<a class=\"did\" href=\"/dashboard/operator/{}\">{}</a>",
            url_component(&od),
            esc(&od)
        )
    };
    let r = &v.result;
    b.push_str(&facts(&[
        ("DID", format!("<span class=\"did\" id=\"did\">{}</span>", esc(&did))),
        ("Machine id", format!("<span id=\"machine-id\">{id}</span>")),
        ("Operator", operator),
        ("Rating", format!("<span id=\"mcr\">{}</span>", rating_cell(r.rating))),
        ("Score", format!("<span id=\"mcr-score\">{}</span>", r.score)),
        ("Revenue trend", format!("<span id=\"revenue-trend\">{}</span>", r.revenue_trend.as_str())),
        ("Events", format!(
            "<span id=\"event-count\">{}</span> (<span id=\"revenue-event-count\">{}</span> revenue, \
             <span id=\"activity-event-count\">{}</span> activity)",
            v.counts.total, v.counts.revenue, v.counts.activity
        )),
        ("Total revenue", format!(
            "<span id=\"total-revenue\" data-cents=\"{c}\">{}</span>",
            usd(r.total_revenue_usd_cents),
            c = r.total_revenue_usd_cents
        )),
        ("Last event", r.terms.last_event_at.map_or_else(|| "none".to_owned(), |t| esc(&datetime(t)))),
        ("Bond", if v.facts.bonded { format!("bonded ({} wei)", v.state.staked) } else { "unbonded".to_owned() }),
        ("Negative flag", match v.state.flagged_at {
            Some(t) => format!("<span class=\"flag\" id=\"flag\">flagged {}</span>", esc(&datetime(t))),
            None => "<span id=\"flag\">none</span>".to_owned(),
        }),
        ("FX-degraded", format!("<span id=\"degraded\">{}</span>", if r.degraded { "yes" } else { "no" })),
        ("JSON", format!(
            "<a href=\"/mcr/{d}\">/mcr</a> · <a href=\"/mcr/{d}/explain\">/explain</a> · \
             <a href=\"/mcr/{d}/history?from={f}&amp;to={t}\">/history</a> · <a href=\"/machine/{d}\">/machine</a>",
            d = url_component(&did), f = history::date_of(from), t = history::date_of(to)
        )),
    ]));

    // Range form.
    let _ = write!(
        b,
        "<form class=\"filters\" method=\"get\"><label>From<input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>To<input type=\"date\" name=\"to\" value=\"{}\"></label><button type=\"submit\">Show</button></form>",
        history::date_of(from),
        history::date_of(to)
    );

    b.push_str("<h2 id=\"history\">Score and rating history</h2>");
    let score_points: Vec<ScorePoint> = days
        .iter()
        .map(|d| ScorePoint {
            label: d.date.clone(),
            score: d.mcr_score,
            rating: d.mcr,
        })
        .collect();
    b.push_str(&score_chart(
        "chart-score",
        &format!(
            "mcr_score from {} to {}",
            history::date_of(from),
            history::date_of(to)
        ),
        &score_points,
    ));

    b.push_str("<h2>Daily revenue (USD)</h2>");
    let revenue_bars: Vec<Bar> = days
        .iter()
        .map(|d| Bar {
            label: d.date.clone(),
            value: d.revenue_usd_cents as f64 / 100.0,
            shown: usd(d.revenue_usd_cents),
        })
        .collect();
    b.push_str(&bar_chart(
        "chart-revenue",
        "Daily revenue in USD",
        "USD",
        &revenue_bars,
        "#047857",
    ));

    b.push_str("<h2>Daily activity</h2>");
    let activity_bars: Vec<Bar> = days
        .iter()
        .map(|d| Bar {
            label: d.date.clone(),
            value: d.activity_event_count as f64,
            shown: d.activity_event_count.to_string(),
        })
        .collect();
    b.push_str(&bar_chart(
        "chart-activity",
        "Daily activity events",
        "events",
        &activity_bars,
        "#4338ca",
    ));

    b.push_str("<h3>Days</h3><table id=\"history-table\"><thead><tr><th>Date</th><th class=\"num\">Score</th>\
        <th class=\"num\">Computed</th><th>Rating</th><th>Trend</th><th class=\"num\">Revenue (USD)</th>\
        <th class=\"num\">Revenue events</th><th class=\"num\">Activity events</th><th class=\"num\">Events so far</th></tr></thead><tbody>");
    for d in &days {
        let _ = write!(
            b,
            "<tr data-date=\"{date}\"><td>{date}</td><td class=\"num score\">{}</td><td class=\"num\">{}</td>\
             <td class=\"rating\">{}</td><td>{}</td><td class=\"num revenue\" data-cents=\"{c}\">{}</td>\
             <td class=\"num revenue-events\">{}</td><td class=\"num activity-events\">{}</td><td class=\"num\">{}</td></tr>",
            d.mcr_score,
            d.computed_score,
            d.mcr.as_str(),
            d.revenue_trend.as_str(),
            usd(d.revenue_usd_cents),
            d.revenue_event_count,
            d.activity_event_count,
            d.cumulative_event_count,
            date = esc(&d.date),
            c = d.revenue_usd_cents,
        );
    }
    b.push_str("</tbody></table>");

    b.push_str("<h2 id=\"trust\">Trust levels</h2>");
    let names = ["self-reported (0)", "on-chain (1)", "hardware-signed (2)"];
    let mut counts = [0u64; 3];
    for e in &events {
        if e.event_type <= 1 {
            counts[usize::from(e.trust_level.min(2))] += 1;
        }
    }
    let trust_bars: Vec<Bar> = names
        .iter()
        .zip(counts)
        .map(|(n, c)| Bar {
            label: (*n).to_owned(),
            value: c as f64,
            shown: c.to_string(),
        })
        .collect();
    b.push_str(&bar_chart(
        "chart-trust",
        "Events per trust level",
        "events",
        &trust_bars,
        "#1d4ed8",
    ));
    b.push_str("<table id=\"trust-table\"><thead><tr><th>Trust level</th><th class=\"num\">Events</th></tr></thead><tbody>");
    for (i, (n, c)) in names.iter().zip(counts).enumerate() {
        let _ = write!(
            b,
            "<tr data-level=\"{i}\"><td>{n}</td><td class=\"num\">{c}</td></tr>"
        );
    }
    b.push_str("</tbody></table>");
    let sv = v.source_verification;
    let _ = write!(
        b,
        "<p id=\"source-verification\">On-chain (level 1) claims checked against their source chain: \
         <span id=\"sv-verified\">{}</span> verified, <span id=\"sv-unverified\">{}</span> unverified, \
         <span id=\"sv-pending\">{}</span> pending (only verified ones score as on-chain).</p>",
        sv.verified, sv.unverified, sv.pending
    );

    b.push_str("<h2 id=\"explain\">Why this rating (/explain)</h2>");
    let mut terms = Vec::new();
    flatten("", &explain.terms, &mut terms);
    let _ = write!(
        b,
        "<p id=\"gate-reason\">{}</p>",
        esc(r.terms.gates.reason.as_str())
    );
    b.push_str(
        "<table id=\"explain-table\"><thead><tr><th>Term</th><th>Value</th></tr></thead><tbody>",
    );
    for (k, val) in &terms {
        let _ = write!(
            b,
            "<tr data-term=\"{k}\"><td>{k}</td><td class=\"num\">{}</td></tr>",
            esc(val),
            k = esc(k)
        );
    }
    b.push_str("</tbody></table>");

    b.push_str("<h2 id=\"nft\">Machine NFT</h2>");
    let peaqos = prof.get("peaqos").cloned().unwrap_or(Value::Null);
    let mut nft_rows = Vec::new();
    if let Value::Object(m) = &peaqos {
        for (k, val) in m {
            if k.contains("nft") {
                flatten(k, val, &mut nft_rows);
            }
        }
    }
    if peaqos.get("nft_token_id").is_none_or(Value::is_null) {
        b.push_str("<p id=\"nft-none\">No Machine NFT has been minted for this machine.</p>");
    }
    b.push_str("<table id=\"nft-table\"><tbody>");
    for (k, val) in &nft_rows {
        let _ = write!(
            b,
            "<tr data-field=\"{k}\"><td>{k}</td><td>{}</td></tr>",
            esc(val),
            k = esc(k)
        );
    }
    b.push_str("</tbody></table>");
    Ok(page(
        &format!("Machine {did}"),
        &format!("Machine #{id}"),
        &b,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_walks_objects_in_order() {
        let v = serde_json::json!({"a": {"b": 1, "c": "<x>"}, "d": null});
        let mut out = Vec::new();
        flatten("", &v, &mut out);
        assert_eq!(
            out,
            vec![
                ("a.b".to_owned(), "1".to_owned()),
                ("a.c".to_owned(), "<x>".to_owned()),
                ("d".to_owned(), "null".to_owned()),
            ]
        );
    }

    #[test]
    fn query_strings_keep_filters_and_encode() {
        let q: HashMap<String, String> = [
            ("rating".to_owned(), "BB".to_owned()),
            ("q".to_owned(), "a&b".to_owned()),
            ("evil".to_owned(), "x".to_owned()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            query_string(&q, &[("sort", "score"), ("order", "desc")]),
            "?order=desc&amp;q=a%26b&amp;rating=BB&amp;sort=score"
        );
        assert_eq!(query_string(&HashMap::new(), &[]), "");
    }
}
