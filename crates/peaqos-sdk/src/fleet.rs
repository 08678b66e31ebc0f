//! Fleet activation: many machines at once by one proxy operator
//! ([`PeaqosClient::activate_fleet`]).
//!
//! Every machine runs the activation steps concurrently with the others, through the SDK's one
//! transaction pipeline: the operator's `registerFor` (bond), its funding transfer (gas and DID
//! deposits for the machine), the Machine NFT mint to the machine, then the machine's six DID
//! attributes in one `batchAll` signed by the machine's own key (a DID is trusted only when its
//! own account wrote it). The operator's transactions take consecutive nonces from its nonce
//! manager without waiting for each other's receipts (pipelined), so on a chain with a block
//! time the transactions of many machines share a block. Finally the operator's proxy list
//! (`machineId`, `machines`) is brought up to date in one `batchAll`.
//!
//! Each step reads chain state first (`machineIdOfOwner`, the machine's balance, `tokenIdOf`,
//! its DID attributes), so a re-run finishes a half-done fleet and sends nothing for machines
//! that are complete. A failing machine does not stop the others: its outcome carries the
//! step and the error, and a re-run retries it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::sol_types::SolCall;
use peaqos_contracts::{IdentityRegistry, MachineNFT};
use peaqos_types::constants::{DID_ATTR_MACHINES, DID_MAX_VALUE_BYTES};
use peaqos_types::{DataVisibility, ErrorCode};
use tokio::sync::Semaphore;

use crate::client::{PeaqosClient, TxObserver};
use crate::config::PrivateKey;
use crate::did::{DidChange, WriteMachineDidParams, WriteProxyDidParams, machine_attributes};
use crate::error::{PeaqosError, Result};
use crate::identity::{machine_id_from_receipt, minted_token_id};

/// Gas headroom the operator gives each machine for its DID write (0.1 PEAQ).
pub const FLEET_GAS_RESERVE_WEI: u128 = 100_000_000_000_000_000;
/// The DID precompile's deposit per added attribute (0.1 PEAQ), reserved from the machine.
pub const DID_DEPOSIT_WEI: u128 = 100_000_000_000_000_000;

/// One machine of a fleet.
#[derive(Debug, Clone)]
pub struct FleetMachine {
    /// The machine's own key: it signs the machine's DID write (its address is the machine).
    pub key: PrivateKey,
    /// `documentation_url` DID attribute.
    pub documentation_url: String,
    /// `data_api` DID attribute.
    pub data_api: String,
    /// `data_visibility` DID attribute.
    pub data_visibility: DataVisibility,
}

impl FleetMachine {
    /// The machine's address.
    pub fn address(&self) -> Address {
        self.key.address()
    }
}

/// How [`PeaqosClient::activate_fleet`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetOptions {
    /// Most machines in progress at once (at least 1).
    pub concurrency: usize,
    /// Write the operator's proxy list (`machineId`, `machines`) at the end.
    pub write_proxy_list: bool,
    /// How long each fleet transaction may wait for its receipt (at least the client's
    /// `tx.receipt_timeout`): a large fleet fills several blocks ahead of its later
    /// transactions.
    pub receipt_timeout: Duration,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self {
            concurrency: 256,
            write_proxy_list: true,
            receipt_timeout: Duration::from_secs(600),
        }
    }
}

/// The activation step a machine was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FleetStep {
    /// Reading its chain state.
    Check,
    /// `registerFor` by the operator.
    Register,
    /// The operator's transfer for the machine's DID gas and deposits.
    Fund,
    /// The Machine NFT mint.
    Mint,
    /// The machine's DID attributes (signed by the machine).
    Did,
}

impl FleetStep {
    /// Its name (`register`, `mint`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FleetStep::Check => "check",
            FleetStep::Register => "register",
            FleetStep::Fund => "fund",
            FleetStep::Mint => "mint",
            FleetStep::Did => "did",
        }
    }
}

/// A machine that is fully activated (registered, minted, DID written).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivatedMachine {
    /// Machine id.
    pub machine_id: u64,
    /// Machine NFT token id.
    pub token_id: u64,
    /// The `registerFor` transaction, when this run sent it.
    pub register_tx: Option<B256>,
    /// The funding transfer, when this run sent it.
    pub fund_tx: Option<B256>,
    /// The mint transaction, when this run sent it.
    pub mint_tx: Option<B256>,
    /// The DID `batchAll`, when this run sent it.
    pub did_tx: Option<B256>,
}

impl ActivatedMachine {
    /// Whether this run sent nothing for the machine (it was complete already).
    pub fn was_complete(&self) -> bool {
        self.register_tx.is_none()
            && self.fund_tx.is_none()
            && self.mint_tx.is_none()
            && self.did_tx.is_none()
    }
}

/// Why one machine of a fleet is not activated: the step and the SDK error (its code, message
/// and transaction hash when one was sent). Re-running the fleet retries it.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetFailure {
    /// The step that failed.
    pub step: FleetStep,
    /// The error.
    pub error: PeaqosError,
    /// The machine id when it was registered before the failure.
    pub machine_id: Option<u64>,
}

impl std::fmt::Display for FleetFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.error.code_str() {
            Some(code) => write!(f, "{}: [{code}] {}", self.step.as_str(), self.error),
            None => write!(f, "{}: {}", self.step.as_str(), self.error),
        }
    }
}

/// The outcome of one machine, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetMachineOutcome {
    /// Its position in the input.
    pub index: usize,
    /// The machine's address.
    pub address: Address,
    /// Activated, or why not.
    pub result: std::result::Result<ActivatedMachine, FleetFailure>,
}

/// What happened to the operator's proxy list.
#[derive(Debug, Clone, PartialEq)]
pub enum ProxyListOutcome {
    /// Not asked for ([`FleetOptions::write_proxy_list`] off) or no machine is activated.
    Skipped,
    /// It already listed every activated machine.
    Unchanged {
        /// The machine ids listed.
        machines: usize,
    },
    /// Written in one `batchAll`.
    Written {
        /// The transaction.
        tx_hash: B256,
        /// The machine ids listed now.
        machines: usize,
    },
    /// The list does not fit one DID attribute (its JSON is over 2,560 bytes): not written.
    TooLarge {
        /// The machine ids it would list.
        machines: usize,
        /// Its JSON length in bytes.
        bytes: usize,
    },
    /// Writing it failed.
    Failed(PeaqosError),
}

/// The result of [`PeaqosClient::activate_fleet`].
#[derive(Debug, Clone, PartialEq)]
pub struct FleetReport {
    /// One outcome per machine, in input order.
    pub machines: Vec<FleetMachineOutcome>,
    /// The proxy list.
    pub proxy_list: ProxyListOutcome,
    /// The operator's own machine id.
    pub operator_machine_id: u64,
}

impl FleetReport {
    /// Machines activated (including those that were complete already).
    pub fn activated(&self) -> usize {
        self.machines.iter().filter(|m| m.result.is_ok()).count()
    }

    /// Machines that failed.
    pub fn failed(&self) -> impl Iterator<Item = (&FleetMachineOutcome, &FleetFailure)> {
        self.machines
            .iter()
            .filter_map(|m| m.result.as_ref().err().map(|f| (m, f)))
    }
}

/// Hooks of [`PeaqosClient::activate_fleet`]: journalling and progress.
pub trait FleetObserver: Send + Sync {
    /// The transaction observer for the transactions of `machine` (the operator's for it and
    /// the machine's own), and for the proxy list with the operator's address. `None`: not
    /// observed.
    fn transactions(&self, machine: Address) -> Option<Arc<dyn TxObserver>> {
        let _ = machine;
        None
    }
    /// A machine reached `step` (its transaction is about to be sent).
    fn step(&self, machine: Address, step: FleetStep) {
        let _ = (machine, step);
    }
    /// A machine is done (activated or failed).
    fn finished(&self, outcome: &FleetMachineOutcome) {
        let _ = outcome;
    }
}

/// What a machine needs to hold for its DID write: gas headroom plus one deposit per added
/// attribute.
fn did_need(changes: &[DidChange]) -> U256 {
    let adds = changes
        .iter()
        .filter(|c| matches!(c, DidChange::Add { .. }))
        .count();
    U256::from(FLEET_GAS_RESERVE_WEI) + U256::from(DID_DEPOSIT_WEI) * U256::from(adds)
}

/// The ids of a `machines` attribute value (a JSON array of positive integers); anything else
/// counts as empty.
fn parse_machine_list(value: &str) -> Vec<u64> {
    serde_json::from_str::<Vec<u64>>(value)
        .map(|v| v.into_iter().filter(|id| *id != 0).collect())
        .unwrap_or_default()
}

struct Ctx {
    operator: PeaqosClient,
    operator_did: String,
    bond: U256,
    receipt_timeout: Duration,
    observer: Option<Arc<dyn FleetObserver>>,
}

impl Ctx {
    fn observed(&self, client: &PeaqosClient, machine: Address) -> PeaqosClient {
        match self.observer.as_ref().and_then(|o| o.transactions(machine)) {
            Some(tx) => client.with_tx_observer(tx),
            None => client.clone(),
        }
    }

    fn step(&self, machine: Address, step: FleetStep) {
        if let Some(o) = &self.observer {
            o.step(machine, step);
        }
    }

    async fn activate_one(
        &self,
        m: &FleetMachine,
    ) -> std::result::Result<ActivatedMachine, FleetFailure> {
        let machine = m.address();
        let fail = |step: FleetStep, machine_id: Option<u64>| {
            move |error: PeaqosError| FleetFailure {
                step,
                error,
                machine_id,
            }
        };
        let op = self.observed(&self.operator, machine);
        let mut cfg = self.operator.config().clone();
        cfg.private_key = Some(m.key.clone());
        cfg.tx.receipt_timeout = self.receipt_timeout;
        let mc = PeaqosClient::new(cfg).map_err(fail(FleetStep::Check, None))?;
        let mc = self.observed(&mc, machine);
        let registry = op.contracts().identity_registry;
        let nft = op.contracts().machine_nft;
        let mut out = ActivatedMachine {
            machine_id: 0,
            token_id: 0,
            register_tx: None,
            fund_tx: None,
            mint_tx: None,
            did_tx: None,
        };

        // Registration (the operator pays the bond) and the machine's funding are independent:
        // both go out at once.
        let mut machine_id = op
            .machine_id_of_owner(machine)
            .await
            .map_err(fail(FleetStep::Check, None))?;
        let register = async {
            if machine_id != 0 {
                return Ok((machine_id, None));
            }
            self.step(machine, FleetStep::Register);
            let data = IdentityRegistry::registerForCall { machine }.abi_encode();
            match op
                .send_tx_within(
                    "register_for",
                    registry,
                    data.into(),
                    self.bond,
                    self.receipt_timeout,
                )
                .await
            {
                Ok(r) => Ok((
                    machine_id_from_receipt(&r, registry)?,
                    Some(r.transaction_hash),
                )),
                // Registered meanwhile (another run): take the id from the chain.
                Err(e) if e.code() == Some(ErrorCode::AlreadyRegistered) => {
                    match op.machine_id_of_owner(machine).await? {
                        0 => Err(e),
                        id => Ok((id, None)),
                    }
                }
                Err(e) => Err(e),
            }
        };
        let token_known = if machine_id != 0 {
            op.token_id_of(machine_id)
                .await
                .map_err(fail(FleetStep::Check, Some(machine_id)))?
        } else {
            0
        };
        let fund = async {
            // What the DID write will cost the machine: its changes when the machine is
            // registered and minted, else all six attributes.
            let need = if machine_id != 0 && token_known != 0 {
                let params = self.did_params(m, machine_id, token_known);
                match mc.machine_did_changes(machine, &params).await? {
                    changes if changes.is_empty() => U256::ZERO,
                    changes => did_need(&changes),
                }
            } else {
                U256::from(FLEET_GAS_RESERVE_WEI) + U256::from(DID_DEPOSIT_WEI) * U256::from(6u64)
            };
            let have = op.balance(machine).await?;
            if have >= need {
                return Ok(None);
            }
            self.step(machine, FleetStep::Fund);
            let r = op
                .send_tx_within(
                    "fund_machine",
                    machine,
                    Bytes::new(),
                    need - have,
                    self.receipt_timeout,
                )
                .await?;
            Ok::<_, PeaqosError>(Some(r.transaction_hash))
        };
        let (registered, funded) = tokio::join!(register, fund);
        let (id, register_tx) = registered.map_err(fail(FleetStep::Register, None))?;
        machine_id = id;
        out.machine_id = id;
        out.register_tx = register_tx;
        out.fund_tx = funded.map_err(fail(FleetStep::Fund, Some(id)))?;

        // The Machine NFT, minted to the machine's own address.
        let mut token_id = if token_known != 0 {
            token_known
        } else {
            op.token_id_of(machine_id)
                .await
                .map_err(fail(FleetStep::Check, Some(machine_id)))?
        };
        if token_id == 0 {
            self.step(machine, FleetStep::Mint);
            let data = MachineNFT::mintCall {
                machineId: U256::from(machine_id),
                recipient: machine,
            }
            .abi_encode();
            match op
                .send_tx_within(
                    "mint_nft",
                    nft,
                    data.into(),
                    U256::ZERO,
                    self.receipt_timeout,
                )
                .await
            {
                Ok(r) => {
                    out.mint_tx = Some(r.transaction_hash);
                    token_id = minted_token_id(&r, nft, machine_id).unwrap_or(0);
                }
                Err(e) if e.code() == Some(ErrorCode::AlreadyMinted) => {}
                Err(e) => return Err(fail(FleetStep::Mint, Some(machine_id))(e)),
            }
            if token_id == 0 {
                token_id = op
                    .token_id_of(machine_id)
                    .await
                    .map_err(fail(FleetStep::Mint, Some(machine_id)))?;
            }
            if token_id == 0 {
                return Err(fail(FleetStep::Mint, Some(machine_id))(PeaqosError::rpc(
                    None,
                    format!("the mint of machine {machine_id} succeeded but tokenIdOf is 0"),
                )));
            }
        }
        out.token_id = token_id;

        // The DID attributes, signed by the machine (only what differs is sent).
        let params = self.did_params(m, machine_id, token_id);
        self.step(machine, FleetStep::Did);
        out.did_tx = mc
            .write_machine_did_attributes(&params)
            .await
            .map_err(fail(FleetStep::Did, Some(machine_id)))?;
        Ok(out)
    }

    fn did_params(
        &self,
        m: &FleetMachine,
        machine_id: u64,
        token_id: u64,
    ) -> WriteMachineDidParams {
        WriteMachineDidParams {
            machine_id,
            nft_token_id: token_id,
            operator_did: self.operator_did.clone(),
            documentation_url: m.documentation_url.clone(),
            data_api: m.data_api.clone(),
            data_visibility: m.data_visibility,
        }
    }

    /// The operator's proxy list with `ids` added (the current list's order kept).
    async fn write_proxy_list(&self, operator_machine_id: u64, ids: &[u64]) -> ProxyListOutcome {
        let me = self.operator.address();
        let current = match self
            .operator
            .read_attribute_opt(me, DID_ATTR_MACHINES)
            .await
        {
            Ok(a) => a.map(|a| parse_machine_list(&a.value)).unwrap_or_default(),
            Err(e) => return ProxyListOutcome::Failed(e),
        };
        let mut seen: BTreeSet<u64> = current.iter().copied().collect();
        let mut list = current.clone();
        list.extend(ids.iter().copied().filter(|id| seen.insert(*id)));
        let json = serde_json::to_string(&list).expect("u64 list serializes");
        if json.len() > DID_MAX_VALUE_BYTES {
            return ProxyListOutcome::TooLarge {
                machines: list.len(),
                bytes: json.len(),
            };
        }
        let op = self.observed(&self.operator, me);
        let params = WriteProxyDidParams {
            proxy_machine_id: operator_machine_id,
            machine_ids: list.clone(),
        };
        match op.write_proxy_did_attributes(&params).await {
            Ok(Some(tx_hash)) => ProxyListOutcome::Written {
                tx_hash,
                machines: list.len(),
            },
            Ok(None) => ProxyListOutcome::Unchanged {
                machines: list.len(),
            },
            Err(e) => ProxyListOutcome::Failed(e),
        }
    }
}

impl PeaqosClient {
    /// Activates `machines` with this client as their proxy operator: per machine
    /// `registerFor` (the operator pays the bond), a transfer covering the machine's DID gas
    /// and deposits (only what its balance lacks), the Machine NFT minted to the machine, and
    /// its six DID attributes in one `batchAll` signed by the machine's key (operator DID =
    /// this client's); then the operator's proxy list (`machineId`, `machines`, existing ids
    /// kept) in one `batchAll`. Machines run concurrently (at most
    /// [`FleetOptions::concurrency`]), the operator's transactions pipelined on its nonce
    /// manager. Every step checks chain state first, so a re-run completes what a previous run
    /// left half-done and sends nothing for complete machines.
    ///
    /// Per-machine failures are in the report ([`FleetMachineOutcome::result`]), never an `Err`.
    /// Errors: `ValidationError` when `machines` is empty, holds a machine twice or the
    /// operator itself, or when the operator is not registered (a proxy needs its own machine
    /// id); RPC failures reading `minBond` or the operator's registration.
    pub async fn activate_fleet(
        &self,
        machines: &[FleetMachine],
        options: &FleetOptions,
        observer: Option<Arc<dyn FleetObserver>>,
    ) -> Result<FleetReport> {
        if machines.is_empty() {
            return Err(PeaqosError::validation(
                "machines",
                "non_empty_list",
                "machines must be a non-empty list",
            ));
        }
        let me = self.address();
        let mut seen = BTreeSet::new();
        for m in machines {
            let a = m.address();
            if a == me {
                return Err(PeaqosError::validation(
                    "machines",
                    "not_operator",
                    format!("machine {a} is the operator itself"),
                ));
            }
            if !seen.insert(a) {
                return Err(PeaqosError::validation(
                    "machines",
                    "unique",
                    format!("machine {a} is listed twice"),
                ));
            }
        }
        for m in machines {
            // The attribute rules, before anything is sent (ids are placeholders here).
            machine_attributes(&WriteMachineDidParams {
                machine_id: 1,
                nft_token_id: 1,
                operator_did: format!("did:peaq:{me}"),
                documentation_url: m.documentation_url.clone(),
                data_api: m.data_api.clone(),
                data_visibility: m.data_visibility,
            })?;
        }
        let operator_machine_id = self.machine_id_of_owner(me).await?;
        if operator_machine_id == 0 {
            return Err(PeaqosError::validation(
                "operator",
                "registered",
                format!(
                    "a proxy operator must be registered itself: {me} is not (register_machine first)"
                ),
            ));
        }
        let ctx = Arc::new(Ctx {
            operator: self.clone(),
            operator_did: format!("did:peaq:{me}"),
            bond: self.min_bond().await?,
            receipt_timeout: options
                .receipt_timeout
                .max(self.config().tx.receipt_timeout),
            observer,
        });
        let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
        let mut set = tokio::task::JoinSet::new();
        for (index, m) in machines.iter().cloned().enumerate() {
            let ctx = ctx.clone();
            let permits = permits.clone();
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let result = ctx.activate_one(&m).await;
                let outcome = FleetMachineOutcome {
                    index,
                    address: m.address(),
                    result,
                };
                if let Some(o) = &ctx.observer {
                    o.finished(&outcome);
                }
                outcome
            });
        }
        let mut outcomes: Vec<Option<FleetMachineOutcome>> = vec![None; machines.len()];
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(o) => {
                    let i = o.index;
                    outcomes[i] = Some(o);
                }
                Err(e) => {
                    return Err(PeaqosError::rpc(None, format!("a fleet task failed: {e}")));
                }
            }
        }
        let machines_out: Vec<FleetMachineOutcome> = outcomes.into_iter().flatten().collect();
        let ids: Vec<u64> = machines_out
            .iter()
            .filter_map(|o| o.result.as_ref().ok().map(|a| a.machine_id))
            .collect();
        let proxy_list = if !options.write_proxy_list || ids.is_empty() {
            ProxyListOutcome::Skipped
        } else {
            ctx.write_proxy_list(operator_machine_id, &ids).await
        };
        Ok(FleetReport {
            machines: machines_out,
            proxy_list,
            operator_machine_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_need_counts_added_attributes_only() {
        let add = DidChange::Add {
            name: "a".into(),
            value: "1".into(),
        };
        let update = DidChange::Update {
            name: "b".into(),
            value: "2".into(),
        };
        assert_eq!(did_need(&[]), U256::from(FLEET_GAS_RESERVE_WEI));
        assert_eq!(
            did_need(&[add.clone(), update, add]),
            U256::from(FLEET_GAS_RESERVE_WEI + 2 * DID_DEPOSIT_WEI)
        );
    }

    #[test]
    fn machine_lists_parse_leniently() {
        assert_eq!(parse_machine_list("[3,1,2]"), vec![3, 1, 2]);
        assert_eq!(parse_machine_list("[0,4]"), vec![4]);
        assert!(parse_machine_list("not json").is_empty());
        assert!(parse_machine_list("").is_empty());
    }

    #[test]
    fn failures_name_their_step_and_code() {
        let f = FleetFailure {
            step: FleetStep::Mint,
            error: PeaqosError::rpc(Some(ErrorCode::MachineNotBonded), "Machine is not bonded"),
            machine_id: Some(4),
        };
        assert_eq!(
            f.to_string(),
            "mint: [MachineNotBonded] Machine is not bonded"
        );
    }
}
