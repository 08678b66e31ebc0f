//! The one shared test harness of the peaqOS crates (a dev-dependency only, never published).
//!
//! - [`TestNet`]: an embedded devnet on a free loopback port with signing alloy providers for its
//!   ten dev accounts and the chain steps every integration test repeats: funding a fresh key,
//!   registering a machine with `minBond`, minting its Machine NFT, writing DID attributes through
//!   `batchAll`, submitting (backdated) events and driving `AdminFlags`.
//! - Receipt helpers: [`mined`], [`sent`], [`registered`], [`registered_id`], [`minted`],
//!   [`events`], [`event`] (machine ids come from `Registered`, token ids from `MachineMinted`;
//!   `submitEvent` and `mint` return nothing).
//! - [`Ev`]: the ten fields of one `submitEvent`, with [`revenue`] and [`activity`] builders.
//! - [`Db`] and, with the `postgres` feature, `fresh_postgres_database`: a throwaway PostgreSQL
//!   database per test on the server of `PEAQOS_TEST_POSTGRES_URL` (such tests are `#[ignore]`d
//!   and fail when run without the server).
//! - [`env_scan`]: which sources read the process environment; its test holds every library
//!   crate of the workspace to reading none (the binary passes configuration in).

pub mod env_scan;

use alloy::contract::{CallBuilder, CallDecoder};
use alloy::network::{Ethereum, EthereumWallet};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use peaqos_contracts::precompiles::{Batch, DidRegistry};
use peaqos_contracts::{AdminFlags, EventRegistry, IdentityRegistry, MachineNFT};
use peaqos_devnet::{DevnetConfig, DevnetHandle};
use peaqos_types::constants::{BATCH_PRECOMPILE_ADDRESS, DID_PRECOMPILE_ADDRESS};
use peaqos_types::event::PreparedEvent;
use peaqos_types::network::ContractAddresses;
use serde_json::{Value, json};

/// Events per `batchAll` transaction in [`TestNet::submit`].
pub const EVENTS_PER_BATCH: usize = 256;

/// Gas limit of one `batchAll` of [`EVENTS_PER_BATCH`] events.
const EVENT_BATCH_GAS: u64 = 55_000_000;

/// `n` PEAQ in wei (18 decimals).
pub fn peaq(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// A running embedded devnet plus helpers for its dev accounts and contracts.
pub struct TestNet {
    /// The devnet itself (url, deployment, dev signers, shutdown).
    pub handle: DevnetHandle,
}

impl TestNet {
    /// A fresh devnet with instant mining on `127.0.0.1:<free port>`.
    pub async fn start() -> Self {
        Self::start_with(DevnetConfig::ephemeral()).await
    }

    /// A devnet with `config` (state file, block time, chain settings).
    pub async fn start_with(config: DevnetConfig) -> Self {
        let handle = peaqos_devnet::spawn(config).await.expect("devnet starts");
        Self { handle }
    }

    /// The JSON-RPC URL.
    pub fn url(&self) -> String {
        self.handle.url()
    }

    /// A signing provider for dev account `i` (0 owns the contracts).
    pub fn provider(&self, i: u32) -> DynProvider {
        self.provider_for(self.handle.signer(i))
    }

    /// A signing provider for any key.
    ///
    /// Each provider caches its wallet's nonces: send all transactions of one key either through
    /// one provider or through the key-taking helpers of [`TestNet`] (a fresh provider each),
    /// not both.
    pub fn provider_for(&self, signer: PrivateKeySigner) -> DynProvider {
        self.provider_with(EthereumWallet::from(signer))
    }

    /// A signing provider for any wallet (e.g. a remote or vault signer).
    pub fn provider_with(&self, wallet: EthereumWallet) -> DynProvider {
        ProviderBuilder::new()
            .wallet(wallet)
            .connect_http(self.url().parse().expect("url"))
            .erased()
    }

    /// A provider without a wallet (reads only).
    pub fn reader(&self) -> DynProvider {
        ProviderBuilder::new()
            .connect_http(self.url().parse().expect("url"))
            .erased()
    }

    /// The address of dev account `i`.
    pub fn address(&self, i: u32) -> Address {
        self.handle.signer(i).address()
    }

    /// The deployed contract addresses in the shape clients are configured with.
    pub fn contracts(&self) -> ContractAddresses {
        self.handle.deployment().contract_addresses()
    }

    /// Sends `peaq` PEAQ from dev account 9 to `to` and asserts the transfer succeeded.
    pub async fn fund(&self, to: Address, peaq_amount: u64) {
        let tx = TransactionRequest::default()
            .to(to)
            .value(peaq(peaq_amount));
        let pending = self.provider(9).send_transaction(tx).await.expect("send");
        succeeded(pending).await;
    }

    /// A fresh random key funded with `peaq` PEAQ from dev account 9.
    pub async fn funded_key(&self, peaq_amount: u64) -> PrivateKeySigner {
        let key = PrivateKeySigner::random();
        self.fund(key.address(), peaq_amount).await;
        key
    }

    /// The latest block number.
    pub async fn head(&self) -> u64 {
        self.reader()
            .get_block_number()
            .await
            .expect("block number")
    }

    /// The timestamp of the latest block.
    pub async fn chain_time(&self) -> u64 {
        latest_timestamp(&self.reader()).await
    }

    /// `key` registers itself with `minBond`; returns its machine id.
    pub async fn register(&self, key: &PrivateKeySigner) -> u64 {
        let p = self.provider_for(key.clone());
        let reg = IdentityRegistry::new(self.contracts().identity_registry, &p);
        let bond = reg.minBond().call().await.expect("minBond");
        registered_id(&mined(reg.register().value(bond)).await)
    }

    /// `proxy` registers `machine` with `minBond`, becoming its operator; returns the machine id.
    pub async fn register_for(&self, proxy: &PrivateKeySigner, machine: Address) -> u64 {
        let p = self.provider_for(proxy.clone());
        let reg = IdentityRegistry::new(self.contracts().identity_registry, &p);
        let bond = reg.minBond().call().await.expect("minBond");
        registered_id(&mined(reg.registerFor(machine).value(bond)).await)
    }

    /// `key` (the machine wallet) mints the Machine NFT of `machine_id` to itself; returns the
    /// token id (from the `MachineMinted` log: `mint` returns nothing).
    pub async fn mint(&self, key: &PrivateKeySigner, machine_id: u64) -> u64 {
        let p = self.provider_for(key.clone());
        let nft = MachineNFT::new(self.contracts().machine_nft, &p);
        let r = mined(nft.mint(U256::from(machine_id), key.address())).await;
        let ev = minted(&r);
        assert_eq!(
            ev.machineId,
            U256::from(machine_id),
            "MachineMinted machine id"
        );
        ev.tokenId.to::<u64>()
    }

    /// `signer` adds `(name, value)` attributes (validity 0 = forever) to `account`'s DID in one
    /// `batchAll` through a fresh provider (see [`set_did_attributes`]).
    pub async fn add_attributes(
        &self,
        signer: &PrivateKeySigner,
        account: Address,
        attrs: &[(&str, &str)],
    ) -> TransactionReceipt {
        set_did_attributes(&self.provider_for(signer.clone()), account, attrs).await
    }

    /// Submits one event for `machine_id` through `EventRegistry.submitEvent` from `p`'s wallet;
    /// asserts success and returns the receipt (`submitEvent` returns nothing: the event index
    /// is in the receipt's `EventSubmitted` log).
    ///
    /// Takes the provider rather than a key: alloy caches nonces per provider, so a test that
    /// sends from a provider of its own must send every transaction of that key through it.
    pub async fn submit_event<P: Provider>(
        &self,
        p: &P,
        machine_id: u64,
        ev: &Ev,
    ) -> TransactionReceipt {
        let er = EventRegistry::new(self.contracts().event_registry, p);
        mined(er.call_builder(&ev.call(U256::from(machine_id)))).await
    }

    /// `key` submits `events` for `machine_id` through `batchAll` ([`EVENTS_PER_BATCH`] per
    /// transaction; timestamps may lie in the past); asserts success and returns the block of the
    /// last batch.
    pub async fn submit(&self, key: &PrivateKeySigner, machine_id: u64, events: &[Ev]) -> u64 {
        let p = self.provider_for(key.clone());
        let er = self.contracts().event_registry;
        let batch = Batch::new(BATCH_PRECOMPILE_ADDRESS, &p);
        let mut last = 0;
        for chunk in events.chunks(EVENTS_PER_BATCH) {
            let calls: Vec<Bytes> = chunk
                .iter()
                .map(|e| e.call(U256::from(machine_id)).abi_encode().into())
                .collect();
            let r = mined(
                batch
                    .batchAll(vec![er; calls.len()], vec![], calls, vec![])
                    .gas(EVENT_BATCH_GAS),
            )
            .await;
            last = r.block_number.expect("mined");
        }
        last
    }

    /// Dev account 0 (the owner) flags (`true`) or clears (`false`) `machine_id` in AdminFlags;
    /// returns the block.
    pub async fn admin_flag(&self, machine_id: u64, flag: bool) -> u64 {
        let p = self.provider(0);
        let af = AdminFlags::new(self.contracts().admin_flags.expect("AdminFlags"), &p);
        let id = U256::from(machine_id);
        let r = if flag {
            mined(af.flagMachine(id)).await
        } else {
            mined(af.clearFlag(id)).await
        };
        r.block_number.expect("mined")
    }

    /// Dev account 0 sets (`Some`) or clears (`None`) the trust override of `machine_id`;
    /// returns the block.
    pub async fn admin_override(&self, machine_id: u64, value: Option<u64>) -> u64 {
        let p = self.provider(0);
        let af = AdminFlags::new(self.contracts().admin_flags.expect("AdminFlags"), &p);
        let id = U256::from(machine_id);
        let r = match value {
            Some(v) => mined(af.setTrustOverride(id, U256::from(v))).await,
            None => mined(af.clearTrustOverride(id)).await,
        };
        r.block_number.expect("mined")
    }

    /// POSTs a raw JSON-RPC body (a request or a batch) and returns the whole JSON answer.
    pub async fn raw(&self, body: Value) -> Value {
        alloy::transports::http::reqwest::Client::new()
            .post(self.url())
            .json(&body)
            .send()
            .await
            .expect("JSON-RPC request")
            .json()
            .await
            .expect("JSON answer")
    }

    /// One JSON-RPC call; the whole response object (`result` or `error`).
    pub async fn rpc_response(&self, method: &str, params: Value) -> Value {
        self.raw(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .await
    }

    /// One JSON-RPC call; its `result` (`null` on an error).
    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        self.rpc_response(method, params).await["result"].clone()
    }
}

/// The timestamp of the latest block as `p` sees it.
pub async fn latest_timestamp<P: Provider>(p: &P) -> u64 {
    p.get_block(alloy::eips::BlockId::latest())
        .await
        .expect("latest block")
        .expect("a latest block")
        .header
        .timestamp
}

/// `p`'s wallet adds `(name, value)` attributes (validity 0 = forever) to `account`'s DID in one
/// `batchAll` (a stranger's attributes when the two differ); asserts success and returns the
/// receipt.
pub async fn set_did_attributes<P: Provider>(
    p: &P,
    account: Address,
    attrs: &[(&str, &str)],
) -> TransactionReceipt {
    let calls: Vec<Bytes> = attrs
        .iter()
        .map(|(n, v)| add_attribute_call(account, n, v))
        .collect();
    let batch = Batch::new(BATCH_PRECOMPILE_ADDRESS, p);
    mined(batch.batchAll(
        vec![DID_PRECOMPILE_ADDRESS; calls.len()],
        vec![],
        calls,
        vec![],
    ))
    .await
}

/// Sends a plain transaction from `p`'s wallet, waits for the receipt and asserts success.
pub async fn mined_tx<P: Provider>(p: &P, tx: TransactionRequest) -> TransactionReceipt {
    succeeded(p.send_transaction(tx).await.expect("send")).await
}

/// Sends, waits for the receipt and asserts success.
pub async fn mined<P: Provider, D: CallDecoder>(cb: CallBuilder<P, D>) -> TransactionReceipt {
    succeeded(cb.send().await.expect("send")).await
}

/// Sends and waits for the receipt, whatever its status (for a transaction that is meant to be
/// mined and fail, e.g. sent with an explicit gas limit so that estimation cannot refuse it).
pub async fn sent<P: Provider, D: CallDecoder>(cb: CallBuilder<P, D>) -> TransactionReceipt {
    cb.send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt")
}

/// Waits for the receipt of `pending` and asserts success.
async fn succeeded(pending: PendingTransactionBuilder<Ethereum>) -> TransactionReceipt {
    let r = pending.get_receipt().await.expect("receipt");
    assert!(r.status(), "transaction reverted: {r:?}");
    r
}

/// The `Registered` log of a registration receipt.
pub fn registered(receipt: &TransactionReceipt) -> IdentityRegistry::Registered {
    receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| IdentityRegistry::Registered::decode_log(&l.inner).ok())
        .expect("Registered log")
        .data
}

/// The machine id of a registration receipt's `Registered` log (`register` / `registerFor`
/// return it, but a receipt carries only the event).
pub fn registered_id(receipt: &TransactionReceipt) -> u64 {
    registered(receipt).machineId.to::<u64>()
}

/// The `MachineMinted` log of a mint receipt (`mint` returns nothing; the token id is here).
pub fn minted(receipt: &TransactionReceipt) -> MachineNFT::MachineMinted {
    receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| MachineNFT::MachineMinted::decode_log(&l.inner).ok())
        .expect("MachineMinted log")
        .data
}

/// Logs of type `E` emitted by `emitter` in a receipt.
pub fn events<E: SolEvent>(r: &TransactionReceipt, emitter: Address) -> Vec<E> {
    r.inner
        .logs()
        .iter()
        .filter(|l| l.address() == emitter)
        .filter_map(|l| E::decode_log(&l.inner).ok().map(|l| l.data))
        .collect()
}

/// The single log of type `E` from `emitter`; panics unless there is exactly one.
pub fn event<E: SolEvent + std::fmt::Debug>(r: &TransactionReceipt, emitter: Address) -> E {
    let mut all = events::<E>(r, emitter);
    assert_eq!(
        all.len(),
        1,
        "expected one {} log from {emitter}, got {all:?}",
        E::SIGNATURE
    );
    all.remove(0)
}

/// ABI-encoded `DidRegistry.addAttribute(did, name, value, 0)` (for `batchAll`).
pub fn add_attribute_call(did: Address, name: &str, value: &str) -> Bytes {
    DidRegistry::addAttributeCall {
        did_account: did,
        name: Bytes::copy_from_slice(name.as_bytes()),
        value: Bytes::copy_from_slice(value.as_bytes()),
        validity_for: 0,
    }
    .abi_encode()
    .into()
}

/// One `submitEvent`: the SDK's [`PreparedEvent`] (its `machine_id` is replaced by the id a
/// helper submits it for, so one event can be sent for several machines).
pub type Ev = PreparedEvent;

/// Test builders on [`Ev`].
pub trait EvExt: Sized {
    /// A revenue event of 500 minor units in `currency` at `timestamp`, trust level 0.
    fn revenue(currency: &str, timestamp: u64) -> Self;
    /// An activity event at `timestamp`, trust level 0.
    fn activity(timestamp: u64) -> Self;
    /// The `submitEvent` call for `machine_id`.
    fn call(&self, machine_id: U256) -> EventRegistry::submitEventCall;
}

impl EvExt for Ev {
    fn revenue(currency: &str, timestamp: u64) -> Self {
        Self {
            machine_id: U256::ZERO,
            event_type: 0,
            value: U256::from(500),
            currency: currency.into(),
            timestamp: U256::from(timestamp),
            data_hash: B256::ZERO,
            trust_level: 0,
            source_chain_id: U256::ZERO,
            source_tx_hash: B256::ZERO,
            metadata: Bytes::new(),
        }
    }

    fn activity(timestamp: u64) -> Self {
        Self {
            event_type: 1,
            value: U256::ZERO,
            currency: String::new(),
            ..Self::revenue("", timestamp)
        }
    }

    fn call(&self, machine_id: U256) -> EventRegistry::submitEventCall {
        EventRegistry::submitEventCall {
            machineId: machine_id,
            ..self.into()
        }
    }
}

/// A USD revenue event of `cents` at `ts` with `trust`.
pub fn revenue(cents: u64, ts: u64, trust: u8) -> Ev {
    Ev {
        value: U256::from(cents),
        trust_level: trust,
        ..Ev::revenue("USD", ts)
    }
}

/// An activity event at `ts` with `trust`.
pub fn activity(ts: u64, trust: u8) -> Ev {
    Ev {
        trust_level: trust,
        ..Ev::activity(ts)
    }
}

/// The two stores a service test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the server of `PEAQOS_TEST_POSTGRES_URL`.
    Postgres,
}

/// A new, empty PostgreSQL database named `<name>_<random>` on the server of
/// `PEAQOS_TEST_POSTGRES_URL`; returns its URL.
///
/// Panics when the variable is unset or the server unreachable: a test that needs PostgreSQL
/// fails without it. Such tests are `#[ignore = "needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL;
/// CI runs it with --ignored"]`, so a plain `cargo test` lists them as ignored and
/// `cargo test -- --ignored` runs them. `name` must be a lower-case SQL identifier prefix.
#[cfg(feature = "postgres")]
pub async fn fresh_postgres_database(name: &str) -> String {
    use sqlx::{Connection, Executor};
    let base = std::env::var("PEAQOS_TEST_POSTGRES_URL").expect(
        "this test needs PostgreSQL: set PEAQOS_TEST_POSTGRES_URL (e.g. $(bash .ci/postgres.sh))",
    );
    let db = format!("{name}_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .expect("postgres reachable");
    conn.execute(format!("CREATE DATABASE {db}").as_str())
        .await
        .expect("create database");
    conn.close().await.expect("close");
    let (prefix, _) = base.rsplit_once('/').expect("postgres URL with a database");
    format!("{prefix}/{db}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaq_has_18_decimals() {
        assert_eq!(peaq(0), U256::ZERO);
        assert_eq!(peaq(3), U256::from(3_000_000_000_000_000_000u128));
    }

    #[test]
    fn builders_fill_the_documented_fields() {
        let r = revenue(1234, 1_700_000_000, 2);
        assert_eq!(
            (r.event_type, r.value, r.currency.as_str(), r.trust_level),
            (0, U256::from(1234), "USD", 2)
        );
        assert_eq!(r.timestamp, U256::from(1_700_000_000u64));
        let a = activity(5, 1);
        assert_eq!(
            (a.event_type, a.value, a.currency.as_str(), a.trust_level),
            (1, U256::ZERO, "", 1)
        );
        assert_eq!(Ev::revenue("EUR", 9).value, U256::from(500));
    }

    #[test]
    fn submit_event_call_carries_every_field_in_order() {
        let ev = Ev {
            data_hash: B256::repeat_byte(1),
            source_chain_id: U256::from(7),
            source_tx_hash: B256::repeat_byte(2),
            metadata: Bytes::from_static(b"{}"),
            ..revenue(42, 100, 1)
        };
        let call = ev.call(U256::from(9));
        let decoded =
            EventRegistry::submitEventCall::abi_decode(&call.abi_encode()).expect("round trip");
        assert_eq!(decoded.machineId, U256::from(9));
        assert_eq!(
            (decoded.eventType, decoded.value, decoded.currency.as_str()),
            (0, U256::from(42), "USD")
        );
        assert_eq!(decoded.timestamp, U256::from(100));
        assert_eq!(decoded.dataHash, B256::repeat_byte(1));
        assert_eq!(decoded.trustLevel, 1);
        assert_eq!(decoded.sourceChainId, U256::from(7));
        assert_eq!(decoded.sourceTxHash, B256::repeat_byte(2));
        assert_eq!(decoded.metadata.as_ref(), b"{}");
    }

    #[test]
    fn add_attribute_call_encodes_name_value_and_no_expiry() {
        let did = Address::repeat_byte(3);
        let data = add_attribute_call(did, "machineId", "1");
        let call = DidRegistry::addAttributeCall::abi_decode(&data).expect("decodes");
        assert_eq!(call.did_account, did);
        assert_eq!(call.name.as_ref(), b"machineId");
        assert_eq!(call.value.as_ref(), b"1");
        assert_eq!(call.validity_for, 0);
    }
}
