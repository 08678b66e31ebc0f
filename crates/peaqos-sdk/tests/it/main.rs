//! The SDK's integration tests, one binary (`cargo test -p peaqos-sdk --test it`):
//!
//! - [`onboarding`]: register / mint / DID against the embedded devnet;
//! - [`events`]: events, limits, reverts, concurrency and the nonce manager;
//! - [`observer`]: the `TxObserver` hook on the send path, and pre-signed transactions;
//! - [`fleet`]: `activate_fleet`, a proxy operator's fleet checked on chain;
//! - [`wallet`]: a client signing through an OWS vault wallet;
//! - [`http_clients`]: the MCR API and Gas Station clients against small local servers;
//! - [`examples`]: the main logic of every example, so CI exercises them.

mod common;
mod events;
mod examples;
mod fleet;
mod http_clients;
mod observer;
mod onboarding;
mod wallet;
