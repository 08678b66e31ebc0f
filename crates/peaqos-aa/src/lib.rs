//! peaqOS smart accounts on ERC-4337 v0.6 (EntryPoint `0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789`).
//!
//! Pure modules (no I/O; what the SDK builds on, available without the `bundler` feature):
//! - [`userop`]: the v0.6 [`UserOperation`] with the ERC-4337 JSON shape, [`pack`] and
//!   [`user_op_hash`] as the EntryPoint computes them, and [`calc_pre_verification_gas`] as
//!   eth-infinitism's `calcPreVerificationGas` does;
//! - [`entry_point`]: decoding of the EntryPoint's `ValidationResult` / `FailedOp` /
//!   `ExecutionResult` revert data with the generated error types of `EntryPointV06`;
//! - [`rpc_types`]: the result shapes of the bundler RPC methods and the receipt of one operation
//!   from its bundle transaction's receipt.
//!
//! With the `bundler` feature (default): [`bundler::Bundler`] and [`server::spawn`], a bundler
//! serving the ERC-4337 JSON-RPC methods over HTTP against any JSON-RPC node, paying for the
//! bundles with its own key, with an optional mempool file ([`mempool`]) that survives restarts.
//! All its failures are [`BundlerError`], which carries the JSON-RPC error code.

#![warn(missing_docs)]

pub mod entry_point;
pub mod error;
pub mod rpc_types;
pub mod userop;

#[cfg(feature = "bundler")]
pub mod bundler;
#[cfg(feature = "bundler")]
pub mod mempool;
#[cfg(feature = "bundler")]
pub mod server;

pub use entry_point::{EntryPointRevert, decode_entry_point_revert, describe_revert};
pub use error::{BundlerError, codes};
pub use rpc_types::{GasEstimate, UserOperationByHash, UserOperationReceipt};
pub use userop::{
    Completeness, FieldError, GasOverheads, UserOperation, calc_pre_verification_gas, pack,
    pre_verification_gas_with_dummies, user_op_hash,
};

#[cfg(feature = "bundler")]
pub use bundler::{Bundler, BundlerConfig, BundlingMode, DEFAULT_PORT};
#[cfg(feature = "bundler")]
pub use server::{BundlerHandle, MAX_BODY_BYTES, spawn};
