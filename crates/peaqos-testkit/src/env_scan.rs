//! Which sources read the process environment at run time: the check behind the house rule
//! that library crates read no environment (the binary passes configuration in, as an
//! environment lookup `|k| std::env::var(k).ok()` or explicit values).
//!
//! [`environment_reads`] scans a source tree for every way Rust code reads the environment at
//! run time ([`FORBIDDEN`]); compile-time `env!` is fine, and comment lines are skipped (a doc
//! may name the binary's lookup). The workspace-wide check is this module's test: every crate
//! under `crates/` but the binary (`peaqos-cli`) and this harness, with the few allowed places
//! named line by line.

use std::path::{Path, PathBuf};

/// What reading the environment looks like in Rust source.
pub const FORBIDDEN: [&str; 6] = [
    "std::env::var",
    "env::var(",
    "env::var_os",
    "env::vars",
    "std::env::home_dir",
    // clap's `#[arg(env = "...")]` reads the environment while parsing.
    "env = \"",
];

/// One line of source that reads the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRead {
    /// The file.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// The [`FORBIDDEN`] pattern it matched.
    pub pattern: &'static str,
    /// The line, trimmed.
    pub text: String,
}

impl std::fmt::Display for EnvRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.pattern,
            self.text
        )
    }
}

/// Every `.rs` file below `dir`, sorted.
pub fn rust_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d)? {
            let p = entry?.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The environment reads in the `.rs` files below `src`, with how many files were read.
pub fn environment_reads(src: &Path) -> std::io::Result<(usize, Vec<EnvRead>)> {
    let files = rust_files(src)?;
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f)?;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if let Some(p) = FORBIDDEN.iter().find(|p| line.contains(*p)) {
                hits.push(EnvRead {
                    file: f.clone(),
                    line: i + 1,
                    pattern: p,
                    text: line.trim().to_owned(),
                });
            }
        }
    }
    Ok((files.len(), hits))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Crates that read the environment by design: the binary, and this test harness
    /// (`PEAQOS_TEST_POSTGRES_URL`).
    const NOT_LIBRARIES: [&str; 2] = ["peaqos-cli", "peaqos-testkit"];

    /// The allowed reads, as (path below `crates/`, text of the line). The SDK's
    /// `PeaqosClient::from_env` is peaq's documented convenience and the SDK's one reader of
    /// the process environment.
    const ALLOWED: [(&str, &str); 1] = [(
        "peaqos-sdk/src/client.rs",
        "Self::from_env_lookup(|k| std::env::var(k).ok())",
    )];

    /// Reads in code other engineers are writing right now, each to become a lookup or an
    /// explicit value (then its line goes): the ROS 2 node's configuration.
    const PENDING: [(&str, &str); 2] = [
        ("peaqos-ros2/src/node.rs", "std::env::var(k).ok()"),
        ("peaqos-ros2/src/config.rs", "std::env::var"),
    ];

    /// Whether `hit` is one of `list`'s places.
    fn listed(list: &[(&str, &str)], crates: &Path, hit: &EnvRead) -> bool {
        let rel = hit.file.strip_prefix(crates).unwrap_or(&hit.file);
        list.iter()
            .any(|(file, text)| rel == Path::new(file) && hit.text.contains(text))
    }

    #[test]
    fn the_scan_finds_every_kind_of_read() {
        let dir = std::env::temp_dir().join(format!("peaqos-env-scan-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("nested")).unwrap();
        std::fs::write(
            dir.join("a.rs"),
            "fn f() { let _ = std::env::var(\"X\"); }\n// std::env::var in a comment\nconst C: &str = env!(\"CARGO_PKG_NAME\");\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("nested/b.rs"),
            "#[arg(long, env = \"Y\")]\nfn g() { std::env::var_os(\"Z\"); }\n",
        )
        .unwrap();
        std::fs::write(dir.join("nested/c.txt"), "std::env::var").unwrap();
        let (files, hits) = environment_reads(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(files, 2);
        let found: Vec<(usize, &str)> = hits.iter().map(|h| (h.line, h.pattern)).collect();
        assert_eq!(
            found,
            [(1, "std::env::var"), (1, "env = \""), (2, "std::env::var")]
        );
    }

    #[test]
    fn library_crates_read_no_process_environment() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut scanned = Vec::new();
        let mut reads = Vec::new();
        let mut allowed_seen = 0;
        for entry in std::fs::read_dir(crates).unwrap() {
            let dir = entry.unwrap().path();
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let src = dir.join("src");
            if NOT_LIBRARIES.contains(&name.as_str()) || !src.is_dir() {
                continue;
            }
            let (files, hits) = environment_reads(&src).unwrap();
            assert!(files > 0, "{name}: no sources");
            allowed_seen += hits.iter().filter(|h| listed(&ALLOWED, crates, h)).count();
            reads.extend(
                hits.into_iter()
                    .filter(|h| !listed(&ALLOWED, crates, h) && !listed(&PENDING, crates, h)),
            );
            scanned.push(name);
        }
        for must in [
            "peaqos-types",
            "peaqos-wallet",
            "peaqos-sdk",
            "peaqos-mcr",
            "peaqos-gas-station",
            "peaqos-devnet",
        ] {
            assert!(
                scanned.iter().any(|s| s == must),
                "{must} not scanned: {scanned:?}"
            );
        }
        // the allowed places exist (the scan sees them), so the list cannot go stale
        assert_eq!(allowed_seen, ALLOWED.len());
        assert!(
            reads.is_empty(),
            "library sources read the process environment (take a lookup or explicit values \
             from the binary instead):\n{}",
            reads
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
