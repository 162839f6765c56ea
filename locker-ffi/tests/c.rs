//! Builds the C tests in `tests/c/` against `include/locker.h` and `liblocker.so` with
//! `-Wall -Wextra -Wpedantic -Werror`, runs them, and runs them again under valgrind (when
//! installed; CI installs it) expecting no leaks and no invalid accesses. Cargo builds the
//! library (crate types `cdylib`, `staticlib`, `rlib`) before this test, with its flags.
//!
//! The face part needs the models (`LOCKER_MODELS_DIR`, default `../shared/models`) and the
//! photos (`LOCKER_FACES_DIR`, default `../shared/faces`); without them it is skipped with a
//! message, unless `LOCKER_REQUIRE_MODELS=1`.

#[path = "support/clib.rs"]
mod clib;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles `tests/c/<name>.c` into `out` against the shared library; returns the executable.
fn compile(name: &str, out: &Path) -> PathBuf {
    let lib = clib::ensure_built();
    let exe = out.join(name);
    let status = clib::cc()
        .arg("-I")
        .arg(clib::ffi_dir().join("include"))
        .arg(clib::ffi_dir().join("tests/c").join(format!("{name}.c")))
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-llocker")
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "the C test {name}.c does not compile cleanly");
    exe
}

fn run(mut cmd: Command, scratch: &Path) -> String {
    cmd.env("LOCKER_TEST_DIR", scratch)
        .env("LOCKER_MODELS_DIR", clib::shared("LOCKER_MODELS_DIR", "models"))
        .env("LOCKER_FACES_DIR", clib::shared("LOCKER_FACES_DIR", "faces"));
    let out = cmd.output().expect("run the C test");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("{stderr}");
    println!("{stdout}");
    assert!(out.status.success(), "the C test failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains(" passed, 0 failed"), "unexpected output: {stdout}");
    stdout
}

fn passed(stdout: &str) -> u32 {
    stdout.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
fn c_tests_pass() {
    let dir = tempfile::tempdir().unwrap();
    let exe = compile("test_locker", dir.path());
    let stdout = run(Command::new(&exe), dir.path());
    assert!(passed(&stdout) > 300, "only {} checks ran", passed(&stdout));
}

#[test]
fn c_tests_are_clean_under_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "valgrind is not installed (.ci/run installs it)");
        eprintln!("valgrind is not installed; skipping (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = compile("test_locker", dir.path());
    let mut cmd = Command::new("valgrind");
    // Model inference under valgrind takes most of half an hour on two cores; the face
    // functions run under valgrind when LOCKER_VALGRIND_FACES=1 (and natively above always).
    if std::env::var("LOCKER_VALGRIND_FACES").as_deref() != Ok("1") {
        cmd.env("LOCKER_TEST_SKIP_FACES", "1");
    }
    cmd.args([
        "--error-exitcode=99",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect",
        "--errors-for-leak-kinds=definite,indirect",
        "--quiet",
    ])
    .arg(&exe);
    run(cmd, dir.path());
}

#[test]
fn locker_pc_matches_the_crate() {
    assert_eq!(clib::pkg_config(&["--modversion"]), vec![env!("CARGO_PKG_VERSION").to_owned()]);
    let libs = clib::pkg_config(&["--libs"]);
    assert!(libs.contains(&"-llocker".to_owned()), "{libs:?}");
}
