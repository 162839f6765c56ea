//! The three kiosk examples (Rust, C, Python) run to the end and tell the same story: QR
//! check-in with the door cycle as service events, a refused replay, QR check-out, and with
//! the models face check-in, a stranger refused and check-out by face alone.
//!
//! The C kiosk is built against `liblocker.a` with the flags of `locker.pc`. The Python
//! kiosk needs the installed wheel: scripts/test-python runs this test again with
//! `LOCKER_PY_PYTHON` set to its virtual environment's interpreter.

#[path = "../../locker-ffi/tests/support/clib.rs"]
mod clib;

use std::process::Command;

/// Runs `cmd` and checks the story in its output.
fn assert_story(mut cmd: Command) {
    let faces = clib::models_present();
    let out = cmd.current_dir(clib::workspace()).output().expect("run the kiosk");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the kiosk failed ({})", out.status);
    let mut lines = vec![
        "kiosk ready: 4 lockers",
        "check-in by QR: rental ",
        "replayed check-in QR refused: ",
        "\"action\":\"sensor_trigger\"",
        "check-out by QR: rental ",
        "kiosk done: 4 of 4 lockers available",
    ];
    if faces {
        lines.extend([
            "faces on",
            "check-in by face: rental ",
            "stranger refused at check-out: ",
            "check-out by face: rental ",
        ]);
    }
    for line in lines {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    // Door events: each opening is followed by a closing.
    let opened = stdout.matches("\"door_state\":\"open\"").count();
    assert!(opened >= 1, "no door events printed:\n{stdout}");
    assert!(stdout.matches("\"door_state\":\"closed\"").count() >= opened, "{stdout}");
}

#[test]
fn rust_kiosk_tells_the_story() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiosk"));
    cmd.env("LOCKER_MODELS_DIR", clib::shared("LOCKER_MODELS_DIR", "models"))
        .env("LOCKER_FACES_DIR", clib::shared("LOCKER_FACES_DIR", "faces"));
    assert_story(cmd);
}

#[test]
fn c_kiosk_links_statically_and_tells_the_story() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("kiosk");
    clib::build_static(&clib::workspace().join("examples/c/kiosk.c"), &exe);
    let mut cmd = Command::new(&exe);
    cmd.arg(dir.path()).arg(clib::shared("LOCKER_MODELS_DIR", "models")).arg(clib::shared("LOCKER_FACES_DIR", "faces"));
    assert_story(cmd);
}

#[test]
fn python_kiosk_tells_the_story() {
    let Some(python) = std::env::var_os("LOCKER_PY_PYTHON") else {
        eprintln!("LOCKER_PY_PYTHON is not set; scripts/test-python runs this with the wheel installed");
        return;
    };
    let mut cmd = Command::new(python);
    cmd.arg(clib::workspace().join("examples/python/kiosk.py"))
        .env("LOCKER_MODELS_DIR", clib::shared("LOCKER_MODELS_DIR", "models"))
        .env("LOCKER_FACES_DIR", clib::shared("LOCKER_FACES_DIR", "faces"));
    assert_story(cmd);
}
