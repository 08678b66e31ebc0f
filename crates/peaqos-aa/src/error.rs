//! [`BundlerError`]: every failure of the bundler, with its JSON-RPC error code (ERC-4337 v0.6 /
//! ERC-7769 where they define one).

use crate::userop::FieldError;
use alloy::primitives::{Address, B256, Bytes};
use serde_json::{Value, json};
use std::path::PathBuf;

/// JSON-RPC error codes of the bundler.
pub mod codes {
    /// The body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a JSON-RPC request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// Unknown method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid UserOperation struct / fields, unsupported entry point, bad parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal error (the node failed, an unexpected answer).
    pub const INTERNAL: i64 = -32603;
    /// Mempool full (implementation-defined server error).
    pub const MEMPOOL_FULL: i64 = -32000;
    /// Rejected by the EntryPoint's `simulateValidation` (account or factory): `FailedOp`.
    pub const SIMULATE_VALIDATION: i64 = -32500;
    /// Rejected by the paymaster's `validatePaymasterUserOp` (`FailedOp` with an `AA3x` reason).
    pub const SIMULATE_PAYMASTER_VALIDATION: i64 = -32501;
    /// Expired, or not valid yet (`validUntil` / `validAfter`).
    pub const NOT_IN_TIME_RANGE: i64 = -32503;
    /// Unsupported signature aggregator.
    pub const UNSUPPORTED_AGGREGATOR: i64 = -32506;
    /// The account's signature check failed (`sigFailed`), ERC-7769.
    pub const INVALID_SIGNATURE: i64 = -32507;
    /// The operation's execution reverts (`eth_estimateUserOperationGas`).
    pub const USER_OPERATION_REVERTED: i64 = -32521;
}

/// Every bundler failure. [`BundlerError::code`] is the JSON-RPC code it is answered with,
/// [`BundlerError::data`] the error's `data` member. No variant carries the bundler's key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundlerError {
    /// The body is not valid JSON (-32700).
    #[error("parse error: {0}")]
    Parse(String),
    /// Not a JSON-RPC request (-32600).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Unknown method (-32601).
    #[error("method {0} is not supported")]
    MethodNotFound(String),
    /// A UserOperation field is missing or malformed (-32602).
    #[error(transparent)]
    InvalidField(#[from] FieldError),
    /// Bad parameters: unsupported entry point, preVerificationGas too low, underpriced
    /// replacement, unknown bundling mode, ... (-32602).
    #[error("{0}")]
    InvalidParams(String),
    /// `simulateValidation` reverted with `FailedOp`: the message is its `AAxx` reason (-32500).
    #[error("{reason}")]
    SimulateValidation {
        /// `FailedOp.reason`, e.g. `AA21 didn't pay prefund`.
        reason: String,
    },
    /// `FailedOp` from the paymaster's validation (`AA3x`) (-32501).
    #[error("{reason}")]
    PaymasterValidation {
        /// `FailedOp.reason`.
        reason: String,
        /// The paymaster of the operation.
        paymaster: Option<Address>,
    },
    /// Expired or not valid yet (-32503).
    #[error(
        "UserOperation is not in its validity time range (validAfter {valid_after}, validUntil {valid_until})"
    )]
    NotInTimeRange {
        /// `validAfter` of the validation result.
        valid_after: u64,
        /// `validUntil` (0 = forever).
        valid_until: u64,
    },
    /// Validation needs a signature aggregator, which this bundler does not support (-32506).
    #[error("signature aggregator {0} is not supported")]
    UnsupportedAggregator(Address),
    /// The account reported a failed signature check (`sigFailed`) (-32507).
    #[error("Invalid UserOp signature or paymaster signature")]
    InvalidSignature,
    /// Estimation: the operation's execution reverts (-32521).
    #[error("{message}")]
    ExecutionReverted {
        /// What reverted, decoded when possible.
        message: String,
        /// The revert data.
        data: Bytes,
    },
    /// The mempool holds its maximum number of operations (-32000).
    #[error("the mempool is full ({0} operations)")]
    MempoolFull(usize),
    /// A JSON-RPC call to the node failed (-32603).
    #[error("node request {context} failed: {source}")]
    Node {
        /// What was asked.
        context: &'static str,
        /// The transport / node error.
        #[source]
        source: alloy::transports::TransportError,
    },
    /// Something that should not happen (an EntryPoint call that did not revert, ...) (-32603).
    #[error("{0}")]
    Internal(String),
    /// The bundle transaction was mined and reverted (-32603).
    #[error("bundle transaction {0} reverted")]
    BundleReverted(B256),
    /// No receipt arrived for the bundle transaction in time (-32603).
    #[error("no receipt for bundle transaction {0} within the timeout")]
    ReceiptTimeout(B256),
    /// Start-up: the bundler key holds nothing, so it cannot pay for `handleOps`.
    #[error(
        "the bundler key {address} has no balance on chain {chain_id}: fund it before starting the bundler (it pays the gas of every bundle)"
    )]
    Unfunded {
        /// The key's address.
        address: Address,
        /// The node's chain id.
        chain_id: u64,
    },
    /// Start-up: nothing is deployed at the EntryPoint address.
    #[error("no EntryPoint code at {entry_point} on chain {chain_id}")]
    NoEntryPoint {
        /// The configured EntryPoint.
        entry_point: Address,
        /// The node's chain id.
        chain_id: u64,
    },
    /// Start-up: invalid configuration.
    #[error("configuration: {0}")]
    Config(String),
    /// The mempool file cannot be read or written.
    #[error("mempool file {}: {source}", path.display())]
    Persist {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The mempool file is not one this bundler can use (malformed, other chain or EntryPoint).
    #[error("mempool file {}: {reason}", path.display())]
    MempoolFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Binding, serving or waiting for Ctrl-C failed.
    #[cfg(feature = "bundler")]
    #[error(transparent)]
    Server(#[from] peaqos_server::ServerError),
}

impl BundlerError {
    /// The JSON-RPC error code.
    pub fn code(&self) -> i64 {
        use codes::*;
        match self {
            BundlerError::Parse(_) => PARSE_ERROR,
            BundlerError::InvalidRequest(_) => INVALID_REQUEST,
            BundlerError::MethodNotFound(_) => METHOD_NOT_FOUND,
            BundlerError::InvalidField(_) | BundlerError::InvalidParams(_) => INVALID_PARAMS,
            BundlerError::SimulateValidation { .. } => SIMULATE_VALIDATION,
            BundlerError::PaymasterValidation { .. } => SIMULATE_PAYMASTER_VALIDATION,
            BundlerError::NotInTimeRange { .. } => NOT_IN_TIME_RANGE,
            BundlerError::UnsupportedAggregator(_) => UNSUPPORTED_AGGREGATOR,
            BundlerError::InvalidSignature => INVALID_SIGNATURE,
            BundlerError::ExecutionReverted { .. } => USER_OPERATION_REVERTED,
            BundlerError::MempoolFull(_) => MEMPOOL_FULL,
            _ => INTERNAL,
        }
    }

    /// The `data` member of the JSON-RPC error, when the code defines one.
    pub fn data(&self) -> Option<Value> {
        match self {
            BundlerError::InvalidField(f) => Some(json!({ "field": f.field })),
            BundlerError::PaymasterValidation {
                paymaster: Some(p), ..
            } => Some(json!({ "paymaster": p })),
            BundlerError::NotInTimeRange {
                valid_after,
                valid_until,
            } => Some(json!({ "validAfter": valid_after, "validUntil": valid_until })),
            BundlerError::UnsupportedAggregator(a) => Some(json!({ "aggregator": a })),
            BundlerError::ExecutionReverted { data, .. } => Some(json!({ "revertData": data })),
            _ => None,
        }
    }

    /// The JSON-RPC error object `{code, message[, data]}`.
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "code": self.code(), "message": self.to_string() });
        if let Some(d) = self.data() {
            v["data"] = d;
        }
        v
    }

    #[cfg(feature = "bundler")]
    pub(crate) fn node(
        context: &'static str,
    ) -> impl FnOnce(alloy::transports::TransportError) -> Self {
        move |source| BundlerError::Node { context, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_erc_4337_and_erc_7769() {
        let cases: Vec<(BundlerError, i64)> = vec![
            (BundlerError::Parse("x".into()), -32700),
            (BundlerError::InvalidRequest("x".into()), -32600),
            (BundlerError::MethodNotFound("x".into()), -32601),
            (BundlerError::InvalidParams("x".into()), -32602),
            (
                BundlerError::SimulateValidation {
                    reason: "AA21 didn't pay prefund".into(),
                },
                -32500,
            ),
            (
                BundlerError::PaymasterValidation {
                    reason: "AA31 paymaster deposit too low".into(),
                    paymaster: None,
                },
                -32501,
            ),
            (
                BundlerError::NotInTimeRange {
                    valid_after: 0,
                    valid_until: 1,
                },
                -32503,
            ),
            (BundlerError::UnsupportedAggregator(Address::ZERO), -32506),
            (BundlerError::InvalidSignature, -32507),
            (
                BundlerError::ExecutionReverted {
                    message: "x".into(),
                    data: Bytes::new(),
                },
                -32521,
            ),
            (BundlerError::MempoolFull(1), -32000),
            (BundlerError::Internal("x".into()), -32603),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code, "{e}");
            assert_eq!(e.to_json()["code"], code);
        }
        let e = BundlerError::SimulateValidation {
            reason: "AA21 didn't pay prefund".into(),
        };
        assert_eq!(e.to_json()["message"], "AA21 didn't pay prefund");
        let f = BundlerError::from(FieldError {
            field: "sender".into(),
            reason: "missing".into(),
        });
        assert_eq!(f.to_json()["data"]["field"], "sender");
    }
}
