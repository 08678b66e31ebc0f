//! `peaqos bench --suite`: every benchmark of this binary, bounded (small sizes, a time limit
//! each), one after the other, each in a child `peaqos bench … --json` process (so one cannot
//! disturb the next), then one table with the peer's figure beside ours where a peer runs in the
//! same suite. A peer that cannot run is "not measured: <why>". Never asserts on timings.

use super::BenchArgs;
use crate::CliError;
use crate::ui::Ui;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest one benchmark of the suite may take.
const STEP_LIMIT: Duration = Duration::from_secs(300);

/// One line of the table.
struct Row {
    what: String,
    ours: String,
    peer: String,
}

fn not_measured(why: impl std::fmt::Display) -> String {
    format!("not measured: {why}")
}

/// Runs `peaqos bench <args> --json` and returns its JSON lines (or why it failed).
fn child(exe: &Path, args: &[String]) -> Result<Vec<Value>, String> {
    let mut cmd = Command::new(exe);
    cmd.arg("bench")
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut ch = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let started = Instant::now();
    loop {
        match ch.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > STEP_LIMIT => {
                let _ = ch.kill();
                let _ = ch.wait();
                return Err(format!("stopped after {} s", STEP_LIMIT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = ch.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    if !out.status.success() && lines.is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!("exit {}: {}", out.status, last.trim()));
    }
    Ok(lines)
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(0.0)
}

fn chain_figure(v: &Value) -> String {
    let failures = v["failures"].as_u64().unwrap_or(0);
    format!(
        "{:.0} tx/s ({} txs, {failures} failed)",
        num(v, "txPerSec"),
        v["txs"].as_u64().unwrap_or(0)
    )
}

fn load_figure(v: &Value) -> String {
    format!(
        "{:.0}/s, p50 {:.2} ms, p99 {:.2} ms ({} requests, {} errors, {} in flight)",
        num(v, "perSec"),
        num(v, "p50Ms"),
        num(v, "p99Ms"),
        v["requests"].as_u64().unwrap_or(0),
        v["errors"].as_u64().unwrap_or(0),
        v["concurrency"].as_u64().unwrap_or(0)
    )
}

/// A binary on PATH (or in /usr/sbin, where Debian puts nginx).
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// anvil on a free loopback port, for the chain rows' peer column.
struct Anvil(std::process::Child, u16);

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_anvil() -> Result<Anvil, String> {
    let bin = which("anvil").ok_or("anvil is not installed (foundryup)")?;
    let port = free_port()?;
    let ch = Command::new(bin)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--silent",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("anvil did not start: {e}"))?;
    let a = Anvil(ch, port);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("anvil did not listen within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(a)
}

/// nginx serving one static file on a free loopback port (killed on drop): the MCR's peer.
pub(super) struct Nginx {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    /// Serves `body` as `/mcr.json` (`application/json`), 2 workers, no access log.
    pub(super) async fn start(body: &[u8]) -> Result<Self, String> {
        let bin = which("nginx").ok_or("nginx is not installed (apt-get install nginx-light)")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let d = dir.path();
        std::fs::create_dir(d.join("www")).map_err(|e| e.to_string())?;
        std::fs::write(d.join("www/mcr.json"), body).map_err(|e| e.to_string())?;
        let port = free_port()?;
        let dd = d.display();
        std::fs::write(
            d.join("nginx.conf"),
            format!(
                "worker_processes 2; daemon off; pid {dd}/nginx.pid; error_log {dd}/error.log;\n\
                 events {{ worker_connections 4096; }}\n\
                 http {{ access_log off; client_body_temp_path {dd}; proxy_temp_path {dd}; \
                 fastcgi_temp_path {dd}; uwsgi_temp_path {dd}; scgi_temp_path {dd}; \
                 server {{ listen 127.0.0.1:{port}; root {dd}/www; default_type application/json; }} }}\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        let child = Command::new(bin)
            .arg("-p")
            .arg(d)
            .arg("-e")
            .arg(d.join("error.log"))
            .arg("-c")
            .arg(d.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("nginx did not start: {e}"))?;
        let n = Self {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                return Err("nginx did not listen within 10 s".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(n)
    }

    /// The file's URL.
    pub(super) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcr.json", self.port)
    }
}

/// Runs the suite.
pub(super) async fn run(args: &BenchArgs, ui: &Ui) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::config(format!("cannot find this executable: {e}")))?;
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut rows = Vec::new();
    let started = Instant::now();

    // 1-2. The chain: transfers and submitEvent, ours and anvil's.
    let anvil = start_anvil();
    for (workload, label) in [
        ("transfer", "devnet: transfers"),
        ("event", "devnet: submitEvent"),
    ] {
        ui.info(format!("suite: {label}"));
        let a = s(&["--workload", workload, "--txs", "1000"]);
        let ours = match child(&exe, &a) {
            Ok(v) => v
                .first()
                .map(chain_figure)
                .unwrap_or_else(|| not_measured("no figures")),
            Err(e) => not_measured(e),
        };
        let peer = match &anvil {
            // anvil has no peaqOS contracts at the devnet's addresses; its transfers (the
            // cheapest transaction it mines) are the yardstick for our submitEvent too
            Ok(_) if workload == "event" => {
                not_measured("anvil has no peaqOS contracts; compare with its transfers above")
            }
            Ok(an) => {
                let mut a = a.clone();
                a.extend(s(&["--rpc", &format!("http://127.0.0.1:{}", an.1)]));
                match child(&exe, &a) {
                    Ok(v) => v
                        .first()
                        .map(|v| format!("anvil: {}", chain_figure(v)))
                        .unwrap_or_else(|| not_measured("no figures")),
                    Err(e) => not_measured(format!("anvil: {e}")),
                }
            }
            Err(e) => not_measured(e),
        };
        rows.push(Row {
            what: label.into(),
            ours,
            peer,
        });
    }
    drop(anvil);

    // 3. MCR /mcr cached and uncached; nginx serving the cached body, loaded the same way.
    ui.info("suite: MCR /mcr (and nginx)");
    let mcr = child(
        &exe,
        &s(&[
            "--target",
            "mcr",
            "--requests",
            "5000",
            "--concurrency",
            "64",
        ]),
    );
    match mcr {
        Ok(lines) => {
            let nginx = lines
                .iter()
                .find(|v| v["target"].as_str().is_some_and(|t| t.starts_with("nginx")));
            let peer_of_cached = match nginx {
                Some(v) => match v["notMeasured"].as_str() {
                    Some(why) => not_measured(why),
                    None => format!("nginx: {}", load_figure(v)),
                },
                None => not_measured("the MCR run printed no nginx figure"),
            };
            for v in lines
                .iter()
                .filter(|v| v["target"].as_str().is_some_and(|t| t.starts_with("mcr")))
            {
                let label = v["target"].as_str().unwrap_or("mcr");
                rows.push(Row {
                    what: format!("MCR /mcr {}", label.trim_start_matches("mcr ")),
                    ours: load_figure(v),
                    peer: if label.ends_with("uncached") {
                        "no peer".into()
                    } else {
                        peer_of_cached.clone()
                    },
                });
            }
        }
        Err(e) => rows.push(Row {
            what: "MCR /mcr".into(),
            ours: not_measured(e),
            peer: String::new(),
        }),
    }

    // 4. Gas Station fundings.
    ui.info("suite: Gas Station");
    let gs = child(
        &exe,
        &s(&[
            "--target",
            "gas-station",
            "--requests",
            "300",
            "--concurrency",
            "8",
        ]),
    );
    rows.push(Row {
        what: "Gas Station: fundings (SQLite)".into(),
        ours: match gs {
            Ok(v) => v
                .first()
                .map(load_figure)
                .unwrap_or_else(|| not_measured("no figures")),
            Err(e) => not_measured(e),
        },
        peer: "no peer (peaq's hosted Gas Station is not run locally)".into(),
    });

    // 5. Fleet activation (and peaq's SDK loop when --peer-python is given).
    ui.info("suite: fleet activation");
    // (peaq's SDK loop runs when the suite is given --peer-python venv/bin/python)
    let mut a = s(&[
        "--fleet",
        "100",
        "--block-time",
        "1",
        "--peer-machines",
        "3",
    ]);
    if let Some(py) = &args.peer_python {
        a.push("--peer-python".into());
        a.push(py.display().to_string());
    }
    let (ours, peer) = match child(&exe, &a) {
        Ok(v) => match v.first() {
            Some(v) => {
                let o = &v["peaqos"];
                let ours = format!(
                    "{} machines in {} blocks, {:.1} s (1 s blocks)",
                    o["activated"].as_u64().unwrap_or(0),
                    o["blocks"].as_u64().unwrap_or(0),
                    num(o, "seconds")
                );
                let p = &v["peaqSdk"];
                let peer = match p["notMeasured"].as_str() {
                    Some(why) => not_measured(why),
                    None => format!(
                        "peaq's SDK: {} machines in {} blocks, {:.1} s",
                        p["machines"].as_u64().unwrap_or(0),
                        p["blocks"].as_u64().unwrap_or(0),
                        num(p, "seconds")
                    ),
                };
                (ours, peer)
            }
            None => (not_measured("no figures"), String::new()),
        },
        Err(e) => (not_measured(e), String::new()),
    };
    rows.push(Row {
        what: "fleet activation".into(),
        ours,
        peer,
    });

    // 6. Benchmarks that live in their crates' examples (they fill a chain first).
    for (what, how) in [
        (
            "indexer: events/s via getEvents",
            "cargo run --release -p peaqos-mcr --features bench --example bench_mcr",
        ),
        (
            "bridge: LayerZero relay",
            "cargo run --release -p peaqos-bridge --example bridge_bench",
        ),
    ] {
        rows.push(Row {
            what: what.into(),
            ours: not_measured(format!("not in this binary; {how}")),
            peer: String::new(),
        });
    }

    let w0 = rows.iter().map(|r| r.what.len()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.ours.len()).max().unwrap_or(0);
    if args.json {
        let v: Vec<Value> = rows
            .iter()
            .map(|r| serde_json::json!({"benchmark": r.what, "peaqos": r.ours, "peer": r.peer}))
            .collect();
        crate::outln!("{}", serde_json::json!({"suite": v}))?;
    } else {
        crate::outln!(
            "peaqos bench --suite ({:.0} s; one run each, on this machine as it is now)",
            started.elapsed().as_secs_f64()
        )?;
        crate::outln!("{:<w0$}  {:<w1$}  peer (same run)", "benchmark", "peaqos")?;
        for r in &rows {
            crate::outln!("{:<w0$}  {:<w1$}  {}", r.what, r.ours, r.peer)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read_from_the_json_lines() {
        let v = serde_json::json!({"txPerSec": 1234.4, "txs": 1000, "failures": 2});
        assert_eq!(chain_figure(&v), "1234 tx/s (1000 txs, 2 failed)");
        let v = serde_json::json!({"perSec": 99.6, "p50Ms": 1.234, "p99Ms": 9.0,
            "requests": 300, "errors": 0, "concurrency": 8});
        assert_eq!(
            load_figure(&v),
            "100/s, p50 1.23 ms, p99 9.00 ms (300 requests, 0 errors, 8 in flight)"
        );
    }

    #[test]
    fn a_child_that_cannot_run_is_a_reason() {
        let why = child(Path::new("/nonexistent/peaqos"), &[]).unwrap_err();
        assert!(why.starts_with("cannot start"), "{why}");
        // a child that fails without printing figures: its last stderr line
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("fails");
        std::fs::write(&exe, "#!/bin/sh\necho boom >&2\nexit 3\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o700)).unwrap();
        let why = child(&exe, &[]).unwrap_err();
        assert!(why.contains("boom") && why.contains('3'), "{why}");
        // figures printed before a failure are kept
        std::fs::write(&exe, "#!/bin/sh\necho '{\"perSec\": 1}'\nexit 1\n").unwrap();
        assert_eq!(
            child(&exe, &[]).unwrap(),
            vec![serde_json::json!({"perSec": 1})]
        );
    }
}
