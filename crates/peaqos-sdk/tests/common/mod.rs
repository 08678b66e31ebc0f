//! Test harness: an embedded devnet and SDK clients for its accounts.
#![allow(dead_code)]

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use peaqos_devnet::{DevnetConfig, DevnetHandle};
use peaqos_sdk::{ContractAddresses, PeaqosClient, PeaqosConfig, PrivateKey};

pub struct Net {
    pub handle: DevnetHandle,
}

pub fn peaq(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

impl Net {
    pub async fn start() -> Self {
        Self::start_with(DevnetConfig::ephemeral()).await
    }

    pub async fn start_with(config: DevnetConfig) -> Self {
        Self {
            handle: peaqos_devnet::spawn(config).await.expect("devnet starts"),
        }
    }

    pub fn contracts(&self) -> ContractAddresses {
        let d = self.handle.deployment();
        d.contract_addresses()
    }

    pub fn config_for(&self, key: &PrivateKeySigner) -> PeaqosConfig {
        PeaqosConfig::new(
            self.handle.url(),
            Some(PrivateKey::from(key)),
            self.contracts(),
        )
    }

    pub fn client_for(&self, key: &PrivateKeySigner) -> PeaqosClient {
        PeaqosClient::new(self.config_for(key)).expect("client")
    }

    /// Client of dev account `i`.
    pub fn dev(&self, i: u32) -> PeaqosClient {
        self.client_for(&self.handle.signer(i))
    }

    /// A fresh key funded with `amount` PEAQ by dev account 9 (through the SDK's pipeline).
    pub async fn funded(&self, amount: u64) -> PrivateKeySigner {
        let key = PrivateKeySigner::random();
        self.fund(&key, amount).await;
        key
    }

    pub async fn fund(&self, key: &PrivateKeySigner, amount: u64) {
        let funder = self.dev(9);
        let r = funder
            .send_transaction(key.address(), Default::default(), peaq(amount))
            .await
            .expect("funding transfer");
        assert!(r.status());
    }
}
