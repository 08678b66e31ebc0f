//! `peaqos activate`: the six activation steps, each checking chain state first so a re-run
//! finishes a half-done activation and changes nothing on a complete one (also one that peaq's
//! own CLI did: `machineIdOfOwner(machine address)`, `tokenIdOf`, the DID attributes).
//!
//! Every transaction goes through the SDK's one pipeline (nonce manager, fee and gas policy);
//! the journal is a [`TxObserver`] on it: a hash is appended to `./peaqos.log` when it is
//! signed, before it is broadcast, and its outcome when the node refuses it or its receipt
//! arrives.

pub mod fleet;

use crate::journal::Journal;
use crate::ui::{Ui, peaq, qr_unicode};
use crate::{CliError, env};
use alloy::primitives::{Address, B256, U256};
use clap::Args;
use peaqos_sdk::{
    DataVisibility, DidChange, ErrorCode, FundParams, FundResult, PeaqosClient, PeaqosError,
    QrFormat, Receipt, TxObserver, WriteMachineDidParams,
};
use peaqos_types::network::env as vars;
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Gas headroom per transaction-sending wallet (0.1 PEAQ).
pub const GAS_RESERVE_WEI: u128 = 100_000_000_000_000_000;
/// The DID precompile's deposit per added attribute (0.1 PEAQ).
pub const DID_DEPOSIT_WEI: u128 = 100_000_000_000_000_000;

/// Activate a machine: 1 balance check, 2 Gas Station 2FA enrolment, 3 Gas Station funding,
/// 4 register (register, or registerFor with --for), 5 mint the Machine NFT to the machine,
/// 6 write the six DID attributes (signed by the machine key).
///
/// Every transaction hash is appended to ./peaqos.log when it is signed, before it is sent;
/// a re-run reconciles logged hashes, then skips what the chain shows as done
/// (machineIdOfOwner, tokenIdOf, the DID attributes), also after peaq's own CLI.
///
/// Fleet mode (--fleet FILE): the operator (registered itself) activates every machine of a
/// CSV file at once as their proxy: registerFor, a transfer for each machine's DID gas and
/// deposits, the Machine NFT, the machine-signed DID attributes, then the operator's proxy
/// list. Transactions are pipelined (no waiting for each receipt), journalled like a single
/// activation, and a re-run skips what landed. No Gas Station step: the operator pays.
/// The file starts with a header line naming its columns (comma-separated, no quoting;
/// blank lines and lines starting with # are skipped):
///   key_file    required: the machine's 0x hex key file (relative to the CSV's folder);
///               created with a fresh key (mode 0600) when it does not exist
///   address     optional: the machine address the key must belong to
///   doc_url     optional: documentation_url (default --doc-url)
///   data_api    optional: data_api (default --data-api, else the machine's MCR URL)
///   visibility  optional: public | private | onchain (default --visibility)
/// Every row is checked before anything is sent; problems are reported by line number.
///
/// Examples:
///   peaqos activate --doc-url https://example.com/docs --data-api https://example.com/events
///   peaqos activate --for 0xMachineAddress --machine-key ./machine.key
///   peaqos activate --totp 123456 --totp 654321    # enrolment code, then funding code
///   peaqos activate --fleet machines.csv --json   # machines.csv: "key_file\nkeys/m1.key\n..."
// The doc comment is the command's --help text: its example URLs stay plain text there.
#[allow(rustdoc::bare_urls)]
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ActivateArgs {
    /// Proxy mode: activate this machine address on its behalf (needs --machine-key).
    #[arg(long = "for", value_name = "ADDR", requires = "machine_key")]
    pub for_address: Option<String>,
    /// File holding the machine's 0x hex private key (needs --for).
    #[arg(long, value_name = "FILE", requires = "for_address")]
    pub machine_key: Option<PathBuf>,
    /// documentation_url DID attribute.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://docs.peaq.xyz/peaqos"
    )]
    pub doc_url: String,
    /// data_api DID attribute (default: the machine's rating URL on the MCR API, /mcr/{did}).
    #[arg(long, value_name = "URL")]
    pub data_api: Option<String>,
    /// data_visibility DID attribute.
    #[arg(long, default_value = "public", value_parser = parse_visibility)]
    pub visibility: DataVisibility,
    /// Do not ask the Gas Station for funds.
    #[arg(long)]
    pub skip_funding: bool,
    /// 2FA code(s): the first confirms a new enrolment (and also pays, within its 30 s step) or
    /// pays; repeat it with a later code when the funding comes after that step.
    /// Also PEAQOS_TOTP (comma-separated).
    #[arg(long, value_name = "CODE")]
    pub totp: Vec<String>,
    /// Fleet mode: activate every machine of this CSV file as their proxy (see above).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["for_address", "machine_key", "skip_funding", "totp"])]
    pub fleet: Option<PathBuf>,
    /// Fleet mode: most machines in progress at once.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub concurrency: u64,
    /// Journal file.
    #[arg(long, value_name = "FILE", default_value = "peaqos.log")]
    pub log: PathBuf,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_visibility(s: &str) -> Result<DataVisibility, String> {
    s.parse::<DataVisibility>().map_err(|e| e.to_string())
}

/// The journal step of an SDK transaction label.
pub fn journal_step(label: &str) -> &str {
    match label {
        "register_machine" | "register_for" => "register",
        "mint_nft" => "mint",
        "fund_machine" => "fund",
        "write_machine_did_attributes" => "did",
        "write_proxy_did_attributes" => "proxy_did",
        other => other,
    }
}

/// The journal as a [`TxObserver`] on the SDK's send path, for the transactions of one
/// machine's activation: `sent` when a transaction is signed (before it is broadcast: a journal
/// that cannot be written stops the send), `dropped` when the node refuses it, `confirmed` /
/// `reverted` when its receipt arrives. A receipt that never arrives leaves `sent`: the next
/// run reconciles it.
pub struct JournalObserver {
    journal: Journal,
    machine: Address,
    ui: Ui,
    failure: Mutex<Option<CliError>>,
}

impl JournalObserver {
    /// An observer appending to `journal` for `machine`.
    pub fn new(journal: Journal, machine: Address, ui: Ui) -> Self {
        Self {
            journal,
            machine,
            ui,
            failure: Mutex::new(None),
        }
    }

    fn record(&self, label: &str, hash: B256, status: &str) -> Result<(), CliError> {
        let r = self
            .journal
            .append(journal_step(label), self.machine, hash, status);
        if let Err(e) = &r {
            let mut f = self.failure.lock().unwrap_or_else(|p| p.into_inner());
            f.get_or_insert_with(|| e.clone());
        }
        r
    }

    /// The first journal write that failed, if any (taken: reported once).
    pub fn take_failure(&self) -> Option<CliError> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// `e`, unless writing the journal failed meanwhile: then that (a configuration error).
    pub fn explain(&self, e: PeaqosError) -> CliError {
        self.take_failure().unwrap_or_else(|| e.into())
    }
}

impl TxObserver for JournalObserver {
    fn signed(&self, label: &str, hash: B256) -> Result<(), String> {
        self.record(label, hash, "sent").map_err(|e| e.message)
    }
    fn accepted(&self, label: &str, hash: B256) {
        self.ui
            .detail(format!("{}: transaction {hash}", journal_step(label)));
    }
    fn rejected(&self, label: &str, hash: B256, _error: &PeaqosError) {
        let _ = self.record(label, hash, "dropped");
    }
    fn mined(&self, label: &str, receipt: &Receipt) {
        let status = if receipt.status() {
            "confirmed"
        } else {
            "reverted"
        };
        let _ = self.record(label, receipt.transaction_hash, status);
    }
}

/// Waits for the receipt of a journalled hash and records the outcome.
async fn finish(
    client: &PeaqosClient,
    journal: &Journal,
    ui: &Ui,
    step: &str,
    machine: Address,
    hash: B256,
) -> Result<Receipt, CliError> {
    let receipt = ui
        .spin(
            &format!("waiting for {step} transaction {hash}"),
            client.wait_for_receipt(hash),
        )
        .await?;
    if receipt.status() {
        journal.append(step, machine, hash, "confirmed")?;
        Ok(receipt)
    } else {
        journal.append(step, machine, hash, "reverted")?;
        Err(CliError::network(format!(
            "[TX_REVERTED] {step} transaction {hash} reverted"
        )))
    }
}

/// Settles every journalled hash of `machine` without an outcome: waits for it when the node
/// knows it, records `dropped` when it does not (the chain-state checks then redo the step).
pub async fn reconcile(
    client: &PeaqosClient,
    journal: &Journal,
    ui: &Ui,
    machine: Address,
) -> Result<(), CliError> {
    for e in journal.unresolved(machine) {
        if client.transaction_known(e.tx_hash).await? {
            ui.info(format!(
                "reconciling the logged {} transaction {}",
                e.step, e.tx_hash
            ));
            match finish(client, journal, ui, &e.step, machine, e.tx_hash).await {
                Ok(_) => {}
                Err(err) if err.message.contains("TX_REVERTED") => {
                    ui.info(format!(
                        "  it reverted; the step runs again ({})",
                        err.message
                    ));
                }
                Err(err) => return Err(err),
            }
        } else {
            ui.info(format!(
                "the logged {} transaction {} never reached the node; the step runs again",
                e.step, e.tx_hash
            ));
            journal.append(&e.step, machine, e.tx_hash, "dropped")?;
        }
    }
    Ok(())
}

fn codes_from(args: &ActivateArgs) -> Vec<String> {
    let mut codes: Vec<String> = args.totp.iter().map(|c| c.trim().to_string()).collect();
    if codes.is_empty()
        && let Some(v) = env::var("PEAQOS_TOTP")
    {
        codes = v
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
    }
    codes
}

fn next_code(
    codes: &mut std::collections::VecDeque<String>,
    what: &str,
    asker: Asker,
) -> Result<String, CliError> {
    if let Some(c) = codes.pop_front() {
        return Ok(c);
    }
    if asker == Asker::Terminal && std::io::stdin().is_terminal() {
        let c = rpassword::prompt_password(format!("2FA code for {what}: "))
            .map_err(|e| CliError::user(format!("cannot read the code: {e}")))?;
        return Ok(c.trim().to_string());
    }
    Err(CliError::user(format!(
        "a 2FA code is needed for {what}: pass --totp CODE (repeat it for each code) or set PEAQOS_TOTP"
    )))
}

/// Who answers the activation's questions (2FA enrolment, codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// A person at a terminal (`peaqos activate`): a new 2FA enrolment shows its QR code on
    /// stderr, a missing code is asked for when stdin is a terminal.
    Terminal,
    /// An agent (`peaqos mcp`): codes come only from the arguments, and the 2FA enrolment is
    /// never touched (its secret is for a person's authenticator, never for an agent's
    /// transcript): funding needs an owner a person enrolled.
    Agent,
}

/// The outcome printed on stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// Machine id.
    pub machine_id: u64,
    /// Machine NFT token id.
    pub token_id: u64,
    /// Machine address.
    pub machine: Address,
    /// Operator address in proxy mode.
    pub operator: Option<Address>,
}

impl Activation {
    /// The machine's DID.
    pub fn did(&self) -> String {
        format!("did:peaq:{}", self.machine)
    }

    /// The `--json` object: machineId, tokenId, machineDid, machineAddress (+ operatorDid).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = json!({
            "machineId": self.machine_id,
            "tokenId": self.token_id,
            "machineDid": self.did(),
            "machineAddress": self.machine.to_string(),
        });
        if let Some(o) = self.operator {
            v["operatorDid"] = json!(format!("did:peaq:{o}"));
        }
        v
    }
}

/// Runs `activate`.
pub async fn run(args: ActivateArgs, ui: &Ui) -> Result<(), CliError> {
    if let Some(file) = &args.fleet {
        return fleet::run(&args, file, ui).await;
    }
    let a = activate(&args, ui, Asker::Terminal).await?;
    if args.json {
        crate::outln!("{}", a.to_json())?;
    } else {
        crate::outln!("Machine ID   {}", a.machine_id)?;
        crate::outln!("Token ID     {}", a.token_id)?;
        crate::outln!("Machine DID  {}", a.did())?;
        if let Some(o) = a.operator {
            crate::outln!("Machine Address  {}", a.machine)?;
            crate::outln!("Operator DID     did:peaq:{o}")?;
        }
    }
    Ok(())
}

/// The six steps of `activate`, printing progress through `ui` (stderr) and nothing on stdout;
/// `asker` says who answers 2FA questions.
pub async fn activate(args: &ActivateArgs, ui: &Ui, asker: Asker) -> Result<Activation, CliError> {
    let op = env::client()?;
    let (machine_client, proxy) = match (&args.for_address, &args.machine_key) {
        (Some(addr), Some(file)) => {
            let target: Address = addr
                .parse()
                .map_err(|_| CliError::user(format!("--for must be a 0x address, got {addr:?}")))?;
            let text = std::fs::read_to_string(file).map_err(|e| {
                CliError::config(format!(
                    "cannot read the machine key {}: {e}",
                    file.display()
                ))
            })?;
            let mc = env::client_with_key(&op, text.trim(), "--machine-key")?;
            if mc.address() != target {
                return Err(CliError::user(format!(
                    "--machine-key {} holds the key of {}, not of --for {target}",
                    file.display(),
                    mc.address()
                )));
            }
            if target == op.address() {
                return Err(CliError::user(
                    "--for is the operator's own address: drop --for for self-managed activation",
                ));
            }
            (mc, true)
        }
        (None, None) => (op.clone(), false),
        _ => {
            return Err(CliError::user(
                "--for and --machine-key must be used together",
            ));
        }
    };
    let machine = machine_client.address();
    let journal = Journal::new(&args.log);
    reconcile(&op, &journal, ui, machine).await?;
    // The SDK's pipeline, journalled: the operator's transactions and the machine's DID write.
    let observer = Arc::new(JournalObserver::new(journal.clone(), machine, *ui));
    let op_tx = op.with_tx_observer(observer.clone());
    let machine_tx = machine_client.with_tx_observer(observer.clone());

    if proxy {
        let op_id = op.machine_id_of_owner(op.address()).await?;
        if op_id == 0 {
            return Err(CliError::user(format!(
                "proxy mode needs a registered operator: {} is not registered; run `peaqos activate` without --for first",
                op.address()
            )));
        }
    }

    // 1. balance: what the remaining steps cost, from chain state
    ui.step(1, 6, "checking balances");
    let mut machine_id = op.machine_id_of_owner(machine).await?;
    let bond = op.min_bond().await?;
    let gas = U256::from(GAS_RESERVE_WEI);
    let known_token = if machine_id != 0 {
        op.token_id_of(machine_id).await?
    } else {
        0
    };
    let did_params = |machine_id: u64, token_id: u64| WriteMachineDidParams {
        machine_id,
        nft_token_id: token_id,
        operator_did: if proxy {
            format!("did:peaq:{}", op.address())
        } else {
            String::new()
        },
        documentation_url: args.doc_url.clone(),
        data_api: args.data_api.clone().unwrap_or_else(|| {
            format!(
                "{}/mcr/did:peaq:{machine}",
                op.api_url().trim_end_matches('/')
            )
        }),
        data_visibility: args.visibility,
    };
    let deposits = |changes: &[DidChange]| {
        U256::from(DID_DEPOSIT_WEI)
            * U256::from(
                changes
                    .iter()
                    .filter(|c| matches!(c, DidChange::Add { .. }))
                    .count(),
            )
    };
    let did_need = if machine_id != 0 && known_token != 0 {
        let changes = machine_client
            .machine_did_changes(machine, &did_params(machine_id, known_token))
            .await?;
        if changes.is_empty() {
            U256::ZERO
        } else {
            gas + deposits(&changes)
        }
    } else {
        gas + U256::from(DID_DEPOSIT_WEI) * U256::from(6u64)
    };
    let payer_need = if machine_id == 0 {
        bond + gas
    } else if known_token == 0 {
        gas
    } else {
        U256::ZERO
    };
    let payer_balance = op.balance(op.address()).await?;
    let (target, target_need, target_balance) = if proxy {
        ui.info(format!(
            "  operator {} holds {} (needs {})",
            op.address(),
            peaq(payer_balance),
            peaq(payer_need)
        ));
        if payer_balance < payer_need {
            return Err(CliError::user(format!(
                "the operator {} holds {} but registering and minting need {} (bond + gas): top it up",
                op.address(),
                peaq(payer_balance),
                peaq(payer_need)
            )));
        }
        let b = op.balance(machine).await?;
        ui.info(format!(
            "  machine {machine} holds {} (needs {} for its DID write and deposits)",
            peaq(b),
            peaq(did_need)
        ));
        (machine, did_need, b)
    } else {
        let need = payer_need + did_need;
        ui.info(format!(
            "  {} holds {} (needs {})",
            op.address(),
            peaq(payer_balance),
            peaq(need)
        ));
        (machine, need, payer_balance)
    };
    let short = target_balance < target_need;

    // 2. + 3. Gas Station
    if !short {
        ui.step(2, 6, "2FA enrolment: not needed (balance sufficient)");
        ui.step(3, 6, "Gas Station funding: skipped (balance sufficient)");
    } else if args.skip_funding {
        ui.step(2, 6, "2FA enrolment: skipped (--skip-funding)");
        ui.step(3, 6, "Gas Station funding: skipped (--skip-funding)");
        return Err(CliError::user(format!(
            "{target} holds {} but needs {}: fund it or drop --skip-funding",
            peaq(target_balance),
            peaq(target_need)
        )));
    } else {
        let gs = env::gas_station_url().ok_or_else(|| {
            CliError::config(format!(
                "configuration: {} is required for the funding step (or pass --skip-funding)",
                vars::PEAQOS_GAS_STATION_URL
            ))
        })?;
        let owner = op.address().to_string();
        let mut codes: std::collections::VecDeque<String> = codes_from(args).into();
        let enrolment = if asker == Asker::Agent {
            // An agent never touches the enrolment (a setup would replace a pending secret a
            // person may be scanning): funding below needs an enrolled owner's current code,
            // and the Gas Station answers 2FA_NOT_CONFIGURED when there is none.
            ui.step(
                2,
                6,
                "2FA enrolment: left to a person in a terminal (`peaqos activate`)",
            );
            None
        } else {
            ui.step(2, 6, format!("2FA enrolment of {owner} at {gs}"));
            Some(op.setup_faucet_2fa(&owner, &gs, QrFormat::Svg).await)
        };
        match enrolment {
            None => {}
            Some(Ok(setup)) => {
                if !ui.quiet {
                    if let Some(q) = qr_unicode(&setup.otpauth_uri) {
                        ui.info(q);
                    }
                    ui.info(format!(
                        "  scan the QR code with an authenticator app (image: {})",
                        setup.qr_image_url
                    ));
                }
                let code = next_code(&mut codes, "confirming the enrolment", asker)?;
                op.confirm_faucet_2fa(&owner, &gs, &code).await?;
                ui.info("  2FA active");
                // The Gas Station takes the confirming code once more in its step: fund with it
                // unless another code was given (as peaq's CLI does, one prompt for both).
                if codes.is_empty() {
                    codes.push_back(code);
                }
            }
            Some(Err(PeaqosError::Api {
                code: ErrorCode::TwoFaAlreadyConfigured,
                ..
            })) => {
                ui.info("  2FA already active for this owner");
            }
            Some(Err(e)) => return Err(e.into()),
        }
        ui.step(3, 6, format!("Gas Station funding of {target}"));
        let chain_id = op.chain_id().await?;
        let code = next_code(&mut codes, "funding", asker)?;
        let r = op
            .fund_from_gas_station(
                &FundParams {
                    owner_address: owner.clone(),
                    target_wallet_address: target.to_string(),
                    chain_id: chain_id.to_string(),
                    two_factor_code: code,
                    request_id: None,
                },
                &gs,
            )
            .await?;
        match r {
            FundResult::Success {
                tx_hash,
                funded_amount,
                ..
            } => {
                journal.append("fund", machine, tx_hash, "sent")?;
                finish(&op, &journal, ui, "fund", machine, tx_hash).await?;
                ui.info(format!("  funded {} (tx {tx_hash})", peaq(funded_amount)));
            }
            FundResult::Skipped {
                current_balance, ..
            } => {
                ui.info(format!(
                    "  the Gas Station skipped: {target} already holds {}",
                    peaq(current_balance)
                ));
            }
        }
    }

    // 4. register (machineIdOfOwner of the machine address: 0 = not registered)
    if machine_id != 0 {
        ui.step(
            4,
            6,
            format!("register: already registered as machine {machine_id}"),
        );
    } else {
        let what = if proxy { "registerFor" } else { "register" };
        ui.step(4, 6, format!("register ({what}, bond {})", peaq(bond)));
        let sent = if proxy {
            op_tx.register_for(machine).await
        } else {
            op_tx.register_machine().await
        };
        machine_id = match sent {
            Ok(id) => id,
            // Registered meanwhile (another run, peaq's CLI): take the id from the chain.
            Err(e) if e.code() == Some(ErrorCode::AlreadyRegistered) => {
                match op.machine_id_of_owner(machine).await? {
                    0 => return Err(observer.explain(e)),
                    id => {
                        ui.info(format!("  already registered as machine {id} (recovered)"));
                        id
                    }
                }
            }
            Err(e) => return Err(observer.explain(e)),
        };
        ui.info(format!("  machine id {machine_id}"));
    }

    // 5. Machine NFT (tokenIdOf: 0 = none), minted to the machine's own address
    let mut token_id = op.token_id_of(machine_id).await?;
    if token_id != 0 {
        ui.step(
            5,
            6,
            format!("Machine NFT: already minted (token {token_id})"),
        );
    } else {
        ui.step(5, 6, "minting the Machine NFT");
        match op_tx.mint_nft(machine_id, machine).await {
            Ok(_) => {}
            Err(e) if e.code() == Some(ErrorCode::AlreadyMinted) => {
                ui.info("  already minted (recovered)");
            }
            Err(e) => return Err(observer.explain(e)),
        }
        token_id = op.token_id_of(machine_id).await?;
        if token_id == 0 {
            return Err(CliError::network(format!(
                "the mint of machine {machine_id} succeeded but tokenIdOf({machine_id}) is 0"
            )));
        }
        ui.info(format!("  token id {token_id}"));
    }

    // 6. DID attributes (signed by the machine key: a DID is written by its own account)
    let params = did_params(machine_id, token_id);
    let changes = machine_client.machine_did_changes(machine, &params).await?;
    if changes.is_empty() {
        ui.step(6, 6, "DID attributes: already written");
    } else {
        ui.step(
            6,
            6,
            format!("writing {} DID attribute(s) in one batchAll", changes.len()),
        );
        machine_tx
            .write_machine_did_attributes(&params)
            .await
            .map_err(|e| observer.explain(e))?;
    }
    if let Some(e) = observer.take_failure() {
        return Err(e);
    }

    Ok(Activation {
        machine_id,
        token_id,
        machine,
        operator: proxy.then(|| op.address()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_labels_map_to_the_journal_steps() {
        assert_eq!(journal_step("register_machine"), "register");
        assert_eq!(journal_step("register_for"), "register");
        assert_eq!(journal_step("mint_nft"), "mint");
        assert_eq!(journal_step("write_machine_did_attributes"), "did");
        assert_eq!(journal_step("send_transaction"), "send_transaction");
    }

    #[test]
    fn the_observer_journals_before_broadcast_and_records_outcomes() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path().join("peaqos.log"));
        let m = Address::repeat_byte(1);
        let o = JournalObserver::new(journal.clone(), m, Ui::new(true, 0));
        let h = B256::repeat_byte(2);
        o.signed("register_machine", h).unwrap();
        assert_eq!(journal.unresolved(m).len(), 1, "sent before any receipt");
        assert_eq!(journal.unresolved(m)[0].step, "register");
        o.rejected(
            "register_machine",
            h,
            &PeaqosError::Rpc {
                code: None,
                rpc_code: None,
                message: "nonce too low".into(),
                tx_hash: None,
                revert_data: None,
            },
        );
        assert!(journal.unresolved(m).is_empty());
        assert_eq!(journal.entries().last().unwrap().status, "dropped");
        assert!(o.take_failure().is_none());
    }

    #[test]
    fn a_journal_that_cannot_be_written_stops_the_send() {
        let dir = tempfile::tempdir().unwrap();
        // a directory where the file should be: appends fail
        let path = dir.path().join("peaqos.log");
        std::fs::create_dir(&path).unwrap();
        let o = JournalObserver::new(
            Journal::new(&path),
            Address::repeat_byte(1),
            Ui::new(true, 0),
        );
        let refused = o.signed("mint_nft", B256::repeat_byte(3)).unwrap_err();
        assert!(refused.contains("peaqos.log"), "{refused}");
        let e = o.explain(PeaqosError::Rpc {
            code: None,
            rpc_code: None,
            message: format!("transaction observer: {refused}"),
            tx_hash: None,
            revert_data: None,
        });
        assert_eq!(
            e.exit_code, 3,
            "the journal's configuration error, not the SDK's"
        );
        assert!(o.take_failure().is_none(), "reported once");
    }
}
