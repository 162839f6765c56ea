//! `locker keys` and `locker qr`, run as the real binary.

use std::path::Path;
use std::process::{Command, Output};

fn locker(args: &[&str], keys: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_locker"))
        .args(args)
        .env("LOCKER_KEYS_DIR", keys)
        .env_remove("RUST_LOG")
        .output()
        .expect("run locker")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn user() -> String {
    "019479b1-0000-7000-8000-000000000001".to_owned()
}

#[test]
fn keys_generate_writes_private_files_and_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let stdout = ok(&locker(&["keys", "generate"], &keys));
    for name in ["qr-1.key", "qr-1.pub", "jwt.key", "jwt.pub"] {
        assert!(keys.join(name).exists(), "{name} missing; stdout: {stdout}");
    }
    for name in ["qr-1.key", "jwt.key"] {
        let text = std::fs::read_to_string(keys.join(name)).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        let secret = file["secret"].as_str().unwrap();
        assert!(!stdout.contains(secret), "secret of {name} printed");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(keys.join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
    // A second run rotates: key id 2, the JWT key is kept.
    let jwt_before = std::fs::read(keys.join("jwt.key")).unwrap();
    ok(&locker(&["keys", "generate", "--qr-alg", "hmac"], &keys));
    assert!(keys.join("qr-2.key").exists());
    assert!(!keys.join("qr-2.pub").exists(), "HMAC keys have no public half");
    assert_eq!(std::fs::read(keys.join("jwt.key")).unwrap(), jwt_before);
}

#[test]
fn issued_token_verifies_and_a_tampered_one_fails_with_the_precise_error() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    ok(&locker(&["keys", "generate"], &keys));
    let rental = "019479b1-0000-7000-8000-000000000002".to_owned();
    let token = ok(&locker(&["qr", "issue", "--user", &user(), "--action", "check_out", "--rental", &rental], &keys));
    let token = token.trim();
    let shown = ok(&locker(&["qr", "verify", token], &keys));
    assert!(shown.contains("action check_out") && shown.contains(&user()) && shown.contains(&rental), "{shown}");
    // A kiosk with only the public key file agrees.
    ok(&locker(&["qr", "verify", "--public", token], &keys));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&locker(&["--json", "qr", "verify", token], &keys))).unwrap();
    assert_eq!(json["action"], "check_out");
    assert_eq!(json["rental_id"], rental.as_str());

    let mut tampered = token.to_owned().into_bytes();
    let last = tampered.len() - 10;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let out = locker(&["qr", "verify", std::str::from_utf8(&tampered).unwrap()], &keys);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid token") && stderr.contains("TokenInvalid"), "{stderr}");
}

#[test]
fn rotation_old_key_verifies_until_its_file_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    ok(&locker(&["keys", "generate"], &keys));
    let old = ok(&locker(&["qr", "issue", "--user", &user(), "--action", "check_in"], &keys));
    ok(&locker(&["keys", "generate"], &keys));
    let new = ok(&locker(&["--json", "qr", "issue", "--user", &user(), "--action", "check_in"], &keys));
    let new: serde_json::Value = serde_json::from_str(&new).unwrap();
    assert_eq!(new["claims"]["key_id"], 2);
    assert!(new["qr_code_base64"].as_str().unwrap().starts_with("data:image/png;base64,iVBORw0KGgo"));
    assert_eq!(new["expires_in_seconds"], 300);
    ok(&locker(&["qr", "verify", old.trim()], &keys));
    std::fs::remove_file(keys.join("qr-1.key")).unwrap();
    std::fs::remove_file(keys.join("qr-1.pub")).unwrap();
    let out = locker(&["qr", "verify", old.trim()], &keys);
    assert!(!out.status.success(), "retired key still verifies");
    ok(&locker(&["qr", "verify", new["token"].as_str().unwrap()], &keys));
}

#[test]
fn issue_writes_png_and_svg_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    ok(&locker(&["keys", "generate"], &keys));
    let png = dir.path().join("t.png");
    let svg = dir.path().join("t.svg");
    ok(&locker(&["qr", "issue", "--user", &user(), "--action", "check_in", "--png", png.to_str().unwrap()], &keys));
    ok(&locker(&["qr", "issue", "--user", &user(), "--action", "check_in", "--svg", svg.to_str().unwrap()], &keys));
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));

    let out = locker(&["qr", "issue", "--user", &user(), "--action", "update"], &keys);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rental is required"));
    let out = locker(&["qr", "issue", "--user", &user(), "--action", "open_all"], &keys);
    assert!(!out.status.success());
    let out = locker(&["qr", "issue", "--user", "not-a-uuid", "--action", "check_in"], &keys);
    assert!(!out.status.success());
    let out = locker(&["qr", "verify", "AAAA"], &dir.path().join("no-keys-here"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Cannot load the QR keys"));
}

#[test]
fn users_add_reads_the_password_from_stdin_and_list_never_shows_it() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("users.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_locker"))
        .args(["--db", &db, "users", "add", "--email", "tech@example.com", "--name", "Tech", "--role", "technician"])
        .arg("--password-stdin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"s3cret-pass\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(ok(&out).contains("technician"));
    let list = ok(&locker(&["--db", &db, "--json", "users", "list"], dir.path()));
    assert!(list.contains("tech@example.com") && !list.contains("argon2") && !list.contains("s3cret"), "{list}");
    // Duplicate e-mail and a bad role are refused with a message.
    let mut dup = Command::new(env!("CARGO_BIN_EXE_locker"))
        .args(["--db", &db, "users", "add", "--email", "tech@example.com", "--name", "X", "--no-password"])
        .output()
        .unwrap();
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    dup =
        locker(&["--db", &db, "users", "add", "--email", "b@example.com", "--name", "X", "--role", "root"], dir.path());
    assert!(!dup.status.success());
}
