//! The wallet's integration tests, one binary (`cargo test -p peaqos-wallet --test it`):
//!
//! - [`vault`]: vault round trips, tampering, file modes, audit lines and secret hygiene;
//! - [`vectors`]: published BIP-39, BIP-32 and SLIP-10 test vectors;
//! - [`reference_vectors`]: addresses the OWS reference derives for fixed inputs;
//! - [`interop`]: interop with the OWS reference implementation (`ows_interop.py`);
//! - [`cli`]: `peaqos wallet` subcommands through `cli::run_in`;
//! - [`devnet_signer`]: a `VaultSigner`-backed provider registers a machine on the devnet.

mod cli;
mod devnet_signer;
mod interop;
mod reference_vectors;
mod vault;
mod vectors;
