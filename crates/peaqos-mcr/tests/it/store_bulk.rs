//! Bulk writes: a range with more events than one multi-row INSERT holds round-trips every field,
//! re-applying it is idempotent and a rollback drops exactly the events above the ancestor, on
//! SQLite and on PostgreSQL.

use crate::common::{Db, database};
use alloy::primitives::{Address, B256, Bytes, U256};
use peaqos_mcr::store::{Change, EventRow, MachineRow, RangeBatch, Store};

const MACHINES: u64 = 3;
const PER_MACHINE: u64 = 1_100;

fn event(machine_id: u64, event_index: u64) -> EventRow {
    let block = 10 + event_index / 100;
    let k = u8::try_from(event_index % 251).unwrap();
    EventRow {
        machine_id,
        event_index,
        event_type: u8::try_from(event_index % 2).unwrap(),
        value: U256::from(event_index) * U256::from(10u64).pow(U256::from(20)),
        currency: if event_index.is_multiple_of(3) {
            "EUR"
        } else {
            "USD"
        }
        .into(),
        timestamp: 1_700_000_000 + event_index * 60,
        data_hash: B256::with_last_byte(k),
        trust_level: u8::try_from(event_index % 3).unwrap(),
        source_chain_id: U256::from(event_index % 5),
        source_tx_hash: B256::repeat_byte(k),
        metadata: if event_index.is_multiple_of(4) {
            Bytes::new()
        } else {
            Bytes::from(format!("{{\"n\":{event_index}}}").into_bytes())
        },
        block,
        block_timestamp: (!event_index.is_multiple_of(7)).then_some(1_700_000_000 + block),
        tx_hash: B256::with_last_byte(u8::try_from(block % 256).unwrap()),
        log_index: machine_id * PER_MACHINE + event_index,
        // As read back: a trust-level-1 event nobody checked yet is pending.
        source_check: if event_index % 3 == 1 {
            peaqos_mcr_model::SourceCheck::Pending
        } else {
            peaqos_mcr_model::SourceCheck::NotApplicable
        },
    }
}

async fn bulk_round_trip(kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = database(kind, dir.path(), "bulk").await;
    let store = Store::connect(&url).await.unwrap();
    let mut changes = Vec::new();
    for m in 1..=MACHINES {
        let a = Address::with_last_byte(u8::try_from(m).unwrap());
        changes.push((
            1,
            m,
            Change::Registered(MachineRow {
                machine_id: m,
                address: a,
                owner: a,
                registered_block: 1,
            }),
        ));
    }
    // interleave machines the way logs of one range arrive
    for k in 0..PER_MACHINE {
        for m in 1..=MACHINES {
            let e = event(m, k);
            changes.push((e.block, e.log_index, Change::Event(Box::new(e))));
        }
    }
    let last_block = 10 + (PER_MACHINE - 1) / 100;
    let batch = RangeBatch {
        changes,
        to_block: last_block,
        to_hash: B256::with_last_byte(u8::try_from(last_block).unwrap()),
        to_timestamp: 1_700_000_000 + last_block,
        block_hashes: (10..=last_block)
            .map(|b| (b, B256::with_last_byte(u8::try_from(b).unwrap())))
            .collect(),
    };
    let (touched, _) = store.apply(&batch).await.unwrap();
    assert_eq!(touched, (1..=MACHINES).collect::<Vec<_>>());
    assert_eq!(store.total_events().await.unwrap(), MACHINES * PER_MACHINE);
    for m in 1..=MACHINES {
        let stored = store.events(m).await.unwrap();
        let expected: Vec<EventRow> = (0..PER_MACHINE).map(|k| event(m, k)).collect();
        assert_eq!(stored, expected, "machine {m} round-trips every field");
    }

    // the same range again (a restart before the cursor moved) adds nothing
    store.apply(&batch).await.unwrap();
    assert_eq!(store.total_events().await.unwrap(), MACHINES * PER_MACHINE);

    // roll back to block 14: events of blocks 15.. go, the cursor and hashes follow
    store
        .rollback_to(Some((14, B256::with_last_byte(14), 1_700_000_014)))
        .await
        .unwrap();
    let kept = (0..PER_MACHINE).filter(|k| 10 + k / 100 <= 14).count() as u64;
    assert_eq!(store.total_events().await.unwrap(), MACHINES * kept);
    assert_eq!(store.cursor().await.unwrap().unwrap().block, 14);
    assert_eq!(
        store.block_hashes_below(100, 100).await.unwrap().len(),
        5,
        "hashes of blocks 10..=14 remain"
    );
    assert_eq!(
        store.events(2).await.unwrap().last(),
        Some(&event(2, kept - 1))
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_round_trip_sqlite() {
    bulk_round_trip(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL; CI runs it with --ignored"]
async fn bulk_round_trip_postgres() {
    bulk_round_trip(Db::Postgres).await;
}
