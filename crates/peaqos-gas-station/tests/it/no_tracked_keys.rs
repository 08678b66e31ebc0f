//! `.ci/no-tracked-keys.sh`: the repository tracks no key-like file, and the script lists every
//! kind it looks for (in a throwaway git repository).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script() -> PathBuf {
    workspace_root().join(".ci/no-tracked-keys.sh")
}

fn run_script(repo: &Path) -> Output {
    Command::new("bash")
        .arg(script())
        .arg(repo)
        .output()
        .expect("bash runs")
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn the_repository_tracks_no_key_files() {
    let out = run_script(&workspace_root());
    assert!(
        out.status.success(),
        "tracked key-like files:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn every_key_like_tracked_file_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    let key_hex = format!("0x{}\n", "ab".repeat(32));
    let files: [(&str, String); 12] = [
        ("server.key", "00".repeat(32)),
        ("certs/tls.PEM", "-----BEGIN PRIVATE KEY-----\n".into()),
        (".env", "PEAQOS_PRIVATE_KEY=0x1\n".into()),
        ("deploy/.env.production", "A=1\n".into()),
        ("local.env", "A=1\n".into()),
        ("hot-wallet.txt", key_hex.clone()),
        ("secrets/operator_private", "ab".repeat(32)),
        // Not secrets: an example env file, a source file holding a test vector among code,
        // a key-named file that is not a bare key, a bare key in a file not named like one.
        (".env.example", "PEAQOS_PRIVATE_KEY=\n".into()),
        (
            "src/keys.rs",
            format!("const K: &str = \"0x{}\";\n", "ab".repeat(32)),
        ),
        ("docs/key-rotation.md", "# Rotating keys\n".into()),
        ("fixtures/hash.txt", key_hex),
        ("README.md", "hello\n".into()),
    ];
    for (path, content) in &files {
        let p = repo.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
    }
    std::fs::write(repo.join("untracked.key"), "x").unwrap();
    let tracked: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
    let mut add = vec!["add", "-f", "--"];
    add.extend(&tracked);
    git(repo, &add);

    let out = run_script(repo);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let listed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(':').next().unwrap().to_owned())
        .collect();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    let mut want = vec![
        "server.key",
        "certs/tls.PEM",
        ".env",
        "deploy/.env.production",
        "local.env",
        "hot-wallet.txt",
        "secrets/operator_private",
    ];
    want.sort();
    assert_eq!(listed_sorted, want);

    // Once they are removed from the index, the script passes.
    let mut rm = vec!["rm", "-q", "--cached", "--"];
    rm.extend(want.iter());
    git(repo, &rm);
    let out = run_script(repo);
    assert!(out.status.success(), "{out:?}");
}
