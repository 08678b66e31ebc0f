//! The library reads no process environment: the binary passes configuration in (for `serve`,
//! as an environment lookup). This scans the crate's sources for every way Rust code reads the
//! environment at run time (compile-time `env!` is fine).

use std::path::Path;

const FORBIDDEN: [&str; 6] = [
    "std::env::var",
    "env::var(",
    "env::var_os",
    "env::vars",
    "std::env::home_dir",
    // clap's `#[arg(env = "...")]` reads the environment while parsing.
    "env = \"",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn library_sources_read_no_environment() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 5, "sources found: {files:?}");
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue; // documentation may name the binary's lookup
            }
            if let Some(p) = FORBIDDEN.iter().find(|p| line.contains(*p)) {
                hits.push(format!("{}:{}: {p}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(hits.is_empty(), "environment reads:\n{}", hits.join("\n"));
}
