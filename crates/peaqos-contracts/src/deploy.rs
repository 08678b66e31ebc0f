//! Deployment of the core contracts behind ERC-1967 (UUPS) proxies.
//!
//! The plan is pure data: a list of transactions from one deployer, with every address known in
//! advance (CREATE addresses from the deployer's nonce). The devnet runs it at genesis; the same
//! plan can be sent to any chain by a provider.

use crate::bindings::*;
use alloy::primitives::{Address, B256, Bytes, U256};
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
    /// ERC-4337 EntryPoint v0.6 (its canonical address).
    pub entry_point: Address,
    /// MachineAccountFactory.
    pub machine_account_factory: Address,
    /// Owner of every contract.
    pub owner: Address,
}

impl Deployment {
    /// The deployment as the address set the SDK and services take (precompiles at their fixed
    /// addresses, AdminFlags and the smart-account factory set, no NFT adapter).
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
            machine_account_factory: Some(self.machine_account_factory),
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

/// Collects steps and hands out the address each CREATE step gets from the deployer's nonce.
struct Planner {
    deployer: Address,
    nonce: u64,
    steps: Vec<Step>,
}

impl Planner {
    fn create(&mut self, label: &'static str, data: Bytes) -> Address {
        let address = self.deployer.create(self.nonce);
        self.push(label, None, data);
        address
    }

    fn call(&mut self, label: &'static str, to: Address, call: impl SolCall) {
        self.push(label, Some(to), call.abi_encode().into());
    }

    fn push(&mut self, label: &'static str, to: Option<Address>, data: Bytes) {
        self.steps.push(Step { label, to, data });
        self.nonce += 1;
    }

    /// An implementation and the ERC-1967 proxy in front of it, initialised in the constructor.
    fn proxied(&mut self, label: &'static str, bytecode: &Bytes, init: impl SolCall) -> Address {
        let implementation = self.create(label, bytecode.clone());
        self.create(label, proxy_init(implementation, init.abi_encode()))
    }
}

impl DeploymentPlan {
    /// The plan for `deployer` (also the owner) whose next nonce is `first_nonce`.
    /// `min_bond` is in wei; `base_uri` is the MCR API base used by both NFTs' `tokenURI`
    /// (`{base}/machines/{machineId}` for the Identity NFT, `{base}/metadata/{tokenId}` for the
    /// Machine NFT).
    pub fn new(deployer: Address, first_nonce: u64, min_bond: U256, base_uri: &str) -> Self {
        use peaqos_types::constants::{DID_PRECOMPILE_ADDRESS, NATIVE_ERC20_PRECOMPILE_ADDRESS};
        let owner = deployer;
        let mut p = Planner {
            deployer,
            nonce: first_nonce,
            steps: Vec::new(),
        };
        let staking = p.proxied(
            "IdentityStaking",
            &IdentityStaking::BYTECODE,
            IdentityStaking::initializeCall {
                _stakingToken: NATIVE_ERC20_PRECOMPILE_ADDRESS,
                _owner: owner,
            },
        );
        let registry = p.proxied(
            "IdentityRegistry",
            &IdentityRegistry::BYTECODE,
            IdentityRegistry::initializeCall {
                initialOwner: owner,
            },
        );
        p.call(
            "IdentityRegistry.setIdentityStaking",
            registry,
            IdentityRegistry::setIdentityStakingCall { _staking: staking },
        );
        p.call(
            "IdentityRegistry.setWPEAQ",
            registry,
            IdentityRegistry::setWPEAQCall {
                _wpeaq: NATIVE_ERC20_PRECOMPILE_ADDRESS,
            },
        );
        p.call(
            "IdentityRegistry.setDIDPrecompile",
            registry,
            IdentityRegistry::setDIDPrecompileCall {
                _did: DID_PRECOMPILE_ADDRESS,
            },
        );
        p.call(
            "IdentityRegistry.setMinBond",
            registry,
            IdentityRegistry::setMinBondCall { _minBond: min_bond },
        );
        p.call(
            "IdentityRegistry.setBaseURI",
            registry,
            IdentityRegistry::setBaseURICall {
                newBaseURI: base_uri.to_string(),
            },
        );
        p.call(
            "IdentityStaking.authorize(IdentityRegistry)",
            staking,
            IdentityStaking::authorizeCall { addr: registry },
        );
        let events = p.proxied(
            "EventRegistry",
            &EventRegistry::BYTECODE,
            EventRegistry::initializeCall {
                _identityRegistry: registry,
                _identityStaking: staking,
                _owner: owner,
            },
        );
        let nft = p.proxied(
            "MachineNFT",
            &MachineNFT::BYTECODE,
            MachineNFT::initializeCall {
                _identityRegistry: registry,
                _identityStaking: staking,
                _owner: owner,
            },
        );
        p.call(
            "MachineNFT.setBaseURI",
            nft,
            MachineNFT::setBaseURICall {
                _baseURI: base_uri.to_string(),
            },
        );
        let flags = p.proxied(
            "AdminFlags",
            &AdminFlags::BYTECODE,
            AdminFlags::initializeCall { owner_: owner },
        );
        // EntryPoint v0.6 from its shipped init code through the deterministic deployment proxy (which must
        // exist on the chain): its canonical address follows from the code, nothing is written into state.
        let entry_point =
            DETERMINISTIC_DEPLOYER.create2_from_code(B256::ZERO, &EntryPointV06::BYTECODE);
        p.push(
            "EntryPoint v0.6 (deterministic deployment proxy)",
            Some(DETERMINISTIC_DEPLOYER),
            [B256::ZERO.as_slice(), EntryPointV06::BYTECODE.as_ref()]
                .concat()
                .into(),
        );
        let machine_account_factory = p.create(
            "MachineAccountFactory",
            [
                MachineAccountFactory::BYTECODE.as_ref(),
                &MachineAccountFactory::constructorCall {
                    _entryPoint: entry_point,
                }
                .abi_encode(),
            ]
            .concat()
            .into(),
        );
        Self {
            steps: p.steps,
            deployment: Deployment {
                identity_registry: registry,
                identity_staking: staking,
                event_registry: events,
                machine_nft: nft,
                admin_flags: flags,
                entry_point,
                machine_account_factory,
                owner,
            },
        }
    }
}
