//! The devnet's one error type.

use alloy::primitives::U256;
use std::path::PathBuf;

/// Everything that can go wrong inside the devnet, with the JSON-RPC code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// Malformed or out-of-range parameters (`-32602`).
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// A transaction the chain refuses before execution (`-32000`).
    #[error(transparent)]
    InvalidTransaction(#[from] TxRejected),
    /// Something the devnet cannot serve (`-32000`).
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// A range or result limit was exceeded (`-32005`).
    #[error("{0}")]
    LimitExceeded(String),
    /// The `--state` file cannot be read or written.
    #[error("state file {}: {problem}", path.display())]
    State {
        /// File involved.
        path: PathBuf,
        /// What went wrong.
        #[source]
        problem: StateProblem,
    },
    /// The JSON-RPC server could not listen or stopped with an error.
    #[error(transparent)]
    Server(#[from] peaqos_server::ServerError),
    /// A genesis deployment step failed: the built-in contracts do not deploy (a bug).
    #[error("genesis step {step}: {reason}")]
    Genesis {
        /// Label of the deployment step.
        step: &'static str,
        /// What happened.
        reason: String,
    },
    /// The EVM failed for a reason that is not the transaction's fault (`-32603`).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a transaction is refused before it runs. The texts are the ones Ethereum clients
/// recognise ("nonce too low", "already known", ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxRejected {
    /// The transaction's nonce is not the account's next one (where no queue applies).
    #[error("nonce mismatch: tx has {tx}, account has {account}")]
    NonceMismatch {
        /// Nonce of the transaction.
        tx: u64,
        /// Next nonce of the account.
        account: u64,
    },
    /// The nonce was already used.
    #[error("nonce too low: next nonce {next}, tx nonce {tx}")]
    NonceTooLow {
        /// Next nonce of the account.
        next: u64,
        /// Nonce of the transaction.
        tx: u64,
    },
    /// Signed for another chain.
    #[error("invalid chain id {tx}: this chain is {chain}")]
    InvalidChainId {
        /// Chain id in the transaction.
        tx: u64,
        /// This chain's id.
        chain: u64,
    },
    /// The fee cap is below the base fee.
    #[error("max fee per gas less than block base fee: {max_fee} < {base_fee}")]
    FeeBelowBaseFee {
        /// The transaction's max fee per gas.
        max_fee: u128,
        /// The block's base fee.
        base_fee: u128,
    },
    /// The sender cannot pay gas and value.
    #[error("insufficient funds for gas * price + value: have {have} want {want}")]
    InsufficientFunds {
        /// Sender's balance.
        have: U256,
        /// What the transaction needs.
        want: U256,
    },
    /// The gas limit does not cover the intrinsic gas.
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        have: u64,
        /// Its intrinsic gas.
        want: u64,
    },
    /// Not a legacy, EIP-2930 or EIP-1559 transaction.
    #[error("transaction type not supported (legacy, EIP-2930 and EIP-1559 are)")]
    UnsupportedType,
    /// The signature does not recover.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
    /// The same transaction is already pending or mined.
    #[error("already known")]
    AlreadyKnown,
    /// The gas limit is above the block gas limit.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// A pending transaction with the same nonce pays at least as much.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// Any other reason the EVM gives.
    #[error("{0}")]
    Evm(String),
}

/// Requests the devnet cannot serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    /// A past block before the block a state file was loaded at.
    #[error(
        "state at block {block} is not kept: this devnet was loaded from a state file at block {floor}"
    )]
    StateNotKept {
        /// Block asked for.
        block: u64,
        /// First block with state.
        floor: u64,
    },
    /// `batchAll` simulated at a past block.
    #[error("batchAll can be simulated at the latest block only")]
    BatchAtPastBlock,
    /// `peaqos_saveState` without `--state FILE`.
    #[error("this devnet was started without --state FILE")]
    NoStateFile,
}

/// What is wrong with a state file.
#[derive(Debug, thiserror::Error)]
pub enum StateProblem {
    /// Reading, writing or renaming failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not JSON of the devnet's layout.
    #[error("not a devnet state file: {0}")]
    NotAStateFile(#[source] serde_json::Error),
    /// Written in another layout version.
    #[error("{0}")]
    Version(String),
    /// Saved by a devnet with another chain id.
    #[error("saved for chain id {file}, this devnet is {devnet}")]
    ChainId {
        /// Chain id in the file.
        file: u64,
        /// This devnet's chain id.
        devnet: u64,
    },
    /// Parses, but its content is inconsistent.
    #[error("{0}")]
    Corrupt(String),
}

impl DevnetError {
    /// JSON-RPC error code.
    pub fn rpc_code(&self) -> i64 {
        match self {
            Self::InvalidParams(_) => -32602,
            Self::InvalidTransaction(_) | Self::Unsupported(_) => -32000,
            Self::LimitExceeded(_) => -32005,
            Self::State { .. } | Self::Server(_) | Self::Genesis { .. } | Self::Internal(_) => {
                -32603
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_read_as_ethereum_clients_expect() {
        let e = DevnetError::from(TxRejected::NonceTooLow { next: 5, tx: 3 });
        assert_eq!(e.to_string(), "nonce too low: next nonce 5, tx nonce 3");
        assert_eq!(e.rpc_code(), -32000);
        assert_eq!(
            DevnetError::from(TxRejected::AlreadyKnown).to_string(),
            "already known"
        );
        assert_eq!(
            DevnetError::from(TxRejected::ReplacementUnderpriced).to_string(),
            "replacement transaction underpriced"
        );
    }

    #[test]
    fn state_errors_keep_their_source() {
        use std::error::Error as _;
        let e = DevnetError::State {
            path: PathBuf::from("chain.json"),
            problem: StateProblem::Io(std::io::Error::other("disk full")),
        };
        assert_eq!(e.to_string(), "state file chain.json: disk full");
        assert!(e.source().is_some());
        assert_eq!(e.rpc_code(), -32603);
    }
}
