//! `peaqos wallet ...`: clap subcommands and their runner, for the CLI crate to wire.
//!
//! Secrets (passphrase, mnemonic) are read from the vault's environment (`OWS_PASSPHRASE`, the
//! passphrase only, see [`Vault::resolve`]) / a hidden prompt when stdin is a terminal, else one
//! line of stdin each. `export` and `delete` ask for confirmation unless
//! `--yes`; without a terminal and without `--yes` they abort.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use zeroize::Zeroizing;

use crate::error::WalletError;
use crate::vault::{Vault, write_atomic};
use crate::wallet::{self, WalletInfo};

/// The `.env` key `peaqos wallet use` writes.
pub const PEAQOS_OWS_WALLET_ENV: &str = "PEAQOS_OWS_WALLET";

/// `peaqos wallet` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum WalletCommand {
    /// Create a mnemonic-backed wallet (the phrase is not printed; use `export`).
    Create {
        /// Wallet name.
        name: String,
        /// Mnemonic length.
        #[arg(long, default_value_t = 12, value_parser = parse_words)]
        words: usize,
        /// Print the wallet as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a wallet from a mnemonic (hidden prompt / stdin) or a private-key file.
    Import {
        /// Wallet name.
        name: String,
        /// Read a BIP-39 mnemonic.
        #[arg(
            long,
            conflicts_with = "private_key_file",
            required_unless_present = "private_key_file"
        )]
        mnemonic: bool,
        /// File holding a hex private key.
        #[arg(long, value_name = "FILE")]
        private_key_file: Option<PathBuf>,
        /// Account index for mnemonic imports.
        #[arg(long, default_value_t = 0)]
        index: u32,
        /// Print the wallet as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the vault's wallets.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show one wallet's multi-chain address table.
    Show {
        /// Wallet name or id.
        name: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Make a wallet the CLI's signer (writes PEAQOS_OWS_WALLET to the env file).
    Use {
        /// Wallet name or id.
        name: String,
    },
    /// Reveal a wallet's mnemonic or keys (after confirmation).
    Export {
        /// Wallet name or id.
        name: String,
        /// Skip the confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Delete a wallet (overwrite then unlink, after confirmation).
    Delete {
        /// Wallet name or id.
        name: String,
        /// Skip the confirmation.
        #[arg(long)]
        yes: bool,
    },
}

fn parse_words(s: &str) -> Result<usize, String> {
    match s {
        "12" => Ok(12),
        "24" => Ok(24),
        _ => Err("must be 12 or 24".into()),
    }
}

/// Runs a subcommand against the vault of the environment lookup `env` (`OWS_VAULT_PATH` or
/// `~/.ows`, passphrase `OWS_PASSPHRASE`: [`Vault::resolve`]), printing to stdout. The binary
/// passes `|k| std::env::var(k).ok()`.
pub async fn run(
    cmd: WalletCommand,
    env_file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), WalletError> {
    let vault = Vault::resolve(env);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let tty = std::io::stdin().is_terminal();
    run_in(
        cmd,
        env_file,
        &vault,
        &mut input,
        tty,
        &mut std::io::stdout(),
    )
}

fn read_secret(
    prompt: &str,
    input: &mut dyn BufRead,
    tty: bool,
) -> Result<Zeroizing<String>, WalletError> {
    if tty {
        return rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| WalletError::io("read hidden input", e));
    }
    let mut line = Zeroizing::new(String::new());
    input
        .read_line(&mut line)
        .map_err(|e| WalletError::io("read stdin", e))?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\r', '\n']).to_string(),
    ))
}

fn passphrase(
    vault: &Vault,
    input: &mut dyn BufRead,
    tty: bool,
    confirm: bool,
) -> Result<Zeroizing<String>, WalletError> {
    if let Some(p) = vault.env_passphrase() {
        return Ok(p.clone());
    }
    let p = read_secret("Vault passphrase: ", input, tty)?;
    if confirm && tty {
        let again = read_secret("Repeat passphrase: ", input, tty)?;
        if *again != *p {
            return Err(WalletError::invalid(
                "passphrase",
                "match",
                "passphrases do not match",
            ));
        }
    }
    Ok(p)
}

fn confirm(
    question: &str,
    yes: bool,
    input: &mut dyn BufRead,
    tty: bool,
) -> Result<(), WalletError> {
    if yes {
        return Ok(());
    }
    if !tty {
        return Err(WalletError::Aborted);
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| WalletError::io("read stdin", e))?;
    if matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(WalletError::Aborted)
    }
}

fn w(out: &mut dyn Write, s: &str) -> Result<(), WalletError> {
    writeln!(out, "{s}").map_err(|e| WalletError::io("write output", e))
}

fn print_info(out: &mut dyn Write, info: &WalletInfo, json: bool) -> Result<(), WalletError> {
    if json {
        return w(
            out,
            &serde_json::to_string_pretty(info).expect("serializes"),
        );
    }
    w(out, &format!("Name:       {}", info.name))?;
    w(out, &format!("ID:         {}", info.id))?;
    w(out, &format!("Key type:   {}", info.key_type.as_str()))?;
    w(out, &format!("Created:    {}", info.created_at))?;
    w(out, &format!("peaq:       {}", info.peaq_address))?;
    w(out, "")?;
    w(
        out,
        &format!("{:<10} {:<42} {:<20} ADDRESS", "NETWORK", "CHAIN", "PATH"),
    )?;
    for a in &info.accounts {
        w(
            out,
            &format!(
                "{:<10} {:<42} {:<20} {}",
                a.network, a.chain_id, a.derivation_path, a.address
            ),
        )?;
    }
    Ok(())
}

/// Runs a subcommand with an explicit vault, input and output (testable core of [`run`]).
pub fn run_in(
    cmd: WalletCommand,
    env_file: &Path,
    vault: &Vault,
    input: &mut dyn BufRead,
    tty: bool,
    out: &mut dyn Write,
) -> Result<(), WalletError> {
    match cmd {
        WalletCommand::Create { name, words, json } => {
            let pass = passphrase(vault, input, tty, true)?;
            let info = wallet::create_wallet(&name, Some(&pass), words, vault)?;
            print_info(out, &info, json)?;
            if !json {
                w(
                    out,
                    "\nBack up the mnemonic now: `peaqos wallet export <name>`.",
                )?;
            }
            Ok(())
        }
        WalletCommand::Import {
            name,
            mnemonic,
            private_key_file,
            index,
            json,
        } => {
            let info = if mnemonic {
                let phrase = read_secret("Mnemonic: ", input, tty)?;
                let pass = passphrase(vault, input, tty, true)?;
                wallet::import_wallet_mnemonic(&name, &phrase, Some(&pass), index, vault)?
            } else {
                let file = private_key_file.ok_or_else(|| {
                    WalletError::invalid(
                        "private_key_file",
                        "required",
                        "--mnemonic or --private-key-file is required",
                    )
                })?;
                let key = Zeroizing::new(
                    std::fs::read_to_string(&file)
                        .map_err(|e| WalletError::io(format!("read {}", file.display()), e))?,
                );
                let pass = passphrase(vault, input, tty, true)?;
                wallet::import_wallet(&name, key.trim(), Some(&pass), "evm", vault)?
            };
            print_info(out, &info, json)
        }
        WalletCommand::List { json } => {
            let all = wallet::list_wallets(vault)?;
            if json {
                return w(
                    out,
                    &serde_json::to_string_pretty(&all).expect("serializes"),
                );
            }
            if all.is_empty() {
                return w(out, &format!("No wallets in {}", vault.root().display()));
            }
            w(
                out,
                &format!(
                    "{:<24} {:<36} {:<12} PEAQ ADDRESS",
                    "NAME", "ID", "KEY TYPE"
                ),
            )?;
            for i in &all {
                w(
                    out,
                    &format!(
                        "{:<24} {:<36} {:<12} {}",
                        i.name,
                        i.id,
                        i.key_type.as_str(),
                        i.peaq_address
                    ),
                )?;
            }
            Ok(())
        }
        WalletCommand::Show { name, json } => {
            print_info(out, &wallet::get_wallet(&name, vault)?, json)
        }
        WalletCommand::Use { name } => {
            let info = wallet::get_wallet(&name, vault)?;
            set_env_var(env_file, PEAQOS_OWS_WALLET_ENV, &info.name)?;
            w(
                out,
                &format!(
                    "{PEAQOS_OWS_WALLET_ENV}={} written to {}",
                    info.name,
                    env_file.display()
                ),
            )?;
            w(out, &format!("Signer: {}", info.peaq_address))
        }
        WalletCommand::Export { name, yes } => {
            let info = wallet::get_wallet(&name, vault)?;
            confirm(
                &format!(
                    "Reveal the secret of wallet '{}'? Anyone who sees it controls every chain account.",
                    info.name
                ),
                yes,
                input,
                tty,
            )?;
            let pass = passphrase(vault, input, tty, false)?;
            let secret = wallet::export_wallet(&info.id, Some(&pass), vault)?;
            w(out, &secret)
        }
        WalletCommand::Delete { name, yes } => {
            let info = wallet::get_wallet(&name, vault)?;
            confirm(
                &format!(
                    "Delete wallet '{}' ({})? This cannot be undone.",
                    info.name, info.peaq_address
                ),
                yes,
                input,
                tty,
            )?;
            wallet::delete_wallet(&info.id, vault)?;
            w(out, &format!("Deleted wallet '{}'", info.name))
        }
    }
}

/// Sets `key=value` in a dotenv file, keeping every other line, written atomically with mode 0600.
pub fn set_env_var(env_file: &Path, key: &str, value: &str) -> Result<(), WalletError> {
    let existing = match std::fs::read_to_string(env_file) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(WalletError::io(format!("read {}", env_file.display()), e)),
    };
    let text = peaqos_types::EnvFile::parse(&existing)
        .set(key, value)
        .render();
    if let Some(dir) = env_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| WalletError::io(format!("create {}", dir.display()), e))?;
    }
    write_atomic(env_file, text.as_bytes())
}
