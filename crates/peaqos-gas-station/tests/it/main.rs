//! The Gas Station's integration tests, one binary (`cargo test -p peaqos-gas-station --test it`):
//!
//! - [`gas_station`]: end-to-end behaviour over HTTP against the embedded devnet;
//! - [`concurrency`]: idempotency under concurrent duplicates, concurrent distinct fundings with
//!   contiguous nonces;
//! - [`recovery`]: recovery paths the node provokes (unknown broadcast outcome, a nonce taken
//!   outside the service);
//! - [`schema_conformance`]: the OpenAPI document states what the server enforces (the
//!   schemathesis campaign's findings as regressions);
//! - [`no_tracked_keys`]: the repository tracks no key-like file;
//! - [`no_process_env`]: the library reads no process environment.
//!
//! Storage tests run on SQLite and, ignored unless asked for, on PostgreSQL ([`both_dbs!`]).

#[macro_use]
mod common;
mod concurrency;
mod gas_station;
mod no_process_env;
mod no_tracked_keys;
mod recovery;
mod schema_conformance;
