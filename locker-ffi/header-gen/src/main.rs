//! Generates the C header of locker-ffi with cbindgen (as a library, pinned to 0.29.4).
//!
//! `locker-ffi-header-gen CRATE_DIR VERSION OUT` writes the header for the crate at
//! `CRATE_DIR` (configured by its `cbindgen.toml`) to `OUT`, with `LOCKER_VERSION` set to
//! `VERSION`. `locker-ffi/tests/header.rs` runs it and compares the output with the committed
//! `include/locker.h`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, version, out] = args.as_slice() else {
        eprintln!("usage: locker-ffi-header-gen CRATE_DIR VERSION OUT");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let mut config = match cbindgen::Config::from_file(dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cbindgen.toml: {e}");
            return ExitCode::FAILURE;
        }
    };
    config.after_includes = Some(format!("\n#define LOCKER_VERSION \"{version}\"\n"));
    match cbindgen::Builder::new().with_crate(&dir).with_config(config).generate() {
        Ok(bindings) => {
            bindings.write_to_file(out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cbindgen: {e}");
            ExitCode::FAILURE
        }
    }
}
