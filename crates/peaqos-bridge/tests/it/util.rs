//! Two devnets with the bridge installed, a machine with its NFT, and bridge calls.

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use peaqos_bridge::deploy::DEVNET_NATIVE_FEE;
use peaqos_bridge::packet::address_to_bytes32;
use peaqos_bridge::{LzArtifacts, RelayChain, Relayer, RelayerConfig, Side, SideDeployment};
use peaqos_contracts::{MachineNFT, MachineNFTAdapter, MachineNFTBase};
use peaqos_devnet::{ChainKind, DevnetConfig};
use peaqos_testkit::{TestNet, mined};

pub(crate) struct Bridge {
    pub(crate) peaq: TestNet,
    pub(crate) base: TestNet,
    pub(crate) peaq_side: SideDeployment,
    pub(crate) base_side: SideDeployment,
    pub(crate) relayer_key: PrivateKeySigner,
    pub(crate) dir: tempfile::TempDir,
}

impl Bridge {
    pub(crate) async fn start() -> Self {
        Self::start_with_relayer_funds(100).await
    }

    /// Two devnets with the bridge; the relayer key holds `base_funds` PEAQ on Base.
    pub(crate) async fn start_with_relayer_funds(base_funds: u64) -> Self {
        let peaq = TestNet::start().await;
        let base = TestNet::start_with(DevnetConfig {
            port: 0,
            ..DevnetConfig::of_kind(ChainKind::Base)
        })
        .await;
        let artifacts =
            LzArtifacts::locate().expect("LayerZero installed (cd contracts && npm ci)");
        let relayer_key = PrivateKeySigner::random();
        peaq.fund(relayer_key.address(), 100).await;
        if base_funds > 0 {
            base.fund(relayer_key.address(), base_funds).await;
        }
        let machine_nft = peaq.contracts().machine_nft;
        let owner = peaq.handle.signer(0);
        let peaq_side = peaqos_bridge::install(
            &peaq.url(),
            Side::Peaq,
            &artifacts,
            owner.clone(),
            machine_nft,
            relayer_key.address(),
        )
        .await
        .expect("install peaq");
        let base_side = peaqos_bridge::install(
            &base.url(),
            Side::Base,
            &artifacts,
            owner,
            machine_nft,
            relayer_key.address(),
        )
        .await
        .expect("install base");
        Self {
            peaq,
            base,
            peaq_side,
            base_side,
            relayer_key,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn relayer_config(&self) -> RelayerConfig {
        RelayerConfig::new(
            RelayChain::from_deployment(&self.peaq.url(), &self.peaq_side),
            RelayChain::from_deployment(&self.base.url(), &self.base_side),
            self.relayer_key.clone(),
            self.dir.path().join("relayer.json"),
        )
    }

    pub(crate) fn relayer(&self) -> Relayer {
        Relayer::new(self.relayer_config()).expect("relayer")
    }

    /// A registered machine with its Machine NFT on peaq: (key, token id).
    pub(crate) async fn machine(&self) -> (PrivateKeySigner, U256) {
        let key = self.peaq.funded_key(10).await;
        self.base.fund(key.address(), 10).await;
        let id = self.peaq.register(&key).await;
        let token = self.peaq.mint(&key, id).await;
        (key, U256::from(token))
    }

    pub(crate) fn adapter(
        &self,
        key: &PrivateKeySigner,
    ) -> MachineNFTAdapter::MachineNFTAdapterInstance<DynProvider> {
        MachineNFTAdapter::new(self.peaq_side.oapp, self.peaq.provider_for(key.clone()))
    }

    pub(crate) fn base_nft(
        &self,
        key: &PrivateKeySigner,
    ) -> MachineNFTBase::MachineNFTBaseInstance<DynProvider> {
        MachineNFTBase::new(self.base_side.oapp, self.base.provider_for(key.clone()))
    }

    pub(crate) fn machine_nft(&self) -> MachineNFT::MachineNFTInstance<DynProvider> {
        MachineNFT::new(self.peaq.contracts().machine_nft, self.peaq.reader())
    }

    pub(crate) async fn peaq_owner(&self, token: U256) -> Address {
        self.machine_nft()
            .ownerOf(token)
            .call()
            .await
            .expect("ownerOf on peaq")
    }

    /// `ownerOf` on Base, `None` while the token does not exist there.
    pub(crate) async fn base_owner(&self, token: U256) -> Option<Address> {
        MachineNFTBase::new(self.base_side.oapp, self.base.reader())
            .ownerOf(token)
            .call()
            .await
            .ok()
    }
}

pub(crate) fn send_param(dst: Side, to: Address, token: U256) -> MachineNFTAdapter::SendParam {
    MachineNFTAdapter::SendParam {
        dstEid: dst.eid(),
        to: address_to_bytes32(to),
        tokenId: token,
        extraOptions: Bytes::new(),
        composeMsg: Bytes::new(),
        onftCmd: Bytes::new(),
    }
}

/// peaq -> Base from `key`: approve the adapter, quote, send with exactly the quote.
pub(crate) async fn send_to_base(
    b: &Bridge,
    key: &PrivateKeySigner,
    to: Address,
    token: U256,
) -> TransactionReceipt {
    let nft = MachineNFT::new(
        b.peaq.contracts().machine_nft,
        b.peaq.provider_for(key.clone()),
    );
    mined(nft.approve(b.peaq_side.oapp, token)).await;
    let a = b.adapter(key);
    let sp = send_param(Side::Base, to, token);
    let fee = a.quoteSend(sp.clone(), false).call().await.expect("quote");
    assert_eq!(fee.nativeFee, DEVNET_NATIVE_FEE);
    mined(a.send(sp, fee.clone(), key.address()).value(fee.nativeFee)).await
}

/// Base -> peaq from `key`.
pub(crate) async fn send_to_peaq(
    b: &Bridge,
    key: &PrivateKeySigner,
    to: Address,
    token: U256,
) -> TransactionReceipt {
    let n = b.base_nft(key);
    let sp = base_send_param(Side::Peaq, to, token);
    let fee = n.quoteSend(sp.clone(), false).call().await.expect("quote");
    mined(n.send(sp, fee.clone(), key.address()).value(fee.nativeFee)).await
}

pub(crate) fn base_send_param(dst: Side, to: Address, token: U256) -> MachineNFTBase::SendParam {
    MachineNFTBase::SendParam {
        dstEid: dst.eid(),
        to: address_to_bytes32(to),
        tokenId: token,
        extraOptions: Bytes::new(),
        composeMsg: Bytes::new(),
        onftCmd: Bytes::new(),
    }
}

/// Logs of `topic` emitted by `address` on `p`.
pub(crate) async fn count_logs(p: &DynProvider, address: Address, topic: B256) -> usize {
    let f = alloy::rpc::types::Filter::new()
        .address(address)
        .event_signature(topic)
        .from_block(0);
    p.get_logs(&f).await.expect("logs").len()
}
