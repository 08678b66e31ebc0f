//! `peaqos mcp`: a Model Context Protocol server over stdio (the official Rust SDK, `rmcp`),
//! so an AI agent drives peaqOS with the CLI's own code paths.
//!
//! Tools (each with a JSON schema for its input): `whoami`, `activate`, `submit_event`,
//! `query_mcr`, `show_machine`, `explain_rating`, `operator_fleet`, `rating_history`,
//! `fund_from_gas_station`. Every tool runs the function its CLI subcommand runs
//! ([`crate::whoami::identity`], [`crate::activate::activate`], [`crate::qualify::submit_one`],
//! [`crate::show::all_operator_machines`], the SDK's MCR and Gas Station clients), configured
//! the same way (the env file and the environment, read on every call). Tool arguments that
//! mirror CLI flags are parsed by the CLI's own clap definitions, so defaults and validation
//! are the CLI's.
//!
//! A failed tool answers `isError: true` with `{"exitCode", "kind", "code", "message"}`: the
//! CLI's exit code (1 user, 2 network / chain / API, 3 configuration) and the documented error
//! code when there is one.
//!
//! The docs (docs/*.md, embedded at build time) are resources `peaqos://docs/<FILE>`.
//!
//! Secrets: no tool takes or returns a private key, a passphrase or a TOTP secret. A proxy
//! machine's key is named by a file path; 2FA codes are inputs used once and never stored;
//! the 2FA enrolment (whose secret is for a person's authenticator) is never touched. As a last
//! guard every answer is scanned for the configured key and passphrase before it is sent.
//! stdout carries only the protocol; progress and logs go to stderr.

use crate::activate::{ActivateArgs, Asker};
use crate::qualify::EventArgs;
use crate::ui::Ui;
use crate::{CliError, env, error::exit};
use clap::{Args, FromArgMatches};
use peaqos_sdk::{FundParams, FundResult, Rating};
use peaqos_types::network::env as vars;
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{
    CallToolResult, ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ServerCapabilities,
    ServerConfig,
};
use rmcp::schemars::JsonSchema;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Value, json};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The documentation files served as resources (docs/*.md): `(file name, contents)`, once in
/// the binary (statics).
pub use embedded::DOCS;
/// The agent skill's files (`skills/peaqos/`): `(relative path, contents)`.
pub use embedded::SKILL as SKILL_FILES;

/// The log directive `peaqos mcp` always adds: rmcp at most at info, whatever `-v` or
/// `PEAQOS_LOG` ask for (its debug lines dump requests, 2FA codes included).
pub const LOG_CAP: &str = "rmcp=info";

/// The URI prefix of the documentation resources.
pub const DOCS_URI: &str = "peaqos://docs/";

/// Serve `peaqos mcp`: the MCP server on stdin/stdout (register it with your agent:
/// `claude mcp add peaqos -- peaqos mcp`). Configuration as for every command: the env file
/// (--env-file, default .env) and the environment.
#[derive(Debug, Clone, Args)]
pub struct McpArgs {}

/// Runs the server until the client closes stdin.
pub async fn run(_args: McpArgs, ui: &Ui) -> Result<(), CliError> {
    tracing::info!(target: "peaqos", "MCP server on stdio");
    let server = PeaqosMcp::new(*ui);
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| CliError::user(format!("MCP handshake failed: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| CliError::user(format!("MCP server stopped: {e}")))?;
    Ok(())
}

/// The peaqOS MCP server.
#[derive(Debug, Clone)]
pub struct PeaqosMcp {
    ui: Ui,
    tool_router: ToolRouter<Self>,
}

/// A tool's answer: its JSON, or the CLI error it ended with.
type Answer = Result<Value, CliError>;

/// `whoami` takes nothing.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct NoArgs {}

/// `activate`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ActivateInput {
    /// Proxy mode: the machine address (0x...) activated on its behalf by the configured
    /// operator; needs machine_key_file. Omit both for self-managed activation.
    #[serde(default)]
    pub for_address: Option<String>,
    /// Path of a file holding the machine's 0x hex private key (proxy mode). The key itself is
    /// never passed to or returned by the server.
    #[serde(default)]
    pub machine_key_file: Option<String>,
    /// documentation_url DID attribute (default https://docs.peaq.xyz/peaqos).
    #[serde(default)]
    pub doc_url: Option<String>,
    /// data_api DID attribute (default: the machine's rating URL on the MCR API).
    #[serde(default)]
    pub data_api: Option<String>,
    /// data_visibility DID attribute: public (default), private or onchain.
    #[serde(default)]
    pub visibility: Option<String>,
    /// Do not ask the Gas Station for funds.
    #[serde(default)]
    pub skip_funding: bool,
    /// Current 2FA code(s) from the operator's authenticator, for Gas Station funding (used
    /// once, never stored). Needed only when a wallet is short of funds.
    #[serde(default)]
    pub totp: Vec<String>,
    /// Journal file (default peaqos.log in the server's working directory).
    #[serde(default)]
    pub log: Option<String>,
}

/// `submit_event`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct EventInput {
    /// Machine id.
    pub machine_id: u64,
    /// revenue or activity.
    pub event_type: String,
    /// Revenue in minor units of currency (cents); activity: any metric. A decimal integer.
    pub value: String,
    /// When it happened: unix seconds or ISO 8601 with a zone (2026-01-31T12:00:00Z).
    pub timestamp: String,
    /// self (default), onchain or hardware.
    #[serde(default)]
    pub trust: Option<String>,
    /// same (default), peaq or base.
    #[serde(default)]
    pub source_chain: Option<String>,
    /// Source transaction hash (required with trust onchain).
    #[serde(default)]
    pub source_tx: Option<String>,
    /// Currency code for revenue (default USD); must be absent for activity.
    #[serde(default)]
    pub currency: Option<String>,
    /// Path of a file whose bytes are hashed into dataHash.
    #[serde(default)]
    pub raw_data_file: Option<String>,
    /// Path of a file stored on-chain as metadata (at most 4096 bytes).
    #[serde(default)]
    pub metadata_file: Option<String>,
}

/// A machine DID.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct DidInput {
    /// Machine DID (did:peaq:0x...).
    pub did: String,
}

/// Which machines of a fleet to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(rename_all = "lowercase")]
pub enum FleetFilter {
    /// Every machine.
    #[default]
    All,
    /// No rating: NR or Provisioned.
    Unrated,
    /// No rating or a low one: NR, Provisioned, B or BB (below investment grade).
    Low,
}

impl FleetFilter {
    /// Whether a machine with `rating` passes.
    pub fn keeps(self, rating: Rating) -> bool {
        let unrated = matches!(rating, Rating::NR | Rating::Provisioned);
        match self {
            FleetFilter::All => true,
            FleetFilter::Unrated => unrated,
            FleetFilter::Low => unrated || matches!(rating, Rating::B | Rating::BB),
        }
    }
}

/// `operator_fleet`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct FleetInput {
    /// Operator DID (did:peaq:0x...).
    pub did: String,
    /// all (default), unrated (NR / Provisioned) or low (unrated, B or BB).
    #[serde(default)]
    pub filter: FleetFilter,
}

/// `rating_history`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct HistoryInput {
    /// Machine DID (did:peaq:0x...).
    pub did: String,
    /// First day (YYYY-MM-DD), optional.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD), optional.
    #[serde(default)]
    pub to: Option<String>,
}

/// `fund_from_gas_station`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct FundInput {
    /// The current 2FA code from the operator's authenticator (6 digits). Used for this one
    /// request and never stored.
    pub two_factor_code: String,
    /// Wallet to fund (0x...); default: the configured operator's own address.
    #[serde(default)]
    pub target_address: Option<String>,
    /// Idempotency key (optional): a retry with the same key is not paid twice.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Parses `argv` (flags only) with the clap definition of `T`, the CLI's own.
fn parse_args<T: Args + FromArgMatches>(
    name: &'static str,
    argv: &[String],
) -> Result<T, CliError> {
    let cmd = T::augment_args(clap::Command::new(name).no_binary_name(true));
    let m = cmd.try_get_matches_from(argv).map_err(|e| {
        CliError::user(
            format!("[VALIDATION_ERROR] {}", e.render())
                .trim_end()
                .to_string(),
        )
    })?;
    T::from_arg_matches(&m).map_err(|e| CliError::user(format!("[VALIDATION_ERROR] {e}")))
}

fn flag(argv: &mut Vec<String>, name: &str, v: &Option<String>) {
    if let Some(v) = v {
        argv.push(format!("--{name}"));
        argv.push(v.clone());
    }
}

/// The `activate` flags of a tool input.
pub fn activate_args(i: &ActivateInput) -> Result<ActivateArgs, CliError> {
    let mut a = Vec::new();
    flag(&mut a, "for", &i.for_address);
    flag(&mut a, "machine-key", &i.machine_key_file);
    flag(&mut a, "doc-url", &i.doc_url);
    flag(&mut a, "data-api", &i.data_api);
    flag(&mut a, "visibility", &i.visibility);
    flag(&mut a, "log", &i.log);
    if i.skip_funding {
        a.push("--skip-funding".into());
    }
    for c in &i.totp {
        a.push("--totp".into());
        a.push(c.clone());
    }
    parse_args("activate", &a)
}

/// The `qualify event` flags of a tool input.
pub fn event_args(i: &EventInput) -> Result<EventArgs, CliError> {
    let mut a = vec![
        "--machine-id".to_string(),
        i.machine_id.to_string(),
        "--type".into(),
        i.event_type.clone(),
        "--value".into(),
        i.value.clone(),
        "--ts".into(),
        i.timestamp.clone(),
    ];
    flag(&mut a, "trust", &i.trust);
    flag(&mut a, "source-chain", &i.source_chain);
    flag(&mut a, "source-tx", &i.source_tx);
    flag(&mut a, "currency", &i.currency);
    flag(&mut a, "raw-data", &i.raw_data_file);
    flag(&mut a, "metadata", &i.metadata_file);
    parse_args("event", &a)
}

/// The error kind of an exit code.
pub fn kind_of(exit_code: u8) -> &'static str {
    match exit_code {
        exit::USER => "user",
        exit::NETWORK => "network",
        exit::CONFIG => "config",
        _ => "ok",
    }
}

/// The documented code in a CLI message (`[NOT_FOUND] ...`), if it starts with one.
pub fn code_of(message: &str) -> Option<&str> {
    let rest = message.strip_prefix('[')?;
    let code = &rest[..rest.find(']')?];
    (!code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
    .then_some(code)
}

/// The MCP tool error of a CLI error: `{"exitCode", "kind", "code", "message"}`.
pub fn error_json(e: &CliError) -> Value {
    // The code may follow a context prefix ("PEAQOS_OWS_WALLET w: [WALLET_NOT_FOUND] ...").
    let code =
        code_of(&e.message).or_else(|| e.message.find('[').and_then(|i| code_of(&e.message[i..])));
    json!({
        "exitCode": e.exit_code,
        "kind": kind_of(e.exit_code),
        "code": code,
        "message": e.message,
    })
}

/// The secrets of the configuration (private key, passphrases), for the last-guard scan.
fn configured_secrets() -> Vec<String> {
    let mut out = Vec::new();
    for k in [vars::PEAQOS_PRIVATE_KEY, "OWS_PASSPHRASE"] {
        if let Some(v) = env::var(k) {
            let bare = v.trim_start_matches("0x").to_string();
            if bare.len() >= 8 {
                out.push(bare);
            }
        }
    }
    out
}

/// Replaces every occurrence of a secret in `text` (case-insensitively for hex keys).
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        let lower = out.to_ascii_lowercase();
        let needle = s.to_ascii_lowercase();
        if lower.contains(&needle) {
            let mut cleaned = String::with_capacity(out.len());
            let mut i = 0;
            while let Some(pos) = lower[i..].find(&needle) {
                cleaned.push_str(&out[i..i + pos]);
                cleaned.push_str("[redacted]");
                i += pos + needle.len();
            }
            cleaned.push_str(&out[i..]);
            out = cleaned;
        }
    }
    out
}

/// The tool result of an answer, secrets scanned out.
fn finish(tool: &str, answer: Answer) -> CallToolResult {
    let secrets = configured_secrets();
    let (value, ok) = match answer {
        Ok(v) => (v, true),
        Err(e) => {
            tracing::warn!(target: "peaqos", tool, exit_code = e.exit_code, "tool failed");
            (error_json(&e), false)
        }
    };
    let text = redact(&value.to_string(), &secrets);
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if ok {
        CallToolResult::structured(value)
    } else {
        CallToolResult::structured_error(value)
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Answer {
    serde_json::to_value(v).map_err(|e| CliError::network(format!("[BAD_RESPONSE] {e}")))
}

#[tool_router]
impl PeaqosMcp {
    /// A server whose progress lines go through `ui` (stderr).
    pub fn new(ui: Ui) -> Self {
        Self {
            ui,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "The configured identity (as `peaqos whoami --json`): address, DID, wallet, network, RPC URL, chain id, MCR API and Gas Station URLs, balance in wei, contract addresses. No key or passphrase is returned."
    )]
    async fn whoami(&self, _: Parameters<NoArgs>) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "whoami", "tool call");
        let r = crate::whoami::identity(&|k| std::env::var(k).ok())
            .await
            .map(|id| id.to_json());
        finish("whoami", r)
    }

    #[tool(
        description = "Activate a machine (as `peaqos activate --json`): balance check, Gas Station funding when short (needs totp codes; 2FA must already be enrolled by a person in a terminal), register (or registerFor in proxy mode), mint the Machine NFT, write the DID attributes. Idempotent: a re-run finishes a half-done activation. Self-managed: no for_address. Proxy operator: for_address + machine_key_file (a path, never the key). Returns machineId, tokenId, machineDid, machineAddress (+ operatorDid)."
    )]
    async fn activate(&self, Parameters(input): Parameters<ActivateInput>) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "activate", proxy = input.for_address.is_some(), "tool call");
        let r = async {
            let args = activate_args(&input)?;
            let a = crate::activate::activate(&args, &self.ui, Asker::Agent).await?;
            Ok(a.to_json())
        }
        .await;
        finish("activate", r)
    }

    #[tool(
        description = "Submit one revenue or activity event for a machine (as `peaqos qualify event --json`), validated with the SDK rules first; signed by the configured key. Returns txHash and dataHash."
    )]
    async fn submit_event(&self, Parameters(input): Parameters<EventInput>) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "submit_event", machine_id = input.machine_id, "tool call");
        let r = async {
            let args = event_args(&input)?;
            let (tx, data_hash) = crate::qualify::submit_one(&args, &self.ui).await?;
            Ok(json!({"txHash": tx.to_string(), "dataHash": data_hash.to_string()}))
        }
        .await;
        finish("submit_event", r)
    }

    #[tool(
        description = "A machine's credit rating from the MCR API (GET /mcr/{did}, as `peaqos qualify mcr --json`): rating, score, bond, flags, event counts, revenue, trend, FX-degraded."
    )]
    async fn query_mcr(&self, Parameters(input): Parameters<DidInput>) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "query_mcr", "tool call");
        let r = async { to_value(&env::mcr()?.query_mcr(&input.did).await?) }.await;
        finish("query_mcr", r)
    }

    #[tool(
        description = "A machine's profile (NFT metadata) from the MCR API (GET /machine/{did}, as `peaqos show machine --json`)."
    )]
    async fn show_machine(&self, Parameters(input): Parameters<DidInput>) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "show_machine", "tool call");
        let r = async { to_value(&env::mcr()?.query_machine(&input.did).await?) }.await;
        finish("show_machine", r)
    }

    #[tool(
        description = "Why a machine has its rating: every term of the scoring model (gates, factors, trust, freshness, trend) and the facts it was given (GET /mcr/{did}/explain)."
    )]
    async fn explain_rating(&self, Parameters(input): Parameters<DidInput>) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "explain_rating", "tool call");
        let r = async { to_value(&env::mcr()?.explain_mcr(&input.did).await?) }.await;
        finish("explain_rating", r)
    }

    #[tool(
        description = "An operator's fleet with ratings, every page (as `peaqos show operator machines --all --json`), optionally only machines with no rating (filter unrated: NR, Provisioned) or no or a low rating (filter low: also B, BB). Returns operator_did, filter, total (whole fleet), count and machines."
    )]
    async fn operator_fleet(&self, Parameters(input): Parameters<FleetInput>) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "operator_fleet", "tool call");
        let r = async {
            let all = crate::show::all_operator_machines(&env::mcr()?, &input.did).await?;
            let total = all.len();
            let kept: Vec<_> = all
                .into_iter()
                .filter(|m| input.filter.keeps(m.mcr))
                .collect();
            Ok(json!({
                "operator_did": input.did,
                "filter": input.filter,
                "total": total,
                "count": kept.len(),
                "machines": to_value(&kept)?,
            }))
        }
        .await;
        finish("operator_fleet", r)
    }

    #[tool(
        description = "A machine's daily score, rating and trend history from the MCR service (GET /mcr/{did}/history?from&to; days as YYYY-MM-DD)."
    )]
    async fn rating_history(&self, Parameters(input): Parameters<HistoryInput>) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "rating_history", "tool call");
        let r = async {
            Ok(env::mcr()?
                .query_mcr_history(&input.did, input.from.as_deref(), input.to.as_deref())
                .await?)
        }
        .await;
        finish("rating_history", r)
    }

    #[tool(
        description = "Ask the Gas Station to fund a wallet with gas, authorised by the operator's current 2FA code (used once, never stored). The operator is the configured identity; the target defaults to it. 2FA must already be enrolled (by a person, in a terminal). Returns status success (txHash, fundedAmountWei) or skipped (currentBalanceWei)."
    )]
    async fn fund_from_gas_station(
        &self,
        Parameters(input): Parameters<FundInput>,
    ) -> CallToolResult {
        tracing::info!(target: "peaqos", tool = "fund_from_gas_station", "tool call");
        let r = async {
            let client = env::client()?;
            let gs = env::gas_station_url().ok_or_else(|| {
                CliError::config(format!(
                    "configuration: {} is required for funding",
                    vars::PEAQOS_GAS_STATION_URL
                ))
            })?;
            let target = match &input.target_address {
                Some(t) => t.parse::<alloy::primitives::Address>().map_err(|_| {
                    CliError::user(format!(
                        "[VALIDATION_ERROR] target_address must be a 0x address, got {t:?}"
                    ))
                })?,
                None => client.address(),
            };
            let chain_id = client.chain_id().await?;
            let params = FundParams {
                owner_address: client.address().to_string(),
                target_wallet_address: target.to_string(),
                chain_id: chain_id.to_string(),
                two_factor_code: input.two_factor_code.trim().to_string(),
                request_id: input.request_id.clone(),
            };
            let out = match client.fund_from_gas_station(&params, &gs).await? {
                FundResult::Success {
                    request_id,
                    tx_hash,
                    funded_amount,
                } => {
                    client.wait_for_receipt(tx_hash).await?;
                    json!({
                        "status": "success",
                        "requestId": request_id,
                        "target": target.to_string(),
                        "txHash": tx_hash.to_string(),
                        "fundedAmountWei": funded_amount.to_string(),
                    })
                }
                FundResult::Skipped {
                    request_id,
                    current_balance,
                    min_gas_balance,
                } => json!({
                    "status": "skipped",
                    "requestId": request_id,
                    "target": target.to_string(),
                    "currentBalanceWei": current_balance.to_string(),
                    "minGasBalanceWei": min_gas_balance.to_string(),
                }),
            };
            Ok(out)
        }
        .await;
        finish("fund_from_gas_station", r)
    }
}

/// The title of a markdown document: its first `# ` heading.
fn title_of(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(str::trim)
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PeaqosMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(rmcp::model::Implementation::new(
            "peaqos",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "peaqOS: on-chain identity, events and credit ratings (MCR) for machines. Tools run \
             the peaqos CLI's own code against the configured chain, MCR API and Gas Station. \
             Never ask the user for a private key, mnemonic or 2FA secret; 2FA codes (6 digits) \
             are fine. The docs are resources under peaqos://docs/.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let items = DOCS
            .iter()
            .map(|(name, text)| {
                let mut r = Resource::new(format!("{DOCS_URI}{name}"), *name)
                    .with_mime_type("text/markdown")
                    .with_size(text.len() as u64);
                if let Some(t) = title_of(text) {
                    r = r.with_title(t);
                }
                r
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(items))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let found = request
            .uri
            .strip_prefix(DOCS_URI)
            .and_then(|name| DOCS.iter().find(|(n, _)| *n == name));
        match found {
            Some((_, text)) => Ok(ReadResourceResult::new(vec![
                ResourceContents::text(*text, request.uri.clone()).with_mime_type("text/markdown"),
            ])
            .into()),
            None => Err(ErrorData::resource_not_found(
                format!("no such resource: {}", request.uri),
                None,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_filters() {
        use Rating::*;
        let keep = |f: FleetFilter| {
            Rating::ALL
                .into_iter()
                .filter(|r| f.keeps(*r))
                .collect::<Vec<_>>()
        };
        assert_eq!(keep(FleetFilter::All), Rating::ALL.to_vec());
        assert_eq!(keep(FleetFilter::Unrated), vec![NR, Provisioned]);
        assert_eq!(keep(FleetFilter::Low), vec![BB, B, NR, Provisioned]);
    }

    #[test]
    fn codes_and_kinds_of_cli_errors() {
        let e = CliError::network("[NOT_FOUND] MCR API returned 404: unknown machine");
        let v = error_json(&e);
        assert_eq!(v["exitCode"], 2);
        assert_eq!(v["kind"], "network");
        assert_eq!(v["code"], "NOT_FOUND");
        let c = CliError::config("PEAQOS_OWS_WALLET w: [WALLET_NOT_FOUND] no wallet w");
        assert_eq!(error_json(&c)["code"], "WALLET_NOT_FOUND");
        assert_eq!(error_json(&c)["kind"], "config");
        let u = CliError::user("--for and --machine-key must be used together");
        assert_eq!(error_json(&u)["code"], Value::Null);
        assert_eq!(code_of("[a b] x"), None);
    }

    #[test]
    fn redaction_removes_every_occurrence_in_any_case() {
        let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80".to_string();
        let text = format!("a 0x{key} b {} c", key.to_ascii_uppercase());
        let out = redact(&text, std::slice::from_ref(&key));
        assert_eq!(out, "a 0x[redacted] b [redacted] c");
        assert_eq!(redact("nothing", &[key]), "nothing");
    }

    #[test]
    fn tool_inputs_parse_with_the_cli_flags() {
        let a = activate_args(&ActivateInput {
            totp: vec!["123456".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            a.doc_url, "https://docs.peaq.xyz/peaqos",
            "the CLI's default"
        );
        assert_eq!(a.totp, vec!["123456".to_string()]);
        let only_for = activate_args(&ActivateInput {
            for_address: Some("0x0000000000000000000000000000000000000001".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(only_for.exit_code, exit::USER);
        assert!(
            only_for.message.contains("machine-key"),
            "{}",
            only_for.message
        );
        let e = event_args(&EventInput {
            machine_id: 7,
            event_type: "revenue".into(),
            value: "12500".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            trust: None,
            source_chain: Some("base".into()),
            source_tx: None,
            currency: None,
            raw_data_file: None,
            metadata_file: None,
        })
        .unwrap();
        assert_eq!(
            (e.machine_id, e.ts, e.source_chain),
            (7, 1_767_225_600, 8453)
        );
        let bad = event_args(&EventInput {
            machine_id: 7,
            event_type: "gift".into(),
            value: "1".into(),
            timestamp: "1".into(),
            trust: None,
            source_chain: None,
            source_tx: None,
            currency: None,
            raw_data_file: None,
            metadata_file: None,
        })
        .unwrap_err();
        assert_eq!(bad.exit_code, exit::USER);
    }

    #[test]
    fn the_docs_are_embedded() {
        assert!(
            DOCS.iter()
                .any(|(n, t)| *n == "ARCHITECTURE.md" && !t.is_empty())
        );
        assert!(
            DOCS.iter()
                .all(|(n, _)| n.ends_with(".md") && !n.contains('/'))
        );
    }
}
