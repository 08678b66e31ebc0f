//! The bundler's integration tests, one binary (`cargo test -p peaqos-aa --test it`), against an
//! embedded devnet on 127.0.0.1 (EntryPoint v0.6 and MachineAccountFactory at genesis):
//!
//! - [`hash`]: `user_op_hash` against `EntryPoint.getUserOpHash`, `calcPreVerificationGas`;
//! - [`rpc`]: the JSON-RPC surface, its shapes and error codes;
//! - [`rpc_fuzz`]: property tests of the JSON-RPC framing (malformed, huge, nested input);
//! - [`bundle`]: acceptance, bundling (`initCode` deployments, dropping a failing operation),
//!   receipts and their logs, auto mode, the mempool file across a restart, start-up refusals;
//! - [`flow`]: a machine whose identity wallet is its smart account, through the SDK and the
//!   bundler (events, key rotation), and a beacon upgrade of every account.

mod bundle;
mod flow;
mod hash;
mod rpc;
mod rpc_fuzz;
mod util;
