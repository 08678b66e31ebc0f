//! SDK harness: the devnet of `peaqos-testkit` plus SDK clients for its accounts.
#![allow(dead_code)]

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use peaqos_sdk::{PeaqosClient, PeaqosConfig, PrivateKey};
pub(crate) use peaqos_testkit::{TestNet as Net, peaq};

/// SDK clients on a [`Net`].
pub(crate) trait SdkNet {
    /// A configuration signing with `key`.
    fn config_for(&self, key: &PrivateKeySigner) -> PeaqosConfig;

    /// A client signing with `key`.
    fn client_for(&self, key: &PrivateKeySigner) -> PeaqosClient {
        PeaqosClient::new(self.config_for(key)).expect("client")
    }

    /// Client of dev account `i`.
    fn dev(&self, i: u32) -> PeaqosClient;

    /// Sends `amount` PEAQ to `to` from dev account 9 through the SDK's pipeline.
    async fn fund_with_sdk(&self, to: Address, amount: u64) {
        let r = self
            .dev(9)
            .send_transaction(to, Default::default(), peaq(amount))
            .await
            .expect("funding transfer");
        assert!(r.status());
    }

    /// A fresh key funded with `amount` PEAQ by dev account 9 (through the SDK's pipeline).
    async fn funded(&self, amount: u64) -> PrivateKeySigner {
        let key = PrivateKeySigner::random();
        self.fund_with_sdk(key.address(), amount).await;
        key
    }
}

impl SdkNet for Net {
    fn config_for(&self, key: &PrivateKeySigner) -> PeaqosConfig {
        PeaqosConfig::new(self.url(), Some(PrivateKey::from(key)), self.contracts())
    }

    fn dev(&self, i: u32) -> PeaqosClient {
        self.client_for(&self.handle.signer(i))
    }
}
