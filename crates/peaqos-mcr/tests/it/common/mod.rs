//! MCR harness: an MCR service over a devnet from `peaqos-testkit`, HTTP GET and a fresh store.
#![allow(dead_code)]

use peaqos_mcr::{McrHandle, McrServiceConfig};
pub(crate) mod guards;

pub(crate) use peaqos_testkit::Db;
use peaqos_testkit::{TestNet, fresh_postgres_database};
use serde_json::Value;
use std::time::Duration;

pub(crate) const DAY: u64 = 86_400;
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// An MCR service on a free port over `db` (devnet settings).
pub(crate) async fn mcr(
    net: &TestNet,
    db: &str,
    tune: impl FnOnce(&mut McrServiceConfig),
) -> McrHandle {
    let mut c = McrServiceConfig::devnet(net.url(), net.contracts());
    c.database_url = db.to_owned();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.poll_interval = Duration::from_millis(50);
    c.rate_limit_per_minute = 0;
    tune(&mut c);
    peaqos_mcr::spawn(c).await.expect("mcr starts")
}

/// GET: (status, JSON body). Every answer goes through the guard of peaq's SDK for its
/// endpoint (`guards`): a 2xx body of `/mcr/{did}`, `/machine/{did}`, `/metadata/{id}` or
/// `/operator/{did}/machines` must pass it, an error must be `{"detail": str}`.
pub(crate) async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let body = r.json().await.unwrap_or(Value::Null);
    check_guards(path, s, &body);
    (s, body)
}

/// Runs the SDK guard that applies to `path` on an answer (panics with the broken rule).
/// `/ready` answers its own document with 200 and 503 alike.
pub(crate) fn check_guards(path: &str, status: u16, body: &Value) {
    let route = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    let result = if parts == ["ready"] {
        // the documented readiness document, also with 503 (not an SDK endpoint)
        Ok(())
    } else if !(200..300).contains(&status) {
        guards::error(status, body).map(|_| ())
    } else {
        match parts.as_slice() {
            ["mcr", _] => guards::mcr(body),
            ["machine", _] | ["metadata", _] => guards::profile(body),
            ["operator", _, "machines"] => guards::operator_machines(body),
            _ => Ok(()),
        }
    };
    if let Err(e) = result {
        panic!("GET {path} ({status}) fails peaq's SDK guards: {e}");
    }
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database (a PostgreSQL test
/// fails without a server).
pub(crate) async fn database(kind: Db, dir: &std::path::Path, name: &str) -> String {
    match kind {
        Db::Sqlite => dir.join(format!("{name}.sqlite")).display().to_string(),
        Db::Postgres => fresh_postgres_database(&format!("mcr_{name}")).await,
    }
}
