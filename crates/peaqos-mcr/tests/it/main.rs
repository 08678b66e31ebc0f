//! The MCR service's integration tests, one binary (`cargo test -p peaqos-mcr --test it`):
//!
//! - [`service`]: end to end, devnet -> indexer -> storage -> scoring -> HTTP;
//! - [`indexing`]: the indexer against the devnet the way it reads peaq mainnet;
//! - [`store_bulk`]: bulk writes, idempotent re-application and rollbacks, on SQLite and
//!   PostgreSQL;
//! - [`wire_guards`]: every document the API builds passes peaq's SDK response guards
//!   ([`common::guards`]).

mod common;
mod indexing;
mod service;
mod store_bulk;
mod wire_guards;
