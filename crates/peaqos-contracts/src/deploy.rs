//! Deployment of the core contracts behind ERC-1967 (UUPS) proxies.
//!
//! The plan is pure data: a list of transactions from one deployer, with every address known in
//! advance (CREATE addresses from the deployer's nonce). The devnet runs it at genesis; the same
//! plan can be sent to any chain by a provider.

use crate::bindings::*;
use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolConstructor};
use serde::{Deserialize, Serialize};

/// One transaction of a plan.
#[derive(Debug, Clone)]
pub struct Step {
    /// What the step does.
    pub label: &'static str,
    /// Target; `None` creates a contract.
    pub to: Option<Address>,
    /// Calldata or init code.
    pub data: Bytes,
}

/// Addresses of a deployment (the proxies users talk to, plus the implementations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// IdentityRegistry proxy.
    pub identity_registry: Address,
    /// IdentityStaking proxy.
    pub identity_staking: Address,
    /// EventRegistry proxy.
    pub event_registry: Address,
    /// MachineNFT proxy.
    pub machine_nft: Address,
    /// AdminFlags proxy.
    pub admin_flags: Address,
    /// Owner of every contract.
    pub owner: Address,
}

impl Deployment {
    /// The deployment as the address set the SDK and services take (precompiles at their fixed
    /// addresses, AdminFlags set, no smart-account factory or NFT adapter).
    pub fn contract_addresses(&self) -> peaqos_types::network::ContractAddresses {
        use peaqos_types::constants::{BATCH_PRECOMPILE_ADDRESS, DID_PRECOMPILE_ADDRESS};
        peaqos_types::network::ContractAddresses {
            identity_registry: self.identity_registry,
            identity_staking: self.identity_staking,
            event_registry: self.event_registry,
            machine_nft: self.machine_nft,
            did_registry: DID_PRECOMPILE_ADDRESS,
            batch_precompile: BATCH_PRECOMPILE_ADDRESS,
            admin_flags: Some(self.admin_flags),
            machine_account_factory: None,
            machine_nft_adapter: None,
        }
    }
}

/// The ordered transactions that deploy and wire the core contracts.
#[derive(Debug, Clone)]
pub struct DeploymentPlan {
    /// Transactions in order, all from the deployer starting at `first_nonce`.
    pub steps: Vec<Step>,
    /// Resulting addresses.
    pub deployment: Deployment,
}

fn proxy_init(implementation: Address, init: Vec<u8>) -> Bytes {
    let args = ERC1967Proxy::constructorCall {
        implementation,
        _data: init.into(),
    }
    .abi_encode();
    [ERC1967Proxy::BYTECODE.as_ref(), &args].concat().into()
}

impl DeploymentPlan {
    /// The plan for `deployer` (also the owner) whose next nonce is `first_nonce`.
    /// `min_bond` is in wei; `base_uri` is the MCR API base used by both NFTs' `tokenURI`.
    pub fn new(deployer: Address, first_nonce: u64, min_bond: U256, base_uri: &str) -> Self {
        let at = |i: u64| deployer.create(first_nonce + i);
        let owner = deployer;
        let staking_impl = at(0);
        let staking = at(1);
        let registry_impl = at(2);
        let registry = at(3);
        let events_impl = at(5);
        let events = at(6);
        let nft_impl = at(7);
        let nft = at(8);
        let flags_impl = at(9);
        let flags = at(10);
        let steps = vec![
            Step {
                label: "IdentityStaking implementation",
                to: None,
                data: IdentityStaking::BYTECODE.clone(),
            },
            Step {
                label: "IdentityStaking proxy",
                to: None,
                data: proxy_init(
                    staking_impl,
                    IdentityStaking::initializeCall { owner_: owner }.abi_encode(),
                ),
            },
            Step {
                label: "IdentityRegistry implementation",
                to: None,
                data: IdentityRegistry::BYTECODE.clone(),
            },
            Step {
                label: "IdentityRegistry proxy",
                to: None,
                data: proxy_init(
                    registry_impl,
                    IdentityRegistry::initializeCall {
                        owner_: owner,
                        staking_: staking,
                        minBond_: min_bond,
                        baseURI_: base_uri.to_string(),
                    }
                    .abi_encode(),
                ),
            },
            Step {
                label: "IdentityStaking.setIdentityRegistry",
                to: Some(staking),
                data: IdentityStaking::setIdentityRegistryCall { registry }
                    .abi_encode()
                    .into(),
            },
            Step {
                label: "EventRegistry implementation",
                to: None,
                data: EventRegistry::BYTECODE.clone(),
            },
            Step {
                label: "EventRegistry proxy",
                to: None,
                data: proxy_init(
                    events_impl,
                    EventRegistry::initializeCall {
                        owner_: owner,
                        registry_: registry,
                        staking_: staking,
                    }
                    .abi_encode(),
                ),
            },
            Step {
                label: "MachineNFT implementation",
                to: None,
                data: MachineNFT::BYTECODE.clone(),
            },
            Step {
                label: "MachineNFT proxy",
                to: None,
                data: proxy_init(
                    nft_impl,
                    MachineNFT::initializeCall {
                        owner_: owner,
                        registry_: registry,
                        staking_: staking,
                        baseURI_: base_uri.to_string(),
                    }
                    .abi_encode(),
                ),
            },
            Step {
                label: "AdminFlags implementation",
                to: None,
                data: AdminFlags::BYTECODE.clone(),
            },
            Step {
                label: "AdminFlags proxy",
                to: None,
                data: proxy_init(
                    flags_impl,
                    AdminFlags::initializeCall { owner_: owner }.abi_encode(),
                ),
            },
        ];
        Self {
            steps,
            deployment: Deployment {
                identity_registry: registry,
                identity_staking: staking,
                event_registry: events,
                machine_nft: nft,
                admin_flags: flags,
                owner,
            },
        }
    }
}
