//! `peaqos init`: writes the `.env` the other commands read.

use crate::ui::Ui;
use crate::{CliError, env, whoami};
use clap::{Args, ValueEnum};
use peaqos_sdk::{Network, PeaqosClient, preset_addresses};
use peaqos_types::network::env as vars;
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

/// Where the signing key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeySource {
    /// Paste an existing 0x private key (hidden input; non-interactive: PEAQOS_PRIVATE_KEY).
    Paste,
    /// Generate a fresh key.
    Generate,
    /// Sign with an OWS vault wallet (writes PEAQOS_OWS_WALLET).
    Wallet,
}

/// Write a `.env` (mode 0600) with the network, the key, the RPC / MCR API / Gas Station URLs
/// and the network's contract addresses, then run `whoami`.
///
/// Examples:
///   peaqos init                                            # asks
///   peaqos init --non-interactive --network devnet --key-source generate
///   PEAQOS_PRIVATE_KEY=0x... peaqos init --non-interactive --network testnet --force
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct InitArgs {
    /// Do not ask: take everything from flags and the environment.
    #[arg(long)]
    pub non_interactive: bool,
    /// Overwrite an existing env file.
    #[arg(long)]
    pub force: bool,
    /// Network preset (addresses and default URLs).
    #[arg(long, value_parser = parse_network)]
    pub network: Option<Network>,
    /// Key source (non-interactive default: paste when PEAQOS_PRIVATE_KEY is set).
    #[arg(long, value_enum)]
    pub key_source: Option<KeySource>,
    /// OWS wallet name (key source `wallet`).
    #[arg(long, value_name = "NAME")]
    pub wallet: Option<String>,
    /// JSON-RPC URL (default: the network's).
    #[arg(long, value_name = "URL")]
    pub rpc_url: Option<String>,
    /// MCR API URL (default: the network's).
    #[arg(long, value_name = "URL")]
    pub mcr_api_url: Option<String>,
    /// Gas Station URL (default: the network's).
    #[arg(long, value_name = "URL")]
    pub gas_station_url: Option<String>,
    /// Do not run whoami at the end (no node needed).
    #[arg(long)]
    pub no_whoami: bool,
    /// whoami output as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_network(s: &str) -> Result<Network, String> {
    s.parse::<Network>().map_err(|e| e.to_string())
}

/// The values `init` writes, in file order.
pub fn env_entries(
    network: Network,
    key: &KeyChoice,
    rpc_url: &str,
    mcr_api_url: &str,
    gas_station_url: &str,
) -> Vec<(String, String)> {
    let mut out = vec![
        (
            vars::PEAQOS_NETWORK.to_string(),
            network.as_str().to_string(),
        ),
        (vars::PEAQOS_RPC_URL.to_string(), rpc_url.to_string()),
    ];
    match key {
        KeyChoice::Key(k) => out.push((vars::PEAQOS_PRIVATE_KEY.to_string(), k.clone())),
        KeyChoice::Wallet(w) => out.push((vars::PEAQOS_OWS_WALLET.to_string(), w.clone())),
    }
    for (k, v) in preset_addresses(network).to_env_pairs() {
        out.push((k.to_string(), v));
    }
    out.push((
        vars::PEAQOS_MCR_API_URL.to_string(),
        mcr_api_url.to_string(),
    ));
    out.push((
        vars::PEAQOS_GAS_STATION_URL.to_string(),
        gas_station_url.to_string(),
    ));
    out
}

/// The signer written to the file.
#[derive(Clone)]
pub enum KeyChoice {
    /// A 0x private key.
    Key(String),
    /// An OWS wallet name.
    Wallet(String),
}

impl std::fmt::Debug for KeyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyChoice::Key(_) => f.write_str("Key([REDACTED])"),
            KeyChoice::Wallet(w) => write!(f, "Wallet({w})"),
        }
    }
}

/// How often a question is asked before a bad answer ends `init`.
pub const ATTEMPTS: usize = 3;

/// Where the interactive `init` asks its questions: the terminal ([`TerminalPrompter`]) or, in
/// tests, scripted answers ([`ScriptPrompter`]).
pub trait Prompter {
    /// Shows `question` and reads one line; `None` at the end of the input.
    fn line(&mut self, question: &str) -> Result<Option<String>, CliError>;
    /// Shows `question` and reads a secret (hidden on a terminal); `None` at the end.
    fn secret(&mut self, question: &str) -> Result<Option<String>, CliError>;
    /// Tells the user why an answer was refused.
    fn note(&mut self, message: &str);
}

/// Questions on stderr, answers from stdin; secrets through `rpassword` (hidden input).
#[derive(Debug, Default)]
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    fn line(&mut self, question: &str) -> Result<Option<String>, CliError> {
        eprint!("{question}");
        let _ = std::io::stderr().flush();
        read_line(&mut std::io::stdin().lock())
    }
    fn secret(&mut self, question: &str) -> Result<Option<String>, CliError> {
        rpassword::prompt_password(question)
            .map(Some)
            .map_err(|e| CliError::user(format!("cannot read the answer: {e}")))
    }
    fn note(&mut self, message: &str) {
        eprintln!("{message}");
    }
}

/// Answers from any reader, questions and notes to any writer (secrets are read as plain
/// lines): drives the interactive flow without a terminal.
#[derive(Debug)]
pub struct ScriptPrompter<R, W> {
    /// The answers, one a line.
    pub input: R,
    /// What the user would see.
    pub output: W,
}

impl<R: BufRead, W: Write> Prompter for ScriptPrompter<R, W> {
    fn line(&mut self, question: &str) -> Result<Option<String>, CliError> {
        let _ = write!(self.output, "{question}");
        read_line(&mut self.input)
    }
    fn secret(&mut self, question: &str) -> Result<Option<String>, CliError> {
        let _ = writeln!(self.output, "{question}");
        read_line(&mut self.input)
    }
    fn note(&mut self, message: &str) {
        let _ = writeln!(self.output, "{message}");
    }
}

fn read_line(input: &mut dyn BufRead) -> Result<Option<String>, CliError> {
    let mut line = String::new();
    let n = input
        .read_line(&mut line)
        .map_err(|e| CliError::user(format!("cannot read the answer: {e}")))?;
    Ok((n > 0).then(|| line.trim().to_string()))
}

/// Asks `question` (default shown in brackets, taken on an empty answer) until `parse` accepts
/// the answer: a refused answer is explained and asked again, [`ATTEMPTS`] times at most; the
/// end of the input or the last refusal is a user error naming the question.
pub fn ask<T>(
    p: &mut dyn Prompter,
    question: &str,
    default: &str,
    secret: bool,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, CliError> {
    let shown = if secret {
        format!("{question}: ")
    } else {
        format!("{question} [{default}]: ")
    };
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        let answer = if secret {
            p.secret(&shown)?
        } else {
            p.line(&shown)?
        };
        let Some(answer) = answer else {
            return Err(CliError::user(format!(
                "{question}: no answer (end of input)"
            )));
        };
        let answer = if answer.is_empty() {
            default
        } else {
            answer.as_str()
        };
        match parse(answer) {
            Ok(v) => return Ok(v),
            Err(e) => {
                p.note(&format!("  {e}; try again"));
                last = e;
            }
        }
    }
    Err(CliError::user(format!(
        "{question}: {last} ({ATTEMPTS} answers refused)"
    )))
}

fn parse_source(s: &str) -> Result<KeySource, String> {
    match s {
        "paste" => Ok(KeySource::Paste),
        "generate" => Ok(KeySource::Generate),
        "wallet" => Ok(KeySource::Wallet),
        other => Err(format!(
            "unknown key source {other:?}: answer paste, generate or wallet"
        )),
    }
}

fn parse_network_answer(s: &str) -> Result<Network, String> {
    parse_network(s).map_err(|e| format!("{e} (answer mainnet, testnet or devnet)"))
}

fn check_key(k: &str) -> Result<String, CliError> {
    peaqos_sdk::PrivateKey::parse(vars::PEAQOS_PRIVATE_KEY, k)
        .map(|p| p.expose_hex())
        .map_err(|e| CliError::config(format!("configuration: {}", e.message)))
}

fn url_problem(name: &str, u: &str) -> Result<(), String> {
    let ok = (u.starts_with("http://") || u.starts_with("https://"))
        && reqwest::Url::parse(u).is_ok_and(|p| p.host_str().is_some());
    if ok {
        Ok(())
    } else {
        Err(format!("{name} must be an http(s) URL, got {u:?}"))
    }
}

fn check_url(name: &str, u: &str) -> Result<(), CliError> {
    url_problem(name, u).map_err(CliError::user)
}

/// Runs `init` (questions on the terminal unless `--non-interactive`).
pub async fn run(args: InitArgs, env_file: &Path, ui: &Ui) -> Result<(), CliError> {
    if !args.non_interactive && !std::io::stdin().is_terminal() {
        if env_file.exists() && !args.force {
            return Err(exists(env_file));
        }
        return Err(CliError::user(
            "stdin is not a terminal: use --non-interactive (values from flags and the environment)",
        ));
    }
    let lookup = |k: &str| env::var(k);
    let written = write_env(&args, env_file, ui, &mut TerminalPrompter, &lookup)?;
    if args.no_whoami {
        return Ok(());
    }
    // Shell variables win over the file, as for every other command.
    let file: BTreeMap<String, String> = written.into_iter().collect();
    let lookup = move |k: &str| {
        std::env::var(k)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| file.get(k).cloned())
    };
    whoami::report(&lookup, args.json, ui).await
}

fn exists(env_file: &Path) -> CliError {
    CliError::user(format!(
        "{} exists; pass --force to overwrite it",
        env_file.display()
    ))
}

/// The part of `init` that decides and writes: asks through `prompter` unless
/// `--non-interactive` (then flags, then `lookup`, the environment), writes `env_file` (0600)
/// and returns the entries written.
pub fn write_env(
    args: &InitArgs,
    env_file: &Path,
    ui: &Ui,
    prompter: &mut dyn Prompter,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, CliError> {
    if env_file.exists() && !args.force {
        return Err(exists(env_file));
    }
    let interactive = !args.non_interactive;
    let var = |k: &str| {
        lookup(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let env_network = match var(vars::PEAQOS_NETWORK) {
        None => None,
        Some(n) => Some(parse_network(&n).map_err(|e| {
            CliError::config(format!("configuration: {}: {e}", vars::PEAQOS_NETWORK))
        })?),
    };
    let network = match args.network.or(env_network) {
        Some(n) if !interactive => n,
        None if !interactive => {
            return Err(CliError::config(
                "configuration: --network (or PEAQOS_NETWORK) is required with --non-interactive",
            ));
        }
        preset => {
            let d = preset.unwrap_or(Network::Testnet);
            ask(
                prompter,
                "Network (mainnet, testnet, devnet)",
                d.as_str(),
                false,
                parse_network_answer,
            )?
        }
    };
    let source = match args.key_source {
        Some(s) => s,
        None if !interactive => {
            if var(vars::PEAQOS_PRIVATE_KEY).is_some() {
                KeySource::Paste
            } else if args.wallet.is_some() || var(vars::PEAQOS_OWS_WALLET).is_some() {
                KeySource::Wallet
            } else {
                return Err(CliError::config(
                    "configuration: PEAQOS_PRIVATE_KEY is required (or pass --key-source generate)",
                ));
            }
        }
        None => ask(
            prompter,
            "Private key source (paste, generate, wallet)",
            "paste",
            false,
            parse_source,
        )?,
    };
    let key = match source {
        KeySource::Paste if interactive => KeyChoice::Key(ask(
            prompter,
            "Private key (0x..., hidden)",
            "",
            true,
            |k| {
                check_key(k).map_err(|_| {
                    format!(
                        "{} must be 0x followed by 64 hex characters",
                        vars::PEAQOS_PRIVATE_KEY
                    )
                })
            },
        )?),
        KeySource::Paste => match var(vars::PEAQOS_PRIVATE_KEY) {
            Some(k) => KeyChoice::Key(check_key(&k)?),
            None => {
                return Err(CliError::config(
                    "configuration: PEAQOS_PRIVATE_KEY is required",
                ));
            }
        },
        KeySource::Generate => {
            let (addr, k) = PeaqosClient::generate_keypair();
            ui.info(format!(
                "generated a new key for {addr} (stored only in the env file)"
            ));
            KeyChoice::Key(k.expose_hex())
        }
        KeySource::Wallet => {
            let name = match args.wallet.clone().or_else(|| var(vars::PEAQOS_OWS_WALLET)) {
                Some(n) => n,
                None if interactive => ask(prompter, "OWS wallet name", "", false, |n| {
                    if n.is_empty() {
                        Err("a wallet name is required".to_string())
                    } else {
                        Ok(n.to_string())
                    }
                })?,
                None => {
                    return Err(CliError::config(
                        "configuration: --wallet (or PEAQOS_OWS_WALLET) is required",
                    ));
                }
            };
            if name.is_empty() {
                return Err(CliError::user("a wallet name is required"));
            }
            KeyChoice::Wallet(name)
        }
    };
    let mut pick = |flag: &Option<String>,
                    name: &str,
                    default: &str,
                    question: &str|
     -> Result<String, CliError> {
        let v = flag
            .clone()
            .or_else(|| var(name))
            .unwrap_or_else(|| default.to_string());
        if interactive {
            ask(prompter, question, &v, false, |u| {
                url_problem(name, u).map(|()| u.to_string())
            })
        } else {
            check_url(name, &v)?;
            Ok(v)
        }
    };
    let rpc_url = pick(
        &args.rpc_url,
        vars::PEAQOS_RPC_URL,
        network.default_rpc_url(),
        "RPC URL",
    )?;
    let mcr = pick(
        &args.mcr_api_url,
        vars::PEAQOS_MCR_API_URL,
        network.default_mcr_api_url(),
        "MCR API URL",
    )?;
    let gs = pick(
        &args.gas_station_url,
        vars::PEAQOS_GAS_STATION_URL,
        network.default_gas_station_url(),
        "Gas Station URL",
    )?;

    let entries = env_entries(network, &key, &rpc_url, &mcr, &gs);
    let mut file = peaqos_types::EnvFile::new();
    file.comment("Written by `peaqos init`. Holds a private key: keep it private (mode 0600).");
    for (k, v) in &entries {
        file.set(k, v);
    }
    peaqos_devnet::write_secret_file(env_file, &file.render())
        .map_err(|e| CliError::config(format!("cannot write {}: {e}", env_file.display())))?;
    ui.info(format!("wrote {} (mode 0600)", env_file.display()));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_carry_the_preset_addresses_and_never_both_signers() {
        let e = env_entries(
            Network::Devnet,
            &KeyChoice::Wallet("w".into()),
            "http://127.0.0.1:8545",
            "http://a",
            "http://b",
        );
        let keys: Vec<&str> = e.iter().map(|(k, _)| k.as_str()).collect();
        assert!(
            keys.contains(&"IDENTITY_REGISTRY_ADDRESS")
                && keys.contains(&"BATCH_PRECOMPILE_ADDRESS")
        );
        assert!(keys.contains(&"PEAQOS_OWS_WALLET") && !keys.contains(&"PEAQOS_PRIVATE_KEY"));
        assert_eq!(
            format!("{:?}", KeyChoice::Key("0xsecret".into())),
            "Key([REDACTED])"
        );
    }

    fn args(extra: &[&str]) -> InitArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            a: InitArgs,
        }
        let mut v = vec!["t", "--no-whoami"];
        v.extend_from_slice(extra);
        T::try_parse_from(v).unwrap().a
    }

    /// The result, what the user saw, the file's text.
    type Scripted = (
        Result<Vec<(String, String)>, CliError>,
        String,
        Option<String>,
    );

    /// Runs the interactive flow on scripted `answers`; returns the result, what the user saw
    /// and the file's text.
    fn scripted(answers: &str, env: &[(&str, &str)]) -> Scripted {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.env");
        let mut p = ScriptPrompter {
            input: std::io::Cursor::new(answers.as_bytes().to_vec()),
            output: Vec::new(),
        };
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = |k: &str| env.get(k).cloned();
        let r = write_env(&args(&[]), &file, &Ui::new(true, 0), &mut p, &lookup);
        let text = std::fs::read_to_string(&file).ok();
        if text.is_some() {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        (r, String::from_utf8(p.output).unwrap(), text)
    }

    #[test]
    fn interactive_happy_path_generates_a_key_for_the_chosen_network() {
        // network, key source, then the three URLs (empty: the network's defaults)
        let (r, shown, text) = scripted("devnet\ngenerate\n\n\n\n", &[]);
        let entries = r.unwrap();
        let text = text.unwrap();
        let get = |k: &str| {
            entries
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("PEAQOS_NETWORK"), "devnet");
        assert_eq!(get("PEAQOS_RPC_URL"), Network::Devnet.default_rpc_url());
        assert_eq!(
            get("PEAQOS_MCR_API_URL"),
            Network::Devnet.default_mcr_api_url()
        );
        let key = get("PEAQOS_PRIVATE_KEY");
        assert!(check_key(&key).is_ok());
        assert!(text.contains(&format!("PEAQOS_PRIVATE_KEY={key}\n")));
        assert!(shown.contains("Network (mainnet, testnet, devnet) [testnet]: "));
        assert!(shown.contains("Private key source (paste, generate, wallet) [paste]: "));
        assert!(shown.contains("RPC URL [http://127.0.0.1:8545]: "));
        assert!(!shown.contains(&key), "the generated key is not shown");
    }

    #[test]
    fn interactive_pasted_key_and_typed_urls() {
        const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        let answers = format!(
            "\npaste\n0x12\n{KEY}\nhttp://127.0.0.1:9545\nnot a url\nhttp://127.0.0.1:9000\n\n"
        );
        // PEAQOS_NETWORK from the environment becomes the default
        let (r, shown, text) = scripted(&answers, &[("PEAQOS_NETWORK", "devnet")]);
        let text = text.unwrap();
        r.unwrap();
        assert!(shown.contains("Network (mainnet, testnet, devnet) [devnet]: "));
        assert!(text.contains(&format!("PEAQOS_PRIVATE_KEY={KEY}")));
        assert!(text.contains("PEAQOS_RPC_URL=http://127.0.0.1:9545"));
        assert!(text.contains("PEAQOS_MCR_API_URL=http://127.0.0.1:9000"));
        // the bad key was refused without echoing it, the bad URL with its name
        assert!(
            shown
                .contains("PEAQOS_PRIVATE_KEY must be 0x followed by 64 hex characters; try again")
        );
        assert!(
            !shown.contains("0x12") && !shown.contains(&KEY[2..]),
            "{shown}"
        );
        assert!(
            shown.contains(
                "PEAQOS_MCR_API_URL must be an http(s) URL, got \"not a url\"; try again"
            )
        );
    }

    #[test]
    fn interactive_bad_answers_are_asked_again_then_rejected() {
        // one bad network, then a good one, then a wallet
        let (r, shown, text) = scripted("moon\ntestnet\nwallet\n\nfleet\n\n\n\n", &[]);
        let entries = r.unwrap();
        assert!(
            shown.contains("unknown network")
                && shown.contains("(answer mainnet, testnet or devnet); try again"),
            "{shown}"
        );
        assert_eq!(shown.matches("Network (mainnet").count(), 2);
        assert!(shown.contains("a wallet name is required; try again"));
        assert!(entries.contains(&("PEAQOS_OWS_WALLET".into(), "fleet".into())));
        assert!(text.unwrap().contains("PEAQOS_NETWORK=testnet"));

        // three bad answers: rejected, nothing written
        let (r, shown, text) = scripted("moon\nmars\nvenus\ndevnet\n", &[]);
        let e = r.unwrap_err();
        assert_eq!(e.exit_code, 1);
        assert!(
            e.message
                .starts_with("Network (mainnet, testnet, devnet): ")
                && e.message.contains("venus")
                && e.message.ends_with("(3 answers refused)"),
            "{}",
            e.message
        );
        assert_eq!(shown.matches("try again").count(), 3);
        assert!(text.is_none());

        // an unknown key source, then the input ends
        let (r, _, text) = scripted("devnet\nsteal\n", &[]);
        let e = r.unwrap_err();
        assert!(
            e.message.contains("Private key source") && e.message.contains("end of input"),
            "{}",
            e.message
        );
        assert!(text.is_none());
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("X", "http://127.0.0.1:8000").is_ok());
        assert_eq!(check_url("X", "ftp://x").unwrap_err().exit_code, 1);
        assert_eq!(check_key("0x12").unwrap_err().exit_code, 3);
    }
}
