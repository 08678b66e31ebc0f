//! Embeds the documentation (docs/*.md, served by `peaqos mcp` as resources) and the agent
//! skill (skills/peaqos/**, copied by `peaqos skill install`) in the binary, so an installed
//! `peaqos` carries both. Generates `embedded.rs` in OUT_DIR: two sorted lists of
//! `(relative path, contents)`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(root, &p, out);
        } else if p.is_file() {
            out.push(p.strip_prefix(root).expect("under root").to_path_buf());
        }
    }
}

fn list(name: &str, root: &Path, keep: impl Fn(&Path) -> bool, code: &mut String) {
    println!("cargo:rerun-if-changed={}", root.display());
    let mut found = Vec::new();
    files(root, root, &mut found);
    found.retain(|p| keep(p));
    found.sort();
    writeln!(
        code,
        "/// `(path, contents)` of every embedded file, sorted by path."
    )
    .unwrap();
    writeln!(code, "pub static {name}: &[(&str, &str)] = &[").unwrap();
    for rel in found {
        let rel_str = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let abs = root.join(&rel);
        writeln!(
            code,
            "    ({rel_str:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    writeln!(code, "];").unwrap();
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let repo = manifest.join("../..");
    let mut code = String::new();
    list(
        "DOCS",
        &repo.join("docs"),
        |p| p.extension().is_some_and(|e| e == "md") && p.components().count() == 1,
        &mut code,
    );
    list(
        "SKILL",
        &repo.join("skills/peaqos"),
        |p| {
            p.extension()
                .is_some_and(|e| e == "md" || e == "mdc" || e == "json")
        },
        &mut code,
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
