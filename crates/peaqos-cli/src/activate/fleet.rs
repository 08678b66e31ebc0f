//! `peaqos activate --fleet machines.csv`: many machines at once as their proxy operator
//! ([`PeaqosClient::activate_fleet`]), journalled like `activate` and resumable from it.
//!
//! The CSV is validated as a whole before anything is sent (every bad row reported with its
//! line number); key files that do not exist yet are created (fresh keys, mode 0600) before the
//! first transaction, so a re-run after a kill finds the same machines. A re-run first settles
//! every journalled hash that has no outcome (waits for it when the node knows it), then the
//! SDK's chain-state checks skip whatever landed.

use super::{ActivateArgs, JournalObserver, finish};
use crate::journal::Journal;
use crate::ui::{Ui, peaq, table};
use crate::{CliError, env};
use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use peaqos_sdk::fleet::{DID_DEPOSIT_WEI, FLEET_GAS_RESERVE_WEI};
use peaqos_sdk::{
    DataVisibility, FleetMachine, FleetMachineOutcome, FleetObserver, FleetOptions, FleetStep,
    PeaqosClient, PrivateKey, ProxyListOutcome, TxObserver, WriteMachineDidParams,
};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The CSV's columns: `key_file` is required, the others optional (empty = the default).
pub const COLUMNS: [&str; 5] = ["key_file", "address", "doc_url", "data_api", "visibility"];

/// One validated CSV row.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line number in the file.
    pub line: usize,
    /// The key file (relative paths are relative to the CSV's directory).
    pub key_file: PathBuf,
    /// The machine's key, `None` when the file is to be created.
    pub key: Option<PrivateKey>,
    /// `documentation_url`.
    pub doc_url: String,
    /// `data_api` (`None`: the machine's rating URL on the MCR API).
    pub data_api: Option<String>,
    /// `data_visibility`.
    pub visibility: DataVisibility,
}

/// Parses and validates the fleet CSV. Every problem is reported as `line N: ...`; the error
/// lists them all.
pub fn parse_csv(
    text: &str,
    base_dir: &Path,
    defaults: &ActivateArgs,
    operator: Address,
) -> Result<Vec<Row>, Vec<String>> {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut header: Option<HashMap<String, usize>> = None;
    let mut by_file: HashMap<PathBuf, usize> = HashMap::new();
    let mut by_address: HashMap<Address, usize> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = l.split(',').map(str::trim).collect();
        let Some(cols) = &header else {
            let mut map = HashMap::new();
            for (j, f) in fields.iter().enumerate() {
                let name = f.to_ascii_lowercase();
                if !COLUMNS.contains(&name.as_str()) {
                    errors.push(format!(
                        "line {line}: unknown column {f:?} (columns: {})",
                        COLUMNS.join(", ")
                    ));
                } else if map.insert(name, j).is_some() {
                    errors.push(format!("line {line}: column {f:?} appears twice"));
                }
            }
            if !map.contains_key("key_file") {
                errors.push(format!(
                    "line {line}: the header needs a key_file column (columns: {})",
                    COLUMNS.join(", ")
                ));
                return Err(errors);
            }
            header = Some(map);
            continue;
        };
        if fields.len() != cols.len() {
            errors.push(format!(
                "line {line}: {} field(s), the header has {}",
                fields.len(),
                cols.len()
            ));
            continue;
        }
        let get = |name: &str| cols.get(name).map(|j| fields[*j]).filter(|v| !v.is_empty());
        let mut bad = |msg: String| errors.push(format!("line {line}: {msg}"));
        let Some(file) = get("key_file") else {
            bad("key_file is empty".into());
            continue;
        };
        let key_file = base_dir.join(file);
        let address = match get("address").map(str::parse::<Address>) {
            None => None,
            Some(Ok(a)) => Some(a),
            Some(Err(_)) => {
                bad(format!(
                    "address {:?} is not a 0x address",
                    get("address").unwrap_or("")
                ));
                continue;
            }
        };
        let key = if key_file.exists() {
            match std::fs::read_to_string(&key_file)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    PrivateKey::parse("key_file", t.trim()).map_err(|e| e.message.clone())
                }) {
                Ok(k) => Some(k),
                Err(why) => {
                    bad(format!("key file {}: {why}", key_file.display()));
                    continue;
                }
            }
        } else {
            if address.is_some() {
                bad(format!(
                    "key file {} does not exist but an address is given: an existing machine needs its key (it signs its DID)",
                    key_file.display()
                ));
                continue;
            }
            let parent = key_file.parent().filter(|p| !p.as_os_str().is_empty());
            if parent.is_some_and(|p| !p.is_dir()) {
                bad(format!(
                    "key file {} cannot be created: its directory does not exist",
                    key_file.display()
                ));
                continue;
            }
            None
        };
        if let (Some(k), Some(a)) = (&key, address)
            && k.address() != a
        {
            bad(format!(
                "key file {} holds the key of {}, not of {a}",
                key_file.display(),
                k.address()
            ));
            continue;
        }
        if let Some(a) = key.as_ref().map(PrivateKey::address) {
            if a == operator {
                bad(format!("{a} is the operator itself"));
                continue;
            }
            if let Some(first) = by_address.insert(a, line) {
                bad(format!("machine {a} is also on line {first}"));
                continue;
            }
        }
        if let Some(first) = by_file.insert(key_file.clone(), line) {
            bad(format!(
                "key file {} is also on line {first}",
                key_file.display()
            ));
            continue;
        }
        let visibility = match get("visibility").map(str::parse::<DataVisibility>) {
            None => defaults.visibility,
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                bad(e.message);
                continue;
            }
        };
        let doc_url = get("doc_url").unwrap_or(&defaults.doc_url).to_string();
        let data_api = get("data_api")
            .map(str::to_string)
            .or_else(|| defaults.data_api.clone());
        let check = WriteMachineDidParams {
            machine_id: 1,
            nft_token_id: 1,
            operator_did: format!("did:peaq:{operator}"),
            documentation_url: doc_url.clone(),
            data_api: data_api
                .clone()
                .unwrap_or_else(|| "https://placeholder".into()),
            data_visibility: visibility,
        };
        if let Err(e) = peaqos_sdk::did::machine_attributes(&check) {
            bad(e.to_string());
            continue;
        }
        rows.push(Row {
            line,
            key_file,
            key,
            doc_url,
            data_api,
            visibility,
        });
    }
    if header.is_none() {
        errors.push(format!(
            "the file has no header line (columns: {})",
            COLUMNS.join(", ")
        ));
    } else if rows.is_empty() && errors.is_empty() {
        errors.push("the file lists no machine".into());
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Writes a fresh key to `path` (created new, mode 0600, flushed); returns it.
fn create_key_file(path: &Path) -> Result<PrivateKey, CliError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let key = PrivateKey::from(&PrivateKeySigner::random());
    let io = |e: std::io::Error| {
        CliError::config(format!(
            "cannot create the key file {}: {e}",
            path.display()
        ))
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    writeln!(f, "{}", key.expose_hex()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(key)
}

/// Journals every machine's transactions under its address; counts finished machines on the
/// progress bar.
struct Progress {
    journal: Journal,
    ui: Ui,
    bar: indicatif::ProgressBar,
    observers: std::sync::Mutex<HashMap<Address, Arc<JournalObserver>>>,
}

impl Progress {
    fn observer(&self, machine: Address) -> Arc<JournalObserver> {
        let mut m = self.observers.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(machine)
            .or_insert_with(|| {
                Arc::new(JournalObserver::new(self.journal.clone(), machine, self.ui))
            })
            .clone()
    }

    /// The first journal write that failed, if any.
    fn journal_failure(&self) -> Option<CliError> {
        let m = self.observers.lock().unwrap_or_else(|p| p.into_inner());
        m.values().find_map(|o| o.take_failure())
    }
}

impl FleetObserver for Progress {
    fn transactions(&self, machine: Address) -> Option<Arc<dyn TxObserver>> {
        Some(self.observer(machine))
    }
    fn step(&self, machine: Address, step: FleetStep) {
        if self.ui.verbose > 0 {
            self.bar.println(format!("  {machine}: {}", step.as_str()));
        }
    }
    fn finished(&self, outcome: &FleetMachineOutcome) {
        if let Err(f) = &outcome.result {
            self.bar
                .println(format!("  {} failed at {f}", outcome.address));
        }
        self.bar.inc(1);
    }
}

/// Settles the journalled hashes without an outcome of `machines` (one read of the journal):
/// waits for those the node knows, records `dropped` for the others.
async fn reconcile_all(
    client: &PeaqosClient,
    journal: &Journal,
    ui: &Ui,
    machines: &[Address],
) -> Result<usize, CliError> {
    let entries = journal.entries();
    let mut open = Vec::new();
    for m in machines {
        for e in crate::journal::unresolved(&entries, *m) {
            open.push(e);
        }
    }
    if open.is_empty() {
        return Ok(0);
    }
    ui.info(format!(
        "reconciling {} journalled transaction(s) without an outcome",
        open.len()
    ));
    let n = open.len();
    let mut set = tokio::task::JoinSet::new();
    for e in open {
        let (c, j, ui) = (client.clone(), journal.clone(), *ui);
        set.spawn(async move {
            if c.transaction_known(e.tx_hash).await? {
                match finish(&c, &j, &ui, &e.step, e.machine, e.tx_hash).await {
                    Ok(_) => Ok(()),
                    // The step runs again (the chain-state checks decide).
                    Err(err) if err.message.contains("TX_REVERTED") => Ok(()),
                    Err(err) => Err(err),
                }
            } else {
                j.append(&e.step, e.machine, e.tx_hash, "dropped")
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.map_err(|e| CliError::network(format!("reconciling task failed: {e}")))??;
    }
    Ok(n)
}

/// Runs `activate --fleet FILE`.
pub async fn run(args: &ActivateArgs, file: &Path, ui: &Ui) -> Result<(), CliError> {
    let op = env::client()?;
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::user(format!("cannot read {}: {e}", file.display())))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let rows = parse_csv(&text, base, args, op.address()).map_err(|errs| {
        CliError::user(format!(
            "{}: {} problem(s), nothing was sent:\n{}",
            file.display(),
            errs.len(),
            errs.join("\n")
        ))
    })?;
    // Keys to create, created before any transaction so a re-run finds the same machines.
    let mut machines = Vec::with_capacity(rows.len());
    let mut created = 0usize;
    for r in &rows {
        let key = match &r.key {
            Some(k) => k.clone(),
            None => {
                created += 1;
                create_key_file(&r.key_file)?
            }
        };
        let address = key.address();
        machines.push(FleetMachine {
            key,
            documentation_url: r.doc_url.clone(),
            data_api: r.data_api.clone().unwrap_or_else(|| {
                format!(
                    "{}/mcr/did:peaq:{address}",
                    op.api_url().trim_end_matches('/')
                )
            }),
            data_visibility: r.visibility,
        });
    }
    if created > 0 {
        ui.info(format!("created {created} machine key file(s) (mode 0600)"));
    }
    let addresses: Vec<Address> = machines.iter().map(FleetMachine::address).collect();
    let journal = Journal::new(&args.log);
    let mut settle = addresses.clone();
    settle.push(op.address());
    reconcile_all(&op, &journal, ui, &settle).await?;

    // What the fleet can cost the operator at most: the bonds of the unregistered machines,
    // each machine's DID gas and deposits, and gas for its transactions.
    let op_id = op.machine_id_of_owner(op.address()).await?;
    if op_id == 0 {
        return Err(CliError::user(format!(
            "a fleet needs a registered operator: {} is not registered; run `peaqos activate` without --for first",
            op.address()
        )));
    }
    let bond = op.min_bond().await?;
    let mut unregistered = 0u64;
    {
        let mut set = tokio::task::JoinSet::new();
        for a in addresses.clone() {
            let c = op.clone();
            set.spawn(async move { c.machine_id_of_owner(a).await });
        }
        while let Some(r) = set.join_next().await {
            let id = r.map_err(|e| CliError::network(format!("check task failed: {e}")))??;
            if id == 0 {
                unregistered += 1;
            }
        }
    }
    let n = machines.len() as u64;
    let per_machine_tx_gas = U256::from(FLEET_GAS_RESERVE_WEI / 10);
    let need = bond * U256::from(unregistered)
        + (U256::from(FLEET_GAS_RESERVE_WEI + 6 * DID_DEPOSIT_WEI) + per_machine_tx_gas)
            * U256::from(n);
    let have = op.balance(op.address()).await?;
    ui.info(format!(
        "fleet of {n} machine(s): {} to register, {} already registered; operator {} holds {} (needs at most {})",
        unregistered,
        n - unregistered,
        op.address(),
        peaq(have),
        peaq(need)
    ));
    if have < need {
        return Err(CliError::user(format!(
            "the operator {} holds {} but the fleet may need {} (bonds, the machines' DID gas and deposits, gas): top it up",
            op.address(),
            peaq(have),
            peaq(need)
        )));
    }

    let bar = ui.progress(n, "activating machines");
    let progress = Arc::new(Progress {
        journal: journal.clone(),
        ui: *ui,
        bar: bar.clone(),
        observers: Default::default(),
    });
    let options = FleetOptions {
        concurrency: args.concurrency as usize,
        write_proxy_list: true,
        ..FleetOptions::default()
    };
    let started = std::time::Instant::now();
    let report = op
        .activate_fleet(&machines, &options, Some(progress.clone()))
        .await?;
    bar.finish_and_clear();
    if let Some(e) = progress.journal_failure() {
        return Err(e);
    }
    let elapsed = started.elapsed();

    let mut rows_json = Vec::with_capacity(report.machines.len());
    let mut table_rows = Vec::with_capacity(report.machines.len());
    for o in &report.machines {
        let line = rows[o.index].line;
        let did = format!("did:peaq:{}", o.address);
        match &o.result {
            Ok(a) => {
                let status = if a.was_complete() {
                    "complete"
                } else {
                    "activated"
                };
                rows_json.push(json!({
                    "line": line,
                    "machineAddress": o.address.to_string(),
                    "machineDid": did,
                    "machineId": a.machine_id,
                    "tokenId": a.token_id,
                    "status": status,
                    "transactions": {
                        "register": a.register_tx,
                        "fund": a.fund_tx,
                        "mint": a.mint_tx,
                        "did": a.did_tx,
                    },
                }));
                table_rows.push(vec![
                    line.to_string(),
                    a.machine_id.to_string(),
                    a.token_id.to_string(),
                    did,
                    status.to_string(),
                ]);
            }
            Err(f) => {
                rows_json.push(json!({
                    "line": line,
                    "machineAddress": o.address.to_string(),
                    "machineDid": did,
                    "machineId": f.machine_id,
                    "status": "failed",
                    "step": f.step.as_str(),
                    "code": f.error.code_str(),
                    "error": f.error.to_string(),
                    "txHash": f.error.tx_hash(),
                }));
                table_rows.push(vec![
                    line.to_string(),
                    f.machine_id.map(|i| i.to_string()).unwrap_or_default(),
                    String::new(),
                    did,
                    format!("failed: {f}"),
                ]);
            }
        }
    }
    let proxy = match &report.proxy_list {
        ProxyListOutcome::Skipped => json!({"status": "skipped"}),
        ProxyListOutcome::Unchanged { machines } => {
            json!({"status": "unchanged", "machines": machines})
        }
        ProxyListOutcome::Written { tx_hash, machines } => {
            json!({"status": "written", "machines": machines, "txHash": tx_hash})
        }
        ProxyListOutcome::TooLarge { machines, bytes } => {
            ui.info(format!(
                "the proxy list of {machines} machines is {bytes} bytes of JSON, over the 2560 bytes of one DID attribute: not written"
            ));
            json!({"status": "too_large", "machines": machines, "bytes": bytes})
        }
        ProxyListOutcome::Failed(e) => {
            ui.info(format!("writing the proxy list failed: {e}"));
            json!({"status": "failed", "code": e.code_str(), "error": e.to_string()})
        }
    };
    let failed = report.failed().count();
    if args.json {
        crate::outln!(
            "{}",
            json!({
                "operatorDid": format!("did:peaq:{}", op.address()),
                "operatorMachineId": report.operator_machine_id,
                "machines": rows_json,
                "activated": report.activated(),
                "failed": failed,
                "proxyList": proxy,
                "seconds": elapsed.as_secs_f64(),
            })
        )?;
    } else {
        crate::outln!(
            "{}",
            table(
                &["LINE", "MACHINE ID", "TOKEN ID", "DID", "STATUS"],
                &table_rows
            )
        )?;
        crate::outln!(
            "{} of {} machine(s) activated in {:.1} s; operator did:peaq:{}",
            report.activated(),
            report.machines.len(),
            elapsed.as_secs_f64(),
            op.address()
        )?;
    }
    if failed > 0 || matches!(report.proxy_list, ProxyListOutcome::Failed(_)) {
        return Err(CliError::network(format!(
            "{failed} of {} machine(s) failed (see above); run the same command again to retry them",
            report.machines.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: ActivateArgs,
    }

    fn defaults() -> ActivateArgs {
        T::parse_from(["t"]).a
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let k = PrivateKey::from(&PrivateKeySigner::random());
        std::fs::write(dir.path().join("a.key"), k.expose_hex()).unwrap();
        std::fs::write(dir.path().join("bad.key"), "not a key").unwrap();
        let other = Address::repeat_byte(3);
        let text = format!(
            "# fleet\nkey_file,address,visibility\n\
             a.key,{a},public\n\
             new1.key,,\n\
             bad.key,,\n\
             a.key,,private\n\
             new2.key,{other},\n\
             new3.key,,secret\n\
             nodir/x.key,,\n\
             new4.key,,public,extra\n\
             new5.key,0x12,\n",
            a = k.address()
        );
        let errs = parse_csv(&text, dir.path(), &defaults(), Address::repeat_byte(9)).unwrap_err();
        let lines: Vec<&str> = errs.iter().map(|e| e.split(':').next().unwrap()).collect();
        assert_eq!(
            lines,
            [
                "line 5", "line 6", "line 7", "line 8", "line 9", "line 10", "line 11"
            ],
            "{errs:#?}"
        );
        assert!(errs[1].contains("also on line 3"), "{}", errs[1]);
        assert!(errs[3].contains("public, private, onchain"), "{}", errs[3]);
    }

    #[test]
    fn good_rows_take_the_defaults_and_headers_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let rows = parse_csv(
            "key_file,doc_url\nm1.key,\nm2.key,https://d.example\n",
            dir.path(),
            &defaults(),
            Address::repeat_byte(9),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
        assert_eq!(rows[0].doc_url, "https://docs.peaq.xyz/peaqos");
        assert_eq!(rows[1].doc_url, "https://d.example");
        assert!(rows[0].key.is_none() && rows[0].data_api.is_none());
        let e = parse_csv("address\n0x00\n", dir.path(), &defaults(), Address::ZERO).unwrap_err();
        assert!(
            e[0].starts_with("line 1: the header needs a key_file column"),
            "{e:?}"
        );
        let e = parse_csv("key_file,colour\n", dir.path(), &defaults(), Address::ZERO).unwrap_err();
        assert!(e[0].contains("unknown column \"colour\""), "{e:?}");
        let e = parse_csv("# nothing\n", dir.path(), &defaults(), Address::ZERO).unwrap_err();
        assert!(e[0].contains("no header"), "{e:?}");
    }

    #[test]
    fn created_key_files_are_private_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.key");
        let k = create_key_file(&p).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let back = PrivateKey::parse("k", std::fs::read_to_string(&p).unwrap().trim()).unwrap();
        assert_eq!(back.address(), k.address());
        assert!(create_key_file(&p).is_err());
    }
}
