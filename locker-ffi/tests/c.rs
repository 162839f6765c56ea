//! Builds the C tests in `tests/c/` against `include/locker.h` and the freshly built
//! `liblocker.so` with `-Wall -Wextra -Wpedantic -Werror`, runs them, and runs them again
//! under valgrind (when installed) expecting no leaks and no invalid accesses.
//!
//! The face part needs the models (`LOCKER_MODELS_DIR`, default `../shared/models`) and the
//! photos (`LOCKER_FACES_DIR`, default `../shared/faces`); without them it is skipped with a
//! message, unless `LOCKER_REQUIRE_MODELS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>`, where cargo put `liblocker.so` for this test run.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>").to_path_buf()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn shared(var: &str, sub: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| workspace().join("../shared").join(sub))
}

/// Compiles `tests/c/<name>.c` into `out` and returns the executable's path.
fn compile(name: &str, out: &Path) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = lib_dir();
    assert!(lib.join("liblocker.so").exists(), "liblocker.so missing in {}", lib.display());
    let exe = out.join(name);
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "gcc".into()))
        .args(["-std=c11", "-g", "-O1", "-Wall", "-Wextra", "-Wpedantic", "-Werror"])
        .arg("-I")
        .arg(manifest.join("include"))
        .arg(manifest.join("tests/c").join(format!("{name}.c")))
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
        .env("LOCKER_MODELS_DIR", shared("LOCKER_MODELS_DIR", "models"))
        .env("LOCKER_FACES_DIR", shared("LOCKER_FACES_DIR", "faces"));
    let out = cmd.output().expect("run the C test");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("{stderr}");
    println!("{stdout}");
    assert!(out.status.success(), "the C test failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains(" passed, 0 failed"), "unexpected output: {stdout}");
    stdout
}

#[test]
fn c_tests_pass() {
    let dir = tempfile::tempdir().unwrap();
    let exe = compile("test_locker", dir.path());
    let stdout = run(Command::new(&exe), dir.path());
    let passed: u32 = stdout.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(passed > 200, "only {passed} checks ran");
}

#[test]
fn c_tests_are_clean_under_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!("valgrind is not installed; skipping (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = compile("test_locker", dir.path());
    let mut cmd = Command::new("valgrind");
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

/// `pkg-config` output for `locker.pc` pointed at this build tree.
fn pkg_config(args: &[&str]) -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("pkg-config")
        .env("PKG_CONFIG_PATH", manifest)
        .arg(format!("--define-variable=libdir={}", lib_dir().display()))
        .arg(format!("--define-variable=includedir={}", manifest.join("include").display()))
        .args(args)
        .arg("locker")
        .output()
        .expect("run pkg-config");
    assert!(out.status.success(), "pkg-config failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}

#[test]
fn locker_pc_matches_the_crate() {
    assert_eq!(pkg_config(&["--modversion"]), vec![env!("CARGO_PKG_VERSION").to_owned()]);
    let libs = pkg_config(&["--libs"]);
    assert!(libs.contains(&"-llocker".to_owned()), "{libs:?}");
}

/// The C kiosk of `examples/c/` links against the static library with the flags of
/// `locker.pc` and runs its story (QR check-in/out, replay refused, door events, faces).
#[test]
fn c_kiosk_example_links_statically_and_runs() {
    let lib = lib_dir();
    let staticlib = lib.join("liblocker.a");
    assert!(staticlib.exists(), "liblocker.a missing in {}", lib.display());
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("kiosk");
    let cflags = pkg_config(&["--cflags"]);
    // The static link: the archive itself, then the system libraries it needs.
    let libs: Vec<String> = pkg_config(&["--static", "--libs"])
        .into_iter()
        .filter(|f| !f.starts_with("-L"))
        .map(|f| if f == "-llocker" { staticlib.display().to_string() } else { f })
        .collect();
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "gcc".into()))
        .args(["-std=c11", "-O1", "-Wall", "-Wextra", "-Wpedantic", "-Werror"])
        .args(&cflags)
        .arg(workspace().join("examples/c/kiosk.c"))
        .args(&libs)
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "examples/c/kiosk.c does not build");
    let out = Command::new(&exe)
        .arg(dir.path())
        .arg(shared("LOCKER_MODELS_DIR", "models"))
        .arg(shared("LOCKER_FACES_DIR", "faces"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the C kiosk failed");
    for line in ["check-in by QR", "replayed check-in QR refused", "check-out by QR", "event: door channel=1 door=open"] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    if shared("LOCKER_MODELS_DIR", "models").join("yunet_dynamic.onnx").exists() {
        assert!(stdout.contains("stranger refused at check-out"), "{stdout}");
        assert!(stdout.contains("check-out by face"), "{stdout}");
    }
    assert!(stdout.contains("kiosk done: doors closed closed closed closed"), "{stdout}");
}
