//! `locker uart` end to end: the real binary against the simulator on a pseudo-terminal.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

/// `locker uart simulate ...` running in the background; killed when dropped.
struct Simulator {
    child: Child,
    path: String,
}

impl Simulator {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_locker"))
            .args(["uart", "simulate"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start simulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read path");
        let path = line.trim().to_owned();
        assert!(path.starts_with("/dev/"), "simulate printed {line:?}");
        Self { child, path }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn locker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_locker")).args(args).env_remove("LOCKER_UART_PORT").output().expect("run locker")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unlock_then_status_then_info_over_a_pty() {
    let sim = Simulator::start(&["--channels", "8", "--person-open-ms", "50", "--person-hold-ms", "5000"]);
    let out = locker(&["uart", "unlock", "3", "--port", &sim.path]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("channel 3: relay pulsed"), "{}", stdout(&out));

    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = locker(&["uart", "status", "--port", &sim.path, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[2]["door"], "open", "the simulated person opened door 3: {rows:?}");
    assert_eq!(rows[0]["door"], "closed");

    let out = locker(&["uart", "status", "3", "--port", &sim.path]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("open"));

    let out = locker(&["uart", "info", "--port", &sim.path, "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((info["driver"].as_str(), info["channels"].as_u64()), (Some("v1"), Some(8)));

    let out = locker(&["uart", "ping", "--port", &sim.path]);
    assert!(out.status.success() && stdout(&out).contains("pong"), "{}", stderr(&out));
}

#[test]
fn selftest_reports_good_jammed_and_no_sensor() {
    let sim = Simulator::start(&[
        "--channels",
        "3",
        "--jam",
        "2",
        "--cut-sensor",
        "3",
        "--person-open-ms",
        "30",
        "--person-hold-ms",
        "60",
    ]);
    let out = locker(&["uart", "selftest", "--port", &sim.path, "--wait-secs", "0.6", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["result"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["good", "jammed", "no_sensor"]);

    let out = locker(&["uart", "selftest", "--port", &sim.path, "--wait-secs", "0.6"]);
    let text = stdout(&out);
    assert!(text.contains("jammed") && text.contains("no sensor") && text.contains("1 of 3 channels good"), "{text}");
}

#[test]
fn bad_channel_is_a_clear_error_with_nonzero_exit() {
    let sim = Simulator::start(&["--channels", "8", "--no-person"]);
    let out = locker(&["uart", "unlock", "9", "--port", &sim.path]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("channel 9 is out of range (this controller has channels 1..=8)"),
        "{}",
        stderr(&out)
    );
    let out = locker(&["uart", "status", "0", "--port", &sim.path]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("out of range"));
}

#[test]
fn missing_port_unknown_driver_and_no_port_are_clear_errors() {
    let out = locker(&["uart", "unlock", "1", "--port", "/dev/no-such-locker-port"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("serial port not found: /dev/no-such-locker-port"), "{}", stderr(&out));

    let out = locker(&["uart", "unlock", "1", "--port", "/dev/null", "--driver", "kerong-cu99"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("invalid value 'kerong-cu99'"), "{}", stderr(&out));

    let out = locker(&["uart", "ping"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--port"), "{}", stderr(&out));

    let out = locker(&["uart", "simulate", "--channels", "4", "--jam", "5"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("channel 5 is out of range"), "{}", stderr(&out));
}

#[test]
fn board_driver_without_a_board_times_out_cleanly() {
    // The v1 simulator does not speak Kerong: every query is answered with silence on
    // that protocol, so the command ends with the typed timeout, not a hang or a panic.
    let sim = Simulator::start(&["--channels", "4", "--no-person"]);
    let out = locker(&[
        "uart",
        "status",
        "1",
        "--port",
        &sim.path,
        "--driver",
        "kerong-cu16",
        "--timeout-ms",
        "30",
        "--retries",
        "1",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("UART timeout"), "{}", stderr(&out));
}

#[test]
fn monitor_prints_a_forced_open_until_interrupted() {
    let sim =
        Simulator::start(&["--channels", "4", "--no-person", "--force-open", "2", "--force-open-after-ms", "400"]);
    let child = Command::new(env!("CARGO_BIN_EXE_locker"))
        .args(["uart", "monitor", "--port", &sim.path, "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start monitor");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // Ctrl-C, delivered to this one child by its pid.
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("monitor exits");
    assert!(out.status.success(), "{}", stderr(&out));
    let events: Vec<serde_json::Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    let doors: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e["event"]["kind"] == "device")
        .map(|e| (e["event"]["event"]["channel"].as_u64().unwrap(), e["event"]["event"]["state"].as_str().unwrap()))
        .collect();
    assert_eq!(doors, [(2, "open"), (2, "closed")], "{events:?}");
}
