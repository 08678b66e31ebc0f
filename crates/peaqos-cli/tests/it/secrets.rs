//! The security campaign's leak check (docs/RELIABILITY.md): the whole `peaqos demo`, with
//! every log at debug level, carries none of the secrets it used (every generated and dev key,
//! the operator's TOTP secret, the Gas Station's key) on stdout or stderr, and the secrets
//! list it writes for this check (a hidden test aid) is 0600.

use crate::common::*;

/// The spellings a secret could leak in: as written, without `0x`, upper case.
fn spellings(s: &str) -> Vec<String> {
    let bare = s.strip_prefix("0x").unwrap_or(s);
    vec![s.to_owned(), bare.to_owned(), bare.to_ascii_uppercase()]
}

#[test]
fn the_demo_logs_and_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("secrets.txt");
    for extra in [&[][..], &["--json"][..]] {
        let _ = std::fs::remove_file(&list);
        let mut args = vec!["-vvv", "demo", "--machines", "5", "--days", "20"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--secrets-out", list.to_str().unwrap()]);
        let out = peaqos().args(&args).output().unwrap();
        expect_code(&out, 0);
        assert_eq!(mode(&list), 0o600);
        let secrets: Vec<String> = std::fs::read_to_string(&list)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        // operator, 5 + 1 machines, the smart account's two keys, 10 dev keys, TOTP, GS key
        assert!(secrets.len() >= 20, "{} secrets: too few", secrets.len());
        assert!(secrets.iter().all(|s| s.len() >= 16), "{secrets:?}");
        let text = format!("{}\n{}", stdout(&out), stderr(&out));
        assert!(
            text.contains("DEBUG"),
            "debug logging is on (otherwise the check proves little)"
        );
        for s in &secrets {
            for form in spellings(s) {
                assert!(
                    !text.contains(&form),
                    "a secret ({}...) appears in the demo's output",
                    &form[..6]
                );
            }
        }
    }
}

/// `peaqos up` at debug level, then CLI calls on its env file (whoami, activate, show): no dev
/// key (the env file's own included) appears in their stdout, stderr or `peaqos.log`.
#[test]
fn up_and_cli_calls_log_and_print_no_key() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let file = |n: &str| std::fs::File::create(p(n)).unwrap();
    let mut up = peaqos()
        .current_dir(dir.path())
        .args([
            "-vvv",
            "up",
            "--devnet-port",
            "0",
            "--mcr-port",
            "0",
            "--gas-station-port",
            "0",
            "--bundler-port",
            "0",
            "--base-port",
            "0",
            "--no-bridge",
            "--json",
            "--env-out",
        ])
        .arg(p("up.env"))
        .stdout(Stdio::from(file("up.out")))
        .stderr(Stdio::from(file("up.err")))
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !std::fs::read_to_string(p("up.out"))
        .unwrap()
        .contains("\"ready\"")
    {
        assert!(up.try_wait().unwrap().is_none(), "peaqos up exited");
        assert!(
            std::time::Instant::now() < deadline,
            "peaqos up never got ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(mode(&p("up.env")), 0o600);
    let mut outputs = Vec::new();
    for args in [
        &["whoami", "--json"][..],
        &["activate", "--json"][..],
        &["show", "--json"][..],
    ] {
        let out = peaqos()
            .current_dir(dir.path())
            .arg("-vvv")
            .arg("--env-file")
            .arg(p("up.env"))
            .args(args)
            .output()
            .unwrap();
        if args[0] != "show" {
            expect_code(&out, 0);
        }
        outputs.push(format!("{}\n{}", stdout(&out), stderr(&out)));
    }
    up.kill().unwrap();
    up.wait().unwrap();
    for f in ["up.out", "up.err", "peaqos.log"] {
        outputs.push(std::fs::read_to_string(p(f)).unwrap_or_default());
    }
    let text = outputs.join("\n");
    assert!(text.contains("DEBUG"), "debug logging is on");
    let env = std::fs::read_to_string(p("up.env")).unwrap();
    let env_key = env
        .lines()
        .find_map(|l| l.strip_prefix("PEAQOS_PRIVATE_KEY="))
        .unwrap()
        .to_owned();
    let mut keys: Vec<String> = (0..10)
        .map(|i| peaqos_sdk::PrivateKey::from(&peaqos_devnet::genesis::dev_signer(i)).expose_hex())
        .collect();
    assert!(keys.contains(&env_key), "the env file's key is a dev key");
    keys.push(env_key);
    for k in &keys {
        for form in spellings(k) {
            assert!(
                !text.contains(&form),
                "a key ({}...) appears in the output",
                &form[..6]
            );
        }
    }
}
