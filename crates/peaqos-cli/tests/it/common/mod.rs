//! Shared harness: a stack (devnet + MCR + Gas Station) in this process, and the real binary.
#![allow(dead_code)]

use peaqos_cli::stack::{Stack, StackPorts, start_stack};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// A running stack plus a private working directory (cwd of every command: ./peaqos.log).
pub(crate) struct Env {
    pub rt: tokio::runtime::Runtime,
    pub stack: Option<Stack>,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub(crate) fn start() -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let stack = rt
            .block_on(start_stack(StackPorts::ephemeral(), None))
            .unwrap();
        Env {
            rt,
            stack: Some(stack),
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub(crate) fn stack(&self) -> &Stack {
        self.stack.as_ref().unwrap()
    }
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Writes the stack's ready env (dev account 0) to `name`.
    pub(crate) fn write_stack_env(&self, name: &str) -> PathBuf {
        let p = self.path(name);
        peaqos_devnet::write_secret_file(&p, &self.stack().env_text()).unwrap();
        p
    }
    /// The same env with another key.
    pub(crate) fn write_env_with_key(&self, name: &str, key_hex: &str) -> PathBuf {
        let text: String = self
            .stack()
            .env_text()
            .lines()
            .map(|l| {
                if l.starts_with("PEAQOS_PRIVATE_KEY=") {
                    format!("PEAQOS_PRIVATE_KEY={key_hex}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let p = self.path(name);
        peaqos_devnet::write_secret_file(&p, &text).unwrap();
        p
    }
    /// Runs `peaqos --env-file <env> args...` in the working directory with a clean environment.
    pub(crate) fn run(&self, env_file: &Path, args: &[&str]) -> Output {
        let mut c = peaqos();
        c.current_dir(self.dir.path())
            .arg("--env-file")
            .arg(env_file)
            .args(args);
        c.output().unwrap()
    }
    pub(crate) fn wait_indexed(&self) {
        self.rt
            .block_on(self.stack().wait_indexed(Duration::from_secs(30)))
            .unwrap();
    }
    pub(crate) fn sdk(&self, key: peaqos_sdk::PrivateKey) -> peaqos_sdk::PeaqosClient {
        let cfg = peaqos_sdk::PeaqosConfig::new(
            self.stack().rpc_url(),
            Some(key),
            self.stack().contracts(),
        )
        .with_api_url(self.stack().mcr_url());
        peaqos_sdk::PeaqosClient::new(cfg).unwrap()
    }
    pub(crate) fn dev_key(&self, i: u32) -> peaqos_sdk::PrivateKey {
        peaqos_sdk::PrivateKey::from(&self.stack().dev_signer(i))
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(s) = self.stack.take() {
            let _ = self.rt.block_on(s.shutdown());
        }
    }
}

/// The binary with no peaqOS variables inherited from the test's environment.
pub(crate) fn peaqos() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_peaqos"));
    for v in peaqos_types::network::env::ALL {
        c.env_remove(v);
    }
    c.env_remove("PEAQOS_TOTP").env_remove("PEAQOS_LOG");
    c
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
/// Asserts the exit code, showing stderr when it differs.
pub(crate) fn expect_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
}
pub(crate) fn json(o: &Output) -> serde_json::Value {
    expect_code(o, 0);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {}", stdout(o)))
}
pub(crate) fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}
