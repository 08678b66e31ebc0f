//! The bridge's errors.

use std::path::PathBuf;

/// What can go wrong deploying the bridge or relaying packets.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// LayerZero's npm packages are not installed (they are installed at build time, never
    /// committed: LZBL-1.2).
    #[error(
        "LayerZero's contracts are not installed: {path} is missing; run `cd contracts && npm ci` (the packages are LZBL-1.2 and never committed)"
    )]
    LzNotInstalled {
        /// The missing file.
        path: PathBuf,
    },
    /// An installed LayerZero package is not the pinned version.
    #[error("{package} {found} is installed but {pinned} is pinned; run `cd contracts && npm ci`")]
    LzVersion {
        /// npm package.
        package: &'static str,
        /// Installed.
        found: String,
        /// Pinned.
        pinned: &'static str,
    },
    /// An artifact that cannot be read.
    #[error("cannot read {path}: {reason}")]
    Artifact {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A JSON-RPC call failed (transport or node).
    #[error("{chain}: RPC {what}: {source}")]
    Rpc {
        /// Chain name.
        chain: String,
        /// What was being done.
        what: String,
        /// The transport error.
        #[source]
        source: alloy::transports::TransportError,
    },
    /// A contract call or transaction was refused or reverted.
    #[error("{chain}: {what} failed: {reason}")]
    Tx {
        /// Chain name.
        chain: String,
        /// What was being done.
        what: String,
        /// Revert name or node message.
        reason: String,
    },
    /// The relayer's key cannot pay for gas on a chain.
    #[error(
        "{chain}: the relayer key {address} has {balance} wei, not enough for gas ({what}); fund it"
    )]
    OutOfFunds {
        /// Chain name.
        chain: String,
        /// The relayer's address.
        address: alloy::primitives::Address,
        /// Its balance.
        balance: alloy::primitives::U256,
        /// What it was paying for.
        what: String,
    },
    /// A packet that cannot be decoded.
    #[error(transparent)]
    Codec(#[from] crate::packet::CodecError),
    /// The cursor file.
    #[error("relayer cursor {path}: {reason}")]
    Cursor {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Configuration.
    #[error("bridge configuration: {0}")]
    Config(String),
}
