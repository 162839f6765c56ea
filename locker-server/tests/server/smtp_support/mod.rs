//! A real local SMTP server for tests: `smtp_sink.py` (aiosmtpd) started as a child
//! process, its received messages read back as JSON. Shared by the server's and the CLI's
//! tests (the CLI includes this file by path), so paths go through the workspace root.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};

use serde_json::Value;

/// The aiosmtpd sink, if its interpreter is there (`scripts/smtp-sink-venv` installs it in
/// `$CARGO_TARGET_DIR/smtp-sink-venv`, default `target/smtp-sink-venv`).
pub fn sink_python() -> Option<std::path::PathBuf> {
    if let Ok(p) = std::env::var("LOCKER_SMTP_SINK_PYTHON") {
        return Some(p.into());
    }
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), |d| workspace.join(d));
    let venv = target.join("smtp-sink-venv/bin/python");
    venv.exists().then_some(venv)
}

/// A running aiosmtpd sink: its port and the JSON line per received message.
pub struct Sink {
    child: std::process::Child,
    /// Its SMTP port on 127.0.0.1.
    pub port: u16,
    lines: std::sync::mpsc::Receiver<Value>,
}

impl Sink {
    /// A started sink, or `None` (test skipped, said on stderr) when no interpreter with
    /// aiosmtpd is there; with `LOCKER_REQUIRE_SMTP_SINK` set, a missing one fails instead.
    pub fn start_or_skip() -> Option<Self> {
        let Some(python) = sink_python() else {
            assert!(
                std::env::var("LOCKER_REQUIRE_SMTP_SINK").is_err(),
                "LOCKER_REQUIRE_SMTP_SINK is set but no aiosmtpd interpreter: run scripts/smtp-sink-venv"
            );
            eprintln!("no aiosmtpd interpreter (run scripts/smtp-sink-venv): SMTP test skipped");
            return None;
        };
        Some(Self::start(&python))
    }

    /// Starts the sink with `python`.
    pub fn start(python: &std::path::Path) -> Self {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../locker-server/tests/server/smtp_sink.py");
        let mut child = std::process::Command::new(python)
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the aiosmtpd sink");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let port = first.trim().strip_prefix("PORT ").unwrap_or_else(|| panic!("sink said {first:?}")).parse().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = tx.send(serde_json::from_str(&line).unwrap_or(Value::String(line)));
            }
        });
        Sink { child, port, lines }
    }

    /// The next received message (waits up to 20 s).
    pub fn next(&self) -> Value {
        self.lines.recv_timeout(std::time::Duration::from_secs(20)).expect("an e-mail reaches the sink")
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
