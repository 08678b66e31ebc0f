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
    fn artifacts_carry_bytecode() {
        for code in [
            &IdentityRegistry::BYTECODE,
            &IdentityStaking::BYTECODE,
            &EventRegistry::BYTECODE,
            &MachineNFT::BYTECODE,
            &AdminFlags::BYTECODE,
            &ERC1967Proxy::BYTECODE,
        ] {
            assert!(code.len() > 1000, "bytecode missing from an artifact");
        }
    }
}
