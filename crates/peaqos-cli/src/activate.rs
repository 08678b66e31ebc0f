//! `peaqos activate`: the six activation steps, each checking chain state first so a re-run
//! finishes a half-done activation and changes nothing on a complete one.

use crate::journal::Journal;
use crate::ui::{Ui, peaq, qr_unicode};
use crate::{CliError, env};
use alloy::consensus::{TxEip1559, TypedTransaction};
use alloy::eips::{BlockNumberOrTag, Encodable2718};
use alloy::network::{Ethereum, NetworkWallet};
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use clap::Args;
use peaqos_contracts::precompiles::{Batch, DidRegistry};
use peaqos_contracts::{IdentityRegistry, MachineNFT};
use peaqos_sdk::{
    DataVisibility, FundParams, FundResult, PeaqosClient, PeaqosError, QrFormat, Receipt,
    WriteMachineDidParams,
};
use peaqos_types::network::env as vars;
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Gas headroom per transaction-sending wallet (0.1 PEAQ).
pub const GAS_RESERVE_WEI: u128 = 100_000_000_000_000_000;
/// The DID precompile's deposit per added attribute (0.1 PEAQ).
pub const DID_DEPOSIT_WEI: u128 = 100_000_000_000_000_000;

/// The DID calls that bring `machine`'s attributes to `attrs` (add absent, update changed,
/// remove unwanted) and how many of them add an attribute (each locks a deposit).
pub async fn did_calls(
    machine_client: &PeaqosClient,
    machine: Address,
    attrs: &[(&str, Option<String>)],
) -> Result<(Vec<Bytes>, usize), CliError> {
    let mut calls: Vec<Bytes> = Vec::new();
    let mut adds = 0;
    for (name, value) in attrs {
        let current = machine_client.read_attribute_opt(machine, name).await?;
        let call: Bytes = match (value, current) {
            (Some(v), None) => {
                adds += 1;
                peaqos_sdk::encode_add_attribute(machine, name, v, 0)?
            }
            (Some(v), Some(c)) if &c.value != v => {
                peaqos_sdk::did::encode_update_attribute(machine, name, v, 0)?
            }
            (None, Some(_)) => DidRegistry::removeAttributeCall {
                did_account: machine,
                name: Bytes::copy_from_slice(name.as_bytes()),
            }
            .abi_encode()
            .into(),
            _ => continue,
        };
        calls.push(call);
    }
    Ok((calls, adds))
}

/// Activate a machine: 1 balance check, 2 Gas Station 2FA enrolment, 3 Gas Station funding,
/// 4 register (registerMachine, or registerFor with --for), 5 mint the Machine NFT to the
/// machine, 6 write the six DID attributes (signed by the machine key).
///
/// Every submitted transaction hash is appended to ./peaqos.log before its receipt is awaited;
/// a re-run reconciles logged hashes, then skips what the chain shows as done.
///
/// Examples:
///   peaqos activate --doc-url https://example.com/docs --data-api https://example.com/events
///   peaqos activate --for 0xMachineAddress --machine-key ./machine.key
///   peaqos activate --totp 123456 --totp 654321    # enrolment code, then funding code
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
    /// 2FA code(s): the first confirms a new enrolment or pays; repeat for the funding code.
    /// Also PEAQOS_TOTP (comma-separated).
    #[arg(long, value_name = "CODE")]
    pub totp: Vec<String>,
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

/// Sends `data` to `to` from `client`, journalling the signed hash before broadcasting it,
/// then waits for the receipt. A revert is decoded (dry run first) and nothing is sent.
/// `call` is `(to, data, value)`.
pub async fn send_logged(
    client: &PeaqosClient,
    journal: &Journal,
    ui: &Ui,
    step: &str,
    machine: Address,
    call: (Address, Bytes, U256),
) -> Result<Receipt, CliError> {
    let (to, data, value) = call;
    client.simulate(to, data.clone(), value).await?;
    let p = client.provider();
    let from = client.address();
    let req = TransactionRequest::default()
        .from(from)
        .to(to)
        .value(value)
        .input(data.clone().into());
    let net = |what: &'static str| {
        move |e: alloy::transports::TransportError| {
            CliError::network(format!("[NETWORK_ERROR] {what}: {e}"))
        }
    };
    let estimate = p.estimate_gas(req).await.map_err(net("eth_estimateGas"))?;
    let base = p
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .map_err(net("eth_getBlockByNumber"))?
        .and_then(|b| b.header.base_fee_per_gas)
        .unwrap_or(0) as u128;
    let tip = p
        .get_max_priority_fee_per_gas()
        .await
        .map_err(net("eth_maxPriorityFeePerGas"))?;
    let nonce = p
        .get_transaction_count(from)
        .pending()
        .await
        .map_err(net("eth_getTransactionCount"))?;
    let chain_id = client.chain_id().await?;
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: estimate.saturating_mul(120) / 100,
        max_fee_per_gas: base.saturating_mul(2).saturating_add(tip),
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: data,
    };
    let signed = NetworkWallet::<Ethereum>::sign_transaction_from(
        client.wallet(),
        from,
        TypedTransaction::Eip1559(tx),
    )
    .await
    .map_err(|e| CliError::config(format!("signing failed: {e}")))?;
    let hash = *signed.tx_hash();
    journal.append(step, machine, hash, "sent")?;
    ui.detail(format!("{step}: transaction {hash}"));
    if let Err(e) = p.send_raw_transaction(&signed.encoded_2718()).await {
        journal.append(step, machine, hash, "dropped")?;
        return Err(CliError::network(format!(
            "[NETWORK_ERROR] eth_sendRawTransaction: {e}"
        )));
    }
    finish(client, journal, ui, step, machine, hash).await
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
        let p = client.provider();
        let known = p
            .get_transaction_by_hash(e.tx_hash)
            .await
            .map_err(|err| {
                CliError::network(format!("[NETWORK_ERROR] eth_getTransactionByHash: {err}"))
            })?
            .is_some();
        if known {
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
) -> Result<String, CliError> {
    if let Some(c) = codes.pop_front() {
        return Ok(c);
    }
    if std::io::stdin().is_terminal() {
        let c = rpassword::prompt_password(format!("2FA code for {what}: "))
            .map_err(|e| CliError::user(format!("cannot read the code: {e}")))?;
        return Ok(c.trim().to_string());
    }
    Err(CliError::user(format!(
        "a 2FA code is needed for {what}: pass --totp CODE (repeat it for each code) or set PEAQOS_TOTP"
    )))
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

/// Runs `activate`.
pub async fn run(args: ActivateArgs, ui: &Ui) -> Result<(), CliError> {
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

    if proxy {
        let op_id = op.machine_id_of(op.address()).await?;
        if op_id == 0 {
            return Err(CliError::user(format!(
                "proxy mode needs a registered operator: {} is not registered; run `peaqos activate` without --for first",
                op.address()
            )));
        }
    }

    // 1. balance: what the remaining steps cost, from chain state
    ui.step(1, 6, "checking balances");
    let mut machine_id = op.machine_id_of(machine).await?;
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
    let did_need = if machine_id != 0 && known_token != 0 {
        let attrs = peaqos_sdk::did::machine_attributes(&did_params(machine_id, known_token))?;
        let (calls, adds) = did_calls(&machine_client, machine, &attrs).await?;
        if calls.is_empty() {
            U256::ZERO
        } else {
            gas + U256::from(DID_DEPOSIT_WEI) * U256::from(adds)
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
        let mut codes: std::collections::VecDeque<String> = codes_from(&args).into();
        ui.step(2, 6, format!("2FA enrolment of {owner} at {gs}"));
        match op.setup_faucet_2fa(&owner, &gs, QrFormat::Svg).await {
            Ok(setup) => {
                if !ui.quiet {
                    if let Some(q) = qr_unicode(&setup.otpauth_uri) {
                        eprintln!("{q}");
                    }
                    eprintln!(
                        "  scan the QR code with an authenticator app (image: {})",
                        setup.qr_image_url
                    );
                }
                let code = next_code(&mut codes, "confirming the enrolment")?;
                op.confirm_faucet_2fa(&owner, &gs, &code).await?;
                ui.info("  2FA active");
            }
            Err(PeaqosError::Api {
                code: peaqos_sdk::ErrorCode::Invalid2fa,
                ref message,
                ..
            }) if message.contains("already active") => {
                ui.info("  2FA already active for this owner");
            }
            Err(e) => return Err(e.into()),
        }
        ui.step(3, 6, format!("Gas Station funding of {target}"));
        let chain_id = op.chain_id().await?;
        let code = next_code(&mut codes, "funding")?;
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

    // 4. register
    let registry = op.contracts().identity_registry;
    if machine_id != 0 {
        ui.step(
            4,
            6,
            format!("register: already registered as machine {machine_id}"),
        );
    } else {
        let (what, data) = if proxy {
            (
                "registerFor",
                IdentityRegistry::registerForCall { machine }.abi_encode(),
            )
        } else {
            (
                "registerMachine",
                IdentityRegistry::registerCall {}.abi_encode(),
            )
        };
        ui.step(4, 6, format!("register ({what}, bond {})", peaq(bond)));
        let receipt = send_logged(
            &op,
            &journal,
            ui,
            "register",
            machine,
            (registry, data.into(), bond),
        )
        .await?;
        machine_id = peaqos_sdk::identity::machine_id_from_receipt(&receipt, registry)?;
        ui.info(format!("  machine id {machine_id}"));
    }

    // 5. Machine NFT
    let mut token_id = op.token_id_of(machine_id).await?;
    if token_id != 0 {
        ui.step(
            5,
            6,
            format!("Machine NFT: already minted (token {token_id})"),
        );
    } else {
        ui.step(5, 6, "minting the Machine NFT");
        let call = MachineNFT::mintCall {
            machineId: U256::from(machine_id),
            recipient: machine,
        };
        send_logged(
            &op,
            &journal,
            ui,
            "mint",
            machine,
            (
                op.contracts().machine_nft,
                call.abi_encode().into(),
                U256::ZERO,
            ),
        )
        .await?;
        token_id = op.token_id_of(machine_id).await?;
        ui.info(format!("  token id {token_id}"));
    }

    // 6. DID attributes
    let did = format!("did:peaq:{machine}");
    let attrs = peaqos_sdk::did::machine_attributes(&did_params(machine_id, token_id))?;
    let (calls, _) = did_calls(&machine_client, machine, &attrs).await?;
    if calls.is_empty() {
        ui.step(6, 6, "DID attributes: already written");
    } else {
        ui.step(
            6,
            6,
            format!("writing {} DID attribute(s) in one batchAll", calls.len()),
        );
        let did_registry = op.contracts().did_registry;
        let batch = Batch::batchAllCall {
            to: vec![did_registry; calls.len()],
            value: vec![],
            callData: calls,
            gasLimit: vec![],
        };
        send_logged(
            &machine_client,
            &journal,
            ui,
            "did",
            machine,
            (
                op.contracts().batch_precompile,
                batch.abi_encode().into(),
                U256::ZERO,
            ),
        )
        .await?;
    }

    let operator = proxy.then(|| op.address());
    if args.json {
        let mut v = json!({
            "machineId": machine_id,
            "tokenId": token_id,
            "machineDid": did,
            "machineAddress": machine.to_string(),
        });
        if let Some(o) = operator {
            v["operatorDid"] = json!(format!("did:peaq:{o}"));
        }
        println!("{v}");
    } else {
        println!("Machine ID   {machine_id}");
        println!("Token ID     {token_id}");
        println!("Machine DID  {did}");
        if let Some(o) = operator {
            println!("Machine Address  {machine}");
            println!("Operator DID     did:peaq:{o}");
        }
    }
    Ok(())
}
