//! The agent skill (skills/peaqos/): every `peaqos` command line it names parses with the CLI's
//! own definitions (subcommands and flags), every exit code and error code it names is the one
//! the CLI's exit-code table gives, and `peaqos skill install` copies it where each agent looks,
//! refusing to overwrite a changed file without --force.

use crate::common::*;
use clap::CommandFactory;
use peaqos_cli::error::exit;
use peaqos_cli::mcp::SKILL_FILES;
use peaqos_sdk::ErrorCode;
use std::collections::BTreeSet;

/// The code of the skill's text: inline `code` spans and fenced blocks, with the file and line.
fn code_spans() -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for (file, text) in SKILL_FILES {
        let mut fenced = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced {
                out.push((file.to_string(), n + 1, line.to_string()));
                continue;
            }
            let mut parts = line.split('`');
            parts.next();
            while let (Some(code), Some(_)) = (parts.next(), parts.next()) {
                out.push((file.to_string(), n + 1, code.to_string()));
            }
        }
    }
    out
}

/// Every `peaqos ...` invocation in a span: the words after `peaqos` up to a shell separator.
fn invocations(span: &str) -> Vec<Vec<String>> {
    let words: Vec<&str> = span.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if *w == "peaqos" {
            let rest = words[i + 1..]
                .iter()
                .take_while(|w| !matches!(**w, "|" | "&&" | ";" | "#" | "or" | "and"))
                .map(|w| w.trim_end_matches([',', ')', ':']).to_string())
                .collect();
            out.push(rest);
        }
    }
    out
}

/// Walks `args` down the command tree; checks every `--flag` against the command it follows.
fn check(root: &clap::Command, args: &[String]) -> Result<(), String> {
    let globals: BTreeSet<String> = root
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .chain(["help".to_string(), "version".to_string()])
        .collect();
    let mut cmd = root;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if let Some(flag) = a.strip_prefix("--") {
            let flag = flag.split('=').next().unwrap_or_default();
            let known =
                globals.contains(flag) || cmd.get_arguments().any(|x| x.get_long() == Some(flag));
            if !known {
                return Err(format!("`peaqos {}`: no flag --{flag}", cmd.get_name()));
            }
        } else if a.starts_with('-') {
            // -v, -q: global short flags
            let short = a.chars().nth(1).unwrap_or(' ');
            if !root.get_arguments().any(|x| x.get_short() == Some(short)) {
                return Err(format!("no short flag {a}"));
            }
        } else if let Some(sub) = cmd.find_subcommand(a) {
            cmd = sub;
        } else if cmd.has_subcommands() {
            return Err(format!("`{}` has no subcommand {a:?}", cmd.get_name()));
        }
        // otherwise a positional or a flag value
        i += 1;
    }
    if cmd.has_subcommands() && !cmd.is_allow_missing_positional_set() && cmd.get_name() != "peaqos"
    {
        return Err(format!("`{}` needs a subcommand", cmd.get_name()));
    }
    Ok(())
}

#[test]
fn every_command_line_in_the_skill_is_a_real_one() {
    let root = peaqos_cli::Cli::command();
    let mut checked = 0;
    let mut errors = Vec::new();
    for (file, line, span) in code_spans() {
        for args in invocations(&span) {
            checked += 1;
            if let Err(e) = check(&root, &args) {
                errors.push(format!("{file}:{line}: {span}: {e}"));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(checked >= 40, "only {checked} command lines found");
    // The skill drives the commands of every mode.
    let text: String = SKILL_FILES.iter().map(|(_, t)| *t).collect();
    for c in [
        "peaqos demo",
        "peaqos up",
        "peaqos init",
        "peaqos whoami",
        "peaqos activate --for",
        "peaqos qualify event",
        "peaqos qualify mcr",
        "peaqos show operator machines",
        "peaqos mcp",
        "peaqos skill install",
    ] {
        assert!(text.contains(c), "the skill never names {c}");
    }
}

#[test]
fn the_checker_refuses_what_does_not_exist() {
    let root = peaqos_cli::Cli::command();
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert!(check(&root, &words("activate --for 0x1 --machine-key k --json")).is_ok());
    assert!(check(&root, &words("activate --frobnicate")).is_err());
    assert!(check(&root, &words("fleet list")).is_err());
    assert!(check(&root, &words("show operator")).is_err());
    assert!(check(&root, &words("qualify mcr did --all")).is_err());
}

/// The rows `| \`CODE\` | exit | ... |` and `| exit | kind | ... |` of the troubleshooting page.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_exit_and_error_codes_in_the_skill_are_the_clis() {
    let page = SKILL_FILES
        .iter()
        .find(|(n, _)| *n == "knowledge/troubleshooting.md")
        .expect("knowledge/troubleshooting.md")
        .1;
    let mut exits = BTreeSet::new();
    let mut codes = 0;
    for r in rows(page) {
        match (
            r[0].parse::<u8>(),
            r[1].parse::<u8>(),
            r[0].parse::<ErrorCode>(),
        ) {
            // | exit | kind | meaning | ... |
            (Ok(code), _, _) => {
                let kind = peaqos_cli::mcp::kind_of(code);
                assert_eq!(r[1], kind, "exit {code} is kind {kind}");
                exits.insert(code);
            }
            // | `CODE` | exit | cause | fix |
            (_, Ok(e), Ok(code)) => {
                assert_eq!(
                    exit::for_code(code),
                    e,
                    "{code} exits {}",
                    exit::for_code(code)
                );
                codes += 1;
            }
            _ => assert!(
                matches!(r[0].as_str(), "exit" | "code"),
                "a row that is neither an exit code nor a known error code: {r:?}"
            ),
        }
    }
    assert_eq!(
        exits,
        BTreeSet::from([exit::OK, exit::USER, exit::NETWORK, exit::CONFIG]),
        "every exit code of the table, no other"
    );
    assert!(codes >= 20, "{codes} error codes");
    // Everywhere else: "exit N" only names a code of the table.
    for (file, text) in SKILL_FILES {
        for w in text.split("exit ").skip(1) {
            if let Some(d) = w.chars().next().filter(char::is_ascii_digit) {
                let n = d.to_digit(10).unwrap() as u8;
                assert!(n <= exit::CONFIG, "{file}: exit {n}");
            }
        }
    }
}

#[test]
fn the_skill_has_the_structure_of_peaqs() {
    let names: BTreeSet<&str> = SKILL_FILES.iter().map(|(n, _)| *n).collect();
    for f in [
        "SKILL.md",
        "AGENT-PROMPT.md",
        "GUIDE.md",
        "manifest.json",
        "knowledge/cli-reference.md",
        "knowledge/concepts.md",
        "knowledge/decision-tree.md",
        "knowledge/troubleshooting.md",
        "adapters/cursor.mdc",
        "adapters/windsurf.md",
    ] {
        assert!(names.contains(f), "{f} is missing");
    }
    let skill = SKILL_FILES
        .iter()
        .find(|(n, _)| *n == "SKILL.md")
        .unwrap()
        .1;
    let front = skill
        .strip_prefix("---\n")
        .and_then(|s| s.split("\n---\n").next())
        .expect("frontmatter");
    for k in [
        "name: peaqos",
        "description:",
        "allowed-tools: Bash Read Glob Grep AskUserQuestion WebFetch",
        "license:",
        "compatibility:",
    ] {
        assert!(front.contains(k), "frontmatter lacks {k}");
    }
    let manifest: serde_json::Value = serde_json::from_str(
        SKILL_FILES
            .iter()
            .find(|(n, _)| *n == "manifest.json")
            .unwrap()
            .1,
    )
    .unwrap();
    for k in manifest["knowledge"].as_array().unwrap() {
        assert!(names.contains(k.as_str().unwrap()), "manifest names {k}");
    }
    let prompt = SKILL_FILES
        .iter()
        .find(|(n, _)| *n == "AGENT-PROMPT.md")
        .unwrap()
        .1;
    for mode in [
        "## Demo",
        "## Real onboarding",
        "## Fleet management",
        "## Troubleshooting",
    ] {
        assert!(prompt.contains(mode), "AGENT-PROMPT.md lacks {mode}");
    }
    assert!(
        prompt.contains("private key, mnemonic"),
        "the pasted-key rule"
    );
}

#[test]
fn skill_install_copies_for_each_agent_and_keeps_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let install = |agent: &str, force: bool| {
        let mut c = peaqos();
        c.args(["skill", "install", "--agent", agent, "--dir", d, "--json"]);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let first = install("claude-code", false);
    let v = json(&first);
    let skill_md = dir.path().join(".claude/skills/peaqos/SKILL.md");
    let embedded = SKILL_FILES
        .iter()
        .find(|(n, _)| *n == "SKILL.md")
        .unwrap()
        .1;
    assert_eq!(std::fs::read_to_string(&skill_md).unwrap(), embedded);
    let n_skill = SKILL_FILES
        .iter()
        .filter(|(n, _)| !n.starts_with("adapters/"))
        .count();
    assert_eq!(v["written"].as_array().unwrap().len(), n_skill);
    assert!(
        dir.path()
            .join(".claude/skills/peaqos/knowledge/troubleshooting.md")
            .is_file()
    );
    // Again: nothing to do.
    let again = json(&install("claude-code", false));
    assert_eq!(again["unchanged"].as_array().unwrap().len(), n_skill);
    assert!(again["written"].as_array().unwrap().is_empty());
    // A file the user changed is left alone, and nothing else is written either.
    std::fs::write(&skill_md, "my notes\n").unwrap();
    let prompt = dir.path().join(".claude/skills/peaqos/AGENT-PROMPT.md");
    std::fs::remove_file(&prompt).unwrap();
    let refused = install("claude-code", false);
    expect_code(&refused, 1);
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(&skill_md).unwrap(), "my notes\n");
    assert!(!prompt.exists(), "nothing written when refusing");
    let forced = json(&install("claude-code", true));
    assert_eq!(forced["replaced"].as_array().unwrap().len(), 1);
    assert_eq!(forced["written"].as_array().unwrap().len(), 1);
    assert_eq!(std::fs::read_to_string(&skill_md).unwrap(), embedded);
    // Cursor and Windsurf: the skill plus their own rule file.
    json(&install("cursor", false));
    assert!(dir.path().join(".cursor/rules/peaqos.mdc").is_file());
    assert!(
        dir.path()
            .join(".cursor/skills/peaqos/AGENT-PROMPT.md")
            .is_file()
    );
    json(&install("windsurf", false));
    let rule = std::fs::read_to_string(dir.path().join(".windsurf/rules/peaqos.md")).unwrap();
    assert!(rule.contains(".windsurf/skills/peaqos/AGENT-PROMPT.md"));
    assert!(!dir.path().join(".windsurf/rules/peaqos.mdc").exists());
    let bad = peaqos()
        .args(["skill", "install", "--agent", "emacs", "--dir", d])
        .output()
        .unwrap();
    expect_code(&bad, 1);
}
