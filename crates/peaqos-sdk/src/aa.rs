//! Machine smart accounts (ERC-4337 v0.6): the factory calls of peaq's SDK
//! ([`PeaqosClient::deploy_smart_account`], [`PeaqosClient::get_smart_account_address`]), a
//! [`BundlerClient`] for the bundler's JSON-RPC methods, and [`SmartAccount`]: UserOperations of
//! one account built ([`UserOperationBuilder`]: nonce from `EntryPoint.getNonce`, gas from the
//! bundler's `eth_estimateUserOperationGas`, `initCode` while the account has no code, fees from
//! the node), signed by its machine or owner key (any alloy [`Signer`]: a raw key, an OWS vault
//! signer, ...), sent and awaited; [`SmartAccount::execute`] does all of it for a list of calls.
//!
//! ```no_run
//! # async fn demo() -> peaqos_sdk::Result<()> {
//! use alloy::primitives::{Bytes, U256};
//! use peaqos_sdk::aa::{BundlerClient, SmartAccount};
//! use peaqos_sdk::{PeaqosClient, TxCall};
//!
//! let client = PeaqosClient::from_env()?; // the machine's key
//! let machine_key = client.config().private_key.clone().unwrap().signer();
//! let owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
//! let account = SmartAccount::new(&client, BundlerClient::from_env_lookup(|k| std::env::var(k).ok())?, owner, client.address(), U256::ZERO, machine_key).await?;
//! let receipt = account
//!     .execute(&[TxCall { to: client.contracts().event_registry, data: Bytes::new(), value: U256::ZERO }])
//!     .await?;
//! println!("{} in {}", receipt.user_op_hash, receipt.receipt.transaction_hash);
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256, Bytes, U256, aliases::U192};
use alloy::providers::Provider;
use alloy::rpc::client::RpcClient;
use alloy::signers::Signer;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use peaqos_contracts::{EntryPointV06, MachineAccountFactory, MachineSmartAccount};
use peaqos_types::ErrorCode;

pub use peaqos_aa::{
    GasEstimate, UserOperation, UserOperationByHash, UserOperationReceipt, user_op_hash,
};

use crate::client::{PeaqosClient, Receipt, TxCall};
use crate::config::IntoAddress;
use crate::error::{PeaqosError, Result};

/// Environment variable with the bundler's JSON-RPC URL.
pub const PEAQOS_BUNDLER_URL: &str = "PEAQOS_BUNDLER_URL";
/// The bundler URL when [`PEAQOS_BUNDLER_URL`] is unset (`peaqos bundler`'s default).
pub const DEFAULT_BUNDLER_URL: &str = "http://127.0.0.1:4337";
/// Most calls one `executeBatch` takes (`BatchTooLarge()` above).
pub const MAX_BATCH_CALLS: usize = 64;

fn validation(field: &str, constraint: &str, message: impl Into<String>) -> PeaqosError {
    PeaqosError::Validation(peaqos_types::ValidationError::new(
        field, constraint, message,
    ))
}

fn rpc_error(code: Option<ErrorCode>, message: impl Into<String>) -> PeaqosError {
    PeaqosError::Rpc {
        code,
        rpc_code: None,
        message: message.into(),
        tx_hash: None,
        revert_data: None,
    }
}

/// A node / bundler JSON-RPC failure: the answer's code and message as they came, transport
/// failures as `NETWORK_ERROR`.
fn from_rpc(what: &str, e: alloy::transports::TransportError) -> PeaqosError {
    use alloy::transports::RpcError;
    match e {
        RpcError::ErrorResp(payload) => PeaqosError::Rpc {
            code: None,
            rpc_code: Some(payload.code),
            message: payload.message.to_string(),
            tx_hash: None,
            revert_data: payload.as_revert_data(),
        },
        RpcError::Transport(t) => rpc_error(
            Some(ErrorCode::NetworkError),
            format!("{what}: transport error: {t}"),
        ),
        other => rpc_error(None, format!("{what}: {other}")),
    }
}

fn require_factory(client: &PeaqosClient) -> Result<Address> {
    client.contracts().machine_account_factory.ok_or_else(|| {
        validation(
            "machine_account_factory",
            "required for smart-account operations",
            "PeaqosClient must be constructed with machine_account_factory (or MACHINE_ACCOUNT_FACTORY_ADDRESS env var) to deploy smart accounts",
        )
    })
}

fn owner_machine(owner: impl IntoAddress, machine: impl IntoAddress) -> Result<(Address, Address)> {
    let owner = owner
        .into_address("owner", "owner")
        .map_err(PeaqosError::from)?;
    let machine = machine
        .into_address("machine", "machine")
        .map_err(PeaqosError::from)?;
    Ok((owner, machine))
}

async fn view<C: SolCall>(client: &PeaqosClient, to: Address, call: &C) -> Result<C::Return> {
    let out = client
        .simulate(to, call.abi_encode().into(), U256::ZERO)
        .await?;
    C::abi_decode_returns(&out).map_err(|e| {
        rpc_error(
            None,
            format!(
                "could not decode the return value of {} at {to}: {e}",
                C::SIGNATURE
            ),
        )
    })
}

/// The account address of the `AccountCreated` log of `factory` in `receipt` (peaq's
/// `ACCOUNT_CREATED_EVENT_MISSING` when there is none: `createAccount` emits nothing for an
/// account that exists already).
pub fn account_from_receipt(receipt: &Receipt, factory: Address) -> Result<Address> {
    let log = receipt
        .inner
        .logs()
        .iter()
        .find(|l| {
            l.address() == factory
                && l.topics().first()
                    == Some(&MachineAccountFactory::AccountCreated::SIGNATURE_HASH)
        })
        .ok_or_else(|| PeaqosError::Rpc {
            code: Some(ErrorCode::AccountCreatedEventMissing),
            rpc_code: None,
            message: "No AccountCreated event found in transaction receipt".into(),
            tx_hash: Some(receipt.transaction_hash),
            revert_data: None,
        })?;
    MachineAccountFactory::AccountCreated::decode_log(&log.inner)
        .map(|ev| ev.account)
        .map_err(|_| PeaqosError::Rpc {
            code: Some(ErrorCode::AccountCreatedEventMalformed),
            rpc_code: None,
            message: "AccountCreated event has a malformed account address".into(),
            tx_hash: Some(receipt.transaction_hash),
            revert_data: None,
        })
}

impl PeaqosClient {
    /// The CREATE2 address of the smart account of `(owner, machine, salt)` without deploying it
    /// (`MachineAccountFactory.getAddress`, a view call): the address
    /// [`PeaqosClient::deploy_smart_account`] deploys to.
    ///
    /// Errors: `ValidationError` for a malformed address or a client without
    /// `machine_account_factory`; `INVALID_ADDRESS_RESULT` when the factory answers something
    /// else than an address; RPC failures.
    pub async fn get_smart_account_address(
        &self,
        owner: impl IntoAddress,
        machine: impl IntoAddress,
        salt: U256,
    ) -> Result<Address> {
        let factory = require_factory(self)?;
        let (owner, machine) = owner_machine(owner, machine)?;
        let call = MachineAccountFactory::getAddressCall {
            owner,
            machine,
            salt,
        };
        let out = self
            .simulate(factory, call.abi_encode().into(), U256::ZERO)
            .await?;
        MachineAccountFactory::getAddressCall::abi_decode_returns_validate(&out).map_err(|_| {
            rpc_error(
                Some(ErrorCode::InvalidAddressResult),
                "MachineAccountFactory.getAddress returned an invalid address",
            )
        })
    }

    /// Deploys the smart account of `(owner, machine, salt)` (`createAccount`, the client pays the
    /// gas) and returns its address from the `AccountCreated` log. As in peaq's SDK, an account
    /// that exists already gives `ACCOUNT_CREATED_EVENT_MISSING` (the factory only returns its
    /// address then); check with [`PeaqosClient::get_smart_account_address`] and `eth_getCode`
    /// first, or let the first UserOperation deploy it (its `initCode`).
    ///
    /// Errors: as [`PeaqosClient::get_smart_account_address`], plus `ACCOUNT_CREATED_EVENT_MISSING`
    /// / `ACCOUNT_CREATED_EVENT_MALFORMED`, reverts (`InvalidAddress` for a zero owner or machine)
    /// and transaction failures.
    pub async fn deploy_smart_account(
        &self,
        owner: impl IntoAddress,
        machine: impl IntoAddress,
        salt: U256,
    ) -> Result<Address> {
        let factory = require_factory(self)?;
        let (owner, machine) = owner_machine(owner, machine)?;
        let call = MachineAccountFactory::createAccountCall {
            owner,
            machine,
            salt,
        };
        let receipt = self
            .send_transaction(factory, call.abi_encode().into(), U256::ZERO)
            .await?;
        account_from_receipt(&receipt, factory)
    }
}

/// A client of a bundler's ERC-4337 JSON-RPC methods, for one EntryPoint.
#[derive(Clone)]
pub struct BundlerClient {
    url: String,
    rpc: RpcClient,
    entry_point: Address,
    poll_interval: Duration,
}

impl std::fmt::Debug for BundlerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundlerClient")
            .field("url", &self.url)
            .field("entry_point", &self.entry_point)
            .finish()
    }
}

impl BundlerClient {
    /// A client of the bundler at `url`, for EntryPoint v0.6 at its canonical address.
    pub fn new(url: &str) -> Result<Self> {
        let parsed: reqwest::Url = url.trim().parse().map_err(|_| {
            validation(
                "bundler_url",
                "http_url",
                "bundler_url must be a valid http(s) URL",
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(validation(
                "bundler_url",
                "http_url",
                "bundler_url must be a valid http(s) URL",
            ));
        }
        Ok(Self {
            url: url.trim().to_string(),
            rpc: RpcClient::new_http(parsed),
            entry_point: peaqos_types::constants::ENTRY_POINT_V06,
            poll_interval: Duration::from_millis(250),
        })
    }

    /// The bundler of `PEAQOS_BUNDLER_URL` in an environment lookup (the binary passes
    /// `|k| std::env::var(k).ok()`), else [`DEFAULT_BUNDLER_URL`].
    pub fn from_env_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let url = lookup(PEAQOS_BUNDLER_URL)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_BUNDLER_URL.to_string());
        Self::new(&url)
    }

    /// This client for another EntryPoint.
    pub fn with_entry_point(mut self, entry_point: Address) -> Self {
        self.entry_point = entry_point;
        self
    }

    /// The interval between receipt polls of [`BundlerClient::wait_for_user_operation_receipt`]
    /// (250 ms by default; the first poll is immediate).
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The bundler URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The EntryPoint the operations are sent for.
    pub fn entry_point(&self) -> Address {
        self.entry_point
    }

    async fn request<R: serde::de::DeserializeOwned>(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> Result<R> {
        let v: serde_json::Value = self
            .rpc
            .request(method, params)
            .await
            .map_err(|e| from_rpc(method, e))?;
        serde_json::from_value(v).map_err(|e| {
            rpc_error(
                Some(ErrorCode::BadResponse),
                format!("{method}: unexpected answer from the bundler: {e}"),
            )
        })
    }

    /// `eth_chainId` of the bundler (its node's).
    pub async fn chain_id(&self) -> Result<u64> {
        let id: alloy::primitives::U64 = self.request("eth_chainId", serde_json::json!([])).await?;
        Ok(id.to::<u64>())
    }

    /// `eth_supportedEntryPoints`.
    pub async fn supported_entry_points(&self) -> Result<Vec<Address>> {
        self.request("eth_supportedEntryPoints", serde_json::json!([]))
            .await
    }

    /// `eth_estimateUserOperationGas`: the signature should be a well-formed dummy.
    pub async fn estimate_user_operation_gas(&self, op: &UserOperation) -> Result<GasEstimate> {
        self.request(
            "eth_estimateUserOperationGas",
            serde_json::json!([op, self.entry_point]),
        )
        .await
    }

    /// `eth_sendUserOperation`: the operation's hash once the bundler accepted it. Refusals carry
    /// the bundler's code in `rpc_code` (-32500 with the `AAxx` reason, -32507 for a signature
    /// that is neither the owner's nor the machine's, -32602 for bad fields, ...).
    pub async fn send_user_operation(&self, op: &UserOperation) -> Result<B256> {
        self.request(
            "eth_sendUserOperation",
            serde_json::json!([op, self.entry_point]),
        )
        .await
    }

    /// `eth_getUserOperationReceipt`: `None` until included.
    pub async fn get_user_operation_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationReceipt>> {
        self.request("eth_getUserOperationReceipt", serde_json::json!([hash]))
            .await
    }

    /// `eth_getUserOperationByHash`: `None` until included.
    pub async fn get_user_operation_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationByHash>> {
        self.request("eth_getUserOperationByHash", serde_json::json!([hash]))
            .await
    }

    /// Polls [`BundlerClient::get_user_operation_receipt`] until it arrives;
    /// `RECEIPT_AWAIT_FAILED` after `timeout`.
    pub async fn wait_for_user_operation_receipt(
        &self,
        hash: B256,
        timeout: Duration,
    ) -> Result<UserOperationReceipt> {
        let poll = async {
            loop {
                if let Some(r) = self.get_user_operation_receipt(hash).await? {
                    return Ok(r);
                }
                tokio::time::sleep(self.poll_interval).await;
            }
        };
        match tokio::time::timeout(timeout, poll).await {
            Ok(r) => r,
            Err(_) => Err(rpc_error(
                Some(ErrorCode::ReceiptAwaitFailed),
                format!(
                    "UserOperation {hash} was accepted but no receipt arrived within {timeout:?}; query eth_getUserOperationReceipt before resending"
                ),
            )),
        }
    }
}

/// A well-formed signature by nobody in particular, for estimates (a real account's
/// `validateUserOp` recovers some address from it and reports a failed check instead of
/// reverting).
fn dummy_signature() -> Bytes {
    let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).expect("a valid scalar");
    use alloy::signers::SignerSync;
    let sig = key
        .sign_message_sync(b"peaqos dummy UserOperation signature")
        .expect("local signing");
    Bytes::copy_from_slice(&sig.as_bytes())
}

/// The smart account of `(owner, machine, salt)` of the client's factory, operated through a
/// bundler by one of its two keys.
#[derive(Clone)]
pub struct SmartAccount {
    client: PeaqosClient,
    bundler: BundlerClient,
    address: Address,
    owner: Address,
    machine: Address,
    init_code: Bytes,
    signer: Arc<dyn Signer + Send + Sync>,
    receipt_timeout: Duration,
}

impl std::fmt::Debug for SmartAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmartAccount")
            .field("address", &self.address)
            .field("owner", &self.owner)
            .field("machine", &self.machine)
            .field("signer", &self.signer.address())
            .field("bundler", &self.bundler)
            .finish()
    }
}

impl SmartAccount {
    /// The account of `(owner, machine, salt)` (its address from the factory's `getAddress`, its
    /// `initCode` from `getInitCode`), signing with `signer`, which should be the owner's or the
    /// machine's key: the bundler refuses other signatures (-32507). `client` is used for reads
    /// only (its own key pays nothing).
    pub async fn new(
        client: &PeaqosClient,
        bundler: BundlerClient,
        owner: impl IntoAddress,
        machine: impl IntoAddress,
        salt: U256,
        signer: impl Signer + Send + Sync + 'static,
    ) -> Result<Self> {
        let factory = require_factory(client)?;
        let (owner, machine) = owner_machine(owner, machine)?;

        let address = client
            .get_smart_account_address(owner, machine, salt)
            .await?;
        let init_code = view(
            client,
            factory,
            &MachineAccountFactory::getInitCodeCall {
                owner,
                machine,
                salt,
            },
        )
        .await?;
        Ok(Self {
            client: client.clone(),
            bundler,
            address,
            owner,
            machine,
            init_code,
            signer: Arc::new(signer),
            receipt_timeout: client.config().tx.receipt_timeout,
        })
    }

    /// A deployed account at `address` (any factory): its owner and machine read from it, no
    /// `initCode`. Errors with `ValidationError` (field `account`) when it has no code.
    pub async fn at(
        client: &PeaqosClient,
        bundler: BundlerClient,
        address: Address,
        signer: impl Signer + Send + Sync + 'static,
    ) -> Result<Self> {
        let code = client
            .provider()
            .get_code_at(address)
            .await
            .map_err(|e| from_rpc("eth_getCode", e))?;
        if code.is_empty() {
            return Err(validation(
                "account",
                "deployed",
                format!("no smart account is deployed at {address}"),
            ));
        }
        let (owner, machine) = tokio::try_join!(
            view(client, address, &MachineSmartAccount::ownerCall {}),
            view(client, address, &MachineSmartAccount::machineCall {}),
        )?;
        Ok(Self {
            client: client.clone(),
            bundler,
            address,
            owner,
            machine,
            init_code: Bytes::new(),
            signer: Arc::new(signer),
            receipt_timeout: client.config().tx.receipt_timeout,
        })
    }

    /// This account signing with another key (e.g. the new machine key after `setMachine`).
    pub fn with_signer(mut self, signer: impl Signer + Send + Sync + 'static) -> Self {
        self.signer = Arc::new(signer);
        self
    }

    /// How long [`SmartAccount::execute`] waits for the receipt (the client's receipt timeout by
    /// default).
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// The account's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The owner it was created with.
    pub fn owner(&self) -> Address {
        self.owner
    }

    /// The machine key it was created with (see [`SmartAccount::current_machine`] after a
    /// rotation).
    pub fn machine(&self) -> Address {
        self.machine
    }

    /// The signing key's address.
    pub fn signer_address(&self) -> Address {
        self.signer.address()
    }

    /// The bundler client.
    pub fn bundler(&self) -> &BundlerClient {
        &self.bundler
    }

    /// The `initCode` that deploys it.
    pub fn init_code(&self) -> &Bytes {
        &self.init_code
    }

    /// Whether the account has code.
    pub async fn is_deployed(&self) -> Result<bool> {
        let code = self
            .client
            .provider()
            .get_code_at(self.address)
            .await
            .map_err(|e| from_rpc("eth_getCode", e))?;
        Ok(!code.is_empty())
    }

    /// `EntryPoint.getNonce(account, key)`.
    pub async fn nonce(&self, key: U256) -> Result<U256> {
        if key.bit_len() > 192 {
            return Err(validation(
                "nonce_key",
                "uint192",
                "nonce_key must fit in 192 bits",
            ));
        }
        let key = U192::from_limbs_slice(&key.as_limbs()[..3]);
        view(
            &self.client,
            self.bundler.entry_point,
            &EntryPointV06::getNonceCall {
                sender: self.address,
                key,
            },
        )
        .await
    }

    /// The account's EntryPoint deposit (`balanceOf`), in wei.
    pub async fn deposit(&self) -> Result<U256> {
        view(
            &self.client,
            self.bundler.entry_point,
            &EntryPointV06::balanceOfCall {
                account: self.address,
            },
        )
        .await
    }

    /// The account's current machine key (`machine()`; the one it was created with until the
    /// owner rotates it).
    pub async fn current_machine(&self) -> Result<Address> {
        view(
            &self.client,
            self.address,
            &MachineSmartAccount::machineCall {},
        )
        .await
    }

    /// The account's current owner (`owner()`).
    pub async fn current_owner(&self) -> Result<Address> {
        view(
            &self.client,
            self.address,
            &MachineSmartAccount::ownerCall {},
        )
        .await
    }

    /// A builder of an operation of this account.
    pub fn user_operation(&self) -> UserOperationBuilder<'_> {
        UserOperationBuilder {
            account: self,
            call_data: Bytes::new(),
            nonce_key: U256::ZERO,
            nonce: None,
            fees: None,
            gas: None,
        }
    }

    /// `op` with its signature: the signer's EIP-191 signature (`personal_sign`) of the
    /// userOpHash for the bundler's EntryPoint and the node's chain.
    pub async fn sign(&self, mut op: UserOperation) -> Result<UserOperation> {
        let chain_id = self.client.chain_id().await?;
        let hash = user_op_hash(&op, self.bundler.entry_point, chain_id);
        let sig = self
            .signer
            .sign_message(hash.as_slice())
            .await
            .map_err(|e| rpc_error(None, format!("signing the UserOperation failed: {e}")))?;
        op.signature = Bytes::copy_from_slice(&sig.as_bytes());
        Ok(op)
    }

    /// `eth_sendUserOperation` of a signed operation.
    pub async fn send_user_operation(&self, op: &UserOperation) -> Result<B256> {
        self.bundler.send_user_operation(op).await
    }

    /// Waits for the receipt of `hash` (the account's receipt timeout).
    pub async fn wait_for_user_operation_receipt(
        &self,
        hash: B256,
    ) -> Result<UserOperationReceipt> {
        self.bundler
            .wait_for_user_operation_receipt(hash, self.receipt_timeout)
            .await
    }

    /// Runs `calls` from the account in one UserOperation (`execute` for one call,
    /// `executeBatch` for several, at most [`MAX_BATCH_CALLS`]): builds, estimates, signs, sends,
    /// waits. A mined operation whose execution reverted is `TX_REVERTED` with its revert data
    /// (see [`PeaqosError::revert_name`]) and the bundle's transaction hash.
    pub async fn execute(&self, calls: &[TxCall]) -> Result<UserOperationReceipt> {
        let op = self.user_operation().calls(calls)?.build_signed().await?;
        let hash = self.send_user_operation(&op).await?;
        let receipt = self.wait_for_user_operation_receipt(hash).await?;
        if !receipt.success {
            let data = receipt.reason.clone().unwrap_or_default();
            return Err(PeaqosError::Rpc {
                code: Some(ErrorCode::TxReverted),
                rpc_code: None,
                message: format!(
                    "UserOperation {hash} was included but its execution reverted: {}",
                    peaqos_aa::describe_revert(&data)
                ),
                tx_hash: Some(receipt.receipt.transaction_hash),
                revert_data: Some(data),
            });
        }
        Ok(receipt)
    }
}

/// The call data of `calls` from the account: `execute(to, value, data)` for one call,
/// `executeBatch(targets, values, datas)` for several (values empty when all are zero).
pub fn encode_calls(calls: &[TxCall]) -> Result<Bytes> {
    match calls {
        [] => Err(validation("calls", "non_empty", "calls must not be empty")),
        [c] => Ok(MachineSmartAccount::executeCall {
            target: c.to,
            value: c.value,
            data: c.data.clone(),
        }
        .abi_encode()
        .into()),
        many if many.len() > MAX_BATCH_CALLS => Err(validation(
            "calls",
            "max_batch",
            format!("at most {MAX_BATCH_CALLS} calls per UserOperation"),
        )),
        many => {
            let values: Vec<U256> = if many.iter().all(|c| c.value.is_zero()) {
                Vec::new()
            } else {
                many.iter().map(|c| c.value).collect()
            };
            Ok(MachineSmartAccount::executeBatchCall {
                targets: many.iter().map(|c| c.to).collect(),
                values,
                datas: many.iter().map(|c| c.data.clone()).collect(),
            }
            .abi_encode()
            .into())
        }
    }
}

/// Builds one UserOperation of a [`SmartAccount`].
#[derive(Debug)]
pub struct UserOperationBuilder<'a> {
    account: &'a SmartAccount,
    call_data: Bytes,
    nonce_key: U256,
    nonce: Option<U256>,
    fees: Option<(U256, U256)>,
    gas: Option<GasEstimate>,
}

impl UserOperationBuilder<'_> {
    /// The calls to run ([`encode_calls`]).
    pub fn calls(mut self, calls: &[TxCall]) -> Result<Self> {
        self.call_data = encode_calls(calls)?;
        Ok(self)
    }

    /// Raw call data for the account.
    pub fn call_data(mut self, data: Bytes) -> Self {
        self.call_data = data;
        self
    }

    /// The nonce key (192 bits; 0 by default): operations of different keys are independent, so
    /// several may wait in the mempool at once.
    pub fn nonce_key(mut self, key: U256) -> Self {
        self.nonce_key = key;
        self
    }

    /// A fixed nonce instead of `EntryPoint.getNonce`.
    pub fn nonce(mut self, nonce: U256) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Fixed `(maxFeePerGas, maxPriorityFeePerGas)` instead of the client's fee policy.
    pub fn fees(mut self, max_fee_per_gas: U256, max_priority_fee_per_gas: U256) -> Self {
        self.fees = Some((max_fee_per_gas, max_priority_fee_per_gas));
        self
    }

    /// Fixed gas limits instead of the bundler's estimate.
    pub fn gas(mut self, gas: GasEstimate) -> Self {
        self.gas = Some(gas);
        self
    }

    /// The operation with nonce, `initCode` (while the account has no code), fees and gas filled
    /// in, not signed (its signature is a well-formed dummy).
    pub async fn build(self) -> Result<UserOperation> {
        let a = self.account;
        let nonce = async {
            match self.nonce {
                Some(n) => Ok(n),
                None => a.nonce(self.nonce_key).await,
            }
        };
        let fees = async {
            match self.fees {
                Some(f) => Ok(f),
                None => a
                    .client
                    .fees()
                    .await
                    .map(|(max, tip)| (U256::from(max), U256::from(tip))),
            }
        };
        let (nonce, (max_fee, tip), deployed) = tokio::try_join!(nonce, fees, a.is_deployed())?;
        let mut op = UserOperation {
            sender: a.address,
            nonce,
            init_code: if deployed {
                Bytes::new()
            } else {
                a.init_code.clone()
            },
            call_data: self.call_data,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            signature: dummy_signature(),
            ..Default::default()
        };
        let gas = match self.gas {
            Some(g) => g,
            None => a.bundler.estimate_user_operation_gas(&op).await?,
        };
        op.call_gas_limit = gas.call_gas_limit;
        op.verification_gas_limit = gas.verification_gas_limit;
        op.pre_verification_gas = gas.pre_verification_gas;
        Ok(op)
    }

    /// [`UserOperationBuilder::build`], then [`SmartAccount::sign`].
    pub async fn build_signed(self) -> Result<UserOperation> {
        let a = self.account;
        let op = self.build().await?;
        a.sign(op).await
    }
}

/// The prefund an operation of `gas` at `max_fee_per_gas` needs, which the account's balance or
/// EntryPoint deposit must cover: `(callGasLimit + verificationGasLimit + preVerificationGas) x
/// maxFeePerGas`.
pub fn required_prefund(gas: &GasEstimate, max_fee_per_gas: U256) -> U256 {
    gas.call_gas_limit
        .saturating_add(gas.verification_gas_limit)
        .saturating_add(gas.pre_verification_gas)
        .saturating_mul(max_fee_per_gas)
}

/// `EntryPoint.depositTo(account)` with `amount` from the client's key (an EntryPoint deposit pays
/// for the account's operations before its own balance does).
pub async fn deposit_to(client: &PeaqosClient, account: Address, amount: U256) -> Result<Receipt> {
    let call = EntryPointV06::depositToCall { account };
    client
        .send_transaction(
            peaqos_types::constants::ENTRY_POINT_V06,
            call.abi_encode().into(),
            amount,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: u8, value: u64) -> TxCall {
        TxCall {
            to: Address::repeat_byte(n),
            data: Bytes::from(vec![n]),
            value: U256::from(value),
        }
    }

    #[test]
    fn one_call_is_execute_several_are_execute_batch() {
        let one = encode_calls(&[call(1, 5)]).unwrap();
        let d = MachineSmartAccount::executeCall::abi_decode(&one).unwrap();
        assert_eq!(
            (d.target, d.value),
            (Address::repeat_byte(1), U256::from(5))
        );
        let two = encode_calls(&[call(1, 0), call(2, 0)]).unwrap();
        let d = MachineSmartAccount::executeBatchCall::abi_decode(&two).unwrap();
        assert_eq!(d.targets.len(), 2);
        assert!(
            d.values.is_empty(),
            "zero values are sent as an empty array"
        );
        let valued = encode_calls(&[call(1, 0), call(2, 3)]).unwrap();
        let d = MachineSmartAccount::executeBatchCall::abi_decode(&valued).unwrap();
        assert_eq!(d.values, vec![U256::ZERO, U256::from(3)]);
        assert!(encode_calls(&[]).is_err());
        let many: Vec<TxCall> = (0..65).map(|i| call(i as u8, 0)).collect();
        let e = encode_calls(&many).unwrap_err();
        assert!(e.to_string().contains("64"), "{e}");
    }

    #[test]
    fn dummy_signature_is_65_bytes_and_stable() {
        assert_eq!(dummy_signature().len(), 65);
        assert_eq!(dummy_signature(), dummy_signature());
    }

    #[test]
    fn bundler_url_from_the_lookup_else_the_default() {
        let b = BundlerClient::from_env_lookup(|k| {
            (k == PEAQOS_BUNDLER_URL).then(|| " http://127.0.0.1:9 ".to_string())
        })
        .unwrap();
        assert_eq!(b.url(), "http://127.0.0.1:9");
        let d = BundlerClient::from_env_lookup(|_| Some(String::new())).unwrap();
        assert_eq!(d.url(), DEFAULT_BUNDLER_URL);
        assert_eq!(d.entry_point(), peaqos_types::constants::ENTRY_POINT_V06);
    }

    #[test]
    fn bundler_url_must_be_http() {
        assert!(BundlerClient::new("http://127.0.0.1:4337").is_ok());
        let e = BundlerClient::new("ftp://x").unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::ValidationError));
        assert!(BundlerClient::new("not a url").is_err());
    }

    #[test]
    fn prefund() {
        let g = GasEstimate {
            pre_verification_gas: U256::from(1),
            verification_gas_limit: U256::from(2),
            call_gas_limit: U256::from(3),
        };
        assert_eq!(required_prefund(&g, U256::from(10)), U256::from(60));
    }
}
