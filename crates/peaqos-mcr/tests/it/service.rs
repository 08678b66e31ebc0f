//! End to end: devnet -> indexer -> storage -> scoring -> HTTP.

use crate::common::*;
use alloy::providers::Provider;
use peaqos_testkit::{Ev, TestNet, activity, revenue};
use serde_json::{Value, json};
use std::time::Duration;

/// Registration, Provisioned -> letter, flag and override, restart without re-counting.
async fn rating_lifecycle(kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(kind, dir.path(), "lifecycle").await;
    let net = TestNet::start().await;
    let svc = mcr(&net, &db, |_| {}).await;
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    let did = format!("did:peaq:{}", key.address());
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();

    let (s, v) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mcr"], "Provisioned");
    assert_eq!(v["mcr_score"], 0);
    assert_eq!(v["bond_status"], "bonded");
    assert_eq!(v["machine_id"], id);
    assert_eq!(v["event_count"], 0);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "did",
        "machine_id",
        "mcr_score",
        "mcr",
        "mcr_degraded",
        "bond_status",
        "negative_flag",
        "event_count",
        "revenue_event_count",
        "activity_event_count",
        "revenue_trend",
        "total_revenue",
        "average_revenue_per_event",
        "last_updated",
    ];
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want, "exact seed shape");

    // 60 days of backdated hardware-signed revenue, one $5 event a day
    let now = net.chain_time().await;
    let events: Vec<Ev> = (1..=60)
        .rev()
        .map(|d| revenue(500, now - d * DAY, 2))
        .collect();
    let block = net.submit(&key, id, &events).await;
    svc.wait_for_block(block, WAIT).await.unwrap();
    // the raw address works as well as the DID
    let (s, v) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
    assert_eq!(s, 200);
    let rating: peaqos_types::rating::Rating = v["mcr"].as_str().unwrap().parse().unwrap();
    assert!(rating.is_rated(), "graduated machine has a letter: {v}");
    let base = v["mcr_score"].as_u64().unwrap();
    assert!(base >= 30, "{v}");
    assert_eq!(v["event_count"], 60);
    assert_eq!(v["revenue_event_count"], 60);
    assert_eq!(v["activity_event_count"], 0);
    assert_eq!(v["total_revenue"], 30_000);
    assert_eq!(v["average_revenue_per_event"], 500.0);
    assert_eq!(v["mcr_degraded"], false);
    assert_eq!(v["negative_flag"], false);
    assert!(v["last_updated"].as_u64().unwrap() >= now - DAY);

    // a negative flag lowers the score, clearing it restores it
    let b = net.admin_flag(id, true).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(v["negative_flag"], true);
    assert!(v["mcr_score"].as_u64().unwrap() < base, "flag lowers: {v}");
    let b = net.admin_flag(id, false).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(v["negative_flag"], false);
    assert_eq!(v["mcr_score"].as_u64().unwrap(), base);

    // a trust override of 0 lowers it; the explain endpoint shows the override
    let b = net.admin_override(id, Some(0)).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert!(
        v["mcr_score"].as_u64().unwrap() < base,
        "override 0 lowers: {v}"
    );
    let (s, e) = get(&svc.url(), &format!("/mcr/{did}/explain")).await;
    assert_eq!(s, 200);
    assert_eq!(e["facts"]["trust_override"], 0);
    assert!(e["terms"].is_object());
    let b = net.admin_override(id, None).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(v["mcr_score"].as_u64().unwrap(), base);
    let before = v;

    // restart on the same database: resumes from the cursor, counts nothing twice
    let indexed = svc.indexed_block();
    svc.shutdown().await.unwrap();
    let svc = mcr(&net, &db, |_| {}).await;
    assert!(
        svc.indexed_block() >= indexed,
        "cursor restored before the first poll"
    );
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/mcr/{did}")).await;
    assert_eq!(v["event_count"], before["event_count"]);
    assert_eq!(v["mcr_score"], before["mcr_score"]);
    assert_eq!(svc.store().total_events().await.unwrap(), 60);
    svc.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rating_lifecycle_sqlite() {
    rating_lifecycle(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL; CI runs it with --ignored"]
async fn rating_lifecycle_postgres() {
    rating_lifecycle(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_only_graduation() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let svc = mcr(
        &net,
        &dir.path().join("a.sqlite").display().to_string(),
        |_| {},
    )
    .await;
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    let now = net.chain_time().await;
    // 19 activity events over 20 days: one short of the gate
    let mut events: Vec<Ev> = (2..=20).rev().map(|d| activity(now - d * DAY, 2)).collect();
    let b = net.submit(&key, id, &events).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
    assert_eq!(v["mcr"], "Provisioned", "{v}");
    events = vec![activity(now - DAY, 2)];
    let b = net.submit(&key, id, &events).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
    assert_eq!(v["activity_event_count"], 20);
    assert_ne!(
        v["mcr"], "Provisioned",
        "20 activity events over 14+ days graduate: {v}"
    );
    let (_, e) = get(&svc.url(), &format!("/mcr/{}/explain", key.address())).await;
    assert_eq!(e["graduated"], true);
    svc.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_visibility_cards_and_stranger_attributes() {
    // a partner data API on loopback
    let partner = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let paddr = partner.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/data",
            axum::routing::get(|| async { axum::Json(json!({"kwh": 12.5, "site": "A"})) }),
        )
        .route("/text", axum::routing::get(|| async { "not json" }));
    tokio::spawn(async move { axum::serve(partner, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let svc = mcr(
        &net,
        &dir.path().join("v.sqlite").display().to_string(),
        |_| {},
    )
    .await;
    let base = svc.url();

    // onchain machine with JSON metadata, NFT minted
    let on = net.funded_key(10).await;
    let on_id = net.register(&on).await;
    let token = net.mint(&on, on_id).await;
    net.add_attributes(
        &on,
        on.address(),
        &[
            ("data_visibility", "onchain"),
            ("documentation_url", "https://docs.example/m"),
        ],
    )
    .await;
    let now = net.chain_time().await;
    let mut evs = vec![
        revenue(1234, now - 3 * DAY, 1),
        activity(now - 2 * DAY, 0),
        revenue(777, now - DAY, 0),
    ];
    evs[0].metadata = r#"{"kwh":3}"#.into();
    evs[1].metadata = "plain text".into();
    evs[2].currency = "ZZZ".into();
    let _ = net.submit(&on, on_id, &evs).await;

    // public machine pointing at the loopback partner API; another with a non-JSON answer
    let public = net.funded_key(10).await;
    net.register(&public).await;
    let url = format!("http://{paddr}/data");
    net.add_attributes(
        &public,
        public.address(),
        &[("data_visibility", "public"), ("data_api", url.as_str())],
    )
    .await;
    let bad = net.funded_key(10).await;
    net.register(&bad).await;
    let url = format!("http://{paddr}/text");
    net.add_attributes(
        &bad,
        bad.address(),
        &[("data_visibility", "public"), ("data_api", url.as_str())],
    )
    .await;

    // a public machine whose data_api is its own MCR profile: the loop guard stops the recursion
    let selfref = net.funded_key(10).await;
    net.register(&selfref).await;
    let url = format!("{base}/machine/did:peaq:{}", selfref.address());
    net.add_attributes(
        &selfref,
        selfref.address(),
        &[("data_visibility", "public"), ("data_api", url.as_str())],
    )
    .await;

    // private machine; a stranger writes a documentation_url onto its DID: ignored
    let private = net.funded_key(10).await;
    let private_id = net.register(&private).await;
    net.add_attributes(
        &private,
        private.address(),
        &[("data_api", "https://api.example/robot")],
    )
    .await;
    let stranger = net.funded_key(10).await;
    net.add_attributes(
        &stranger,
        private.address(),
        &[("documentation_url", "https://evil.example")],
    )
    .await;
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();

    let (s, v) = get(&base, &format!("/machine/did:peaq:{}", on.address())).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["schema_version"], "1.0");
    assert_eq!(v["name"], format!("Machine #{token}"));
    let p = &v["peaqos"];
    assert_eq!(p["data_visibility"], "onchain");
    assert_eq!(p["documentation_url"], "https://docs.example/m");
    assert_eq!(p["operator"], Value::Null);
    let data = p["event_data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(
        data[0]["metadata"],
        json!({"kwh": 3}),
        "JSON metadata parsed"
    );
    assert_eq!(data[0]["usd_value"], 1234);
    assert_eq!(data[0]["origin_value"], 1234);
    assert_eq!(data[0]["amount_status"], "ok");
    assert_eq!(data[0]["fx_source"], "none");
    // peaq's SDK requires an object: text that is not JSON is wrapped
    assert_eq!(data[1]["metadata"], json!({"text": "plain text"}));
    for k in ["origin_currency", "usd_value", "amount_status"] {
        assert!(data[1].get(k).is_none(), "activity entries carry no {k}");
    }
    assert_eq!(data[0]["origin_currency"], "USD");
    assert_eq!(data[0]["usd_subunit"], 100);
    assert_eq!(data[0]["origin_subunit"], 100);
    assert_eq!(data[2]["origin_subunit"], Value::Null);
    assert_eq!(data[2]["amount_status"], "unsupported_currency");
    assert_eq!(data[2]["usd_value"], 0);
    assert!(
        data.windows(2)
            .all(|w| w[0]["event_index"].as_u64() < w[1]["event_index"].as_u64()),
        "oldest first"
    );
    // the same document by token id
    let (s, m) = get(&base, &format!("/metadata/{token}")).await;
    assert_eq!(s, 200);
    assert_eq!(m, v);
    // unsupported currency is not degraded
    let (_, r) = get(&base, &format!("/mcr/{}", on.address())).await;
    assert_eq!(r["mcr_degraded"], false);
    assert_eq!(r["total_revenue"], 1234);

    let (_, v) = get(&base, &format!("/machine/{}", public.address())).await;
    assert_eq!(v["name"], "Machine (no NFT)");
    assert_eq!(
        v["peaqos"]["partner_data"],
        json!({"kwh": 12.5, "site": "A"}),
        "{v}"
    );
    let (_, v) = get(&base, &format!("/machine/{}", bad.address())).await;
    assert!(
        v["peaqos"]["partner_data_error"]
            .as_str()
            .unwrap()
            .contains("JSON"),
        "{v}"
    );
    assert!(v["peaqos"].get("partner_data").is_none());

    let (s, v) = get(&base, &format!("/machine/{}", selfref.address())).await;
    assert_eq!(s, 200, "{v}");
    let nested = &v["peaqos"]["partner_data"]["peaqos"];
    assert!(
        nested["partner_data_error"]
            .as_str()
            .unwrap()
            .contains("loop guard"),
        "one level deep, then stopped: {v}"
    );

    let (_, v) = get(&base, &format!("/machine/{}", private.address())).await;
    assert_eq!(v["peaqos"]["data_visibility"], "private");
    assert_eq!(v["peaqos"]["data_api"], "https://api.example/robot");
    assert_eq!(
        v["peaqos"]["documentation_url"],
        Value::Null,
        "a stranger's attribute is ignored"
    );
    assert!(v["peaqos"].get("event_data").is_none());

    // Machine Card
    let (s, c) = get(&base, &format!("/machines/{private_id}")).await;
    assert_eq!(s, 200);
    assert_eq!(c["type"], "peaqos:registration:v1");
    assert_eq!(c["name"], format!("Machine #{private_id}"));
    assert_eq!(c["active"], true);
    let pdid = format!("did:peaq:{}", private.address());
    assert_eq!(
        c["services"],
        json!([
            {"name": "MCR", "endpoint": format!("{base}/mcr/{pdid}")},
            {"name": "explain", "endpoint": format!("{base}/mcr/{pdid}/explain")},
            {"name": "profile", "endpoint": format!("{base}/machine/{pdid}"), "version": "1.0"},
            {"name": "web", "endpoint": "https://api.example/robot"},
        ])
    );
    assert_eq!(
        c["supportedTrust"],
        json!(["reputation", "crypto-economic"])
    );
    assert_eq!(
        c["image"],
        format!("{base}/machines/{private_id}/image.svg")
    );
    let img = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(c["image"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/svg+xml");
    let svg = img.text().await.unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains(&format!("Machine #{private_id}")),
        "{svg}"
    );
    assert_eq!(c["registrations"][0]["machineId"], private_id);
    assert_eq!(
        c["registrations"][0]["machineRegistry"],
        format!(
            "eip155:31337:{}",
            net.contracts().identity_registry.to_checksum(None)
        )
    );
    svc.shutdown().await.unwrap();

    // the same public machine with loopback refused
    let svc = mcr(
        &net,
        &dir.path().join("v2.sqlite").display().to_string(),
        |c| c.allow_loopback_partner_data = false,
    )
    .await;
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/machine/{}", public.address())).await;
    assert!(
        v["peaqos"]["partner_data_error"]
            .as_str()
            .unwrap()
            .contains("refused"),
        "{v}"
    );
    svc.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_pagination() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let svc = mcr(
        &net,
        &dir.path().join("o.sqlite").display().to_string(),
        |_| {},
    )
    .await;
    let proxy = net.funded_key(20).await;
    let proxy_id = net.register(&proxy).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let m = alloy::signers::local::PrivateKeySigner::random();
        ids.push(net.register_for(&proxy, m.address()).await);
    }
    // a machine someone else operates, listed by the proxy: filtered out
    let other = net.funded_key(10).await;
    let other_id = net.register(&other).await;
    let list = format!(
        "[{}, {}, {}, {}, \"junk\"]",
        ids[0], ids[1], other_id, ids[2]
    );
    net.add_attributes(
        &proxy,
        proxy.address(),
        &[("machineId", &proxy_id.to_string()), ("machines", &list)],
    )
    .await;
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();
    let op = format!("did:peaq:{}", proxy.address());

    let (s, v) = get(
        &svc.url(),
        &format!("/operator/{op}/machines?offset=0&limit=2"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["pagination"],
        json!({"offset": 0, "limit": 2, "total": 3})
    );
    let got: Vec<u64> = v["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["machine_id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, ids[..2]);
    assert_eq!(v["machines"][0]["mcr"], "Provisioned");
    assert_eq!(v["operator_did"], op);
    let (_, v) = get(&svc.url(), &format!("/operator/{op}/machines?offset=2")).await;
    assert_eq!(
        v["pagination"],
        json!({"offset": 2, "limit": 20, "total": 3})
    );
    assert_eq!(v["machines"].as_array().unwrap().len(), 1);
    for q in ["limit=0", "limit=21", "offset=-1", "limit=x"] {
        let (s, v) = get(&svc.url(), &format!("/operator/{op}/machines?{q}")).await;
        assert_eq!(s, 400, "{q}: {v}");
        assert!(v["detail"].is_string());
    }
    // the Machine Card of a proxied machine names its operator
    let (_, c) = get(&svc.url(), &format!("/machines/{}", ids[0])).await;
    assert_eq!(c["operator"], op);
    svc.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_and_cache_invalidation() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let svc = mcr(
        &net,
        &dir.path().join("e.sqlite").display().to_string(),
        |c| {
            c.cache_ttl = Duration::from_secs(3600);
        },
    )
    .await;
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();
    let base = svc.url();
    for (path, want) in [
        ("/mcr/not-a-did", 400),
        ("/mcr/did:peaq:0x1234", 400),
        ("/mcr/0x000000000000000000000000000000000000dEaD", 404),
        ("/machine/0x000000000000000000000000000000000000dEaD", 404),
        ("/metadata/abc", 400),
        ("/metadata/999", 404),
        ("/machines/999", 404),
        ("/machines/-1", 400),
        ("/nope", 404),
    ] {
        let (s, v) = get(&base, path).await;
        assert_eq!(s, want, "{path}: {v}");
        assert!(v["detail"].is_string(), "{path}: {v}");
    }
    let (s, v) = get(&base, "/health").await;
    assert_eq!((s, v), (200, json!({"status": "ok"})));
    let (s, v) = get(&base, "/ready").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "ready");
    assert_eq!(v["contracts"]["admin_flags"], true);
    let (s, v) = get(&base, "/openapi.json").await;
    assert_eq!(s, 200);
    assert!(v["paths"]["/mcr/{did}"].is_object());

    // cached, then invalidated by a new event
    let (_, v) = get(&base, &format!("/mcr/{}", key.address())).await;
    assert_eq!(v["event_count"], 0);
    assert_eq!(svc.cache().len(), 1);
    // a hit answers exactly the bytes of the uncached answer: the cached view's document as
    // `Json` writes it, with the same content type
    let raw = |path: String| {
        let base = base.clone();
        async move {
            let r = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap();
            let ct = r.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_owned();
            (r.status().as_u16(), ct, r.bytes().await.unwrap().to_vec())
        }
    };
    let cached = svc.cache().get(id).expect("cached view");
    let uncached = serde_json::to_vec(&peaqos_mcr::view::mcr_doc(&cached)).unwrap();
    for _ in 0..2 {
        let hit = raw(format!("/mcr/{}", key.address())).await;
        assert_eq!(hit, (200, "application/json".to_owned(), uncached.clone()));
    }
    let machine = format!("/machine/{}", key.address());
    assert!(svc.cache().entry(id).unwrap().profile_body().is_none());
    let miss = raw(machine.clone()).await;
    assert_eq!((miss.0, miss.1.as_str()), (200, "application/json"));
    let stored = svc.cache().entry(id).unwrap().profile_body();
    assert_eq!(
        stored.as_deref(),
        Some(&miss.2[..]),
        "a profile without live parts (no NFT, no partner data) is kept with the entry"
    );
    assert_eq!(
        raw(machine.clone()).await,
        miss,
        "the hit is the miss's bytes"
    );
    let now = net.chain_time().await;
    let b = net.submit(&key, id, &[activity(now, 0)]).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, v) = get(&base, &format!("/mcr/{}", key.address())).await;
    assert_eq!(v["event_count"], 1, "new event drops the cache entry");
    let (_, v) = get(&base, &machine).await;
    assert_eq!(v["peaqos"]["event_count"], 1, "and its stored profile");
    svc.shutdown().await.unwrap();

    // 429 above the per-IP limit
    let svc = mcr(
        &net,
        &dir.path().join("e.sqlite").display().to_string(),
        |c| c.rate_limit_per_minute = 3,
    )
    .await;
    for _ in 0..3 {
        assert_eq!(get(&svc.url(), "/openapi.json").await.0, 200);
    }
    let (s, v) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
    assert_eq!(s, 429);
    assert!(v["detail"].is_string());
    assert_eq!(
        get(&svc.url(), "/health").await.0,
        200,
        "probes are not limited"
    );
    svc.shutdown().await.unwrap();

    // 503 when the chain is unreachable and nothing was indexed yet
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let mut c = peaqos_mcr::McrServiceConfig::devnet(dead_url, net.contracts());
    c.chain_id = Some(31337);
    c.database_url = dir.path().join("dead.sqlite").display().to_string();
    c.listen = "127.0.0.1:0".parse().unwrap();
    let svc = peaqos_mcr::spawn(c).await.unwrap();
    let (s, v) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
    assert_eq!(s, 503, "{v}");
    assert!(v["detail"].is_string());
    let (s, v) = get(&svc.url(), "/ready").await;
    assert_eq!(s, 503);
    assert_eq!(v["rpc_connected"], false);
    svc.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorg_rolls_back_and_reindexes() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let svc = mcr(
        &net,
        &dir.path().join("r.sqlite").display().to_string(),
        |_| {},
    )
    .await;
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    let now = net.chain_time().await;
    let b = net.submit(&key, id, &[activity(now - 2 * DAY, 0)]).await;
    svc.wait_for_block(b, WAIT).await.unwrap();

    let snap = net.rpc("evm_snapshot", json!([])).await;
    // the "old" branch: two more events, indexed
    let b = net
        .submit(&key, id, &[activity(now - DAY, 0), activity(now - DAY, 0)])
        .await;
    net.submit(&key, id, &[activity(now - DAY, 0)]).await;
    svc.wait_for_block(b + 1, WAIT).await.unwrap();
    let (_, v) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
    assert_eq!(v["event_count"], 4);

    // rewrite history: revert and build a longer, different branch with one event
    assert_eq!(net.rpc("evm_revert", json!([snap])).await, json!(true));
    net.rpc("evm_increaseTime", json!([7])).await;
    let mut last = net.submit(&key, id, &[revenue(300, now - DAY, 1)]).await;
    for _ in 0..3 {
        net.rpc("evm_mine", json!([])).await;
    }
    last = last.max(net.head().await);
    // wait until the indexer has rolled back and reached the new head
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, v) = get(&svc.url(), &format!("/mcr/{}", key.address())).await;
        if svc
            .status()
            .reorgs
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
            && svc.indexed_block() >= last
        {
            assert_eq!(v["event_count"], 2, "{v}");
            assert_eq!(v["revenue_event_count"], 1);
            assert_eq!(v["total_revenue"], 300);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reorg handled: {v}"
        );
        let mut rx = svc.status().subscribe();
        let _ = tokio::time::timeout(Duration::from_millis(500), rx.changed()).await;
    }
    assert_eq!(svc.store().total_events().await.unwrap(), 2);
    let _ = net.provider(0).get_block_number().await.unwrap();
    svc.shutdown().await.unwrap();
}

/// Registration always bonds on these contracts (`register()` forwards `msg.value == minBond` and
/// the staking contract has no withdrawal), so an unbonded machine cannot be produced on the devnet.
/// The index is seeded the way a deployment whose registry emitted `Registered` without a stake
/// would fill it (a machine with 90 days of revenue and no `Staked`); from the store up, everything
/// runs through the service: the indexer resumes on top of it and the API answers NR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbonded_machines_are_nr() {
    use alloy::primitives::{Address, B256, Bytes, U256};
    use peaqos_mcr::store::{Change, EventRow, MachineRow, RangeBatch, Store};
    let net = TestNet::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unbonded.sqlite").display().to_string();
    let genesis = net
        .reader()
        .get_block(alloy::eips::BlockId::number(0))
        .await
        .unwrap()
        .unwrap()
        .header;
    let machine = Address::repeat_byte(0x5a);
    let now = net.chain_time().await;
    let mut changes = vec![(
        0,
        0,
        Change::Registered(MachineRow {
            machine_id: 900,
            address: machine,
            owner: machine,
            registered_block: 0,
        }),
    )];
    for d in 0..90u64 {
        changes.push((
            0,
            d + 1,
            Change::Event(Box::new(EventRow {
                machine_id: 900,
                event_index: d,
                event_type: 0,
                value: U256::from(5_000),
                currency: "USD".into(),
                timestamp: now - (90 - d) * DAY,
                data_hash: B256::ZERO,
                trust_level: 2,
                source_chain_id: U256::ZERO,
                source_tx_hash: B256::ZERO,
                metadata: Bytes::new(),
                block: 0,
                block_timestamp: Some(genesis.timestamp),
                tx_hash: B256::ZERO,
                log_index: d + 1,
                source_check: peaqos_mcr_model::SourceCheck::NotApplicable,
            })),
        ));
    }
    let store = Store::connect(&db).await.unwrap();
    store
        .apply(&RangeBatch {
            changes,
            to_block: 0,
            to_hash: genesis.hash,
            to_timestamp: genesis.timestamp,
            block_hashes: Vec::new(),
        })
        .await
        .unwrap();
    store.close().await;

    let svc = mcr(&net, &db, |_| {}).await;
    svc.wait_for_block(net.head().await, WAIT).await.unwrap();
    let (s, j) = get(&svc.url(), &format!("/mcr/{machine}")).await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(j["mcr"], "NR", "{j}");
    assert_eq!(j["mcr_score"], 0, "{j}");
    assert_eq!(j["bond_status"], "unbonded", "{j}");
    assert_eq!(j["revenue_event_count"], 90, "the history is there: {j}");
    let (s, e) = get(&svc.url(), &format!("/mcr/{machine}/explain")).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(e["facts"]["bonded"], false, "{e}");
    assert_eq!(e["mcr"], "NR", "{e}");
    svc.shutdown().await.unwrap();
}
