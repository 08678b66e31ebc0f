//! Genesis: the prefunded dev accounts and the core contracts behind their proxies.

use crate::chain::Chain;
use crate::error::DevnetError;
use alloy::primitives::{Address, U256};
use alloy::signers::local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use peaqos_contracts::{Deployment, DeploymentPlan};
use peaqos_types::constants::{DEFAULT_MCR_API_URL, MIN_BOND_WEI};
use revm::bytecode::Bytecode;
use revm::state::AccountInfo;

/// The standard test mnemonic; index 0 deploys and owns every contract.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// Number of prefunded accounts.
pub const DEV_ACCOUNTS: u32 = 10;
/// Balance of each dev account: 10,000 PEAQ.
pub const DEV_BALANCE: U256 = U256::from_limbs([0x19e0_c9ba_b240_0000, 0x21e, 0, 0]);

/// Signer of dev account `index` (`m/44'/60'/0'/0/index`).
pub fn dev_signer(index: u32) -> PrivateKeySigner {
    MnemonicBuilder::<English>::default()
        .phrase(DEV_MNEMONIC)
        .index(index)
        .expect("valid derivation index")
        .build()
        .expect("the test mnemonic derives")
}

/// All dev account signers.
pub fn dev_signers() -> Vec<PrivateKeySigner> {
    (0..DEV_ACCOUNTS).map(dev_signer).collect()
}

/// Which chain a devnet plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChainKind {
    /// The peaq devnet: chain id 31337, peaq's precompiles and the peaqOS contracts.
    #[default]
    Peaq,
    /// A chain playing Base for the bridge: chain id 31338, the same dev accounts, Ethereum's
    /// precompiles only, no peaqOS contracts (only the deterministic deployment proxy the bridge
    /// deploys through).
    Base,
}

/// EVM chain id of the Base devnet (distinct from Base mainnet's 8453, so nothing signed locally
/// replays there).
pub const BASE_DEVNET_CHAIN_ID: u64 = 31338;
/// Default JSON-RPC port of the Base devnet.
pub const DEFAULT_BASE_DEVNET_PORT: u16 = 8546;

impl ChainKind {
    /// Default chain parameters of this kind.
    pub fn chain_config(self) -> crate::ChainConfig {
        match self {
            Self::Peaq => crate::ChainConfig::default(),
            Self::Base => crate::ChainConfig {
                chain_id: BASE_DEVNET_CHAIN_ID,
                peaq_precompiles: false,
                ..crate::ChainConfig::default()
            },
        }
    }

    /// Default JSON-RPC port of this kind.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Peaq => peaqos_types::constants::DEFAULT_DEVNET_PORT,
            Self::Base => DEFAULT_BASE_DEVNET_PORT,
        }
    }
}

/// Funds the dev accounts, marks the precompile addresses as having code (so `eth_getCode`
/// and `extcodesize` checks see them, as on the node) and deploys the contracts.
pub fn build(
    chain: &mut Chain,
    accounts: &[Address],
    base_uri: Option<&str>,
) -> Result<Deployment, DevnetError> {
    fund_and_deployer(chain, accounts);
    build_peaq(chain, accounts, base_uri)
}

/// The Base devnet's genesis: the funded dev accounts and the deterministic deployment proxy,
/// nothing else. Its [`Deployment`] names no contract (every address zero) but the owner.
pub fn build_base(chain: &mut Chain, accounts: &[Address]) -> Deployment {
    fund_and_deployer(chain, accounts);
    Deployment {
        identity_registry: Address::ZERO,
        identity_staking: Address::ZERO,
        event_registry: Address::ZERO,
        machine_nft: Address::ZERO,
        admin_flags: Address::ZERO,
        entry_point: Address::ZERO,
        machine_account_factory: Address::ZERO,
        owner: accounts[0],
    }
}

fn fund_and_deployer(chain: &mut Chain, accounts: &[Address]) {
    for a in accounts {
        chain.db_mut().insert_account_info(
            *a,
            AccountInfo {
                balance: DEV_BALANCE,
                ..Default::default()
            },
        );
    }
    // The deterministic deployment proxy, as on every public chain (its presigned deployment is not
    // EIP-155, so its code is placed here): EntryPoint v0.6 and the bridge deploy through it.
    chain.db_mut().insert_account_info(
        peaqos_contracts::DETERMINISTIC_DEPLOYER,
        AccountInfo::default().with_code(Bytecode::new_raw(alloy::primitives::Bytes::from_static(
            &peaqos_contracts::DETERMINISTIC_DEPLOYER_CODE,
        ))),
    );
}

fn build_peaq(
    chain: &mut Chain,
    accounts: &[Address],
    base_uri: Option<&str>,
) -> Result<Deployment, DevnetError> {
    for p in [
        peaqos_types::constants::DID_PRECOMPILE_ADDRESS,
        peaqos_types::constants::BATCH_PRECOMPILE_ADDRESS,
        peaqos_types::constants::NATIVE_ERC20_PRECOMPILE_ADDRESS,
    ] {
        // The node stores a tiny "revert" stub at precompile addresses.
        let code = Bytecode::new_raw(alloy::primitives::Bytes::from_static(&[
            0x60, 0x00, 0x60, 0x00, 0xfd,
        ]));
        chain
            .db_mut()
            .insert_account_info(p, AccountInfo::default().with_code(code));
    }
    let deployer = accounts[0];
    let plan = DeploymentPlan::new(
        deployer,
        chain.nonce(deployer),
        MIN_BOND_WEI,
        base_uri.unwrap_or(DEFAULT_MCR_API_URL),
    );
    for step in plan.steps {
        let outcome = chain
            .genesis_transact(deployer, step.to, step.data)
            .map_err(|e| DevnetError::Genesis {
                step: step.label,
                reason: e.to_string(),
            })?;
        if step.to.is_none() && outcome.created.is_none() {
            return Err(DevnetError::Genesis {
                step: step.label,
                reason: "no contract created".into(),
            });
        }
    }
    let deployment = plan.deployment;
    if chain.code(deployment.entry_point).is_empty() {
        return Err(DevnetError::Genesis {
            step: "EntryPoint v0.6",
            reason: format!("no code at {}", deployment.entry_point),
        });
    }
    Ok(deployment)
}
