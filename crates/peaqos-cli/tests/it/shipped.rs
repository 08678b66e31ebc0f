//! The `peaqos` binary these tests run is the one users get: no test-only code is built into it.

/// The Gas Station's crash injection exists in its own test builds only. Its message and its
/// configuration field name are in any binary built with it, so they must not be in this one.
#[test]
fn the_binary_carries_no_fault_injection() {
    let bin = std::fs::read(env!("CARGO_BIN_EXE_peaqos")).expect("the peaqos binary");
    let count =
        |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).filter(|w| *w == needle).count();
    let contains = |needle: &[u8]| count(&bin, needle) > 0;
    // The Gas Station is linked in (`peaqos up` and `peaqos gas-station` serve it), so finding
    // none of its fault-injection strings below means something.
    assert!(
        contains(b"peaqos_gas_station"),
        "the Gas Station is part of the binary"
    );
    for marker in ["injected crash", "crash_after"] {
        // The docs are embedded as text (`peaqos mcp` serves them): their mentions don't count.
        let in_docs: usize = peaqos_cli::mcp::DOCS
            .iter()
            .map(|(_, t)| count(t.as_bytes(), marker.as_bytes()))
            .sum();
        assert!(
            count(&bin, marker.as_bytes()) <= in_docs,
            "the peaqos binary contains the Gas Station's fault injection ({marker:?})"
        );
    }
}
