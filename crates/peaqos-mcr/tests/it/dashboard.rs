//! The `/dashboard` pages over HTTP: the numbers of the API, sorting and filtering by query
//! parameters, the escaping of untrusted text, and the headers (HTML, no scripts allowed).
//! The same pages in a real browser: interop/dashboard (headless Chromium).

use crate::common::*;
use peaqos_testkit::{Ev, TestNet, activity, revenue};
use std::time::Duration;

async fn page(base: &str, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let h = r.headers().clone();
    (s, r.text().await.unwrap(), h)
}

/// The `<tr data-machine-id=...>` ids of the fleet table, in order.
fn row_ids(html: &str) -> Vec<u64> {
    html.split("data-machine-id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_the_api_numbers_sort_filter_and_escape() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let svc = mcr(
        &net,
        &dir.path().join("d.sqlite").display().to_string(),
        |c| {
            c.cache_ttl = Duration::ZERO;
        },
    )
    .await;
    let proxy = net.funded_key(50).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let m = alloy::signers::local::PrivateKeySigner::random();
        ids.push(net.register_for(&proxy, m.address()).await);
    }
    let now = net.chain_time().await;
    let rev: Vec<Ev> = (1..=30)
        .rev()
        .map(|d| revenue(500, now - d * DAY, 1))
        .collect();
    net.submit(&proxy, ids[0], &rev).await;
    let act: Vec<Ev> = (1..=25).rev().map(|d| activity(now - d * DAY, 0)).collect();
    net.submit(&proxy, ids[1], &act).await;
    let b = net.admin_flag(ids[2], true).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let base = svc.url();
    let op = format!("did:peaq:{}", proxy.address());

    let (s, html, h) = page(&base, &format!("/dashboard/operator/{op}")).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(!html.contains("<script"), "no scripts");
    assert_eq!(row_ids(&html), ids, "by machine id by default");
    for id in &ids {
        let (_, m) = get(&base, &format!("/machines/{id}")).await;
        let did = m["did"].as_str().unwrap();
        let (_, r) = get(&base, &format!("/mcr/{did}")).await;
        let row = html
            .split(&format!("data-machine-id=\"{id}\""))
            .nth(1)
            .unwrap();
        let row = row.split("</tr>").next().unwrap();
        assert!(
            row.contains(&format!("<td class=\"num score\">{}</td>", r["mcr_score"])),
            "{row}"
        );
        assert!(
            row.contains(&format!(">{}</span></td>", r["mcr"].as_str().unwrap())),
            "{row}"
        );
        assert!(
            row.contains(&format!(
                "<td class=\"trend\">{}</td>",
                r["revenue_trend"].as_str().unwrap()
            )),
            "{row}"
        );
    }
    // sorted by score, descending: the revenue machine first
    let (_, html, _) = page(
        &base,
        &format!("/dashboard/operator/{op}?sort=score&order=desc"),
    )
    .await;
    assert_eq!(row_ids(&html)[0], ids[0]);
    let (_, html, _) = page(&base, &format!("/dashboard/operator/{op}?flagged=1")).await;
    assert_eq!(row_ids(&html), vec![ids[2]], "flagged only");
    let (_, html, _) = page(
        &base,
        &format!("/dashboard/operator/{op}?rating=Provisioned"),
    )
    .await;
    assert!(row_ids(&html).contains(&ids[2]));
    assert!(!row_ids(&html).contains(&ids[0]));
    for bad in ["sort=nope", "order=up", "rating=ZZ"] {
        let (s, _, _) = page(&base, &format!("/dashboard/operator/{op}?{bad}")).await;
        assert_eq!(s, 400, "{bad}");
    }

    // untrusted text is escaped: the filter text echoed into the form, a path into an error
    let (s, html, _) = page(
        &base,
        &format!("/dashboard/operator/{op}?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(!html.contains("<script>"), "the filter text is escaped");
    assert!(html.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(row_ids(&html).is_empty());
    let (s, html, _) = page(
        &base,
        "/dashboard/machine/%3Cimg%20src=x%20onerror=alert(1)%3E",
    )
    .await;
    assert_eq!(s, 400);
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("id=\"error\""), "an HTML error page: {html}");

    // the machine page: the API's numbers and non-empty charts
    let (_, m) = get(&base, &format!("/machines/{}", ids[0])).await;
    let did = m["did"].as_str().unwrap().to_owned();
    let (_, r) = get(&base, &format!("/mcr/{did}")).await;
    let (_, hist) = get(&base, &format!("/mcr/{did}/history")).await;
    let (s, html, _) = page(&base, &format!("/dashboard/machine/{did}")).await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("<span id=\"mcr-score\">{}</span>", r["mcr_score"])));
    assert!(html.contains(&format!(
        "<span id=\"event-count\">{}</span>",
        r["event_count"]
    )));
    assert_eq!(
        html.matches("class=\"point\"").count(),
        30,
        "one point per day"
    );
    assert_eq!(html.matches("<tr data-date=").count(), 30);
    for d in hist["days"].as_array().unwrap() {
        let date = d["date"].as_str().unwrap();
        assert!(
            html.contains(&format!(
                "data-label=\"{date}\" data-score=\"{}\"",
                d["mcr_score"]
            )),
            "{date}"
        );
    }
    assert!(
        html.contains("<tr data-level=\"1\"><td>on-chain (1)</td><td class=\"num\">30</td></tr>")
    );
    assert!(html.contains("data-term=\"gates.status\""));
    // the 30 on-chain claims are all accounted for by their source-chain check
    let span = |id: &str| -> u64 {
        html.split(&format!("<span id=\"{id}\">"))
            .nth(1)
            .and_then(|s| s.split('<').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert_eq!(
        span("sv-verified") + span("sv-unverified") + span("sv-pending"),
        30
    );
    let (s, html, _) = page(&base, "/dashboard").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<span id=\"machine-count\">3</span>"),
        "{html}"
    );
    assert!(html.contains(&format!("/dashboard/operator/{op}")));
    svc.shutdown().await.unwrap();
}
