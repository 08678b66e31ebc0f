//! The scoring model's integration tests, one binary (`cargo test -p peaqos-mcr-model --test it`):
//!
//! - [`scoring`]: every term of the scoring model on small hand-made histories;
//! - [`props`]: property tests of the scoring model;
//! - [`fx`]: FX conversion against the vendored ECB history;
//! - [`fx_feed`]: the ECB XML feeds, merging fresh rows, the CSV round trip, pinned tables;
//! - [`history`]: the daily rating history against a per-day recomputation.

mod common;
mod fx;
mod fx_feed;
mod history;
mod props;
mod scoring;
