//! `locker serve --demo`, the README's run command: started as a process on a temporary
//! SQLite file, then driven over real HTTP (log in with the printed password, issue a QR
//! token, check in, see the session, check out).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "../../locker-server/tests/server/smtp_support/mod.rs"]
mod smtp_support;

/// Kills the server when the test ends, even on panic.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the JSON body.
fn call(addr: &str, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let (status, head, rest) = exchange(addr, method, path, token, body);
    // Small answers may come chunked: take the JSON between the first '{' and the last '}'.
    let json_text = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        &rest[rest.find('{').unwrap()..=rest.rfind('}').unwrap()]
    } else {
        &rest
    };
    (status, serde_json::from_str(json_text).unwrap_or(Value::Null))
}

/// One HTTP/1.1 request with `Connection: close`: the status, the head and the raw body.
fn exchange(addr: &str, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).unwrap().parse().unwrap();
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap();
    (status, head.to_owned(), rest.to_owned())
}

/// `locker serve --demo` on a SQLite file in `dir` with `extra` arguments: the running
/// server, the demo admin's password (when printed) and the listening address.
fn start_demo(dir: &std::path::Path, extra: &[&str]) -> (Server, Option<String>, String) {
    start_demo_logging_to(dir, extra, Stdio::null())
}

/// [`start_demo`] with the server's stderr (its log) going to `log`.
fn start_demo_logging_to(dir: &std::path::Path, extra: &[&str], log: Stdio) -> (Server, Option<String>, String) {
    let (server, printed, addr) = start_demo_printing(dir, extra, log);
    let password = printed.iter().find_map(|line| line.split("(shown once): ").nth(1)).map(|p| p.trim().to_owned());
    (server, password, addr)
}

/// [`start_demo_logging_to`], returning the lines printed up to the listening address.
fn start_demo_printing(dir: &std::path::Path, extra: &[&str], log: Stdio) -> (Server, Vec<String>, String) {
    let models = std::env::var("LOCKER_MODELS_DIR").unwrap_or_else(|_| "../../shared/models".into());
    let child = Command::new(env!("CARGO_BIN_EXE_locker"))
        .current_dir(dir)
        .args(["--db", "sqlite:demo.db", "serve", "--demo", "--listen", "127.0.0.1:0", "--sim-person-ms", "50"])
        .args(["--models", &models])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let (mut printed, mut addr) = (Vec::new(), None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while addr.is_none() {
        assert!(Instant::now() < deadline, "the server did not start");
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        printed.push(line);
    }
    (server, printed, addr.unwrap())
}

#[test]
fn serve_demo_runs_the_readme_walk_through() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, password, addr) = start_demo(dir.path(), &[]);
    let password = password.expect("the admin password is printed");
    assert!(dir.path().join("keys/qr-1.key").is_file(), "keys created on first start");

    let (status, login) = call(
        &addr,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "admin@locker.local", "password": password})),
    );
    assert_eq!(status, 200, "{login}");
    let token = login["data"]["access_token"].as_str().unwrap().to_owned();
    let (_, lockers) = call(&addr, "GET", "/api/v1/lockers", Some(&token), None);
    assert_eq!(lockers["data"]["summary"]["total"], 24, "{lockers}");

    let (_, qr) = call(&addr, "POST", "/api/v1/qr-tokens/generate", Some(&token), Some(json!({"action": "check_in"})));
    let qr = qr["data"]["token"].as_str().unwrap().to_owned();
    let (status, check_in) = call(&addr, "POST", "/api/v1/sessions/check-in/qr", None, Some(json!({"qr_token": qr})));
    assert_eq!(status, 200, "{check_in}");
    let session = check_in["data"]["session_id"].as_str().unwrap().to_owned();

    // The simulated customer opens and shuts the door; then check out.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = json!({"action": "check_out", "session_id": session});
        let (_, qr) = call(&addr, "POST", "/api/v1/qr-tokens/generate", Some(&token), Some(body));
        let qr = qr["data"]["token"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/sessions/{session}/check-out");
        let (status, out) = call(&addr, "POST", &path, Some(&token), Some(json!({"qr_token": qr})));
        if status == 200 {
            assert_eq!(out["data"]["session_id"], session.as_str());
            break;
        }
        // Until the door has closed the session is still opening: 409 INVALID_STATE.
        assert_eq!((status, out["error"]["code"].as_str()), (409, Some("INVALID_STATE")), "{out}");
        assert!(Instant::now() < deadline, "never became active");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_with_smtp_host_e_mails_the_login_code_in_the_requested_language() {
    let Some(sink) = smtp_support::Sink::start_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let port = sink.port.to_string();
    let smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", &port, "--smtp-security", "none"];
    let (_server, _, addr) =
        start_demo(dir.path(), &[&smtp[..], &["--smtp-from", "Kiosk <kiosk@locker.test>"]].concat());

    let body = json!({"email": "Guest@Example.com", "lang": "lo"});
    let (status, sent) = call(&addr, "POST", "/apis/auth/request-otp", None, Some(body));
    assert_eq!((status, &sent["code"]), (200, &json!(0)), "{sent}");
    let mail = sink.next();
    assert_eq!(mail["rcpt_tos"], json!(["guest@example.com"]), "{mail}");
    assert_eq!(mail["mail_from"], "kiosk@locker.test", "{mail}");
    assert_eq!(mail["subject"], "ລະຫັດຢືນຢັນການເຂົ້າສູ່ລະບົບ", "{mail}");
    assert!(!dir.path().join("otp-outbox.jsonl").exists(), "with SMTP set, nothing goes to the outbox file");

    // The e-mailed code signs in.
    let text = mail["body"].as_str().unwrap();
    let code = text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a 6-digit code");
    let body = json!({"email": "guest@example.com", "otpCode": code});
    let (_, verified) = call(&addr, "POST", "/apis/auth/verify-otp", None, Some(body));
    assert_eq!(verified["code"], 0, "{verified}");
    assert!(verified["data"]["accessToken"].as_str().is_some_and(|t| !t.is_empty()), "{verified}");
}

#[test]
fn serve_refuses_an_smtp_login_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_locker"))
        .current_dir(dir.path())
        .env_remove("LOCKER_SMTP_PASSWORD")
        .args(["--db", "sqlite:demo.db", "serve", "--listen", "127.0.0.1:0", "--smtp-host", "127.0.0.1"])
        .args(["--smtp-user", "kiosk"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LOCKER_SMTP_PASSWORD"), "{stderr}");
}

/// Runs `locker -v serve --log-format FORMAT` with its log going to a file, makes it log
/// a few requests, stops it, and returns the file's text.
fn log_file_of(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serve.log");
    let log = std::fs::File::create(&path).unwrap();
    let (server, _, addr) = start_demo_logging_to(dir.path(), &["-v", "--log-format", format], Stdio::from(log));
    assert_eq!(call(&addr, "GET", "/health", None, None).0, 200);
    assert_eq!(call(&addr, "GET", "/api/v1/nope", None, None).0, 404);
    drop(server);
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn serve_writes_no_colour_codes_into_a_log_file() {
    let text = log_file_of("text");
    assert!(text.contains("answered"), "the request log is there:\n{text}");
    assert!(!text.contains('\x1b'), "ANSI escape codes in a log file:\n{text}");
}

#[test]
fn serve_logs_one_json_object_a_line_with_log_format_json() {
    let text = log_file_of("json");
    assert!(!text.contains('\x1b'), "ANSI escape codes in a log file:\n{text}");
    // Log lines only: a plain `warning:` the command prints itself (no face models) is not one.
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let answered = lines.iter().find(|l| l["fields"]["message"] == "answered").expect("a request log line");
    assert_eq!(answered["fields"]["status"], 200, "{answered}");
    assert_eq!(answered["level"], "INFO", "{answered}");
    assert!(lines.iter().any(|l| l["fields"]["message"] == "open-file limit raised"), "{text}");
}

/// Issue 19 item 5: two `locker serve` processes on one SQLite file would drift apart
/// silently (door machines, timers, events in each one's memory): the second is refused at
/// start, naming the file and pointing to PostgreSQL, while admin commands still write to
/// the file the first one serves.
#[test]
fn a_second_server_on_one_sqlite_file_is_refused_and_admin_commands_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _, addr) = start_demo(dir.path(), &[]);

    let started = Instant::now();
    let second = Command::new(env!("CARGO_BIN_EXE_locker"))
        .current_dir(dir.path())
        .args(["--db", "sqlite:demo.db", "serve", "--listen", "127.0.0.1:0", "--controller", "SIM_002"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!second.status.success(), "the second server must not start");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("demo.db"), "the message names the file: {stderr}");
    assert!(stderr.contains("PostgreSQL"), "the message points to PostgreSQL: {stderr}");
    assert!(stderr.contains(&first.0.id().to_string()), "the message names the serving process: {stderr}");
    assert!(!String::from_utf8_lossy(&second.stdout).contains("listening"), "it never listened");
    assert!(started.elapsed() < Duration::from_secs(30), "refused at start, not after a timeout");

    // An admin command writes to the file while the first server serves it...
    let add = Command::new(env!("CARGO_BIN_EXE_locker"))
        .current_dir(dir.path())
        .args(["--db", "sqlite:demo.db", "controllers", "add", "ESP32_ADMIN"])
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    // ...and the server, still up, sees the row.
    assert_eq!(call(&addr, "GET", "/health", None, None).0, 200);
    let list = Command::new(env!("CARGO_BIN_EXE_locker"))
        .current_dir(dir.path())
        .args(["--db", "sqlite:demo.db", "--json", "controllers", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("ESP32_ADMIN"), "{list:?}");
}

/// The seed-001 walk-through in the demo (issue 17): register, book a cabinet, pay by
/// WeChat Pay through the simulated provider (said at start and in the answer), open it
/// by the pickup code; the balance is not touched.
#[test]
fn serve_demo_pays_seed_001_orders_through_the_labelled_simulated_provider() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, printed, addr) = start_demo_printing(dir.path(), &[], Stdio::null());
    assert!(printed.iter().any(|l| l.contains("SIMULATED provider")), "{printed:?}");
    let body = json!({ "username": "demo", "phone": "13900139000", "password": "secret123", "password2": "secret123" });
    let (status, registered) = call(&addr, "POST", "/api/auth/register/", None, Some(body));
    assert_eq!(status, 201, "{registered}");
    let token = registered["data"]["access"].as_str().expect("an access token").to_owned();
    let order = json!({ "cabinet_id": "A01", "duration_hours": 1 });
    let (status, created) = call(&addr, "POST", "/api/orders/create/", Some(&token), Some(order));
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_i64().unwrap();
    let pay = json!({ "payment_method": "wechat" });
    let (status, paid) = call(&addr, "POST", &format!("/api/orders/{id}/pay/"), Some(&token), Some(pay));
    assert_eq!((status, &paid["message"]), (200, &json!("支付成功")), "{paid}");
    assert_eq!(paid["data"]["simulated_payment"], true, "{paid}");
    let code = paid["data"]["pickup_code"].as_str().unwrap();
    let open = json!({ "cabinet_id": "A01", "pickup_code": code });
    let (status, opened) = call(&addr, "POST", "/api/devices/open/by-code/", Some(&token), Some(open));
    assert_eq!((status, &opened["message"]), (200, &json!("开柜成功")), "{opened}");
    let (_, me) = call(&addr, "GET", "/api/auth/me/", Some(&token), None);
    assert_eq!(me["data"]["balance"], "0.00", "{me}");
}

/// `--metrics-listen`: metrics alone on their own listener with no authentication; the
/// main listener then has no `/metrics`. Without it, `/metrics` needs an admin token.
#[test]
fn serve_puts_metrics_on_their_own_listener_or_behind_the_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let (server, printed, addr) = start_demo_printing(dir.path(), &["--metrics-listen", "127.0.0.1:0"], Stdio::null());
    let metrics = printed
        .iter()
        .find_map(|l| l.split("metrics on http://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("the metrics address is printed: {printed:?}"))
        .to_owned();
    call(&addr, "GET", "/api/v1/lockers", None, None);
    let (status, _, text) = exchange(&metrics, "GET", "/metrics", None, None);
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("locker_http_requests_total{method=\"GET\",route=\"/api/v1/lockers\",status=\"401\"}"),
        "{text}"
    );
    assert!(text.contains("locker_db_pool_connections"), "{text}");
    assert_eq!(exchange(&addr, "GET", "/metrics", None, None).0, 404, "not on the main listener");
    drop(server);

    let dir = tempfile::tempdir().unwrap();
    let (_server, password, addr) = start_demo(dir.path(), &[]);
    let (status, refused) = call(&addr, "GET", "/metrics", None, None);
    assert_eq!((status, &refused["success"]), (401, &json!(false)), "{refused}");
    let login = json!({ "email": "admin@locker.local", "password": password.unwrap() });
    let (_, login) = call(&addr, "POST", "/api/v1/auth/login", None, Some(login));
    let token = login["data"]["access_token"].as_str().unwrap();
    let (status, _, text) = exchange(&addr, "GET", "/metrics", Some(token), None);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("# TYPE locker_http_requests_total counter"), "{text}");
}
