//! `include/locker.h` is what cbindgen (0.29.4, as a library in `header-gen/`) generates from
//! the sources, and its `LOCKER_VERSION` is the crate version. Regenerate with
//! `LOCKER_BLESS=1 cargo test -p locker-ffi --test header`.
//!
//! The generator is its own small workspace (`header-gen/`, own target dir
//! `$CARGO_TARGET_DIR/header-gen`, default `target/header-gen`), because cbindgen's
//! dependencies in this workspace would change the features of the shared proc-macro crates
//! and rebuild everything. It is built unoptimised and without debug info (its own
//! `[profile.dev]`): 34 s of CPU cold instead of 126 s for `--release`, and it still writes
//! the header in about a second.

use std::path::Path;
use std::process::Command;

fn generate(out: &Path) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Beside the build (a persistent CARGO_TARGET_DIR keeps it between CI runs); `join`
    // keeps an absolute CARGO_TARGET_DIR as it is and reads a relative one from the workspace.
    let workspace = dir.parent().expect("workspace");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), |d| workspace.join(d))
        .join("header-gen");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "--manifest-path"])
        .arg(dir.join("header-gen/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .arg("--")
        .arg(dir)
        .arg(env!("CARGO_PKG_VERSION"))
        .arg(out)
        .status()
        .expect("run the header generator");
    assert!(status.success(), "cbindgen failed");
}

#[test]
fn committed_header_matches_cbindgen_output() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/locker.h");
    let tmp = tempfile::tempdir().unwrap();
    let fresh_path = tmp.path().join("locker.h");
    generate(&fresh_path);
    let fresh = std::fs::read(&fresh_path).expect("generated header");
    let committed = std::fs::read(&path).unwrap_or_default();
    if committed == fresh {
        return;
    }
    if std::env::var_os("LOCKER_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write locker.h");
        return;
    }
    panic!(
        "include/locker.h differs from what cbindgen generates; regenerate it with \
         `LOCKER_BLESS=1 cargo test -p locker-ffi --test header` and commit it"
    );
}

#[test]
fn header_version_is_the_crate_version() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/locker.h")).unwrap();
    let line = format!("#define LOCKER_VERSION \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&line), "locker.h lacks `{line}`");
}
