//! LayerZero on the two devnets: EndpointV2, SendUln302 and ReceiveUln302 from the bytecode
//! LayerZero's npm packages ship (read from `contracts/node_modules` at run time: LZBL-1.2, never
//! committed), our LocalDVN and LocalExecutor as the workers, and the Machine NFT OApps
//! (MachineNFTAdapter on peaq, MachineNFTBase on Base) wired to each other.
//!
//! Addresses are deterministic across chains: the endpoints and the OApps are created through the
//! deterministic deployment proxy (CREATE2, fixed salt), so each side knows its peer's address
//! without asking the other chain. The message libraries are created by the owner (they are
//! `Ownable` without arguments) and only their own chain needs their addresses, like the workers.
//! Installing is idempotent.

use crate::abi::{
    EndpointV2, ExecutorConfig, LocalDVN, LocalExecutor, ReceiveUln302, SendUln302,
    SetDefaultExecutorConfigParam, SetDefaultUlnConfigParam, UlnConfig,
};
use crate::error::BridgeError;
use crate::packet::{address_to_bytes32, lz_receive_option};
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolConstructor, SolValue};
use peaqos_contracts::{DETERMINISTIC_DEPLOYER, MachineNFTAdapter, MachineNFTBase};
use peaqos_types::constants::{LAYERZERO_EID_BASE, LAYERZERO_EID_PEAQ};
use std::path::{Path, PathBuf};

/// The pinned version of `@layerzerolabs/lz-evm-protocol-v2` (contracts/package.json).
pub const LZ_PROTOCOL_VERSION: &str = "3.0.168";
/// npm package of EndpointV2.
pub const LZ_PROTOCOL_PACKAGE: &str = "@layerzerolabs/lz-evm-protocol-v2";
/// npm package of SendUln302 and ReceiveUln302 (same version as the protocol package).
pub const LZ_MESSAGELIB_PACKAGE: &str = "@layerzerolabs/lz-evm-messagelib-v2";
/// Block confirmations of the devnets' ULN configs (what the DVN attests).
pub const ULN_CONFIRMATIONS: u64 = 1;
/// Largest message the executor config accepts.
pub const MAX_MESSAGE_SIZE: u32 = 10_000;
/// CREATE2 salt of the bridge's contracts.
pub const SALT: B256 = B256::ZERO;
/// The native fee of one message on the devnets (0.0001 of the native token): the DVN's and the
/// executor's fees, half each (no treasury fee).
pub const DEVNET_NATIVE_FEE: U256 = U256::from_limbs([100_000_000_000_000, 0, 0, 0]);
/// The LocalDVN's fee per message.
pub const DVN_FEE: U256 = U256::from_limbs([50_000_000_000_000, 0, 0, 0]);
/// The LocalExecutor's fee per message.
pub const EXECUTOR_FEE: U256 = U256::from_limbs([50_000_000_000_000, 0, 0, 0]);
/// Gas of `lzReceive` in the OApps' enforced options (what peaq's SDK asks for, too).
pub const ENFORCED_LZ_RECEIVE_GAS: u128 = 200_000;
/// MachineNFTBase's ERC-721 name and symbol (MachineNFT's on peaq).
pub const BASE_NFT_NAME: &str = "peaqOS Machine";
/// See [`BASE_NFT_NAME`].
pub const BASE_NFT_SYMBOL: &str = "PEAQM";
/// The dev account the relayer signs with by default on the devnets (m/44'/60'/0'/0/8; the test
/// kit funds from 9).
pub const DEFAULT_RELAYER_DEV_INDEX: u32 = 8;

/// Which side of the bridge.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// peaq: MachineNFTAdapter, eid 30302.
    Peaq,
    /// Base: MachineNFTBase, eid 30184.
    Base,
}

impl Side {
    /// LayerZero endpoint id (peaq's SDK's built-in EIDs).
    pub fn eid(self) -> u32 {
        match self {
            Self::Peaq => LAYERZERO_EID_PEAQ,
            Self::Base => LAYERZERO_EID_BASE,
        }
    }

    /// The other side.
    pub fn remote(self) -> Self {
        match self {
            Self::Peaq => Self::Base,
            Self::Base => Self::Peaq,
        }
    }

    /// `peaq` / `base`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Peaq => "peaq",
            Self::Base => "base",
        }
    }
}

/// EndpointV2's, SendUln302's and ReceiveUln302's init code, from the installed npm packages.
#[derive(Clone)]
pub struct LzArtifacts {
    endpoint: Bytes,
    send_uln: Bytes,
    receive_uln: Bytes,
}

impl std::fmt::Debug for LzArtifacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LzArtifacts")
            .field("endpoint_init_code_len", &self.endpoint.len())
            .field("send_uln_init_code_len", &self.send_uln.len())
            .field("receive_uln_init_code_len", &self.receive_uln.len())
            .finish()
    }
}

/// `contracts/` of this source tree (where `npm ci` installs LayerZero's packages).
pub fn default_contracts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts")
}

/// The project's `contracts/` directory: `PEAQOS_CONTRACTS_DIR` from `lookup` (the binary passes
/// the process environment) when set, else [`default_contracts_dir`].
pub fn contracts_dir(lookup: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    lookup("PEAQOS_CONTRACTS_DIR")
        .filter(|v| !v.trim().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(default_contracts_dir)
}

fn read_json(path: &Path) -> Result<serde_json::Value, BridgeError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            BridgeError::LzNotInstalled {
                path: path.to_path_buf(),
            }
        } else {
            BridgeError::Artifact {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        }
    })?;
    serde_json::from_str(&text).map_err(|e| BridgeError::Artifact {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn init_code(path: &Path) -> Result<Bytes, BridgeError> {
    let v = read_json(path)?;
    let hex = v["bytecode"].as_str().unwrap_or_default();
    let code: Bytes = hex.parse().map_err(|_| BridgeError::Artifact {
        path: path.to_path_buf(),
        reason: "no bytecode".into(),
    })?;
    if code.is_empty() {
        return Err(BridgeError::Artifact {
            path: path.to_path_buf(),
            reason: "empty bytecode".into(),
        });
    }
    Ok(code)
}

impl LzArtifacts {
    /// Reads the artifacts under `contracts_dir/node_modules`, checking the pinned version.
    pub fn load(contracts_dir: &Path) -> Result<Self, BridgeError> {
        let modules = contracts_dir.join("node_modules");
        let protocol = modules.join(LZ_PROTOCOL_PACKAGE);
        let messagelib = modules.join(LZ_MESSAGELIB_PACKAGE);
        for (package, dir) in [
            (LZ_PROTOCOL_PACKAGE, &protocol),
            (LZ_MESSAGELIB_PACKAGE, &messagelib),
        ] {
            let found = read_json(&dir.join("package.json"))?["version"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if found != LZ_PROTOCOL_VERSION {
                return Err(BridgeError::LzVersion {
                    package,
                    found,
                    pinned: LZ_PROTOCOL_VERSION,
                });
            }
        }
        let uln = messagelib.join("artifacts/contracts/uln/uln302");
        Ok(Self {
            endpoint: init_code(
                &protocol.join("artifacts/contracts/EndpointV2.sol/EndpointV2.json"),
            )?,
            send_uln: init_code(&uln.join("SendUln302.sol/SendUln302.json"))?,
            receive_uln: init_code(&uln.join("ReceiveUln302.sol/ReceiveUln302.json"))?,
        })
    }

    /// [`LzArtifacts::load`] from [`default_contracts_dir`].
    pub fn locate() -> Result<Self, BridgeError> {
        Self::load(&default_contracts_dir())
    }

    /// [`LzArtifacts::load`] from [`contracts_dir`] with `lookup`.
    pub fn locate_with(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, BridgeError> {
        Self::load(&contracts_dir(lookup))
    }

    fn endpoint_init(&self, eid: u32, owner: Address) -> Vec<u8> {
        [self.endpoint.as_ref(), &(eid, owner).abi_encode_params()].concat()
    }
}

/// Where everything is, on both chains, before anything is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BridgeLayout {
    /// Owner and delegate of every bridge contract (dev account 0 on the devnets).
    pub owner: Address,
    /// MachineNFT on peaq (the adapted token).
    pub machine_nft: Address,
    /// EndpointV2 on peaq (eid 30302).
    pub peaq_endpoint: Address,
    /// EndpointV2 on Base (eid 30184).
    pub base_endpoint: Address,
    /// MachineNFTAdapter on peaq.
    pub adapter: Address,
    /// MachineNFTBase on Base.
    pub base_nft: Address,
}

fn create2(init: &[u8]) -> Address {
    DETERMINISTIC_DEPLOYER.create2(SALT, keccak256(init))
}

fn adapter_init(machine_nft: Address, endpoint: Address, owner: Address) -> Vec<u8> {
    let args = MachineNFTAdapter::constructorCall {
        _token: machine_nft,
        _lzEndpoint: endpoint,
        _delegate: owner,
    }
    .abi_encode();
    [MachineNFTAdapter::BYTECODE.as_ref(), &args].concat()
}

fn base_nft_init(endpoint: Address, owner: Address) -> Vec<u8> {
    let args = MachineNFTBase::constructorCall {
        _name: BASE_NFT_NAME.into(),
        _symbol: BASE_NFT_SYMBOL.into(),
        _lzEndpoint: endpoint,
        _delegate: owner,
    }
    .abi_encode();
    [MachineNFTBase::BYTECODE.as_ref(), &args].concat()
}

impl BridgeLayout {
    /// The layout for `owner` and the peaq MachineNFT at `machine_nft`.
    pub fn new(artifacts: &LzArtifacts, owner: Address, machine_nft: Address) -> Self {
        let peaq_endpoint = create2(&artifacts.endpoint_init(LAYERZERO_EID_PEAQ, owner));
        let base_endpoint = create2(&artifacts.endpoint_init(LAYERZERO_EID_BASE, owner));
        Self {
            owner,
            machine_nft,
            peaq_endpoint,
            base_endpoint,
            adapter: create2(&adapter_init(machine_nft, peaq_endpoint, owner)),
            base_nft: create2(&base_nft_init(base_endpoint, owner)),
        }
    }

    /// The endpoint on `side`.
    pub fn endpoint(&self, side: Side) -> Address {
        match side {
            Side::Peaq => self.peaq_endpoint,
            Side::Base => self.base_endpoint,
        }
    }

    /// The OApp on `side` (the adapter on peaq, MachineNFTBase on Base).
    pub fn oapp(&self, side: Side) -> Address {
        match side {
            Side::Peaq => self.adapter,
            Side::Base => self.base_nft,
        }
    }
}

/// One side, deployed and wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SideDeployment {
    /// Which side.
    pub side: Side,
    /// Its endpoint id.
    pub eid: u32,
    /// EndpointV2.
    pub endpoint: Address,
    /// SendUln302 (default send library for the remote eid).
    pub send_lib: Address,
    /// ReceiveUln302 (default receive library for the remote eid).
    pub receive_lib: Address,
    /// LocalDVN (the one required DVN of both ULN configs).
    pub dvn: Address,
    /// LocalExecutor (the send side's executor).
    pub executor: Address,
    /// The OApp (MachineNFTAdapter / MachineNFTBase).
    pub oapp: Address,
    /// The peer OApp on the other side.
    pub peer: Address,
    /// The only address allowed to verify packets as the DVN (`LocalDVN.verifier`).
    pub verifier: Address,
}

/// A signing provider for `rpc_url`. Nonces come from the node (`pending` count) for every
/// transaction, never from a local cache: a send the node refuses (no funds) consumes no nonce.
pub fn signing_provider(rpc_url: &str, key: PrivateKeySigner) -> Result<DynProvider, BridgeError> {
    let url = rpc_url
        .parse()
        .map_err(|_| BridgeError::Config(format!("{rpc_url:?} is not a URL")))?;
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(key))
        .connect_http(url)
        .erased())
}

struct Installer<'a> {
    p: &'a DynProvider,
    chain: &'static str,
}

impl Installer<'_> {
    fn rpc(&self, what: &str) -> impl FnOnce(alloy::transports::TransportError) -> BridgeError {
        let chain = self.chain.to_string();
        let what = what.to_string();
        move |source| BridgeError::Rpc {
            chain,
            what,
            source,
        }
    }

    async fn has_code(&self, a: Address) -> Result<bool, BridgeError> {
        let code = self
            .p
            .get_code_at(a)
            .await
            .map_err(self.rpc("eth_getCode"))?;
        Ok(!code.is_empty())
    }

    async fn send(
        &self,
        what: &str,
        tx: TransactionRequest,
    ) -> Result<Option<Address>, BridgeError> {
        let pending = self
            .p
            .send_transaction(tx)
            .await
            .map_err(|e| BridgeError::Tx {
                chain: self.chain.into(),
                what: what.into(),
                reason: e.to_string(),
            })?;
        let r = pending.get_receipt().await.map_err(|e| BridgeError::Tx {
            chain: self.chain.into(),
            what: what.into(),
            reason: e.to_string(),
        })?;
        if !r.status() {
            return Err(BridgeError::Tx {
                chain: self.chain.into(),
                what: what.into(),
                reason: format!("reverted in {}", r.transaction_hash),
            });
        }
        Ok(r.contract_address)
    }

    async fn create2(&self, what: &str, init: Vec<u8>) -> Result<Address, BridgeError> {
        let at = create2(&init);
        if !self.has_code(DETERMINISTIC_DEPLOYER).await? {
            return Err(BridgeError::Config(format!(
                "{}: no deterministic deployment proxy at {DETERMINISTIC_DEPLOYER}",
                self.chain
            )));
        }
        if !self.has_code(at).await? {
            let data = [SALT.as_slice(), &init].concat();
            self.send(
                what,
                TransactionRequest::default()
                    .with_to(DETERMINISTIC_DEPLOYER)
                    .with_input(data),
            )
            .await?;
            if !self.has_code(at).await? {
                return Err(BridgeError::Tx {
                    chain: self.chain.into(),
                    what: what.into(),
                    reason: format!("no code at {at} after CREATE2"),
                });
            }
        }
        Ok(at)
    }

    async fn call(&self, what: &str, to: Address, call: impl SolCall) -> Result<(), BridgeError> {
        self.send(
            what,
            TransactionRequest::default()
                .with_to(to)
                .with_input(call.abi_encode()),
        )
        .await
        .map(|_| ())
    }
}

/// Deploys and wires `side` on the chain at `rpc_url`, signing with `owner` (who owns everything
/// and is the OApps' delegate); `verifier` becomes the only address allowed to verify packets on
/// this side (the relayer's). Idempotent: what is already there is kept and re-checked.
pub async fn install(
    rpc_url: &str,
    side: Side,
    artifacts: &LzArtifacts,
    owner: PrivateKeySigner,
    machine_nft: Address,
    verifier: Address,
) -> Result<SideDeployment, BridgeError> {
    let owner_address = owner.address();
    let layout = BridgeLayout::new(artifacts, owner_address, machine_nft);
    let p = signing_provider(rpc_url, owner)?;
    let i = Installer {
        p: &p,
        chain: side.name(),
    };
    let remote = side.remote();
    let endpoint = i
        .create2(
            "deploy EndpointV2",
            artifacts.endpoint_init(side.eid(), owner_address),
        )
        .await?;
    debug_assert_eq!(endpoint, layout.endpoint(side));
    let ep = EndpointV2::new(endpoint, &p);
    let err = |what: &str| {
        let what = what.to_string();
        move |e: alloy::contract::Error| BridgeError::Tx {
            chain: side.name().into(),
            what,
            reason: e.to_string(),
        }
    };
    let receive_lib = ep
        .defaultReceiveLibrary(remote.eid())
        .call()
        .await
        .map_err(err("defaultReceiveLibrary"))?;
    let (send_lib, receive_lib, dvn, executor) = if receive_lib == Address::ZERO {
        let created = |what: &'static str| BridgeError::Tx {
            chain: side.name().into(),
            what: what.into(),
            reason: "no contract address in the receipt".into(),
        };
        let deploy = |code: Vec<u8>| TransactionRequest::default().with_deploy_code(code);
        let send_lib = i
            .send(
                "deploy SendUln302",
                deploy(
                    [
                        artifacts.send_uln.as_ref(),
                        &(endpoint, U256::ZERO, U256::ZERO).abi_encode_params(),
                    ]
                    .concat(),
                ),
            )
            .await?
            .ok_or_else(|| created("deploy SendUln302"))?;
        let receive_lib = i
            .send(
                "deploy ReceiveUln302",
                deploy([artifacts.receive_uln.as_ref(), &endpoint.abi_encode()].concat()),
            )
            .await?
            .ok_or_else(|| created("deploy ReceiveUln302"))?;
        let executor_args = LocalExecutor::constructorCall {
            _fee: EXECUTOR_FEE,
            _owner: owner_address,
        }
        .abi_encode();
        let executor = i
            .send(
                "deploy LocalExecutor",
                deploy([LocalExecutor::BYTECODE.as_ref(), &executor_args].concat()),
            )
            .await?
            .ok_or_else(|| created("deploy LocalExecutor"))?;
        let dvn_args = LocalDVN::constructorCall {
            _receiveLib: receive_lib,
            _verifier: verifier,
            _fee: DVN_FEE,
            _owner: owner_address,
        }
        .abi_encode();
        let dvn = i
            .send(
                "deploy LocalDVN",
                deploy([LocalDVN::BYTECODE.as_ref(), &dvn_args].concat()),
            )
            .await?
            .ok_or_else(|| created("deploy LocalDVN"))?;
        let uln = || SetDefaultUlnConfigParam {
            eid: remote.eid(),
            config: UlnConfig {
                confirmations: ULN_CONFIRMATIONS,
                requiredDVNCount: 1,
                optionalDVNCount: 0,
                optionalDVNThreshold: 0,
                requiredDVNs: vec![dvn],
                optionalDVNs: vec![],
            },
        };
        i.call(
            "SendUln302.setDefaultExecutorConfigs",
            send_lib,
            SendUln302::setDefaultExecutorConfigsCall {
                params: vec![SetDefaultExecutorConfigParam {
                    eid: remote.eid(),
                    config: ExecutorConfig {
                        maxMessageSize: MAX_MESSAGE_SIZE,
                        executor,
                    },
                }],
            },
        )
        .await?;
        i.call(
            "SendUln302.setDefaultUlnConfigs",
            send_lib,
            SendUln302::setDefaultUlnConfigsCall {
                params: vec![uln()],
            },
        )
        .await?;
        i.call(
            "ReceiveUln302.setDefaultUlnConfigs",
            receive_lib,
            ReceiveUln302::setDefaultUlnConfigsCall {
                params: vec![uln()],
            },
        )
        .await?;
        for lib in [send_lib, receive_lib] {
            i.call(
                "registerLibrary",
                endpoint,
                EndpointV2::registerLibraryCall { lib },
            )
            .await?;
        }
        i.call(
            "setDefaultSendLibrary",
            endpoint,
            EndpointV2::setDefaultSendLibraryCall {
                eid: remote.eid(),
                newLib: send_lib,
            },
        )
        .await?;
        i.call(
            "setDefaultReceiveLibrary",
            endpoint,
            EndpointV2::setDefaultReceiveLibraryCall {
                eid: remote.eid(),
                newLib: receive_lib,
                gracePeriod: U256::ZERO,
            },
        )
        .await?;
        (send_lib, receive_lib, dvn, executor)
    } else {
        let send_lib = ep
            .defaultSendLibrary(remote.eid())
            .call()
            .await
            .map_err(err("defaultSendLibrary"))?;
        let config = ReceiveUln302::new(receive_lib, &p)
            .getUlnConfig(Address::ZERO, remote.eid())
            .call()
            .await
            .map_err(err("getUlnConfig"))?;
        let dvn = *config.requiredDVNs.first().ok_or_else(|| {
            BridgeError::Config(format!(
                "{}: the ULN config has no required DVN",
                side.name()
            ))
        })?;
        let executor = SendUln302::new(send_lib, &p)
            .getExecutorConfig(Address::ZERO, remote.eid())
            .call()
            .await
            .map_err(err("getExecutorConfig"))?
            .executor;
        (send_lib, receive_lib, dvn, executor)
    };
    let current = LocalDVN::new(dvn, &p)
        .verifier()
        .call()
        .await
        .map_err(err("LocalDVN.verifier"))?;
    if current != verifier {
        i.call(
            "LocalDVN.setVerifier",
            dvn,
            LocalDVN::setVerifierCall {
                _verifier: verifier,
            },
        )
        .await?;
    }
    let (oapp, init) = match side {
        Side::Peaq => {
            if !i.has_code(machine_nft).await? {
                return Err(BridgeError::Config(format!(
                    "peaq: no MachineNFT at {machine_nft}"
                )));
            }
            (
                layout.adapter,
                adapter_init(machine_nft, endpoint, owner_address),
            )
        }
        Side::Base => (layout.base_nft, base_nft_init(endpoint, owner_address)),
    };
    let deployed = i.create2("deploy the OApp", init).await?;
    debug_assert_eq!(deployed, oapp);
    let peer = layout.oapp(remote);
    // Both OApps share the OAppCore surface; the adapter's bindings drive either.
    let o = MachineNFTAdapter::new(oapp, &p);
    let current_peer = o
        .peers(remote.eid())
        .call()
        .await
        .map_err(|e| BridgeError::Tx {
            chain: side.name().into(),
            what: "peers".into(),
            reason: e.to_string(),
        })?;
    if current_peer != address_to_bytes32(peer) {
        i.call(
            "setPeer",
            oapp,
            MachineNFTAdapter::setPeerCall {
                _eid: remote.eid(),
                _peer: address_to_bytes32(peer),
            },
        )
        .await?;
    }
    let enforced = Bytes::from(lz_receive_option(ENFORCED_LZ_RECEIVE_GAS, 0));
    let current_options = o
        .enforcedOptions(remote.eid(), 1)
        .call()
        .await
        .map_err(|e| BridgeError::Tx {
            chain: side.name().into(),
            what: "enforcedOptions".into(),
            reason: e.to_string(),
        })?;
    if current_options != enforced {
        let params = [1u16, 2u16]
            .into_iter()
            .map(|msg_type| MachineNFTAdapter::EnforcedOptionParam {
                eid: remote.eid(),
                msgType: msg_type,
                options: enforced.clone(),
            })
            .collect();
        i.call(
            "setEnforcedOptions",
            oapp,
            MachineNFTAdapter::setEnforcedOptionsCall {
                _enforcedOptions: params,
            },
        )
        .await?;
    }
    Ok(SideDeployment {
        side,
        eid: side.eid(),
        endpoint,
        send_lib,
        receive_lib,
        dvn,
        executor,
        oapp,
        peer,
        verifier,
    })
}
