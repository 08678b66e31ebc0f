//! Bindings generated from `contracts/out/*.json`.
#![allow(missing_docs, clippy::too_many_arguments)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    IdentityRegistry,
    "../../contracts/out/IdentityRegistry.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    IdentityStaking,
    "../../contracts/out/IdentityStaking.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    EventRegistry,
    "../../contracts/out/EventRegistry.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    MachineNFT,
    "../../contracts/out/MachineNFT.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    AdminFlags,
    "../../contracts/out/AdminFlags.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    ERC1967Proxy,
    "../../contracts/out/ERC1967Proxy.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    MachineAccountFactory,
    "../../contracts/out/MachineAccountFactory.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    MachineSmartAccount,
    "../../contracts/out/MachineSmartAccount.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    UpgradeableBeacon,
    "../../contracts/out/UpgradeableBeacon.json"
);
alloy::sol!(
    /// ERC-4337 EntryPoint v0.6, deployed from the bytecode `@account-abstraction/contracts@0.6.0` ships.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    EntryPointV06,
    "../../contracts/out/EntryPointV06.json"
);

alloy::sol!(
    /// peaq side of the Machine NFT bridge (LayerZero V2 ONFT721Adapter over MachineNFT).
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    MachineNFTAdapter,
    "../../contracts/out/MachineNFTAdapter.json"
);
alloy::sol!(
    /// Base side of the Machine NFT bridge (LayerZero V2 ONFT721).
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    MachineNFTBase,
    "../../contracts/out/MachineNFTBase.json"
);

/// Runtime code of the deterministic deployment proxy (`0x4e59b44847b379578588920ca78fbf26c0b4956c`, "Nick's
/// factory"): `CALL` it with `salt (32 bytes) ‖ init code` and it `CREATE2`s the contract.
pub const DETERMINISTIC_DEPLOYER_CODE: [u8; 69] = alloy::primitives::hex!(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
);
/// Address of the deterministic deployment proxy.
pub const DETERMINISTIC_DEPLOYER: alloy::primitives::Address =
    alloy::primitives::address!("0x4e59b44847b379578588920ca78fbf26c0b4956c");

/// Test-only upgrade target (IdentityRegistry plus `version()`), used to prove upgrades keep state.
pub mod upgrade_test {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        IdentityRegistryV2,
        "../../contracts/out/IdentityRegistryV2.json"
    );
}

impl From<&peaqos_types::event::PreparedEvent> for EventRegistry::submitEventCall {
    /// The call for prepared, validated arguments (the SDK's single and batch paths, the tests).
    fn from(e: &peaqos_types::event::PreparedEvent) -> Self {
        Self {
            machineId: e.machine_id,
            eventType: e.event_type,
            value: e.value,
            currency: e.currency.clone(),
            timestamp: e.timestamp,
            dataHash: e.data_hash,
            trustLevel: e.trust_level,
            sourceChainId: e.source_chain_id,
            sourceTxHash: e.source_tx_hash,
            metadata: e.metadata.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::sol_types::SolCall;

    #[test]
    fn submit_event_selector_is_the_sdk_one() {
        assert_eq!(
            EventRegistry::submitEventCall::SELECTOR,
            [0xe5, 0x8a, 0x43, 0xca]
        );
    }

    #[test]
    fn the_shipped_entry_point_lands_at_its_canonical_address() {
        use alloy::primitives::{B256, keccak256};
        // Facts of @account-abstraction/contracts@0.6.0: keccak256(init code) and the CREATE2 address through
        // the deterministic deployment proxy with a zero salt.
        assert_eq!(
            keccak256(&EntryPointV06::BYTECODE),
            alloy::primitives::b256!(
                "0x7af81bb089cbbd117f52b96bebd684df6da9f4085c8d924358272f2506fe836b"
            )
        );
        assert_eq!(
            DETERMINISTIC_DEPLOYER.create2_from_code(B256::ZERO, &EntryPointV06::BYTECODE),
            peaqos_types::constants::ENTRY_POINT_V06
        );
    }

    #[test]
    fn artifacts_carry_init_code_that_deploys_their_runtime_code() {
        for (init, runtime) in [
            (
                &IdentityRegistry::BYTECODE,
                &IdentityRegistry::DEPLOYED_BYTECODE,
            ),
            (
                &IdentityStaking::BYTECODE,
                &IdentityStaking::DEPLOYED_BYTECODE,
            ),
            (&EventRegistry::BYTECODE, &EventRegistry::DEPLOYED_BYTECODE),
            (&MachineNFT::BYTECODE, &MachineNFT::DEPLOYED_BYTECODE),
            (&AdminFlags::BYTECODE, &AdminFlags::DEPLOYED_BYTECODE),
            (&ERC1967Proxy::BYTECODE, &ERC1967Proxy::DEPLOYED_BYTECODE),
            (
                &MachineAccountFactory::BYTECODE,
                &MachineAccountFactory::DEPLOYED_BYTECODE,
            ),
            (&EntryPointV06::BYTECODE, &EntryPointV06::DEPLOYED_BYTECODE),
        ] {
            assert!(!runtime.is_empty() && init.len() > runtime.len());
            assert!(
                init.windows(runtime.len()).any(|w| w == runtime.as_ref()),
                "init code does not embed the artifact's runtime code"
            );
        }
    }
}
