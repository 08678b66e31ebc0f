//! Shared test harness: a devnet on a free loopback port and alloy providers for dev accounts.
#![allow(dead_code)]

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use peaqos_devnet::{DevnetConfig, DevnetHandle, spawn};

/// A running devnet plus helpers.
pub struct TestNet {
    pub handle: DevnetHandle,
}

impl TestNet {
    /// A fresh devnet with instant mining on 127.0.0.1:<free port>.
    pub async fn start() -> Self {
        Self::start_with(DevnetConfig::ephemeral()).await
    }

    pub async fn start_with(config: DevnetConfig) -> Self {
        let handle = spawn(config).await.expect("devnet starts");
        Self { handle }
    }

    pub fn url(&self) -> String {
        self.handle.url()
    }

    /// A signing provider for dev account `i`.
    pub fn provider(&self, i: u32) -> DynProvider {
        self.provider_for(self.handle.signer(i))
    }

    /// A signing provider for any key.
    pub fn provider_for(&self, signer: PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(self.url().parse().expect("url"))
            .erased()
    }

    pub fn address(&self, i: u32) -> Address {
        self.handle.signer(i).address()
    }

    /// A fresh random key funded with `peaq` PEAQ from dev account 9.
    pub async fn funded_key(&self, peaq: u64) -> PrivateKeySigner {
        let key = PrivateKeySigner::random();
        let p = self.provider(9);
        let tx = alloy::rpc::types::TransactionRequest::default()
            .to(key.address())
            .value(U256::from(peaq) * U256::from(10u64).pow(U256::from(18)));
        let r = p
            .send_transaction(tx)
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(r.status());
        key
    }
}

/// 1 PEAQ in wei.
pub fn peaq(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}
