//! The harness of the bundler's integration tests: an embedded devnet, a bundler on it (manual
//! mode unless a test asks otherwise), raw JSON-RPC, and UserOperations built and signed by hand
//! (independently of the SDK: the hash from `peaqos_aa::user_op_hash`, checked against
//! `EntryPoint.getUserOpHash` in `hash.rs`, signed EIP-191 with a local key).

#![allow(dead_code)]

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use peaqos_aa::{BundlerConfig, BundlerHandle, BundlingMode, UserOperation, user_op_hash};
use peaqos_contracts::{EntryPointV06, EventRegistry, MachineAccountFactory, MachineSmartAccount};
use peaqos_sdk::aa::BundlerClient;
use peaqos_sdk::{PeaqosClient, PeaqosConfig, PrivateKey};
use peaqos_testkit::{Ev, EvExt, TestNet, mined, peaq};
use peaqos_types::constants::ENTRY_POINT_V06;
use serde_json::{Value, json};

pub(crate) const EP: Address = ENTRY_POINT_V06;

/// A devnet with a bundler on it.
pub(crate) struct Aa {
    pub net: TestNet,
    pub bundler: BundlerHandle,
    pub bundler_key: PrivateKeySigner,
}

impl Aa {
    /// A devnet and a bundler in manual mode with a funded key.
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// As [`Aa::start`], `tweak` adjusting the bundler's configuration.
    pub(crate) async fn start_with(tweak: impl FnOnce(&mut BundlerConfig)) -> Self {
        let net = TestNet::start().await;
        let bundler_key = net.funded_key(100).await;
        let bundler = spawn_bundler(&net, &bundler_key, tweak).await;
        Self {
            net,
            bundler,
            bundler_key,
        }
    }

    /// The bundler's URL.
    pub(crate) fn url(&self) -> String {
        self.bundler.url()
    }

    /// The chain id.
    pub(crate) fn chain_id(&self) -> u64 {
        self.bundler.bundler().chain_id()
    }

    /// One JSON-RPC call to the bundler: the whole response object.
    pub(crate) async fn rpc(&self, method: &str, params: Value) -> Value {
        post(
            &self.url(),
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
        )
        .await
    }

    /// The `result` of a call that must succeed.
    pub(crate) async fn ok(&self, method: &str, params: Value) -> Value {
        let r = self.rpc(method, params).await;
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The `error` of a call that must fail.
    pub(crate) async fn err(&self, method: &str, params: Value) -> Value {
        let r = self.rpc(method, params).await;
        assert!(r.get("error").is_some(), "{method} succeeded: {r}");
        r["error"].clone()
    }

    /// `debug_bundler_sendBundleNow`: the bundle transaction's hash.
    pub(crate) async fn bundle_now(&self) -> B256 {
        let r = self.ok("debug_bundler_sendBundleNow", json!([])).await;
        serde_json::from_value(r).expect("a transaction hash")
    }

    /// An SDK client signing with `key`.
    pub(crate) fn sdk(&self, key: &PrivateKeySigner) -> PeaqosClient {
        PeaqosClient::new(PeaqosConfig::new(
            self.net.url(),
            Some(PrivateKey::from(key)),
            self.net.contracts(),
        ))
        .expect("client")
    }

    /// An SDK client of the bundler.
    pub(crate) fn bundler_client(&self) -> BundlerClient {
        BundlerClient::new(&self.url()).expect("bundler client")
    }

    /// The factory.
    pub(crate) fn factory(&self) -> Address {
        self.net
            .contracts()
            .machine_account_factory
            .expect("factory")
    }

    /// The counterfactual account of `(owner, machine, salt)` and its initCode.
    pub(crate) async fn account(
        &self,
        owner: Address,
        machine: Address,
        salt: u64,
    ) -> (Address, Bytes) {
        let r = self.net.reader();
        let f = MachineAccountFactory::new(self.factory(), &r);
        let addr = f
            .getAddress(owner, machine, U256::from(salt))
            .call()
            .await
            .expect("getAddress");
        let init = f
            .getInitCode(owner, machine, U256::from(salt))
            .call()
            .await
            .expect("getInitCode");
        (addr, init)
    }

    /// Sends `wei` from dev account 9 to `to`.
    pub(crate) async fn fund_wei(&self, to: Address, wei: U256) {
        let tx = TransactionRequest::default().with_to(to).with_value(wei);
        peaqos_testkit::mined_tx(&self.net.provider(9), tx).await;
    }

    /// Whether `a` has code.
    pub(crate) async fn has_code(&self, a: Address) -> bool {
        !self
            .net
            .reader()
            .get_code_at(a)
            .await
            .expect("code")
            .is_empty()
    }

    /// `EntryPoint.getNonce(sender, key)`.
    pub(crate) async fn nonce(&self, sender: Address, key: u64) -> U256 {
        let r = self.net.reader();
        EntryPointV06::new(EP, &r)
            .getNonce(sender, alloy::primitives::aliases::U192::from(key))
            .call()
            .await
            .expect("getNonce")
    }

    /// An operation of `sender` calling `call_data`, with generous fixed gas and the devnet's fees,
    /// signed by `signer`.
    pub(crate) async fn op(
        &self,
        signer: &PrivateKeySigner,
        sender: Address,
        nonce: U256,
        init_code: Bytes,
        call_data: Bytes,
    ) -> UserOperation {
        let op = UserOperation {
            sender,
            nonce,
            init_code,
            call_data,
            call_gas_limit: U256::from(400_000),
            verification_gas_limit: U256::from(600_000),
            pre_verification_gas: U256::from(60_000),
            max_fee_per_gas: U256::from(3_000_000_000u64),
            max_priority_fee_per_gas: U256::from(1_000_000_000u64),
            ..Default::default()
        };
        self.sign(signer, op)
    }

    /// `op` signed by `signer` (EIP-191 over the userOpHash).
    pub(crate) fn sign(&self, signer: &PrivateKeySigner, mut op: UserOperation) -> UserOperation {
        let hash = user_op_hash(&op, EP, self.chain_id());
        let sig = signer.sign_message_sync(hash.as_slice()).expect("sign");
        op.signature = Bytes::copy_from_slice(&sig.as_bytes());
        op
    }

    /// `eth_sendUserOperation` that must succeed: the hash.
    pub(crate) async fn send(&self, op: &UserOperation) -> B256 {
        let r = self.ok("eth_sendUserOperation", json!([op, EP])).await;
        let h: B256 = serde_json::from_value(r).expect("hash");
        assert_eq!(h, user_op_hash(op, EP, self.chain_id()));
        h
    }

    /// `eth_getUserOperationReceipt` result (`null` before inclusion).
    pub(crate) async fn receipt(&self, hash: B256) -> Value {
        self.ok("eth_getUserOperationReceipt", json!([hash])).await
    }

    /// A machine registered by its owner with `registerFor(machine)`: the machine id.
    pub(crate) async fn register_for(&self, owner: &PrivateKeySigner, machine: Address) -> u64 {
        self.net.register_for(owner, machine).await
    }

    /// The latest block's timestamp.
    pub(crate) async fn now(&self) -> u64 {
        self.net.chain_time().await
    }
}

/// Starts a bundler on `net` with `key` (manual mode, free port).
pub(crate) async fn spawn_bundler(
    net: &TestNet,
    key: &PrivateKeySigner,
    tweak: impl FnOnce(&mut BundlerConfig),
) -> BundlerHandle {
    let mut cfg = BundlerConfig::new(net.url(), key.clone());
    cfg.port = 0;
    cfg.mode = BundlingMode::Manual;
    cfg.receipt_poll_interval = std::time::Duration::from_millis(20);
    tweak(&mut cfg);
    peaqos_aa::spawn(cfg).await.expect("bundler starts")
}

/// POSTs a JSON body to `url`; the JSON answer (`null` for an empty body).
pub(crate) async fn post(url: &str, body: Value) -> Value {
    let r = alloy::transports::http::reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("request");
    let text = r.text().await.expect("body");
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text).expect("JSON answer")
}

/// `execute(target, 0, data)` call data of an account.
pub(crate) fn execute(target: Address, data: impl Into<Bytes>) -> Bytes {
    MachineSmartAccount::executeCall {
        target,
        value: U256::ZERO,
        data: data.into(),
    }
    .abi_encode()
    .into()
}

/// `submitEvent` call data: an activity event of `machine_id` at `ts`.
pub(crate) fn submit_event(machine_id: u64, ts: u64) -> Bytes {
    let ev: EventRegistry::submitEventCall = Ev::activity(ts).call(U256::from(machine_id));
    ev.abi_encode().into()
}

/// An owner (funded) and a machine key (no funds), their account (counterfactual, salt 0), funded
/// with 1 PEAQ and registered by the owner with `registerFor(account)`; returns
/// `(owner, machine, account, initCode, machineId)`.
pub(crate) async fn registered_account(
    aa: &Aa,
) -> (PrivateKeySigner, PrivateKeySigner, Address, Bytes, u64) {
    let owner = aa.net.funded_key(10).await;
    let machine = PrivateKeySigner::random();
    let (account, init) = aa.account(owner.address(), machine.address(), 0).await;
    aa.net.fund(account, 1).await;
    let id = aa.register_for(&owner, account).await;
    (owner, machine, account, init, id)
}

/// `owner` calls `setMachine(new)` on `account` directly.
pub(crate) async fn set_machine(aa: &Aa, owner: &PrivateKeySigner, account: Address, new: Address) {
    let p = aa.net.provider_for(owner.clone());
    mined(MachineSmartAccount::new(account, &p).setMachine(new)).await;
}

/// `n` PEAQ in wei.
pub(crate) fn wei(n: u64) -> U256 {
    peaq(n)
}
