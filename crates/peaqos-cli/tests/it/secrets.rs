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
