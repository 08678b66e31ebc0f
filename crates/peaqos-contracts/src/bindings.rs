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
        ] {
            assert!(!runtime.is_empty() && init.len() > runtime.len());
            assert!(
                init.windows(runtime.len()).any(|w| w == runtime.as_ref()),
                "init code does not embed the artifact's runtime code"
            );
        }
    }
}
