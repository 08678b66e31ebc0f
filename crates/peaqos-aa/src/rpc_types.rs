//! The result shapes of the bundler's JSON-RPC methods (ERC-4337 v0.6 RPC, as eth-infinitism's
//! bundler answers them), and how a `UserOperationEvent` and its logs are found in a bundle
//! transaction's receipt.
//!
//! Pure: no I/O.

use crate::userop::UserOperation;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::rpc::types::{Log, TransactionReceipt};
use alloy::sol_types::SolEvent;
use peaqos_contracts::EntryPointV06;
use serde::{Deserialize, Serialize};

/// `eth_estimateUserOperationGas` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GasEstimate {
    /// Calldata and bundle overhead ([`crate::calc_pre_verification_gas`]).
    pub pre_verification_gas: U256,
    /// Validation gas (account deployment included).
    pub verification_gas_limit: U256,
    /// Execution gas.
    pub call_gas_limit: U256,
}

/// `eth_getUserOperationByHash` result: the operation and where it was included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationByHash {
    /// The operation as the bundle transaction carried it.
    pub user_operation: UserOperation,
    /// The EntryPoint.
    pub entry_point: Address,
    /// The bundle transaction.
    pub transaction_hash: B256,
    /// Its block.
    pub block_hash: B256,
    /// Its block number.
    #[serde(with = "alloy::serde::quantity")]
    pub block_number: u64,
}

/// `eth_getUserOperationReceipt` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationReceipt {
    /// The operation's hash.
    pub user_op_hash: B256,
    /// The EntryPoint.
    pub entry_point: Address,
    /// The account.
    pub sender: Address,
    /// The operation's nonce.
    pub nonce: U256,
    /// The paymaster (zero when none).
    pub paymaster: Address,
    /// What the account (or paymaster) paid, in wei.
    pub actual_gas_cost: U256,
    /// Gas charged for the operation.
    pub actual_gas_used: U256,
    /// Whether the execution succeeded.
    pub success: bool,
    /// The revert data of a failed execution (`UserOperationRevertReason`), `null` on success.
    pub reason: Option<Bytes>,
    /// The logs of this operation only: those after the previous operation's
    /// `UserOperationEvent` (or `BeforeExecution`) and before its own.
    pub logs: Vec<Log>,
    /// The whole bundle transaction's receipt.
    pub receipt: TransactionReceipt,
}

fn is_entry_point_event(log: &Log, entry_point: Address, topic: B256) -> bool {
    log.address() == entry_point && log.topics().first() == Some(&topic)
}

/// The logs of operation `user_op_hash` in a bundle's logs, as eth-infinitism's bundler slices
/// them: strictly between the last `BeforeExecution` or other operation's `UserOperationEvent`
/// before it and its own `UserOperationEvent`. `None` when the bundle has no `UserOperationEvent`
/// for the hash.
pub fn user_operation_logs(
    logs: &[Log],
    entry_point: Address,
    user_op_hash: B256,
) -> Option<Vec<Log>> {
    let before = EntryPointV06::BeforeExecution::SIGNATURE_HASH;
    let event = EntryPointV06::UserOperationEvent::SIGNATURE_HASH;
    let mut start: Option<usize> = None;
    let mut end: Option<usize> = None;
    for (i, log) in logs.iter().enumerate() {
        if is_entry_point_event(log, entry_point, before) {
            start = Some(i);
            end = None;
        } else if is_entry_point_event(log, entry_point, event) {
            if log.topics().get(1) == Some(&user_op_hash) {
                end = Some(i);
                break;
            }
            start = Some(i);
        }
    }
    let end = end?;
    let from = start.map_or(0, |s| s + 1);
    Some(logs[from..end].to_vec())
}

/// The receipt of operation `user_op_hash` from its bundle transaction's receipt; `None` when that
/// transaction has no `UserOperationEvent` for it.
pub fn user_operation_receipt(
    receipt: &TransactionReceipt,
    entry_point: Address,
    user_op_hash: B256,
) -> Option<UserOperationReceipt> {
    let logs = receipt.inner.logs();
    let event_topic = EntryPointV06::UserOperationEvent::SIGNATURE_HASH;
    let ev = logs.iter().find_map(|l| {
        (is_entry_point_event(l, entry_point, event_topic)
            && l.topics().get(1) == Some(&user_op_hash))
        .then(|| EntryPointV06::UserOperationEvent::decode_log(&l.inner).ok())
        .flatten()
    })?;
    let reason_topic = EntryPointV06::UserOperationRevertReason::SIGNATURE_HASH;
    let reason = logs.iter().find_map(|l| {
        (is_entry_point_event(l, entry_point, reason_topic)
            && l.topics().get(1) == Some(&user_op_hash))
        .then(|| EntryPointV06::UserOperationRevertReason::decode_log(&l.inner).ok())
        .flatten()
        .map(|r| r.data.revertReason)
    });
    let own = user_operation_logs(logs, entry_point, user_op_hash)?;
    Some(UserOperationReceipt {
        user_op_hash,
        entry_point,
        sender: ev.sender,
        nonce: ev.nonce,
        paymaster: ev.paymaster,
        actual_gas_cost: ev.actualGasCost,
        actual_gas_used: ev.actualGasUsed,
        success: ev.success,
        reason: if ev.success {
            None
        } else {
            Some(reason.unwrap_or_default())
        },
        logs: own,
        receipt: receipt.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{LogData, b256};

    const EP: Address = peaqos_types::constants::ENTRY_POINT_V06;

    fn log(address: Address, topics: Vec<B256>) -> Log {
        Log {
            inner: alloy::primitives::Log {
                address,
                data: LogData::new_unchecked(topics, Bytes::new()),
            },
            ..Default::default()
        }
    }

    fn op_event(hash: B256) -> Log {
        log(
            EP,
            vec![
                EntryPointV06::UserOperationEvent::SIGNATURE_HASH,
                hash,
                B256::ZERO,
                B256::ZERO,
            ],
        )
    }

    #[test]
    fn logs_are_those_between_the_previous_event_and_the_own_one() {
        let a = b256!("0x00000000000000000000000000000000000000000000000000000000000000aa");
        let b = b256!("0x00000000000000000000000000000000000000000000000000000000000000bb");
        let other = Address::repeat_byte(7);
        let deployed = log(EP, vec![EntryPointV06::AccountDeployed::SIGNATURE_HASH]);
        let before = log(EP, vec![EntryPointV06::BeforeExecution::SIGNATURE_HASH]);
        let x1 = log(other, vec![B256::repeat_byte(1)]);
        let x2 = log(other, vec![B256::repeat_byte(2)]);
        let y1 = log(other, vec![B256::repeat_byte(3)]);
        let logs = vec![
            deployed,
            before,
            x1.clone(),
            x2.clone(),
            op_event(a),
            y1.clone(),
            op_event(b),
        ];
        assert_eq!(user_operation_logs(&logs, EP, a).unwrap(), vec![x1, x2]);
        assert_eq!(user_operation_logs(&logs, EP, b).unwrap(), vec![y1]);
        assert!(user_operation_logs(&logs, EP, B256::ZERO).is_none());
        // A lookalike event from another contract is an ordinary log.
        let fake = log(other, op_event(a).topics().to_vec());
        let logs = vec![
            log(EP, vec![EntryPointV06::BeforeExecution::SIGNATURE_HASH]),
            fake.clone(),
            op_event(b),
        ];
        assert_eq!(user_operation_logs(&logs, EP, b).unwrap(), vec![fake]);
        assert!(user_operation_logs(&logs, EP, a).is_none());
    }

    #[test]
    fn estimate_serializes_as_hex_quantities() {
        let e = GasEstimate {
            pre_verification_gas: U256::from(45_000),
            verification_gas_limit: U256::from(1),
            call_gas_limit: U256::ZERO,
        };
        let v = serde_json::to_value(e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"preVerificationGas": "0xafc8", "verificationGasLimit": "0x1", "callGasLimit": "0x0"})
        );
    }
}
