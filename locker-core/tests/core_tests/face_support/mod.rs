//! Shared helpers for the `face_*` integration tests: where the models and photos are, and
//! the skip-or-fail rule when they are missing (`LOCKER_REQUIRE_MODELS=1` fails).

#![allow(dead_code)]

use std::path::PathBuf;

use locker_core::face::{FaceConfig, FaceEngine};

/// `<workspace>/..`, where `shared/` lives.
fn above_workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The models folder: `LOCKER_MODELS_DIR`, else `<workspace>/../shared/models`.
pub fn models_dir() -> PathBuf {
    std::env::var_os("LOCKER_MODELS_DIR").map_or_else(|| above_workspace().join("shared/models"), PathBuf::from)
}

/// The labelled photos: `LOCKER_FACES_DIR`, else `<workspace>/../shared/faces`.
pub fn faces_dir() -> PathBuf {
    std::env::var_os("LOCKER_FACES_DIR").map_or_else(|| above_workspace().join("shared/faces"), PathBuf::from)
}

fn require() -> bool {
    std::env::var("LOCKER_REQUIRE_MODELS").is_ok_and(|v| v == "1")
}

/// The engine on the real models, or `None` (with a message) when they are absent.
/// Panics when they are absent and `LOCKER_REQUIRE_MODELS=1`.
pub fn engine() -> Option<FaceEngine> {
    match FaceEngine::load(FaceConfig::with_models_dir(models_dir())) {
        Ok(engine) => Some(engine),
        Err(e) if require() => {
            panic!("LOCKER_REQUIRE_MODELS=1 but the face models do not load: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: face models not available ({e}); set LOCKER_MODELS_DIR");
            None
        }
    }
}

/// The photos folder when present (same skip-or-fail rule).
pub fn faces() -> Option<PathBuf> {
    let dir = faces_dir();
    if dir.join("pairs.csv").is_file() {
        return Some(dir);
    }
    assert!(!require(), "LOCKER_REQUIRE_MODELS=1 but {} has no pairs.csv", dir.display());
    eprintln!("SKIPPED: face photos not found at {}", dir.display());
    None
}

/// Every `<identity>/<n>.jpg` under the photos folder, sorted.
pub fn photo_paths(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for person in std::fs::read_dir(dir).unwrap().flatten() {
        if !person.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(person.path()).unwrap().flatten() {
            if file.path().extension().is_some_and(|e| e == "jpg") {
                let name = person.file_name().to_string_lossy().into_owned();
                out.push(format!("{name}/{}", file.file_name().to_string_lossy()));
            }
        }
    }
    out.sort();
    out
}
