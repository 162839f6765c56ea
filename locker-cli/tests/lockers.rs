//! `locker lockers`, `locker db` and `locker demo` against temporary SQLite files.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `locker --db sqlite:<dir>/t.db ARGS` in `dir`.
fn locker(dir: &Path, args: &[&str]) -> Output {
    let db = format!("sqlite:{}", dir.join("t.db").display());
    Command::new(env!("CARGO_BIN_EXE_locker"))
        .current_dir(dir)
        .env_remove("LOCKER_DATABASE_URL")
        .args(["--db", &db])
        .args(args)
        .output()
        .expect("run locker")
}

/// `locker lockers add` of a locker in station ST1.
fn add(dir: &Path, code: &str, size: &str, price: &str) -> Output {
    locker(dir, &["lockers", "add", "--code", code, "--station", "ST1", "--size", size, "--price", price])
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}\nstderr: {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn codes(dir: &Path) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(&ok(&locker(dir, &["--json", "lockers", "list"]))).unwrap();
    json["items"].as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap().to_owned()).collect()
}

const HEADER: &str = "code,station,location,size,controller,relay_channel,sensor_channel,price\n";

#[test]
fn add_then_list_as_json_and_table() {
    let dir = tempfile::tempdir().unwrap();
    ok(&add(dir.path(), "A01", "medium", "2.50"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&locker(dir.path(), &["--json", "lockers", "list"]))).unwrap();
    assert_eq!(json["total"], 1);
    let l = &json["items"][0];
    assert_eq!(
        (l["code"].as_str(), l["size"].as_str(), l["status"].as_str()),
        (Some("A01"), Some("medium"), Some("available"))
    );
    assert_eq!(l["price_per_hour"], 250);
    let table = ok(&locker(dir.path(), &["lockers", "list"]));
    assert!(table.contains("A01") && table.contains("2.50") && table.contains("page 1 of 1 (1 lockers)"), "{table}");

    let dup = add(dir.path(), "A01", "small", "1");
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("code = A01"));
}

#[test]
fn import_good_csv_then_set_status() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!("{HEADER}B01,ST1,Floor 1,small,,1,1,1.00\nB02,ST1,Floor 1,large,,2,2,3.5\n");
    std::fs::write(dir.path().join("good.csv"), csv).unwrap();
    let out = ok(&locker(dir.path(), &["lockers", "import", "good.csv"]));
    assert!(out.contains("imported 2 lockers"), "{out}");
    assert_eq!(codes(dir.path()), ["B01", "B02"]);

    ok(&locker(dir.path(), &["lockers", "set-status", "B02", "maintenance"]));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&locker(dir.path(), &["--json", "lockers", "list", "--status", "maintenance"])))
            .unwrap();
    assert_eq!(json["items"][0]["code"], "B02");
    assert_eq!(json["total"], 1);
}

#[test]
fn bad_csv_names_line_and_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    ok(&locker(dir.path(), &["db", "migrate"]));
    let csv = format!(
        "{HEADER}C01,ST1,F1,small,,1,1,1.00\nC02,ST1,F1,huge,,2,2,1.00\nC03,ST1,F1,small,,3,3,-1.00\nC04,ST1,F1,small,,x,4,1.00\nC05,ST1,F1,small,NOPE,5,5,1.00\n"
    );
    std::fs::write(dir.path().join("bad.csv"), csv).unwrap();
    let out = locker(dir.path(), &["lockers", "import", "bad.csv"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "line 3: invalid size",
        "line 4: invalid price",
        "line 5: invalid relay_channel",
        "line 6: invalid controller",
        "nothing imported",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!err.contains("line 2"), "the good row is not blamed:\n{err}");
    assert!(codes(dir.path()).is_empty(), "a failed import wrote rows");

    // A row clashing with the database fails the whole import too, naming its line.
    ok(&add(dir.path(), "D02", "small", "1"));
    let csv = format!("{HEADER}D01,ST1,F1,small,,1,1,1.00\nD02,ST1,F1,small,,2,2,1.00\n");
    std::fs::write(dir.path().join("clash.csv"), csv).unwrap();
    let out = locker(dir.path(), &["lockers", "import", "clash.csv"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("code = D02"), "{err}");
    assert_eq!(codes(dir.path()), ["D02"]);

    std::fs::write(dir.path().join("header.csv"), "code,size\nE01,small\n").unwrap();
    let out = locker(dir.path(), &["lockers", "import", "header.csv"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1: the header must be"));
}

#[test]
fn db_status_before_and_after_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let before: serde_json::Value =
        serde_json::from_str(&ok(&locker(dir.path(), &["--json", "db", "status"]))).unwrap();
    assert_eq!(before["applied"].as_array().unwrap().len(), 0);
    assert_eq!(before["pending"][0][1], "init");
    let after: serde_json::Value =
        serde_json::from_str(&ok(&locker(dir.path(), &["--json", "db", "migrate"]))).unwrap();
    assert_eq!(after["pending"].as_array().unwrap().len(), 0);
    assert_eq!(after["backend"], "sqlite");
}

#[test]
fn demo_is_idempotent_and_uses_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_locker"))
            .current_dir(dir.path())
            .env_remove("LOCKER_DATABASE_URL")
            .args(["--json", "demo"])
            .output()
            .unwrap()
    };
    let first: serde_json::Value = serde_json::from_str(&ok(&run())).unwrap();
    let second: serde_json::Value = serde_json::from_str(&ok(&run())).unwrap();
    assert_eq!(first["total"], 24);
    assert_eq!(first, second);
    assert!(dir.path().join("locker-demo.db").exists() && !dir.path().join("locker.db").exists());
    let sizes: Vec<_> = first["items"].as_array().unwrap().iter().map(|l| l["size"].as_str().unwrap()).collect();
    for size in ["small", "medium", "large"] {
        assert!(sizes.contains(&size));
    }
}

#[test]
fn unknown_database_scheme_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_locker"))
        .args(["--db", "mysql://root@localhost/x", "lockers", "list"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
}
