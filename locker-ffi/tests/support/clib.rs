//! For tests that compile C against liblocker (`locker-ffi/tests/c.rs`,
//! `examples/tests/examples.rs`): where the library is, the
//! pkg-config flags of `locker.pc` pointed at the build tree, and the shared test data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use std::process::Command;

/// The workspace root.
pub fn workspace() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("locker-ffi").is_dir() {
        assert!(dir.pop(), "no workspace above {}", env!("CARGO_MANIFEST_DIR"));
    }
    dir
}

/// `locker-ffi/`.
pub fn ffi_dir() -> PathBuf {
    workspace().join("locker-ffi")
}

/// `target/<profile>/deps` of this test run, where cargo writes `liblocker.so` and
/// `liblocker.a` when it builds locker-ffi as a dependency of test targets (a plain
/// `cargo build` also copies them up to `target/<profile>`).
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().expect("target/<profile>/deps/<test>").to_path_buf()
}

/// The folder holding `liblocker.so` and `liblocker.a`. Cargo builds them (with the flags
/// of this run) before the tests that need them: locker-ffi's own tests and, through a
/// dev-dependency, those of `examples`.
pub fn ensure_built() -> PathBuf {
    let dir = lib_dir();
    for lib in ["liblocker.so", "liblocker.a"] {
        assert!(dir.join(lib).exists(), "{lib} missing in {}", dir.display());
    }
    dir
}

/// A folder of `../shared` (or the one the variable names).
pub fn shared(var: &str, sub: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| workspace().join("../shared").join(sub))
}

/// Whether the face models are there (`LOCKER_REQUIRE_MODELS=1` makes their absence fatal).
pub fn models_present() -> bool {
    let present = shared("LOCKER_MODELS_DIR", "models").join("yunet_dynamic.onnx").exists();
    if !present && std::env::var("LOCKER_REQUIRE_MODELS").as_deref() == Ok("1") {
        panic!("face models missing and LOCKER_REQUIRE_MODELS=1");
    }
    present
}

/// `pkg-config ARGS locker` for `locker.pc` pointed at this build tree.
pub fn pkg_config(args: &[&str]) -> Vec<String> {
    let out = Command::new("pkg-config")
        .env("PKG_CONFIG_PATH", ffi_dir())
        .arg(format!("--define-variable=libdir={}", lib_dir().display()))
        .arg(format!("--define-variable=includedir={}", ffi_dir().join("include").display()))
        .args(args)
        .arg("locker")
        .output()
        .expect("run pkg-config");
    assert!(out.status.success(), "pkg-config failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}

/// The C compiler (`$CC`, else `gcc`) with the strict flags every C file here builds with.
pub fn cc() -> Command {
    let mut cmd = Command::new(std::env::var("CC").unwrap_or_else(|_| "gcc".into()));
    cmd.args(["-std=c11", "-g", "-O1", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]);
    cmd
}

/// Compiles `source` into `exe` against the static library with the flags of `locker.pc`
/// (`--cflags`, `--static --libs`, the archive itself instead of `-llocker`).
pub fn build_static(source: &Path, exe: &Path) {
    let staticlib = ensure_built().join("liblocker.a");
    let libs: Vec<String> = pkg_config(&["--static", "--libs"])
        .into_iter()
        .filter(|f| !f.starts_with("-L"))
        .map(|f| if f == "-llocker" { staticlib.display().to_string() } else { f })
        .collect();
    let status = cc()
        .args(pkg_config(&["--cflags"]))
        .arg(source)
        .args(&libs)
        .arg("-o")
        .arg(exe)
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "{} does not build", source.display());
}
