//! The library reads no process environment: the binary passes configuration in (for `serve`,
//! as an environment lookup). This scans the crate's sources for every way Rust code reads the
//! environment at run time (compile-time `env!` is fine), with the workspace's scanner
//! ([`peaqos_testkit::env_scan`], whose own test covers every library crate).

use peaqos_testkit::env_scan::environment_reads;
use std::path::Path;

#[test]
fn library_sources_read_no_environment() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (files, hits) = environment_reads(&src).unwrap();
    assert!(files > 5, "sources found: {files}");
    let hits: Vec<String> = hits.iter().map(ToString::to_string).collect();
    assert!(hits.is_empty(), "environment reads:\n{}", hits.join("\n"));
}
