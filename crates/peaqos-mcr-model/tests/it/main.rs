//! The scoring model's integration tests, one binary (`cargo test -p peaqos-mcr-model --test it`):
//!
//! - [`scoring`]: every term of the scoring model on small hand-made histories;
//! - [`props`]: property tests of the scoring model;
//! - [`fx`]: FX conversion against the vendored ECB history.

mod common;
mod fx;
mod props;
mod scoring;
