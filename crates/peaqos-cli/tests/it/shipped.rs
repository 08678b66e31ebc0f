//! The `peaqos` binary these tests run is the one users get: no test-only code is built into it.

/// The Gas Station's crash injection exists in its own test builds only. Its message and its
/// configuration field name are in any binary built with it, so they must not be in this one.
#[test]
fn the_binary_carries_no_fault_injection() {
    let bin = std::fs::read(env!("CARGO_BIN_EXE_peaqos")).expect("the peaqos binary");
    let contains = |needle: &[u8]| bin.windows(needle.len()).any(|w| w == needle);
    // The Gas Station is linked in (`peaqos up` and `peaqos gas-station` serve it), so finding
    // none of its fault-injection strings below means something.
    assert!(
        contains(b"peaqos_gas_station"),
        "the Gas Station is part of the binary"
    );
    for marker in ["injected crash", "crash_after"] {
        assert!(
            !contains(marker.as_bytes()),
            "the peaqos binary contains the Gas Station's fault injection ({marker:?})"
        );
    }
}
