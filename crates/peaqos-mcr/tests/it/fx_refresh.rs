//! Fresh FX rates: the service refreshes its ECB table from a feed server on 127.0.0.1 (an ECB
//! XML fixture dated around the chain's today), keeps the last good table when the feed
//! answers 500 or garbage, persists it for a restart, and `/ready` reports its age.

use crate::common::*;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get as route_get;
use parking_lot::Mutex;
use peaqos_testkit::{Ev, EvExt, TestNet};
use std::sync::Arc;
use std::time::Duration;

/// What the feed server answers.
#[derive(Clone)]
enum Feed {
    Good(String),
    Status500,
    Garbage,
}

/// An ECB `eurofxref-hist-90d.xml` layout with the two business days before `day` (days since
/// 1970-01-01): USD 1.0507 / JPY 158.41 the day before, USD 1.0552 / JPY 160.1 two days before.
fn ecb_fixture(day: u64) -> String {
    let date = date_of;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" \
         xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n\
         <gesmes:subject>Reference rates</gesmes:subject>\n<Cube>\n\
         <Cube time='{}'>\n<Cube currency='USD' rate='1.0507'/>\n<Cube currency='JPY' rate='158.41'/>\n</Cube>\n\
         <Cube time='{}'>\n<Cube currency='USD' rate='1.0552'/>\n<Cube currency='JPY' rate='160.1'/>\n</Cube>\n\
         </Cube>\n</gesmes:Envelope>\n",
        date(day - 1),
        date(day - 2)
    )
}

/// A feed server on 127.0.0.1: `/feed.xml` answers whatever `feed` holds now.
async fn feed_server(feed: Arc<Mutex<Feed>>) -> String {
    let app = Router::new().route(
        "/feed.xml",
        route_get(move || {
            let f = feed.lock().clone();
            async move {
                match f {
                    Feed::Good(xml) => (StatusCode::OK, xml),
                    Feed::Status500 => (StatusCode::INTERNAL_SERVER_ERROR, "boom".to_owned()),
                    Feed::Garbage => (StatusCode::OK, "<html>maintenance</html>".to_owned()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/feed.xml")
}

/// `YYYY-MM-DD` of a day since 1970-01-01 (proleptic Gregorian, H. Hinnant's civil_from_days).
fn date_of(day: u64) -> String {
    let z = day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[tokio::test]
async fn refreshes_from_the_ecb_feed_and_keeps_the_last_good_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fx.sqlite").display().to_string();
    let saved = dir.path().join("fx-rates.csv");
    let net = TestNet::start().await;
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    let now = net.chain_time().await;
    let today = now / DAY;
    let feed = Arc::new(Mutex::new(Feed::Good(ecb_fixture(today))));
    let url = feed_server(Arc::clone(&feed)).await;

    // a JPY and a EUR revenue event of today
    let b = net
        .submit(
            &key,
            id,
            &[Ev::revenue("JPY", now), Ev::revenue("EUR", now)],
        )
        .await;
    let did = format!("did:peaq:{}", key.address());

    // without a refresh and not pinned (a public chain's settings), the shipped table is
    // weeks old: today's JPY and EUR are FX-degraded for real
    let unpinned = |c: &mut peaqos_mcr::McrServiceConfig| {
        c.fx_pinned = false;
        c.fx_cache_path = Some(saved.clone());
    };
    let svc = mcr(&net, &db, unpinned).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, m) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(m["mcr_degraded"], true, "{m}");
    let (_, r) = get(&svc.url(), "/ready").await;
    assert_eq!(r["fx"]["source"], "shipped", "{r}");
    assert_eq!(r["fx"]["last_date"], "2026-10-30");
    assert_eq!(r["fx"]["refresh_enabled"], false);
    assert!(
        r["fx"]["age_days"].as_u64().unwrap() >= today - 20_756,
        "{r}"
    );
    svc.shutdown().await.unwrap();

    // with the feed: refreshed at start, no longer degraded, saved for a restart
    let feeds = |c: &mut peaqos_mcr::McrServiceConfig| {
        unpinned(c);
        c.fx_feeds = vec![url.clone()];
        c.fx_refresh_interval = Duration::from_secs(1);
    };
    let svc = mcr(&net, &db, feeds).await;
    svc.fx().wait_for_attempts(1, WAIT).await.unwrap();
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, r) = get(&svc.url(), "/ready").await;
    let fx = &r["fx"];
    assert_eq!(fx["source"], "ecb", "{r}");
    assert_eq!(fx["last_date"], date_of(today - 1));
    assert_eq!(fx["age_days"], 1);
    assert_eq!(fx["refresh_enabled"], true);
    assert_eq!(fx["last_error"], serde_json::Value::Null);
    assert!(fx["refreshed_at"].as_u64().unwrap() > 0);
    assert_eq!(fx["pinned"], false);
    let (_, m) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(m["mcr_degraded"], false, "{m}");
    let csv = std::fs::read_to_string(&saved).unwrap();
    assert!(csv.contains(&date_of(today - 1)), "the good table is saved");

    // the feed breaks: answers 500, then garbage; the last good table stays
    // (two more attempts: the second one started after the switch)
    *feed.lock() = Feed::Status500;
    let n = svc.fx().attempts();
    svc.fx().wait_for_attempts(n + 2, WAIT).await.unwrap();
    let (_, r) = get(&svc.url(), "/ready").await;
    assert_eq!(r["fx"]["last_date"], date_of(today - 1), "{r}");
    let err = r["fx"]["last_error"].as_str().unwrap();
    assert!(err.contains("HTTP 500"), "{err}");
    *feed.lock() = Feed::Garbage;
    let n = svc.fx().attempts();
    svc.fx().wait_for_attempts(n + 2, WAIT).await.unwrap();
    let (_, r) = get(&svc.url(), "/ready").await;
    assert_eq!(r["fx"]["last_date"], date_of(today - 1), "{r}");
    assert!(
        r["fx"]["last_error"]
            .as_str()
            .unwrap()
            .contains("FX rates have no rows"),
        "{r}"
    );
    let (_, m) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(m["mcr_degraded"], false, "{m}");
    svc.shutdown().await.unwrap();

    // a restart while the feed is still down starts from the saved table
    let svc = mcr(&net, &db, feeds).await;
    svc.fx().wait_for_attempts(1, WAIT).await.unwrap();
    let (_, r) = get(&svc.url(), "/ready").await;
    assert_eq!(r["fx"]["last_date"], date_of(today - 1), "{r}");
    assert_eq!(r["fx"]["source"], "ecb");
    assert!(r["fx"]["refreshed_at"].as_u64().is_some(), "{r}");
    assert!(r["fx"]["last_error"].as_str().is_some(), "{r}");
    let (_, m) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(m["mcr_degraded"], false, "{m}");
    svc.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_devnet_pins_the_shipped_table() {
    // peaqos up / demo: offline, the shipped table, today's EUR and JPY not degraded
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pinned.sqlite").display().to_string();
    let net = TestNet::start().await;
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    let now = net.chain_time().await;
    let b = net
        .submit(
            &key,
            id,
            &[Ev::revenue("JPY", now), Ev::revenue("EUR", now)],
        )
        .await;
    let svc = mcr(&net, &db, |_| {}).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, m) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
    assert_eq!(m["mcr_degraded"], false, "{m}");
    let (_, r) = get(&svc.url(), "/ready").await;
    assert_eq!(r["fx"]["pinned"], true, "{r}");
    assert_eq!(r["fx"]["source"], "shipped");
    assert_eq!(r["fx"]["refresh_enabled"], false);
    svc.shutdown().await.unwrap();
}
