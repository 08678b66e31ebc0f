//! Shared harness: a devnet, alloy clients for dev accounts, chain helpers and an MCR service.
#![allow(dead_code)]

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use peaqos_contracts::precompiles::{Batch, DidRegistry};
use peaqos_contracts::{AdminFlags, EventRegistry, IdentityRegistry, MachineNFT};
use peaqos_devnet::{DevnetConfig, DevnetHandle, spawn};
use peaqos_mcr::{McrHandle, McrServiceConfig};
use peaqos_types::constants::{BATCH_PRECOMPILE_ADDRESS, DID_PRECOMPILE_ADDRESS};
use peaqos_types::network::ContractAddresses;
use serde_json::Value;
use std::time::Duration;

pub const DAY: u64 = 86_400;
pub const WAIT: Duration = Duration::from_secs(30);

pub struct TestNet {
    pub handle: DevnetHandle,
}

impl TestNet {
    pub async fn start() -> Self {
        Self {
            handle: spawn(DevnetConfig::ephemeral())
                .await
                .expect("devnet starts"),
        }
    }

    pub fn url(&self) -> String {
        self.handle.url()
    }

    pub fn provider(&self, i: u32) -> DynProvider {
        self.provider_for(self.handle.signer(i))
    }

    pub fn provider_for(&self, signer: PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(self.url().parse().expect("url"))
            .erased()
    }

    pub fn contracts(&self) -> ContractAddresses {
        let d = self.handle.deployment();
        d.contract_addresses()
    }

    /// A fresh key funded with `peaq` PEAQ from dev account 9.
    pub async fn funded_key(&self, peaq: u64) -> PrivateKeySigner {
        let key = PrivateKeySigner::random();
        let tx = alloy::rpc::types::TransactionRequest::default()
            .to(key.address())
            .value(U256::from(peaq) * U256::from(10u64).pow(U256::from(18)));
        let r = self
            .provider(9)
            .send_transaction(tx)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(r.status());
        key
    }

    pub async fn head(&self) -> u64 {
        self.provider(0).get_block_number().await.unwrap()
    }

    pub async fn chain_time(&self) -> u64 {
        self.provider(0)
            .get_block(alloy::eips::BlockId::latest())
            .await
            .unwrap()
            .unwrap()
            .header
            .timestamp
    }

    /// Self-registers `key` and returns its machine id.
    pub async fn register(&self, key: &PrivateKeySigner) -> u64 {
        let p = self.provider_for(key.clone());
        let reg = IdentityRegistry::new(self.contracts().identity_registry, &p);
        let bond = reg.minBond().call().await.unwrap();
        let r = reg
            .register()
            .value(bond)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(r.status());
        let e = r
            .inner
            .logs()
            .iter()
            .find_map(|l| IdentityRegistry::Registered::decode_log(&l.inner).ok())
            .unwrap();
        e.machineId.to::<u64>()
    }

    /// `proxy` registers `machine` for itself as operator.
    pub async fn register_for(&self, proxy: &PrivateKeySigner, machine: Address) -> u64 {
        let p = self.provider_for(proxy.clone());
        let reg = IdentityRegistry::new(self.contracts().identity_registry, &p);
        let bond = reg.minBond().call().await.unwrap();
        let r = reg
            .registerFor(machine)
            .value(bond)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(r.status());
        let e = r
            .inner
            .logs()
            .iter()
            .find_map(|l| IdentityRegistry::Registered::decode_log(&l.inner).ok())
            .unwrap();
        e.machineId.to::<u64>()
    }

    pub async fn mint(&self, key: &PrivateKeySigner, machine_id: u64) -> u64 {
        let p = self.provider_for(key.clone());
        let nft = MachineNFT::new(self.contracts().machine_nft, &p);
        let r = nft
            .mint(U256::from(machine_id), key.address())
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(r.status());
        nft.tokenIdOf(U256::from(machine_id))
            .call()
            .await
            .unwrap()
            .to::<u64>()
    }

    /// `signer` adds attributes to `account`'s DID (a stranger when they differ).
    pub async fn add_attributes(
        &self,
        signer: &PrivateKeySigner,
        account: Address,
        attrs: &[(&str, &str)],
    ) {
        let p = self.provider_for(signer.clone());
        let calls: Vec<Bytes> = attrs
            .iter()
            .map(|(n, v)| {
                DidRegistry::addAttributeCall {
                    did_account: account,
                    name: Bytes::copy_from_slice(n.as_bytes()),
                    value: Bytes::copy_from_slice(v.as_bytes()),
                    validity_for: 0,
                }
                .abi_encode()
                .into()
            })
            .collect();
        let batch = Batch::new(BATCH_PRECOMPILE_ADDRESS, &p);
        let r = batch
            .batchAll(
                vec![DID_PRECOMPILE_ADDRESS; calls.len()],
                vec![],
                calls,
                vec![],
            )
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(r.status());
    }

    /// Submits events `(type, value cents, currency, timestamp, trust, metadata)` through batchAll
    /// (256 per transaction).
    pub async fn submit(&self, key: &PrivateKeySigner, machine_id: u64, events: &[Ev]) -> u64 {
        let p = self.provider_for(key.clone());
        let er = self.contracts().event_registry;
        let mut last = 0;
        for chunk in events.chunks(256) {
            let calls: Vec<Bytes> = chunk
                .iter()
                .map(|e| {
                    EventRegistry::submitEventCall {
                        machineId: U256::from(machine_id),
                        eventType: e.kind,
                        value: U256::from(e.value),
                        currency: e.currency.to_string(),
                        timestamp: U256::from(e.ts),
                        dataHash: Default::default(),
                        trustLevel: e.trust,
                        sourceChainId: U256::ZERO,
                        sourceTxHash: Default::default(),
                        metadata: Bytes::copy_from_slice(e.metadata.as_bytes()),
                    }
                    .abi_encode()
                    .into()
                })
                .collect();
            let batch = Batch::new(BATCH_PRECOMPILE_ADDRESS, &p);
            let r = batch
                .batchAll(vec![er; calls.len()], vec![], calls, vec![])
                .gas(55_000_000)
                .send()
                .await
                .unwrap()
                .get_receipt()
                .await
                .unwrap();
            assert!(r.status(), "batch of events failed");
            last = r.block_number.unwrap();
        }
        last
    }

    pub async fn admin_flag(&self, machine_id: u64, flag: bool) -> u64 {
        let p = self.provider(0);
        let af = AdminFlags::new(self.contracts().admin_flags.unwrap(), &p);
        let id = U256::from(machine_id);
        let r = if flag {
            af.flagMachine(id).send().await
        } else {
            af.clearFlag(id).send().await
        };
        let r = r.unwrap().get_receipt().await.unwrap();
        assert!(r.status());
        r.block_number.unwrap()
    }

    pub async fn admin_override(&self, machine_id: u64, value: Option<u64>) -> u64 {
        let p = self.provider(0);
        let af = AdminFlags::new(self.contracts().admin_flags.unwrap(), &p);
        let id = U256::from(machine_id);
        let r = match value {
            Some(v) => af.setTrustOverride(id, U256::from(v)).send().await,
            None => af.clearTrustOverride(id).send().await,
        };
        let r = r.unwrap().get_receipt().await.unwrap();
        assert!(r.status());
        r.block_number.unwrap()
    }

    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let v: Value = reqwest::Client::new()
            .post(self.url())
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["result"].clone()
    }
}

/// One event to submit.
#[derive(Clone, Debug)]
pub struct Ev {
    pub kind: u8,
    pub value: u64,
    pub currency: &'static str,
    pub ts: u64,
    pub trust: u8,
    pub metadata: String,
}

pub fn revenue(cents: u64, ts: u64, trust: u8) -> Ev {
    Ev {
        kind: 0,
        value: cents,
        currency: "USD",
        ts,
        trust,
        metadata: String::new(),
    }
}

pub fn activity(ts: u64, trust: u8) -> Ev {
    Ev {
        kind: 1,
        value: 0,
        currency: "",
        ts,
        trust,
        metadata: String::new(),
    }
}

/// An MCR service on a free port over `db` (devnet settings).
pub async fn mcr(net: &TestNet, db: &str, tune: impl FnOnce(&mut McrServiceConfig)) -> McrHandle {
    let mut c = McrServiceConfig::devnet(net.url(), net.contracts());
    c.database_url = db.to_owned();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.poll_interval = Duration::from_millis(50);
    c.rate_limit_per_minute = 0;
    tune(&mut c);
    peaqos_mcr::spawn(c).await.expect("mcr starts")
}

/// GET: (status, JSON body).
pub async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database.
pub async fn database(kind: Db, dir: &std::path::Path, name: &str) -> Option<String> {
    match kind {
        Db::Sqlite => Some(dir.join(format!("{name}.sqlite")).display().to_string()),
        Db::Postgres => {
            let Ok(base) = std::env::var("PEAQOS_TEST_POSTGRES_URL") else {
                if std::env::var("PEAQOS_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!("PEAQOS_REQUIRE_POSTGRES=1 but PEAQOS_TEST_POSTGRES_URL is unset");
                }
                println!("skipped: PEAQOS_TEST_POSTGRES_URL is unset");
                return None;
            };
            use sqlx::Connection;
            let db = format!("mcr_{}_{}", name, std::process::id());
            let mut conn = sqlx::PgConnection::connect(&base)
                .await
                .expect("postgres reachable");
            sqlx::Executor::execute(&mut conn, format!("DROP DATABASE IF EXISTS {db}").as_str())
                .await
                .unwrap();
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {db}").as_str())
                .await
                .unwrap();
            let (prefix, _) = base.rsplit_once('/').expect("postgres URL with a database");
            Some(format!("{prefix}/{db}"))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}
