//! The rating history and the operator summary, end to end (devnet -> indexer -> store ->
//! `/mcr/{did}/history`, `/operator/{did}/summary`), checked against an independent
//! recomputation: one [`peaqos_mcr_model::score`] call per day over the events the test
//! submitted (not the store's rows), and the stored rows restated by new events, flags and
//! reorgs.

use crate::common::*;
use alloy::primitives::{Address, B256, U256};
use peaqos_mcr::store::{Change, EventRow, MachineRow, RangeBatch, Store};
use peaqos_mcr_model::{MachineFacts, ScoredEvent, ScoringConfig, score};
use peaqos_testkit::{Ev, TestNet, activity, revenue};
use peaqos_types::rating::AmountStatus;
use serde_json::Value;
use std::time::Duration;

/// What the test submitted, as the model sees it (USD revenue: cents are the value).
#[derive(Clone, Copy)]
struct Sent {
    revenue: bool,
    cents: u64,
    ts: u64,
    trust: u8,
}

fn ev(s: &Sent) -> Ev {
    if s.revenue {
        revenue(s.cents, s.ts, s.trust)
    } else {
        activity(s.ts, s.trust)
    }
}

/// The independent recomputation of one day: the model at the end of `day` (at `now` for
/// today) over the submitted events up to then.
fn expected_day(sent: &[Sent], day: u64, today: u64, now: u64, flagged_at: Option<u64>) -> Value {
    let end = if day == today {
        now
    } else {
        day * DAY + DAY - 1
    };
    let kept: Vec<ScoredEvent> = sent
        .iter()
        .filter(|s| day == today || s.ts <= end)
        .map(|s| ScoredEvent {
            event_type: u8::from(!s.revenue),
            timestamp: s.ts,
            trust_level: s.trust,
            usd_cents: if s.revenue { s.cents } else { 0 },
            amount_status: AmountStatus::Ok,
        })
        .collect();
    let facts = MachineFacts {
        bonded: true,
        flagged_at: flagged_at.filter(|t| day == today || t / DAY <= day),
        ..MachineFacts::default()
    };
    let r = score(&facts, &kept, end, &ScoringConfig::default());
    let on_day = |rev: bool| {
        sent.iter().filter(move |s| {
            s.revenue == rev && s.ts.min(end) / DAY == day && (day == today || s.ts <= end)
        })
    };
    serde_json::json!({
        "mcr_score": r.score,
        "computed_score": r.terms.computed_score,
        "mcr": r.rating.as_str(),
        "revenue_trend": r.revenue_trend.as_str(),
        "mcr_degraded": false,
        "revenue_usd_cents": on_day(true).map(|s| s.cents).sum::<u64>(),
        "revenue_event_count": on_day(true).count(),
        "activity_event_count": on_day(false).count(),
        "cumulative_event_count": kept.len(),
    })
}

fn date(day: u64) -> String {
    peaqos_mcr::history::date_of(day)
}

/// Asserts every day of a history answer against the recomputation.
fn check(h: &Value, sent: &[Sent], today: u64, now: u64, flagged_at: Option<u64>) {
    let from = h["days"][0]["date"].as_str().unwrap().to_owned();
    for d in h["days"].as_array().unwrap() {
        let dd = d["date"].as_str().unwrap();
        let day = (0..=today)
            .rev()
            .find(|k| date(*k) == dd)
            .expect("a past date");
        let mut got = d.clone();
        got.as_object_mut().unwrap().remove("date");
        let want = expected_day(sent, day, today, now, flagged_at);
        assert_eq!(got, want, "day {dd} (history from {from})");
    }
}

async fn stored_rows(store: &Store, machine_id: u64) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) FROM mcr_history WHERE machine_id = $1")
        .bind(i64::try_from(machine_id).unwrap())
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn history_against_recomputation(kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(kind, dir.path(), "history").await;
    let net = TestNet::start().await;
    let svc = mcr(&net, &db, |c| c.cache_ttl = Duration::ZERO).await;
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    let did = format!("did:peaq:{}", key.address());
    let now = net.chain_time().await;
    // 40 days: $3..$9 revenue on most days (hardware-signed), self-reported activity on every
    // third day (no on-chain claims: their verification is not what this test is about)
    let mut sent: Vec<Sent> = Vec::new();
    for d in (1..=40u64).rev() {
        if d % 5 != 0 {
            sent.push(Sent {
                revenue: true,
                cents: 300 + (d % 7) * 100,
                ts: now - d * DAY,
                trust: 2,
            });
        }
        if d % 3 == 0 {
            for k in 0..2 {
                sent.push(Sent {
                    revenue: false,
                    cents: 0,
                    ts: now - d * DAY + k * 60,
                    trust: 0,
                });
            }
        }
    }
    let evs: Vec<Ev> = sent.iter().map(ev).collect();
    let b = net.submit(&key, id, &evs).await;
    svc.wait_for_block(b, WAIT).await.unwrap();

    let (s, h) = get(&svc.url(), &format!("/mcr/{did}/history")).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["did"], did);
    assert_eq!(h["machine_id"], id);
    let days = h["days"].as_array().unwrap();
    assert_eq!(days.len(), 30, "30 days by default");
    let to = h["to"].as_str().unwrap().to_owned();
    assert_eq!(days.last().unwrap()["date"], to.as_str());
    let today = (0..=now / DAY + 2).rev().find(|k| date(*k) == to).unwrap();
    // the service's clock: the later of the wall clock and the chain's
    let svc_now = {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        wall.max(net.chain_time().await)
    };
    check(&h, &sent, today, svc_now, None);
    // today is exactly what /mcr answers
    let (_, m) = get(&svc.url(), &format!("/mcr/{did}")).await;
    let last = days.last().unwrap();
    assert_eq!(last["mcr_score"], m["mcr_score"]);
    assert_eq!(last["mcr"], m["mcr"]);
    assert_eq!(last["revenue_trend"], m["revenue_trend"]);
    assert_eq!(last["cumulative_event_count"], m["event_count"]);
    assert!(days.iter().any(|d| d["mcr"] == "Provisioned"), "{h}");
    assert!(
        last["mcr_score"].as_u64().unwrap() > 0,
        "graduated by now: {last}"
    );

    // the whole history: 45 days, stored for every completed day
    let q = format!("?from={}&to={}", date(today - 44), date(today));
    let (s, full) = get(&svc.url(), &format!("/mcr/{did}/history{q}")).await;
    assert_eq!(s, 200, "{full}");
    assert_eq!(full["days"].as_array().unwrap().len(), 45);
    check(&full, &sent, today, svc_now, None);
    assert_eq!(
        stored_rows(svc.store(), id).await,
        44,
        "completed days are kept"
    );
    let (_, again) = get(&svc.url(), &format!("/mcr/{did}/history{q}")).await;
    assert_eq!(again["days"], full["days"], "stored rows answer the same");

    // a backdated event restates the past from its day on
    let extra = Sent {
        revenue: true,
        cents: 5_000,
        ts: now - 10 * DAY + 3_600,
        trust: 0,
    };
    let b = net.submit(&key, id, &[ev(&extra)]).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let kept = stored_rows(svc.store(), id).await;
    assert!(
        kept < 44,
        "rows from the event's day are dropped ({kept} left)"
    );
    assert!(kept >= 30, "rows before it stay ({kept} left)");
    sent.push(extra);
    let (_, full) = get(&svc.url(), &format!("/mcr/{did}/history{q}")).await;
    check(
        &full,
        &sent,
        today,
        svc_now.max(net.chain_time().await),
        None,
    );

    // a flag restates every day from its flaggedAt on
    let b = net.admin_flag(id, true).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    assert_eq!(stored_rows(svc.store(), id).await, 0);
    let (_, e) = get(&svc.url(), &format!("/mcr/{did}/explain")).await;
    let flagged_at = e["facts"]["flagged_at"].as_u64().unwrap();
    let (_, flagged) = get(&svc.url(), &format!("/mcr/{did}/history{q}")).await;
    let now2 = svc_now.max(net.chain_time().await);
    check(&flagged, &sent, today, now2, Some(flagged_at));
    let last_flagged = flagged["days"].as_array().unwrap().last().unwrap().clone();
    let last_clean = full["days"].as_array().unwrap().last().unwrap().clone();
    assert!(
        last_flagged["computed_score"].as_u64() < last_clean["computed_score"].as_u64(),
        "{last_flagged} vs {last_clean}"
    );

    // validation, in the service's error envelope
    for bad in [
        "?from=2026-13-01",
        "?from=yesterday",
        "?to=2999-01-01",
        &format!("?from={}&to={}", date(today - 1), date(today - 2)),
        &format!("?from={}&to={}", date(today - 366), date(today)),
    ] {
        let (s, v) = get(&svc.url(), &format!("/mcr/{did}/history{bad}")).await;
        assert_eq!(s, 400, "{bad}: {v}");
        assert!(v["detail"].is_string(), "{v}");
    }
    let (s, _) = get(
        &svc.url(),
        &format!("/mcr/{did}/history?from={}", date(today - 365)),
    )
    .await;
    assert_eq!(s, 200, "366 days are answered");
    let (s, v) = get(
        &svc.url(),
        "/mcr/did:peaq:0x0000000000000000000000000000000000000001/history",
    )
    .await;
    assert_eq!(s, 404, "{v}");
    svc.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_against_recomputation_sqlite() {
    history_against_recomputation(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL; CI runs it with --ignored"]
async fn history_against_recomputation_postgres() {
    history_against_recomputation(Db::Postgres).await;
}

/// A reorg that replaces a backdated event: the stored days are dropped with the rollback and
/// the history follows the new branch (checked against the recomputation again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_follows_a_reorg() {
    let dir = tempfile::tempdir().unwrap();
    let net = TestNet::start().await;
    let svc = mcr(
        &net,
        &dir.path().join("reorg.sqlite").display().to_string(),
        |c| c.cache_ttl = Duration::ZERO,
    )
    .await;
    let key = net.funded_key(10).await;
    let id = net.register(&key).await;
    let did = format!("did:peaq:{}", key.address());
    let now = net.chain_time().await;
    let mut sent: Vec<Sent> = (1..=20u64)
        .rev()
        .map(|d| Sent {
            revenue: true,
            cents: 500,
            ts: now - d * DAY,
            trust: 2,
        })
        .collect();
    let b = net
        .submit(&key, id, &sent.iter().map(ev).collect::<Vec<_>>())
        .await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let snap = net.rpc("evm_snapshot", serde_json::json!([])).await;
    // the old branch: a big backdated sale, indexed and its days stored
    let old = Sent {
        revenue: true,
        cents: 90_000,
        ts: now - 6 * DAY,
        trust: 2,
    };
    let b = net.submit(&key, id, &[ev(&old)]).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let (_, h) = get(&svc.url(), &format!("/mcr/{did}/history")).await;
    let to = h["to"].as_str().unwrap().to_owned();
    let today = (0..=now / DAY + 2).rev().find(|k| date(*k) == to).unwrap();
    let q = format!("?from={}&to={to}", date(today - 24));
    let (_, before) = get(&svc.url(), &format!("/mcr/{did}/history{q}")).await;
    assert!(stored_rows(svc.store(), id).await > 0);
    let day_of_old = date(old.ts / DAY);
    let old_day = before["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == day_of_old.as_str())
        .unwrap();
    assert_eq!(old_day["revenue_usd_cents"], 90_500);

    // the new branch: the sale never happened; an activity event instead
    assert_eq!(
        net.rpc("evm_revert", serde_json::json!([snap])).await,
        serde_json::json!(true)
    );
    net.rpc("evm_increaseTime", serde_json::json!([7])).await;
    let new = Sent {
        revenue: false,
        cents: 0,
        ts: now - 3 * DAY,
        trust: 0,
    };
    let mut last = net.submit(&key, id, &[ev(&new)]).await;
    for _ in 0..3 {
        net.rpc("evm_mine", serde_json::json!([])).await;
    }
    last = last.max(net.head().await);
    let deadline = tokio::time::Instant::now() + WAIT;
    while svc
        .status()
        .reorgs
        .load(std::sync::atomic::Ordering::Relaxed)
        == 0
        || svc.indexed_block() < last
    {
        assert!(tokio::time::Instant::now() < deadline, "no reorg handled");
        let mut rx = svc.status().subscribe();
        let _ = tokio::time::timeout(Duration::from_millis(500), rx.changed()).await;
    }
    assert_eq!(
        stored_rows(svc.store(), id).await,
        0,
        "the rollback drops the stored days"
    );
    sent.push(new);
    let (s, after) = get(&svc.url(), &format!("/mcr/{did}/history{q}")).await;
    assert_eq!(s, 200, "{after}");
    let svc_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .max(net.chain_time().await);
    check(&after, &sent, today, svc_now, None);
    svc.shutdown().await.unwrap();
}

async fn operator_summary(kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(kind, dir.path(), "summary").await;
    let net = TestNet::start().await;
    let svc = mcr(&net, &db, |c| c.cache_ttl = Duration::ZERO).await;
    let proxy = net.funded_key(50).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let m = alloy::signers::local::PrivateKeySigner::random();
        ids.push(net.register_for(&proxy, m.address()).await);
    }
    let now = net.chain_time().await;
    // machine 0: 30 days of $5 on-chain revenue (rated); machine 1: 30 days of self-reported
    // activity (a low letter); machine 2: nothing (Provisioned), then flagged
    let rev: Vec<Ev> = (1..=30)
        .rev()
        .map(|d| revenue(500, now - d * DAY, 1))
        .collect();
    net.submit(&proxy, ids[0], &rev).await;
    let act: Vec<Ev> = (1..=30).rev().map(|d| activity(now - d * DAY, 0)).collect();
    net.submit(&proxy, ids[1], &act).await;
    let b = net.admin_flag(ids[2], true).await;
    svc.wait_for_block(b, WAIT).await.unwrap();
    let op = format!("did:peaq:{}", proxy.address());
    let (s, v) = get(&svc.url(), &format!("/operator/{op}/summary")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["operator_did"], op);
    assert_eq!(v["machine_count"], 3);
    assert_eq!(v["low_rating_below"], "BBB");
    // the same figures from the per-machine endpoint
    let mut dist = serde_json::Map::new();
    for r in ["AAA", "AA", "A", "BBB", "BB", "B", "NR", "Provisioned"] {
        dist.insert(r.into(), 0.into());
    }
    let mut unrated = Vec::new();
    let mut low = Vec::new();
    for id in &ids {
        let (_, m) = get(&svc.url(), &format!("/machines/{id}")).await;
        let (_, r) = get(&svc.url(), &format!("/mcr/{}", m["did"].as_str().unwrap())).await;
        let letter = r["mcr"].as_str().unwrap().to_owned();
        *dist.get_mut(&letter).unwrap() = (dist[&letter].as_u64().unwrap() + 1).into();
        if letter == "NR" || letter == "Provisioned" {
            unrated.push(*id);
        }
        if letter == "BB" || letter == "B" {
            low.push(*id);
        }
    }
    assert_eq!(v["rating_distribution"], Value::Object(dist));
    let ids_of = |k: &str| -> Vec<u64> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|m| m["machine_id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(ids_of("unrated"), unrated);
    assert_eq!(ids_of("low_rated"), low);
    assert_eq!(ids_of("flagged"), vec![ids[2]]);
    assert!(ids_of("fx_degraded").is_empty());
    assert!(unrated.contains(&ids[2]), "no events: Provisioned");
    let (s, v) = get(&svc.url(), "/operator/nope/summary").await;
    assert_eq!(s, 400, "{v}");
    let stranger = Address::with_last_byte(0x77);
    let (s, _) = get(&svc.url(), &format!("/operator/{stranger}/summary")).await;
    assert_eq!(s, 404);
    svc.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_summary_sqlite() {
    operator_summary(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL; CI runs it with --ignored"]
async fn operator_summary_postgres() {
    operator_summary(Db::Postgres).await;
}

fn point(day: u64) -> peaqos_mcr_model::DayPoint {
    peaqos_mcr_model::DayPoint {
        day,
        score: 40,
        computed_score: 40,
        rating: peaqos_types::rating::Rating::B,
        revenue_trend: peaqos_types::rating::RevenueTrend::Stable,
        degraded: false,
        revenue_usd_cents: 100,
        revenue_events: 1,
        activity_events: 0,
        cumulative_events: day,
    }
}

/// The store's side: an event restates from its day, a flag everything, a reorg every
/// machine; a computation that read before a restatement does not store its rows.
async fn restatement(kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&database(kind, dir.path(), "restate").await)
        .await
        .unwrap();
    let a = Address::with_last_byte(1);
    let machine = |id: u64| {
        Change::Registered(MachineRow {
            machine_id: id,
            address: Address::with_last_byte(u8::try_from(id).unwrap()),
            owner: a,
            registered_block: 1,
        })
    };
    let batch = |block: u64, changes: Vec<Change>| RangeBatch {
        changes: changes
            .into_iter()
            .enumerate()
            .map(|(i, c)| (block, i as u64, c))
            .collect(),
        to_block: block,
        to_hash: B256::with_last_byte(u8::try_from(block).unwrap()),
        to_timestamp: block * 10,
        block_hashes: vec![],
    };
    store
        .apply(&batch(1, vec![machine(1), machine(2)]))
        .await
        .unwrap();
    let rows: Vec<_> = (100..110).map(point).collect();
    for id in [1, 2] {
        let g = store.history_generation(id).await.unwrap();
        assert!(store.store_history(id, g, "x", &rows).await.unwrap());
    }
    assert_eq!(store.history_rows(1, 100, 109, "x").await.unwrap(), rows);
    assert!(
        store
            .history_rows(1, 100, 109, "other inputs")
            .await
            .unwrap()
            .is_empty()
    );
    let stale = store.history_generation(1).await.unwrap();
    let event = EventRow {
        machine_id: 1,
        event_index: 0,
        event_type: 1,
        value: U256::ZERO,
        currency: String::new(),
        timestamp: 105 * DAY + 7,
        data_hash: B256::ZERO,
        trust_level: 0,
        source_chain_id: U256::ZERO,
        source_tx_hash: B256::ZERO,
        metadata: Default::default(),
        block: 2,
        block_timestamp: Some(20),
        tx_hash: B256::ZERO,
        log_index: 0,
        source_check: peaqos_mcr_model::SourceCheck::NotApplicable,
    };
    store
        .apply(&batch(2, vec![Change::Event(Box::new(event))]))
        .await
        .unwrap();
    assert_eq!(
        store.history_rows(1, 100, 109, "x").await.unwrap(),
        rows[..5].to_vec(),
        "from day 105 on"
    );
    assert_eq!(
        store.history_rows(2, 100, 109, "x").await.unwrap().len(),
        10,
        "other machines keep theirs"
    );
    assert!(
        !store.store_history(1, stale, "x", &rows).await.unwrap(),
        "read before the event: not stored"
    );
    assert_eq!(store.history_rows(1, 100, 109, "x").await.unwrap().len(), 5);
    store
        .apply(&batch(
            3,
            vec![Change::Flagged {
                machine_id: 2,
                flagged_at: 1,
            }],
        ))
        .await
        .unwrap();
    assert!(
        store
            .history_rows(2, 100, 109, "x")
            .await
            .unwrap()
            .is_empty(),
        "a flag restates all"
    );
    let g = store.history_generation(1).await.unwrap();
    assert!(store.store_history(1, g, "x", &rows).await.unwrap());
    store
        .rollback_to(Some((2, B256::with_last_byte(2), 20)))
        .await
        .unwrap();
    assert!(
        store
            .history_rows(1, 100, 109, "x")
            .await
            .unwrap()
            .is_empty(),
        "a reorg restates all"
    );
    assert!(!store.store_history(1, g, "x", &rows).await.unwrap());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restatement_sqlite() {
    restatement(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL; CI runs it with --ignored"]
async fn restatement_postgres() {
    restatement(Db::Postgres).await;
}
