//! MCR harness: an MCR service over a devnet from `peaqos-testkit`, HTTP GET and a fresh store.
#![allow(dead_code)]

use peaqos_mcr::{McrHandle, McrServiceConfig};
pub mod guards;

pub use peaqos_testkit::Db;
use peaqos_testkit::{TestNet, fresh_postgres_database};
use serde_json::Value;
use std::time::Duration;

pub const DAY: u64 = 86_400;
pub const WAIT: Duration = Duration::from_secs(30);

/// An MCR service on a free port over `db` (devnet settings).
pub async fn mcr(net: &TestNet, db: &str, tune: impl FnOnce(&mut McrServiceConfig)) -> McrHandle {
    let mut c = McrServiceConfig::devnet(net.url(), net.contracts());
    c.database_url = db.to_owned();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.poll_interval = Duration::from_millis(50);
    c.rate_limit_per_minute = 0;
    tune(&mut c);
    peaqos_mcr::spawn(c).await.expect("mcr starts")
}

/// GET: (status, JSON body).
pub async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database.
pub async fn database(kind: Db, dir: &std::path::Path, name: &str) -> Option<String> {
    match kind {
        Db::Sqlite => Some(dir.join(format!("{name}.sqlite")).display().to_string()),
        Db::Postgres => fresh_postgres_database(&format!("mcr_{name}")).await,
    }
}
