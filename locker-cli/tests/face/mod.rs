//! `locker face` end to end on the real models (skipped, with a message, when they are
//! absent; `LOCKER_REQUIRE_MODELS=1` makes that a failure).

use std::path::PathBuf;
use std::process::{Command, Output};

fn shared(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(sub)
}

fn models() -> Option<PathBuf> {
    let dir = std::env::var_os("LOCKER_MODELS_DIR").map_or_else(|| shared("models"), PathBuf::from);
    if dir.join("mobilefacenet.onnx").is_file() && shared("faces/pairs.csv").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("LOCKER_REQUIRE_MODELS").map_or(true, |v| v != "1"),
        "LOCKER_REQUIRE_MODELS=1 but models or photos are missing"
    );
    eprintln!("SKIPPED: face models or photos not found");
    None
}

fn locker(models: &PathBuf, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_locker"));
    cmd.args(args);
    if args.get(1) != Some(&"keygen") {
        cmd.arg("--models").arg(models);
    }
    cmd.env_remove("LOCKER_FACE_KEY_FILE").env_remove("LOCKER_FACE_GALLERY").output().expect("Failed to run locker")
}

fn photo(rel: &str) -> String {
    shared("faces").join(rel).to_string_lossy().into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn detect_json_reports_one_face_with_five_landmarks() {
    let Some(m) = models() else { return };
    let out = locker(&m, &["face", "detect", &photo("Al_Sharpton/1.jpg"), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let faces = v["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1);
    assert_eq!(faces[0]["landmarks"].as_array().unwrap().len(), 5);
    assert!(faces[0]["score"].as_f64().unwrap() > 0.6);
}

#[test]
fn embed_prints_a_unit_vector() {
    let Some(m) = models() else { return };
    let out = locker(&m, &["face", "embed", &photo("Cate_Blanchett/1.jpg")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Vec<f32> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.len(), 128);
    assert!((v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-3);
}

#[test]
fn verify_accepts_the_same_person_and_refuses_another() {
    let Some(m) = models() else { return };
    let same = locker(&m, &["face", "verify", &photo("Cate_Blanchett/1.jpg"), &photo("Cate_Blanchett/2.jpg")]);
    assert!(same.status.success(), "{}{}", text(&same.stdout), text(&same.stderr));
    assert!(text(&same.stdout).contains("same person"));
    let other = locker(&m, &["face", "verify", &photo("Cate_Blanchett/1.jpg"), &photo("Al_Sharpton/1.jpg")]);
    assert!(!other.status.success());
    assert!(text(&other.stdout).contains("different people"));
}

#[test]
fn bad_image_fails_with_a_message() {
    let Some(m) = models() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.jpg");
    std::fs::write(&file, "not a photo").unwrap();
    let out = locker(&m, &["face", "detect", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("image unreadable"), "{}", text(&out.stderr));
}

#[test]
fn enroll_then_identify_through_the_encrypted_gallery() {
    let Some(m) = models() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (key, gallery) = (dir.path().join("face.key"), dir.path().join("faces.gallery"));
    let (key, gallery) = (key.to_str().unwrap(), gallery.to_str().unwrap());
    assert!(locker(&m, &["face", "keygen", "--out", key]).status.success());
    for (user, person) in [("u-cate", "Cate_Blanchett"), ("u-al", "Al_Sharpton"), ("u-condi", "Condoleezza_Rice")] {
        let out = locker(
            &m,
            &[
                "face",
                "enroll",
                "--user",
                user,
                &photo(&format!("{person}/1.jpg")),
                &photo(&format!("{person}/2.jpg")),
                "--gallery",
                gallery,
                "--key-file",
                key,
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let raw = std::fs::read(gallery).unwrap();
    assert!(!raw.windows(6).any(|w| w == b"u-cate"), "ids must not be readable at rest");

    let out = locker(
        &m,
        &["face", "identify", &photo("Condoleezza_Rice/3.jpg"), "--gallery", gallery, "--key-file", key, "--json"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["id"], "u-condi");
    assert_eq!(v[0]["accepted"], true);

    let other_key = dir.path().join("other.key");
    assert!(locker(&m, &["face", "keygen", "--out", other_key.to_str().unwrap(), "--id", "face-2"]).status.success());
    let out = locker(
        &m,
        &[
            "face",
            "identify",
            &photo("Condoleezza_Rice/3.jpg"),
            "--gallery",
            gallery,
            "--key-file",
            other_key.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown key id"), "{}", text(&out.stderr));
}

#[test]
fn eval_runs_on_the_shared_pairs() {
    let Some(m) = models() else { return };
    let out = locker(&m, &["face", "eval", &photo("pairs.csv"), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("{}", text(&out.stdout));
    assert_eq!(v["report"]["pairs"], 1200);
    assert!(v["report"]["accuracy"].as_f64().unwrap() >= 0.99);
    assert!(v["report"]["tar"].as_f64().unwrap() > 0.9);
}
