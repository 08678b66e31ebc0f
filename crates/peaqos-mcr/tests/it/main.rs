//! The MCR service's integration tests, one binary (`cargo test -p peaqos-mcr --test it`):
//!
//! - [`service`]: end to end, devnet -> indexer -> storage -> scoring -> HTTP;
//! - [`crash`]: the indexer killed with SIGKILL five times mid-backfill scores as a clean run;
//! - [`fx_refresh`]: fresh ECB rates from a feed server on loopback, the last good table kept
//!   on 500 / garbage and across a restart, `/ready`'s `fx`, the devnet's pinned table;
//! - [`history`]: `/mcr/{did}/history` against a per-day recomputation from the submitted
//!   events, its restatement by events, flags and reorgs, and `/operator/{did}/summary`;
//! - [`dashboard`]: the `/dashboard` pages (numbers, sorting, filters, escaping, headers);
//! - [`indexing`]: the indexer against the devnet the way it reads peaq mainnet;
//! - [`nft_location`]: where the Machine NFT is (`/machine/{did}`'s `machine_nft`);
//! - [`source_checks`]: trust level 1 checked against real transactions on a Base devnet;
//! - [`store_bulk`]: bulk writes, idempotent re-application and rollbacks, on SQLite and
//!   PostgreSQL;
//! - [`store_reads`]: the one-query read of a machine's state and events (what an uncached
//!   `/mcr` loads) against the row-by-row reads, on SQLite and PostgreSQL;
//! - [`wire_guards`]: every document the API builds passes peaq's SDK response guards
//!   ([`common::guards`]).

mod common;
mod crash;
mod dashboard;
mod fx_refresh;
mod history;
mod indexing;
mod nft_location;
mod service;
mod source_checks;
mod store_bulk;
mod store_reads;
mod wire_guards;
