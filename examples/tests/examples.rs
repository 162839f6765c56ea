//! The Rust kiosk example runs to the end and shows what it claims: QR check-in and
//! check-out with door events, a refused replay, and (with models) face check-out.

use std::process::Command;

#[test]
fn rust_kiosk_runs() {
    let ws = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kiosk")).current_dir(ws).output().expect("run kiosk");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kiosk failed");
    assert!(stdout.contains("check-in by QR"), "{stdout}");
    assert!(stdout.contains("replayed check-in QR refused"), "{stdout}");
    assert!(stdout.contains("check-out by QR"), "{stdout}");
    assert_eq!(stdout.matches("state: Open").count(), stdout.matches("state: Closed").count());
    assert!(stdout.contains("state: Open"), "no door events printed: {stdout}");
    let models = std::env::var("LOCKER_MODELS_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| ws.join("../shared/models"));
    if models.join("yunet_dynamic.onnx").exists() {
        assert!(stdout.contains("stranger refused at check-out"), "{stdout}");
        assert!(stdout.contains("check-out by face"), "{stdout}");
    }
    assert!(stdout.contains("kiosk done: 0 live rentals"), "{stdout}");
}
