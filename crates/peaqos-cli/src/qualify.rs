//! `peaqos qualify event|events|mcr`.

use crate::ui::Ui;
use crate::{CliError, env};
use alloy::primitives::{B256, U256};
use clap::{Args, Subcommand};
use peaqos_sdk::{EventType, SubmitEventParams, TrustLevel};
use serde_json::json;
use std::path::PathBuf;

/// `peaqos qualify ...`.
#[derive(Debug, Subcommand)]
pub enum QualifyCommand {
    /// Submit one revenue or activity event (validated with the SDK rules before sending).
    Event(EventArgs),
    /// Submit many events from a JSONL file, in batchAll batches.
    Events(EventsArgs),
    /// A machine's credit rating from the MCR API.
    Mcr(McrArgs),
}

/// `qualify event`.
///
/// Examples:
///   peaqos qualify event --machine-id 7 --type revenue --value 12500 --currency USD --ts 2026-01-31T12:00:00Z
///   peaqos qualify event --machine-id 7 --type activity --value 1 --ts 1767225600
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct EventArgs {
    /// Machine id.
    #[arg(long)]
    pub machine_id: u64,
    /// revenue or activity.
    #[arg(long = "type", value_parser = parse_type)]
    pub event_type: EventType,
    /// Revenue in minor units of --currency (cents); activity: any metric.
    #[arg(long, value_parser = parse_value)]
    pub value: U256,
    /// When it happened: unix seconds or ISO 8601 with a zone (2026-01-31T12:00:00Z).
    #[arg(long, value_parser = parse_ts)]
    pub ts: u64,
    /// self, onchain or hardware.
    #[arg(long, default_value = "self", value_parser = parse_trust)]
    pub trust: TrustLevel,
    /// same (off-chain / this chain), peaq or base.
    #[arg(long, default_value = "same", value_parser = parse_source_chain)]
    pub source_chain: u64,
    /// Source transaction hash (required with --trust onchain).
    #[arg(long, value_name = "HASH")]
    pub source_tx: Option<String>,
    /// File whose bytes are hashed into dataHash.
    #[arg(long, value_name = "FILE")]
    pub raw_data: Option<PathBuf>,
    /// File stored on-chain as metadata (at most 4096 bytes).
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,
    /// Currency code for revenue (default USD); must be absent for activity.
    #[arg(long)]
    pub currency: Option<String>,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `qualify events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// JSONL file: one SubmitEventParams object per line (machine_id, event_type 0|1, value,
    /// currency, timestamp, trust_level, source_chain_id, ...).
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Events per batchAll transaction.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub batch_size: u64,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `qualify mcr`.
#[derive(Debug, Args)]
pub struct McrArgs {
    /// Machine DID (did:peaq:0x...).
    pub did: String,
    /// The API's JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `revenue` or `activity`.
pub fn parse_type(s: &str) -> Result<EventType, String> {
    s.parse::<EventType>().map_err(|e| e.message)
}

/// `self`, `onchain` or `hardware`.
pub fn parse_trust(s: &str) -> Result<TrustLevel, String> {
    s.parse::<TrustLevel>().map_err(|e| e.message)
}

/// A non-negative decimal integer.
pub fn parse_value(s: &str) -> Result<U256, String> {
    U256::from_str_radix(s.trim(), 10).map_err(|_| format!("{s:?} is not a non-negative integer"))
}

/// `same` 0, `peaq` 3338, `base` 8453 (or a number).
pub fn parse_source_chain(s: &str) -> Result<u64, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "same" | "0" => Ok(0),
        "peaq" | "3338" => Ok(peaqos_types::constants::PEAQ_MAINNET_CHAIN_ID),
        "base" | "8453" => Ok(8453),
        other => Err(format!("{other:?} must be same, peaq or base")),
    }
}

/// Unix seconds, or ISO 8601 / RFC 3339 with a zone.
pub fn parse_ts(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|_| {
            format!("{s:?} must be unix seconds or ISO 8601 with a zone (2026-01-31T12:00:00Z)")
        })
        .and_then(|d| {
            u64::try_from(d.timestamp())
                .map_err(|_| "timestamps before 1970 are not allowed".into())
        })
}

fn read_file(p: &PathBuf, what: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(p).map_err(|e| CliError::user(format!("cannot read {what} {}: {e}", p.display())))
}

/// Builds the SDK parameters from the flags.
pub fn params_of(a: &EventArgs) -> Result<SubmitEventParams, CliError> {
    let currency = match (a.event_type, &a.currency) {
        (EventType::Revenue, None) => Some("USD".to_string()),
        (EventType::Activity, None) => Some(String::new()),
        (_, Some(c)) => Some(c.clone()),
    };
    Ok(SubmitEventParams {
        machine_id: a.machine_id,
        event_type: a.event_type.as_u8(),
        value: a.value,
        currency,
        timestamp: a.ts,
        raw_data: a
            .raw_data
            .as_ref()
            .map(|p| read_file(p, "--raw-data"))
            .transpose()?,
        trust_level: a.trust.as_u8(),
        source_chain_id: a.source_chain,
        source_tx_hash: a.source_tx.clone(),
        metadata: a
            .metadata
            .as_ref()
            .map(|p| read_file(p, "--metadata"))
            .transpose()?
            .unwrap_or_default(),
    })
}

/// Validates and submits one event (`qualify event`): its transaction hash and data hash.
pub async fn submit_one(a: &EventArgs, ui: &Ui) -> Result<(B256, B256), CliError> {
    let params = params_of(a)?;
    peaqos_sdk::validate_submit_event_params(&params).map_err(peaqos_sdk::PeaqosError::from)?;
    let client = env::client()?;
    ui.info(format!(
        "submitting the {} event for machine {}",
        a.event_type, a.machine_id
    ));
    Ok(ui
        .spin("waiting for the receipt", client.submit_event(&params))
        .await?)
}

/// Runs a `qualify` subcommand.
pub async fn run(cmd: QualifyCommand, ui: &Ui) -> Result<(), CliError> {
    match cmd {
        QualifyCommand::Event(a) => {
            let (tx, data_hash) = submit_one(&a, ui).await?;
            if a.json {
                crate::outln!(
                    "{}",
                    json!({"txHash": tx.to_string(), "dataHash": data_hash.to_string()})
                )?;
            } else {
                crate::outln!("Tx hash    {tx}")?;
                crate::outln!("Data hash  {data_hash}")?;
            }
            Ok(())
        }
        QualifyCommand::Events(a) => {
            let text = std::fs::read_to_string(&a.file)
                .map_err(|e| CliError::user(format!("cannot read {}: {e}", a.file.display())))?;
            let mut events = Vec::new();
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let mut e: SubmitEventParams = serde_json::from_str(line).map_err(|err| {
                    CliError::user(format!("{} line {}: {err}", a.file.display(), i + 1))
                })?;
                if e.currency.is_none() {
                    e.currency = Some(if e.event_type == 0 {
                        "USD".into()
                    } else {
                        String::new()
                    });
                }
                peaqos_sdk::validate_submit_event_params(&e).map_err(|err| {
                    CliError::user(format!(
                        "{} line {}: [VALIDATION_ERROR] {}",
                        a.file.display(),
                        i + 1,
                        err.message
                    ))
                })?;
                events.push(e);
            }
            if events.is_empty() {
                return Err(CliError::user(format!(
                    "{} holds no events",
                    a.file.display()
                )));
            }
            let client = env::client()?;
            let total = events.len();
            let mut hashes = Vec::new();
            let mut done = 0usize;
            let pb = ui.progress(total as u64, "events (batchAll)");
            for chunk in events.chunks(a.batch_size as usize) {
                let h = client.batch_submit_events(chunk).await?;
                done += chunk.len();
                pb.inc(chunk.len() as u64);
                pb.suspend(|| {
                    ui.info(format!("  [{done}/{total}] events submitted (tx {})", h[0]))
                });
                hashes.push(h[0]);
            }
            pb.finish_and_clear();
            if a.json {
                crate::outln!(
                    "{}",
                    json!({"events": total, "txHashes": hashes.iter().map(|h| h.to_string()).collect::<Vec<_>>()})
                )?;
            } else {
                crate::outln!(
                    "Submitted {total} events in {} transaction(s)",
                    hashes.len()
                )?;
                for h in hashes {
                    crate::outln!("  {h}")?;
                }
            }
            Ok(())
        }
        QualifyCommand::Mcr(a) => {
            let mcr = env::mcr()?;
            let r = mcr.query_mcr(&a.did).await?;
            if a.json {
                crate::outln!("{}", serde_json::to_string(&r).expect("serializes"))?;
                return Ok(());
            }
            let last = r
                .last_updated
                .and_then(|t| chrono::DateTime::from_timestamp(i64::try_from(t).ok()?, 0))
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_else(|| "-".into());
            crate::outln!("DID           {}", r.did)?;
            crate::outln!("Machine ID    {}", r.machine_id)?;
            crate::outln!("Rating        {}", r.mcr)?;
            crate::outln!("Score         {}", r.mcr_score)?;
            crate::outln!("Bond          {}", r.bond_status)?;
            crate::outln!("Flagged       {}", r.negative_flag)?;
            crate::outln!(
                "Events        {} ({} revenue, {} activity)",
                r.event_count,
                r.revenue_event_count,
                r.activity_event_count
            )?;
            crate::outln!("Trend         {}", r.revenue_trend)?;
            crate::outln!(
                "Revenue       {:.2} USD total, {:.2} per event",
                r.total_revenue,
                r.average_revenue_per_event
            )?;
            crate::outln!("Last updated  {last}")?;
            crate::outln!("FX degraded   {}", r.mcr_degraded)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_accept_unix_and_iso_with_zone_only() {
        assert_eq!(parse_ts("1767225600"), Ok(1_767_225_600));
        assert_eq!(parse_ts("2026-01-01T00:00:00Z"), Ok(1_767_225_600));
        assert_eq!(parse_ts("2026-01-01T01:00:00+01:00"), Ok(1_767_225_600));
        assert!(parse_ts("2026-01-01T00:00:00").is_err());
        assert!(parse_ts("yesterday").is_err());
    }

    #[test]
    fn source_chains() {
        assert_eq!(parse_source_chain("same"), Ok(0));
        assert_eq!(parse_source_chain("peaq"), Ok(3338));
        assert_eq!(parse_source_chain("BASE"), Ok(8453));
        assert!(parse_source_chain("eth").is_err());
    }
}
