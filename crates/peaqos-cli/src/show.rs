//! `peaqos show machine|operator machines`.

use crate::ui::{Ui, table};
use crate::{CliError, env};
use clap::{Args, Subcommand};

/// `peaqos show ...`.
#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// A machine's profile (NFT metadata) from the MCR API.
    Machine(MachineArgs),
    /// An operator's views.
    #[command(subcommand)]
    Operator(OperatorCommand),
}

/// `show operator ...`.
#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// The operator's fleet with ratings.
    Machines(OperatorMachinesArgs),
}

/// `show machine`.
#[derive(Debug, Args)]
pub struct MachineArgs {
    /// Machine DID (did:peaq:0x...).
    pub did: String,
    /// The API's JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `show operator machines`.
#[derive(Debug, Args)]
pub struct OperatorMachinesArgs {
    /// Operator DID (did:peaq:0x...).
    pub did: String,
    /// Walk every page (default: the first page).
    #[arg(long)]
    pub all: bool,
    /// Page offset (without --all).
    #[arg(long)]
    pub offset: Option<u64>,
    /// Page size (without --all).
    #[arg(long)]
    pub limit: Option<u64>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Page size for walking an operator's fleet: the MCR API caps `limit` at 20 (the SDK's
/// `query_all_operator_machines` asks for 100 and is refused, so the CLI pages itself).
pub const PAGE: u64 = 20;

/// Every machine of an operator, page by page.
pub async fn all_operator_machines(
    mcr: &peaqos_sdk::McrClient,
    did: &str,
) -> Result<Vec<peaqos_sdk::OperatorMachine>, CliError> {
    let mut all = Vec::new();
    loop {
        let page = mcr
            .query_operator_machines(did, Some(all.len() as u64), Some(PAGE))
            .await?;
        let n = page.machines.len();
        all.extend(page.machines);
        if n == 0 || all.len() as u64 >= page.pagination.total {
            return Ok(all);
        }
    }
}

/// Fleet rows: DID, machine id, rating, score, flagged.
pub fn fleet_rows(machines: &[peaqos_sdk::OperatorMachine]) -> Vec<Vec<String>> {
    machines
        .iter()
        .map(|m| {
            vec![
                m.machine_id.to_string(),
                m.did.clone(),
                m.mcr.to_string(),
                m.mcr_score.to_string(),
                if m.negative_flag {
                    "yes".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect()
}

/// Where the Machine NFT is, in one line.
pub fn nft_line(n: &peaqos_types::mcr_wire::NftLocation) -> String {
    let token = n
        .token_id
        .map_or_else(String::new, |t| format!("token {t} "));
    let owner = n.owner.as_deref().unwrap_or("?");
    match n.chain.as_str() {
        "peaq" => format!("{token}on peaq, held by {owner}"),
        "base" => format!("{token}on Base, held by {owner} (locked in MachineNFTAdapter on peaq)"),
        "none" => "none minted".into(),
        _ => format!(
            "{token}location unknown: {}",
            n.reason.as_deref().unwrap_or("no reason given")
        ),
    }
}

/// Runs a `show` subcommand.
pub async fn run(cmd: ShowCommand, _ui: &Ui) -> Result<(), CliError> {
    let mcr = env::mcr()?;
    match cmd {
        ShowCommand::Machine(a) => {
            let p = mcr.query_machine(&a.did).await?;
            if a.json {
                crate::outln!("{}", serde_json::to_string(&p).expect("serializes"))?;
                return Ok(());
            }
            let d = &p.peaqos;
            crate::outln!("Name           {}", p.name)?;
            crate::outln!("DID            {}", d.did)?;
            crate::outln!("Machine ID     {}", d.machine_id)?;
            crate::outln!(
                "Operator       {}",
                d.operator.as_deref().unwrap_or("(self-managed)")
            )?;
            crate::outln!("Rating         {} (score {})", d.mcr, d.mcr_score)?;
            crate::outln!("Bond           {}", d.bond_status)?;
            crate::outln!("Flagged        {}", d.negative_flag)?;
            crate::outln!("Events         {}", d.event_count)?;
            crate::outln!("Visibility     {}", d.data_visibility.as_str())?;
            crate::outln!(
                "Documentation  {}",
                d.documentation_url.as_deref().unwrap_or("-")
            )?;
            if let Some(api) = &d.data_api {
                crate::outln!("Data API       {api}")?;
            }
            if let Some(n) = &d.machine_nft {
                crate::outln!("Machine NFT    {}", nft_line(n))?;
            }
            if let Some(v) = &d.source_verification {
                crate::outln!(
                    "Trust level 1  {} verified, {} unverified, {} pending (checked on the source chain)",
                    v.verified,
                    v.unverified,
                    v.pending
                )?;
            }
            Ok(())
        }
        ShowCommand::Operator(OperatorCommand::Machines(a)) => {
            let (machines, total) = if a.all {
                let m = all_operator_machines(&mcr, &a.did).await?;
                let n = m.len() as u64;
                (m, n)
            } else {
                let r = mcr
                    .query_operator_machines(&a.did, a.offset, a.limit)
                    .await?;
                (r.machines, r.pagination.total)
            };
            if a.json {
                crate::outln!(
                    "{}",
                    serde_json::json!({"operator_did": a.did, "machines": machines, "total": total})
                )?;
                return Ok(());
            }
            crate::outln!(
                "Operator {}: {} machine(s){}",
                a.did,
                total,
                if !a.all && (machines.len() as u64) < total {
                    " (use --all for every page)"
                } else {
                    ""
                }
            )?;
            crate::out::print(table(
                &["ID", "DID", "RATING", "SCORE", "FLAGGED"],
                &fleet_rows(&machines),
            ))?;
            Ok(())
        }
    }
}
