//! The Rust side of `benches/bindings_overhead.sh` runs and prints one timing per call it
//! measures (this test also makes `cargo test` build the binary the script runs).

use std::process::Command;

#[test]
fn baseline_prints_a_timing_for_each_call() {
    let out = Command::new(env!("CARGO_BIN_EXE_bindings-baseline")).arg("200").output().expect("run the baseline");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for op in ["qr_verify_hmac", "qr_verify_ed25519", "frame_decode"] {
        let line = text.lines().find(|l| l.starts_with(op)).unwrap_or_else(|| panic!("no {op} in {text}"));
        let ns: f64 = line.split_whitespace().nth(2).and_then(|n| n.parse().ok()).expect("ns per call");
        assert!(ns > 0.0 && ns.is_finite(), "{line}");
    }
}
