//! The devnet's integration tests, one binary (`cargo test -p peaqos-devnet --test it`):
//!
//! - [`contracts`]: every function, event and documented revert of the peaqOS contracts, driven
//!   through alloy against the embedded devnet (reverts checked by name through eth_call,
//!   eth_estimateGas and a mined transaction);
//! - [`gas`]: the gas budget of `submitEvent`, alone and inside `batchAll`;
//! - [`flow`]: the onboarding flow as the SDK drives it;
//! - [`precompiles`]: DID, Batch and the native ERC-20 as on the node;
//! - [`rpc`]: the JSON-RPC surface clients and indexers rely on;
//! - [`rpc_fuzz`]: property tests of framing and dispatch (malformed, huge, nested input);
//! - [`persistence`]: `--state FILE` across restarts;
//! - [`signers`]: signer recovery of raw transactions (every type; high-s and r = 0 refused);
//! - [`base`]: the chain that plays Base for the bridge (`ChainKind::Base`).

mod base;
mod contracts;
mod flow;
mod gas;
mod persistence;
mod precompiles;
mod rpc;
mod rpc_fuzz;
mod signers;
mod util;
