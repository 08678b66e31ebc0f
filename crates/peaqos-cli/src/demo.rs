//! `peaqos demo`: a rated fleet in one command, on an in-process stack.

use crate::CliError;
use crate::stack::{BridgeMode, StackOptions, StackPorts, start_stack_with};
use crate::ui::{Ui, table};
use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::SolCall;
use clap::Args;
use indicatif::ProgressBar;
use peaqos_contracts::AdminFlags;
use peaqos_sdk::{
    DataVisibility, FundParams, FundResult, McrClient, PeaqosClient, PeaqosConfig, PrivateKey,
    QrFormat, SubmitEventParams, WriteMachineDidParams, WriteProxyDidParams,
};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Run peaqOS end to end on an in-process stack (devnet + MCR service + Gas Station on free
/// ports) and print the fleet's ratings.
///
/// A proxy operator enrols in the Gas Station (the demo computes its own TOTP codes) and is
/// funded, registers itself, then a fleet via registerFor plus one self-managed machine; mints
/// the Machine NFTs, writes the DID attributes, submits about 90 days of backdated revenue and
/// activity events with distinct stories (steady earner, activity-only sensor, dormant machine,
/// flagged machine, JPY reporter, ...), waits for the MCR indexer and prints the ratings table
/// from the MCR API. Nothing leaves this machine.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Fleet size (machines registered by the operator; a self-managed one is added).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(5..=100))]
    pub machines: u32,
    /// Days of history.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=365))]
    pub days: u32,
    /// One JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Run without the Base devnet, the Machine NFT bridge and its relayer.
    #[arg(long)]
    pub no_bridge: bool,
    /// Test aid (hidden): write every secret the demo used (keys as hex, the TOTP secret, the
    /// Gas Station key file's content) to FILE, mode 0600, one a line, so a test can check that
    /// no log or output carries any of them.
    #[arg(long, hide = true, value_name = "FILE")]
    pub secrets_out: Option<std::path::PathBuf>,
}

/// Secrets the demo generated or used, for [`DemoArgs::secrets_out`].
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn note_secret(s: impl Into<String>) {
    SECRETS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(s.into());
}

/// A fresh key pair, its key noted for [`DemoArgs::secrets_out`].
fn new_keypair() -> (Address, PrivateKey) {
    let (a, k) = PeaqosClient::generate_keypair();
    note_secret(k.expose_hex());
    (a, k)
}

fn write_secrets(stack: &crate::stack::Stack, path: &std::path::Path) -> Result<(), CliError> {
    for i in 0..10 {
        note_secret(PrivateKey::from(&stack.dev_signer(i)).expose_hex());
    }
    if let Ok(k) = std::fs::read_to_string(stack.data_dir().join("gas-station.key")) {
        note_secret(k.trim());
    }
    let mut text = SECRETS.lock().unwrap_or_else(|e| e.into_inner()).join("\n");
    text.push('\n');
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e: std::io::Error| CliError::config(format!("--secrets-out {}: {e}", path.display()));
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)
}

const DAY: u64 = 86_400;
const TOTAL_STEPS: u32 = 10;

/// What a demo machine's history looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Story {
    /// Daily USD revenue with small noise, plus activity.
    SteadyEarner,
    /// Activity only, no revenue.
    ActivitySensor,
    /// Active, then silent for the last 60+ days.
    Dormant,
    /// Steady revenue, flagged by the AdminFlags owner.
    Flagged,
    /// Daily revenue in JPY.
    JpyReporter,
    /// Flat revenue that takes off over the last three weeks.
    Growing,
    /// Revenue shrinking over the period.
    Declining,
    /// A few irregular revenue events.
    Sporadic,
    /// Self-managed: registered with its own key, weekly EUR revenue.
    SelfManaged,
}

impl Story {
    /// Story of fleet machine `i`.
    pub fn of(i: usize) -> Story {
        match i {
            0 => Story::SteadyEarner,
            1 => Story::ActivitySensor,
            2 => Story::Dormant,
            3 => Story::Flagged,
            4 => Story::JpyReporter,
            i => [
                Story::Growing,
                Story::Declining,
                Story::Sporadic,
                Story::SteadyEarner,
            ][(i - 5) % 4],
        }
    }
    /// Short label.
    pub fn label(self) -> &'static str {
        match self {
            Story::SteadyEarner => "steady earner (USD)",
            Story::ActivitySensor => "activity-only sensor",
            Story::Dormant => "dormant 60+ days",
            Story::Flagged => "flagged by admin",
            Story::JpyReporter => "reports in JPY",
            Story::Growing => "growing revenue",
            Story::Declining => "declining revenue",
            Story::Sporadic => "sporadic revenue",
            Story::SelfManaged => "self-managed (EUR)",
        }
    }
}

/// A tiny deterministic generator (no global state; same history every run).
fn noise(seed: u64, n: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ n.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

/// The backdated events of one machine: `days` of history ending at `now`; `seed` (the
/// machine's place in the fleet) makes the noise the same on every run.
pub fn history(
    story: Story,
    seed: u64,
    machine_id: u64,
    now: u64,
    days: u32,
) -> Vec<SubmitEventParams> {
    let mut out = Vec::new();
    let days = u64::from(days);
    for d in (1..=days).rev() {
        let ts = now - d * DAY + (noise(seed, d) % 3_600);
        let r = noise(seed, d + 1_000);
        let progress = days - d; // 0 .. days-1, older first
        let revenue = |cents: u64, cur: &str| {
            SubmitEventParams::revenue(machine_id, U256::from(cents), cur, ts)
        };
        let activity = |v: u64| SubmitEventParams::activity(machine_id, U256::from(v), ts + 60);
        match story {
            Story::SteadyEarner | Story::Flagged => {
                out.push(revenue(12_000 + r % 1_500, "USD"));
                out.push(activity(20 + r % 10));
            }
            Story::ActivitySensor => out.push(activity(100 + r % 50)),
            Story::Dormant => {
                if d > 60 {
                    out.push(revenue(9_000 + r % 1_000, "USD"));
                    out.push(activity(15));
                }
            }
            Story::JpyReporter => {
                out.push(revenue(1_500 + r % 300, "JPY"));
                out.push(activity(10 + r % 5));
            }
            Story::Growing => {
                // flat, then taking off over the last three weeks: the 7-day mean clearly
                // above the 30-day mean, so the trend reads "up"
                let takeoff = (progress + 21).saturating_sub(days) * 1_500;
                out.push(revenue(3_000 + takeoff + r % 500, "USD"));
                if d % 2 == 0 {
                    out.push(activity(5 + progress / 4));
                }
            }
            Story::Declining => {
                out.push(revenue(
                    25_000u64.saturating_sub(progress * 250) + r % 500,
                    "USD",
                ));
                if d % 2 == 0 {
                    out.push(activity(12));
                }
            }
            Story::Sporadic => {
                if r.is_multiple_of(7) {
                    out.push(revenue(5_000 + r % 20_000, "USD"));
                }
            }
            Story::SelfManaged => {
                if d % 7 == 0 {
                    out.push(revenue(40_000 + r % 5_000, "EUR"));
                }
                out.push(activity(3));
            }
        }
    }
    out
}

fn client_for(base: &PeaqosConfig, key: PrivateKey) -> Result<PeaqosClient, CliError> {
    let mut cfg = base.clone();
    cfg.private_key = Some(key);
    PeaqosClient::new(cfg).map_err(CliError::from)
}

/// Joins every task; `pb` advances by `weight` of each result (a hidden bar outside terminals).
async fn join_all<T: Send + 'static>(
    set: &mut JoinSet<Result<T, CliError>>,
    pb: &ProgressBar,
    weight: impl Fn(&T) -> u64,
) -> Result<Vec<T>, CliError> {
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        let v = r.map_err(|e| CliError::network(format!("task failed: {e}")))??;
        pb.inc(weight(&v));
        out.push(v);
    }
    pb.finish_and_clear();
    Ok(out)
}

fn wei(peaq_milli: u64) -> U256 {
    U256::from(peaq_milli) * U256::from(1_000_000_000_000_000u64)
}

/// One line of the ratings table.
fn rating_row(machine_id: u64, story: &str, r: &peaqos_sdk::McrResponse) -> Vec<String> {
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    vec![
        machine_id.to_string(),
        story.to_string(),
        r.mcr.to_string(),
        r.mcr_score.to_string(),
        r.bond_status.to_string(),
        format!("{}/{}", r.revenue_event_count, r.activity_event_count),
        r.revenue_trend.to_string(),
        format!("{:.0}", r.total_revenue),
        yes_no(r.negative_flag),
        yes_no(r.mcr_degraded),
    ]
}

/// The machine of the smart-account story.
struct AccountMachine {
    address: Address,
    machine_id: u64,
    events: usize,
    user_operations: usize,
}

/// A machine whose identity wallet is its smart account: the operator registers the account with
/// `registerFor(account)`; the machine submits its history through UserOperations signed by its
/// own key (the account pays its gas: nobody else holds gas for the machine); the operator, the
/// account's owner, rotates the machine key with `setMachine`; the old key is then refused by the
/// bundler and the new one works.
async fn smart_account_machine(
    stack: &crate::stack::Stack,
    base: &PeaqosConfig,
    op: &PeaqosClient,
    funder: &PeaqosClient,
    chain_now: u64,
    days: u32,
    ui: &Ui,
) -> Result<AccountMachine, CliError> {
    use peaqos_sdk::TxCall;
    use peaqos_sdk::aa::{BundlerClient, SmartAccount};
    let bundler = || {
        BundlerClient::new(&stack.bundler_url())
            .map(|b| b.with_entry_point(stack.devnet.deployment().entry_point))
    };
    let (machine_key_addr, machine_key) = new_keypair();
    let (new_key_addr, new_key) = new_keypair();
    let reader = client_for(base, machine_key.clone())?;
    let account = SmartAccount::new(
        &reader,
        bundler()?,
        op.address(),
        machine_key_addr,
        U256::ZERO,
        machine_key.signer(),
    )
    .await?;
    let address = account.address();
    // The account pays for its own operations (EntryPoint prefunds), so it holds the PEAQ; the
    // operator gets its bond.
    funder
        .send_transaction(address, Bytes::new(), wei(20_000))
        .await?;
    funder
        .send_transaction(op.address(), Bytes::new(), wei(2_000))
        .await?;
    let machine_id = op.register_for(address).await?;
    ui.info(format!(
        "  account {address} (owner {}, machine key {machine_key_addr}) registered as machine {machine_id}",
        op.address()
    ));

    let events = history(Story::SteadyEarner, 99, machine_id, chain_now, days);
    let registry = stack.contracts().event_registry;
    let calls: Vec<TxCall> = peaqos_types::event::prepare_batch_submit_events(&events)
        .map_err(|e| CliError::user(format!("smart-account history: {e}")))?
        .iter()
        .map(|e| TxCall {
            to: registry,
            data: peaqos_sdk::events::encode_submit_event(e),
            value: U256::ZERO,
        })
        .collect();
    let mut user_operations = 0;
    // The first operation deploys the account (initCode) and carries the first batch.
    for chunk in calls.chunks(32) {
        account.execute(chunk).await?;
        user_operations += 1;
    }
    ui.info(format!(
        "  {} events in {user_operations} UserOperations signed by the machine key",
        events.len()
    ));

    let rotate = peaqos_contracts::MachineSmartAccount::setMachineCall {
        newMachine: new_key_addr,
    };
    op.send_transaction(address, rotate.abi_encode().into(), U256::ZERO)
        .await?;
    let heartbeat = SubmitEventParams::activity(machine_id, U256::from(1u64), chain_now);
    let heartbeat = vec![TxCall {
        to: registry,
        data: peaqos_sdk::events::encode_submit_event(
            &peaqos_types::event::prepare_submit_event(&heartbeat)
                .map_err(|e| CliError::user(format!("heartbeat: {e}")))?,
        ),
        value: U256::ZERO,
    }];
    match account.execute(&heartbeat).await {
        // -32507: the signature is neither the owner's nor the (new) machine's.
        Err(peaqos_sdk::PeaqosError::Rpc {
            rpc_code: Some(-32507),
            ..
        }) => ui.info("  after setMachine the old machine key is refused by the bundler (-32507)"),
        Err(e) => return Err(e.into()),
        Ok(_) => {
            return Err(CliError::user(
                "the rotated-out machine key was still accepted",
            ));
        }
    }
    account
        .clone()
        .with_signer(new_key.signer())
        .execute(&heartbeat)
        .await?;
    user_operations += 1;
    ui.info("  the new machine key submits the next event");
    Ok(AccountMachine {
        address,
        machine_id,
        events: events.len() + 1,
        user_operations,
    })
}

/// Runs the demo.
pub async fn run(args: DemoArgs, ui: &Ui) -> Result<(), CliError> {
    let started = Instant::now();
    let n = args.machines as usize;
    let step = |i: u32, t: &str| {
        ui.step(
            i,
            TOTAL_STEPS,
            format!("{t}  ({:.1}s)", started.elapsed().as_secs_f64()),
        )
    };

    step(
        1,
        "starting devnet, MCR service and Gas Station on free ports",
    );
    let stack = start_stack_with(StackOptions {
        ports: StackPorts::ephemeral(),
        state: None,
        bridge: if args.no_bridge {
            BridgeMode::Off
        } else {
            BridgeMode::Auto
        },
        contracts_dir: crate::env::var("PEAQOS_CONTRACTS_DIR").map(std::path::PathBuf::from),
    })
    .await?;
    ui.detail(format!(
        "devnet {}  MCR {}  Gas Station {}",
        stack.rpc_url(),
        stack.mcr_url(),
        stack.gas_station_url()
    ));
    match (&stack.bridge, &stack.bridge_off) {
        (Some(b), _) => ui.detail(format!(
            "Base devnet {}  bridge {} <-> {}",
            b.base_url(),
            b.peaq_side.oapp,
            b.base_side.oapp
        )),
        (None, reason) => ui.info(format!(
            "  bridge off: {}",
            reason.as_deref().unwrap_or("not started")
        )),
    }
    let base =
        PeaqosConfig::new(stack.rpc_url(), None, stack.contracts()).with_api_url(stack.mcr_url());
    let dev = |i: u32| client_for(&base, PrivateKey::from(&stack.dev_signer(i)));
    let (_, op_key) = new_keypair();
    let op = client_for(&base, op_key)?;
    let gs = stack.gas_station_url();
    let owner = op.address().to_string();

    step(
        2,
        &format!("operator {owner}: Gas Station 2FA enrolment and funding"),
    );
    let setup = op.setup_faucet_2fa(&owner, &gs, QrFormat::Svg).await?;
    if let Some(secret) = setup
        .otpauth_uri
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("secret="))
    {
        note_secret(secret);
    }
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    };
    let code = |t: u64| {
        peaqos_gas_station::current_code_for(&setup.otpauth_uri, t)
            .map_err(|e| CliError::user(format!("TOTP: {e}")))
    };
    // Two distinct time steps inside the server's ±1 step window: one to confirm, one to pay.
    let t0 = now();
    op.confirm_faucet_2fa(&owner, &gs, &code(t0)?).await?;
    let chain_id = op.chain_id().await?;
    let funded = op
        .fund_from_gas_station(
            &FundParams {
                owner_address: owner.clone(),
                target_wallet_address: owner.clone(),
                chain_id: chain_id.to_string(),
                two_factor_code: code(t0 + 30)?,
                request_id: None,
            },
            &gs,
        )
        .await?;
    if let FundResult::Success { tx_hash, .. } = &funded {
        op.wait_for_receipt(*tx_hash).await?;
    }
    ui.info(format!(
        "  Gas Station paid {}",
        match &funded {
            FundResult::Success { funded_amount, .. } => crate::ui::peaq(*funded_amount),
            FundResult::Skipped { .. } => "nothing (skipped)".into(),
        }
    ));
    // The bonds of a fleet exceed a faucet's daily cap: top up from dev account 1.
    let float = wei(2_000 * n as u64 + 6_000);
    dev(1)?
        .send_transaction(op.address(), Bytes::new(), float)
        .await?;
    ui.info(format!(
        "  topped up with {} from dev account 1 for {} bonds",
        crate::ui::peaq(float),
        n + 1
    ));

    step(3, "registering the operator (registerMachine, 1 PEAQ bond)");
    let op_id = op.register_machine().await?;
    let op_did = format!("did:peaq:{}", op.address());
    ui.info(format!("  operator machine id {op_id}  {op_did}"));

    step(
        4,
        &format!("registering {n} machines via registerFor + 1 self-managed machine"),
    );
    let keys: Vec<(Address, PrivateKey)> = (0..=n).map(|_| new_keypair()).collect();
    let mut set = JoinSet::new();
    for (i, (addr, _)) in keys.iter().enumerate().take(n) {
        let op = op.clone();
        let addr = *addr;
        set.spawn(async move {
            let id = op.register_for(addr).await?;
            // gas and the DID deposits (0.1 PEAQ per attribute) of the machine's own DID write
            op.send_transaction(addr, Bytes::new(), wei(1_000)).await?;
            Ok::<_, CliError>((i, id))
        });
    }
    let self_addr = keys[n].0;
    op.send_transaction(self_addr, Bytes::new(), wei(2_500))
        .await?;
    let mut ids = vec![0u64; n + 1];
    let pb = ui.progress(n as u64, "registerFor + gas top-up");
    for (i, id) in join_all(&mut set, &pb, |_| 1).await? {
        ids[i] = id;
    }
    let self_client = client_for(&base, keys[n].1.clone())?;
    ids[n] = self_client.register_machine().await?;
    let clients: Vec<PeaqosClient> = keys
        .iter()
        .map(|(_, k)| client_for(&base, k.clone()))
        .collect::<Result<_, _>>()?;

    step(5, "minting Machine NFTs to the machines");
    let mut set = JoinSet::new();
    for i in 0..=n {
        let minter = if i == n {
            self_client.clone()
        } else {
            op.clone()
        };
        let (id, to) = (ids[i], keys[i].0);
        set.spawn(async move {
            minter.mint_nft(id, to).await?;
            Ok::<_, CliError>((i, minter.token_id_of(id).await?))
        });
    }
    let mut tokens = vec![0u64; n + 1];
    let pb = ui.progress(n as u64 + 1, "mintNft");
    for (i, t) in join_all(&mut set, &pb, |_| 1).await? {
        tokens[i] = t;
    }

    step(
        6,
        "writing DID attributes (machines sign their own; operator lists its fleet)",
    );
    let mut set = JoinSet::new();
    for i in 0..=n {
        let c = clients[i].clone();
        let params = WriteMachineDidParams {
            machine_id: ids[i],
            nft_token_id: tokens[i],
            operator_did: if i == n {
                String::new()
            } else {
                op_did.clone()
            },
            documentation_url: "https://docs.peaq.xyz/peaqos".into(),
            data_api: format!("{}/mcr/did:peaq:{}", stack.mcr_url(), keys[i].0),
            data_visibility: if i % 3 == 2 {
                DataVisibility::Onchain
            } else {
                DataVisibility::Public
            },
        };
        set.spawn(async move {
            c.write_machine_did_attributes(&params).await?;
            Ok::<_, CliError>(())
        });
    }
    join_all(
        &mut set,
        &ui.progress(n as u64 + 1, "DID attributes"),
        |_| 1,
    )
    .await?;
    op.write_proxy_did_attributes(&WriteProxyDidParams {
        proxy_machine_id: op_id,
        machine_ids: ids[..n].to_vec(),
    })
    .await?;

    let chain_now = op.latest_block_timestamp().await?;
    let stories: Vec<Story> = (0..=n)
        .map(|i| {
            if i == n {
                Story::SelfManaged
            } else {
                Story::of(i)
            }
        })
        .collect();
    let mut fleet_events: Vec<SubmitEventParams> = Vec::new();
    for i in 0..n {
        fleet_events.extend(history(stories[i], i as u64, ids[i], chain_now, args.days));
    }
    let self_events = history(Story::SelfManaged, n as u64, ids[n], chain_now, args.days);
    let self_event_count = self_events.len();
    step(
        7,
        &format!(
            "submitting {} backdated events over {} days in batchAll batches",
            fleet_events.len() + self_events.len(),
            args.days
        ),
    );
    let mut set = JoinSet::new();
    for chunk in fleet_events.chunks(200) {
        let op = op.clone();
        let chunk = chunk.to_vec();
        set.spawn(async move {
            op.batch_submit_events(&chunk).await?;
            Ok::<_, CliError>(chunk.len() as u64)
        });
    }
    {
        let c = self_client.clone();
        set.spawn(async move {
            c.batch_submit_events(&self_events).await?;
            Ok::<_, CliError>(self_events.len() as u64)
        });
    }
    let pb = ui.progress(
        (fleet_events.len() + self_event_count) as u64,
        "events (batchAll)",
    );
    join_all(&mut set, &pb, |k| *k).await?;

    step(
        8,
        "a machine whose identity is its ERC-4337 smart account: registerFor(account), events \
         through UserOperations signed by its key, the key rotated with setMachine",
    );
    let account =
        smart_account_machine(&stack, &base, &op, &dev(1)?, chain_now, args.days, ui).await?;
    // The operator lists it in its fleet like the others.
    op.write_proxy_did_attributes(&WriteProxyDidParams {
        proxy_machine_id: op_id,
        machine_ids: ids[..n]
            .iter()
            .copied()
            .chain([account.machine_id])
            .collect(),
    })
    .await?;

    step(
        9,
        "flagging one machine from the AdminFlags owner (dev account 0)",
    );
    let flagged: Vec<usize> = (0..n).filter(|i| stories[*i] == Story::Flagged).collect();
    let admin = dev(0)?;
    let admin_flags = stack
        .contracts()
        .admin_flags
        .ok_or_else(|| CliError::config("no AdminFlags address"))?;
    for i in &flagged {
        let call = AdminFlags::flagMachineCall {
            machineId: U256::from(ids[*i]),
        };
        admin
            .send_transaction(admin_flags, call.abi_encode().into(), U256::ZERO)
            .await?;
    }

    step(
        10,
        "waiting for the MCR indexer, then reading the ratings from the MCR API",
    );
    ui.spin(
        "MCR indexer catching up",
        stack.wait_indexed(Duration::from_secs(60)),
    )
    .await?;
    let mcr = McrClient::new(&stack.mcr_url())?;
    let fleet = crate::show::all_operator_machines(&mcr, &op_did).await?;
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    for i in 0..=n {
        let did = format!("did:peaq:{}", keys[i].0);
        let r = mcr.query_mcr(&did).await?;
        let listed = fleet.iter().any(|m| m.machine_id == ids[i]);
        rows.push(rating_row(ids[i], stories[i].label(), &r));
        json_rows.push(json!({
            "story": stories[i].label(),
            "address": keys[i].0.to_string(),
            "tokenId": tokens[i],
            "operatorListed": listed,
            "mcr": r,
        }));
    }
    {
        let did = format!("did:peaq:{}", account.address);
        let r = mcr.query_mcr(&did).await?;
        rows.push(rating_row(
            account.machine_id,
            "smart account (ERC-4337)",
            &r,
        ));
        json_rows.push(json!({
            "story": "smart account (ERC-4337)",
            "address": account.address.to_string(),
            "userOperations": account.user_operations,
            "machineKeyRotated": true,
            "operatorListed": fleet.iter().any(|m| m.machine_id == account.machine_id),
            "mcr": r,
        }));
    }
    let elapsed = started.elapsed();
    if args.json {
        crate::outln!(
            "{}",
            json!({
                "operator": {"did": op_did, "machineId": op_id, "fleetSize": fleet.len()},
                "machines": json_rows,
                "events": fleet_events.len() + self_event_count + account.events,
                "elapsedMs": elapsed.as_millis() as u64,
                "bridge": stack.bridge_summary(),
            })
        )?;
    } else {
        crate::outln!(
            "Operator {op_did} (machine {op_id}): {} machines listed by the MCR API",
            fleet.len()
        )?;
        crate::out::print(table(
            &[
                "ID",
                "STORY",
                "RATING",
                "SCORE",
                "BOND",
                "REV/ACT",
                "TREND",
                "REVENUE (USD CENTS)",
                "FLAGGED",
                "FX DEGRADED",
            ],
            &rows,
        ))?;
        crate::outln!("done in {:.1}s", elapsed.as_secs_f64())?;
        crate::outln!(
            "dashboard {}/dashboard/operator/{op_did} (served until the demo exits; `peaqos up` serves it until Ctrl-C)",
            stack.mcr_url()
        )?;
    }
    if let Some(path) = &args.secrets_out {
        write_secrets(&stack, path)?;
    }
    stack.shutdown().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stories_have_the_promised_shapes() {
        let now = 1_800_000_000;
        let all = |s| history(s, 3, 7, now, 90);
        assert!(all(Story::ActivitySensor).iter().all(|e| e.event_type == 1));
        let dormant = all(Story::Dormant);
        assert!(!dormant.is_empty() && dormant.iter().all(|e| e.timestamp < now - 60 * DAY));
        assert!(
            all(Story::JpyReporter)
                .iter()
                .any(|e| e.currency.as_deref() == Some("JPY"))
        );
        for s in [
            Story::SteadyEarner,
            Story::Growing,
            Story::Declining,
            Story::Sporadic,
            Story::SelfManaged,
        ] {
            for e in all(s) {
                assert!(e.timestamp <= now && e.timestamp > now - 91 * DAY);
                peaqos_sdk::validate_submit_event_params(&e).unwrap();
            }
        }
        assert_eq!(
            history(Story::Growing, 1, 3, now, 90),
            history(Story::Growing, 1, 3, now, 90)
        );
        assert_eq!(Story::of(0), Story::SteadyEarner);
        assert_eq!(Story::of(4), Story::JpyReporter);
    }
}
