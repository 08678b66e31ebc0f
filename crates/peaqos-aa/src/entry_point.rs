//! Decoding what EntryPoint v0.6 reverts with: `simulateValidation` always reverts (with
//! `ValidationResult`, `ValidationResultWithAggregation` or `FailedOp`), `simulateHandleOp` with
//! `ExecutionResult`, `getSenderAddress` with `SenderAddressResult`, and `handleOps` with
//! `FailedOp(opIndex, reason)` when an operation fails validation. Uses the generated error types
//! of [`EntryPointV06`]. Also names the revert data of an account's execution for messages.
//!
//! Pure: no I/O.

use alloy::primitives::Bytes;
use alloy::sol_types::{SolInterface, decode_revert_reason};
use peaqos_contracts::{
    EntryPointV06, EventRegistry, IdentityRegistry, IdentityStaking, MachineAccountFactory,
    MachineNFT, MachineSmartAccount,
};

pub use EntryPointV06::{
    ExecutionResult, FailedOp, SenderAddressResult, ValidationResult,
    ValidationResultWithAggregation,
};

/// A decoded EntryPoint revert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryPointRevert {
    /// `ValidationResult(returnInfo, senderInfo, factoryInfo, paymasterInfo)`: validation passed
    /// (see `returnInfo.sigFailed` and the time range).
    Validation(ValidationResult),
    /// `ValidationResultWithAggregation(...)`: validation passed with a signature aggregator.
    ValidationWithAggregation(ValidationResultWithAggregation),
    /// `FailedOp(opIndex, reason)`: the reason starts with the `AAxx` code.
    FailedOp(FailedOp),
    /// `ExecutionResult(preOpGas, paid, validAfter, validUntil, targetSuccess, targetResult)`.
    Execution(ExecutionResult),
    /// `SenderAddressResult(sender)`.
    SenderAddress(SenderAddressResult),
    /// Anything else (including no data at all).
    Other(Bytes),
}

/// Decodes revert data of the EntryPoint.
pub fn decode_entry_point_revert(data: &[u8]) -> EntryPointRevert {
    use EntryPointV06::EntryPointV06Errors as E;
    match E::abi_decode(data) {
        Ok(E::ValidationResult(v)) => EntryPointRevert::Validation(v),
        Ok(E::ValidationResultWithAggregation(v)) => EntryPointRevert::ValidationWithAggregation(v),
        Ok(E::FailedOp(v)) => EntryPointRevert::FailedOp(v),
        Ok(E::ExecutionResult(v)) => EntryPointRevert::Execution(v),
        Ok(E::SenderAddressResult(v)) => EntryPointRevert::SenderAddress(v),
        _ => EntryPointRevert::Other(Bytes::copy_from_slice(data)),
    }
}

/// A human-readable name for revert data: `Error(string)` and `Panic` as alloy renders them, the
/// custom errors of the peaqOS contracts (`NotAuthorizedSubmitter()`, `OnlyOwner()`, ...) and of the
/// EntryPoint by name, else the hex. Empty data is `"execution reverted"`.
pub fn describe_revert(data: &[u8]) -> String {
    if data.is_empty() {
        return "execution reverted".into();
    }
    if let Some(reason) = decode_revert_reason(data)
        && (data.starts_with(&[0x08, 0xc3, 0x79, 0xa0])
            || data.starts_with(&[0x4e, 0x48, 0x7b, 0x71]))
    {
        return reason;
    }
    macro_rules! named {
        ($set:ty) => {
            if let Ok(decoded) = <$set as SolInterface>::abi_decode(data) {
                if let Some(name) = <$set>::name_by_selector(decoded.selector()) {
                    return format!("{name}()");
                }
            }
        };
    }
    named!(MachineSmartAccount::MachineSmartAccountErrors);
    named!(MachineAccountFactory::MachineAccountFactoryErrors);
    named!(EventRegistry::EventRegistryErrors);
    named!(IdentityRegistry::IdentityRegistryErrors);
    named!(IdentityStaking::IdentityStakingErrors);
    named!(MachineNFT::MachineNFTErrors);
    if let EntryPointRevert::FailedOp(f) = decode_entry_point_revert(data) {
        return format!("FailedOp({}, {:?})", f.opIndex, f.reason);
    }
    format!("reverted with 0x{}", alloy::primitives::hex::encode(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256};
    use alloy::sol_types::{Revert, SolError};

    #[test]
    fn failed_op_and_validation_result_decode() {
        let f = FailedOp {
            opIndex: U256::from(2),
            reason: "AA21 didn't pay prefund".into(),
        };
        assert_eq!(
            decode_entry_point_revert(&f.abi_encode()),
            EntryPointRevert::FailedOp(f.clone())
        );
        assert_eq!(FailedOp::SELECTOR, [0x22, 0x02, 0x66, 0xb6]);
        assert_eq!(ValidationResult::SELECTOR, [0xe0, 0xcf, 0xf0, 0x5f]);
        assert_eq!(ExecutionResult::SELECTOR, [0x8b, 0x7a, 0xc9, 0x80]);
        let v = ValidationResult {
            returnInfo: peaqos_contracts::IEntryPoint::ReturnInfo {
                preOpGas: U256::from(70_000),
                prefund: U256::from(1),
                sigFailed: true,
                validAfter: alloy::primitives::aliases::U48::from(0),
                validUntil: alloy::primitives::aliases::U48::from(0),
                paymasterContext: Bytes::new(),
            },
            senderInfo: peaqos_contracts::IStakeManager::StakeInfo {
                stake: U256::ZERO,
                unstakeDelaySec: U256::ZERO,
            },
            factoryInfo: peaqos_contracts::IStakeManager::StakeInfo {
                stake: U256::ZERO,
                unstakeDelaySec: U256::ZERO,
            },
            paymasterInfo: peaqos_contracts::IStakeManager::StakeInfo {
                stake: U256::ZERO,
                unstakeDelaySec: U256::ZERO,
            },
        };
        match decode_entry_point_revert(&v.abi_encode()) {
            EntryPointRevert::Validation(got) => {
                assert!(got.returnInfo.sigFailed);
                assert_eq!(got.returnInfo.preOpGas, U256::from(70_000));
            }
            other => panic!("{other:?}"),
        }
        let e = ExecutionResult {
            preOpGas: U256::from(1),
            paid: U256::from(2),
            validAfter: Default::default(),
            validUntil: Default::default(),
            targetSuccess: true,
            targetResult: Bytes::from_static(b"x"),
        };
        assert_eq!(
            decode_entry_point_revert(&e.abi_encode()),
            EntryPointRevert::Execution(e)
        );
        let s = SenderAddressResult {
            sender: Address::repeat_byte(9),
        };
        assert_eq!(
            decode_entry_point_revert(&s.abi_encode()),
            EntryPointRevert::SenderAddress(s)
        );
        assert_eq!(
            decode_entry_point_revert(&[1, 2, 3]),
            EntryPointRevert::Other(Bytes::from_static(&[1, 2, 3]))
        );
    }

    #[test]
    fn reverts_are_named() {
        assert_eq!(describe_revert(&[]), "execution reverted");
        let r = Revert::from("nope").abi_encode();
        assert!(
            describe_revert(&r).contains("nope"),
            "{}",
            describe_revert(&r)
        );
        assert_eq!(
            describe_revert(&MachineSmartAccount::OnlyOwner {}.abi_encode()),
            "OnlyOwner()"
        );
        assert_eq!(
            describe_revert(&EventRegistry::NotAuthorizedSubmitter {}.abi_encode()),
            "NotAuthorizedSubmitter()"
        );
        assert_eq!(describe_revert(&[0xde, 0xad]), "reverted with 0xdead");
    }
}
