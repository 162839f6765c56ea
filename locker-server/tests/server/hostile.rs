//! Hostile clients against the real serve loop (`locker_server::serve`) on real sockets
//! (issue 18): half a header, a header trickled a byte at a time, a silent connection, a
//! stalled body, a 10 GiB `Content-Length`, more connections than the caps, a panicking
//! handler, and dates at the ends of chrono's range. Every timeout is set to about a
//! second here so each test ends in seconds.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use locker_server::ConnectionLimits;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::seed001_support::{Auth, Fx, fail};
use crate::{seeds_support, support};

/// Short timeouts: a second each, so a test waits a few seconds at most.
const SHORT: ConnectionLimits = ConnectionLimits {
    header_read: Duration::from_secs(1),
    idle: Duration::from_secs(1),
    body_progress: Duration::from_secs(1),
    ..ConnectionLimits::DEFAULT
};

/// Longest a test waits for the server to answer or close: well past every short timeout,
/// well short of the defaults.
const PATIENCE: Duration = Duration::from_secs(4);

/// The real router served by the real serve loop on `127.0.0.1:0`.
struct Served {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _db: locker_core::testing::TestDb,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves the `/api/v1` app over SQLite, plus `extra` routes, within `limits`.
async fn serve(limits: ConnectionLimits, extra: Router) -> Served {
    let db = locker_core::testing::sqlite();
    let state = support::state_for(&db.url, false, Default::default()).await.with_limits(support::GENEROUS);
    let app = locker_server::app(state).merge(extra);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(locker_server::serve(listener, app, limits, std::future::pending()));
    Served { addr, task, _db: db }
}

/// A connection from `source` (another loopback address is another client).
async fn connect_from(source: &str, to: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Everything the server sends until it closes the connection, or `None` if it is still
/// open after [`PATIENCE`]. A reset counts as closed.
async fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.ok().map(|()| String::from_utf8_lossy(&got).into_owned())
}

/// The status and JSON body of a raw answer.
fn parse(raw: &str) -> (u16, Value) {
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// One keep-alive `GET /health` on `stream`; the status.
async fn health(stream: &mut TcpStream) -> u16 {
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await.expect("an answer").unwrap();
    parse(&String::from_utf8_lossy(&buf[..n])).0
}

#[tokio::test]
async fn half_a_header_is_closed_after_the_header_timeout() {
    let s = serve(SHORT, Router::new()).await;
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Half: ").await.unwrap();
    let got = until_closed(&mut stream).await.expect("closed after the header timeout");
    assert!(!got.contains("200 OK"), "an incomplete header is never served: {got}");
}

#[tokio::test]
async fn a_header_trickled_a_byte_at_a_time_is_closed() {
    // Bytes keep coming (so the connection is never idle); the header never completes in time.
    let limits = ConnectionLimits { idle: Duration::from_secs(30), ..SHORT };
    let s = serve(limits, Router::new()).await;
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    let header = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let started = tokio::time::Instant::now();
    let mut closed = false;
    for byte in header {
        if stream.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let mut probe = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut probe)).await {
            Ok(Ok(0) | Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(n)) => panic!("answered a trickled header: {}", String::from_utf8_lossy(&probe[..n])),
            Err(_) => {}
        }
        assert!(started.elapsed() < PATIENCE, "still open after {:?}", started.elapsed());
    }
    assert!(closed, "the whole header went out a byte every 200 ms and the connection stayed open");
}

#[tokio::test]
async fn a_silent_connection_is_closed() {
    let s = serve(SHORT, Router::new()).await;
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    assert_eq!(until_closed(&mut stream).await.as_deref(), Some(""), "closed without an answer");
}

#[tokio::test]
async fn a_keep_alive_connection_with_no_next_request_is_closed() {
    let limits = ConnectionLimits { header_read: Duration::from_secs(30), ..SHORT };
    let s = serve(limits, Router::new()).await;
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    assert_eq!(health(&mut stream).await, 200);
    assert_eq!(until_closed(&mut stream).await.as_deref(), Some(""), "closed by the idle timeout");
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_closed() {
    let s = serve(SHORT, Router::new()).await;
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    let head =
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(br#"{"email":"#).await.unwrap();
    let got = until_closed(&mut stream).await.expect("answered and closed");
    let (status, body) = parse(&got);
    assert_eq!(status, 408, "{got}");
    assert_eq!((&body["success"], &body["error"]["code"]), (&Value::Bool(false), &Value::from("REQUEST_TIMEOUT")));
}

#[tokio::test]
async fn a_ten_gib_content_length_is_refused_at_once() {
    // The body timeout is far away: only the declared length can explain a quick answer.
    let limits = ConnectionLimits { body_progress: Duration::from_secs(60), ..SHORT };
    let s = serve(limits, Router::new()).await;
    for path in ["/api/v1/auth/login", "/api/barcodes"] {
        let mut stream = TcpStream::connect(s.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let got = until_closed(&mut stream).await.expect("answered and closed at once");
        let (status, body) = parse(&got);
        assert_eq!(status, 413, "{got}");
        // Seed 000 and seed 002 both name the code at `error.code`, each from its own list.
        let code = if path == "/api/barcodes" { "INVALID_PAYLOAD" } else { "PAYLOAD_TOO_LARGE" };
        assert_eq!(body["error"]["code"], code, "{got}");
    }
}

#[tokio::test]
async fn a_body_declared_over_the_routes_own_limit_is_refused_before_it_is_read() {
    // 1 MiB is under the server's 8 MiB cap but over a JSON route's 64 KiB: the route's limit
    // answers at once, without waiting for a body that is never sent.
    let limits = ConnectionLimits { body_progress: Duration::from_secs(60), ..SHORT };
    let s = serve(limits, Router::new()).await;
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.unwrap();
    let got = until_closed(&mut stream).await.expect("answered and closed at once");
    let (status, body) = parse(&got);
    assert_eq!((status, &body["error"]["code"]), (413, &Value::from("PAYLOAD_TOO_LARGE")), "{got}");
}

#[tokio::test]
async fn connections_beyond_the_per_address_cap_are_refused_while_another_address_is_served() {
    let limits = ConnectionLimits { max_per_address: 3, idle: Duration::from_secs(30), ..SHORT };
    let limits = ConnectionLimits { header_read: Duration::from_secs(30), ..limits };
    let s = serve(limits, Router::new()).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = connect_from("127.0.0.1", s.addr).await;
        assert_eq!(health(&mut stream).await, 200);
        held.push(stream);
    }
    let mut extra = connect_from("127.0.0.1", s.addr).await;
    let got = until_closed(&mut extra).await.expect("refused and closed at once");
    let (status, body) = parse(&got);
    assert_eq!((status, &body["error"]["code"]), (429, &Value::from("RATE_LIMITED")), "{got}");
    assert!(got.to_ascii_lowercase().contains("retry-after: 1"), "{got}");

    let mut other = connect_from("127.0.0.2", s.addr).await;
    assert_eq!(health(&mut other).await, 200, "another client address is still served");
    assert_eq!(health(&mut held[0]).await, 200, "held connections still work");

    // A place freed is given again.
    drop(held.pop());
    let mut again = None;
    for _ in 0..40 {
        let mut stream = connect_from("127.0.0.1", s.addr).await;
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await.unwrap();
        let got = until_closed(&mut stream).await.unwrap_or_default();
        if parse(&got).0 == 200 {
            again = Some(got);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "a closed connection's place was never given back");
}

#[tokio::test]
async fn connections_beyond_the_total_cap_are_answered_503() {
    let limits = ConnectionLimits {
        max_connections: 2,
        header_read: Duration::from_secs(30),
        idle: Duration::from_secs(30),
        ..SHORT
    };
    let s = serve(limits, Router::new()).await;
    let mut held = Vec::new();
    for source in ["127.0.0.1", "127.0.0.2"] {
        let mut stream = connect_from(source, s.addr).await;
        assert_eq!(health(&mut stream).await, 200);
        held.push(stream);
    }
    let mut extra = connect_from("127.0.0.3", s.addr).await;
    let got = until_closed(&mut extra).await.expect("refused and closed at once");
    let (status, body) = parse(&got);
    assert_eq!((status, &body["error"]["code"]), (503, &Value::from("SERVICE_UNAVAILABLE")), "{got}");
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A handler that panics (only this test mounts it).
async fn panics() -> &'static str {
    panic!("test-only panic")
}

#[tokio::test]
async fn a_panicking_handler_answers_500_in_its_envelope_with_a_logged_request_id() {
    // The current-thread test runtime runs the server on this thread, where the log goes.
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // Test-only routes, added by this test to the real router and serve loop.
    let panics =
        Router::new().route("/api/v1/test-only/panic", get(panics)).route("/api/test-only/panic/", get(panics));
    let s = serve(SHORT, panics).await;
    let client = reqwest::Client::new();
    let res = client.get(format!("http://{}/api/v1/test-only/panic", s.addr)).send().await.expect("an answer");
    assert_eq!(res.status(), 500);
    let id = res.headers().get("x-request-id").expect("a request id").to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!((&body["success"], &body["error"]["code"]), (&Value::Bool(false), &Value::from("INTERNAL_ERROR")));
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(log.lines().any(|l| l.contains(&id) && l.contains("panicked")), "request id {id} not logged:\n{log}");

    // Seed 001's envelope on its paths; the id a client sent is kept.
    let res = client
        .get(format!("http://{}/api/test-only/panic/", s.addr))
        .header("x-request-id", "client-chosen-id")
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status(), 500);
    assert_eq!(res.headers()["x-request-id"], "client-chosen-id");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], 500, "{body}");

    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    assert_eq!(health(&mut stream).await, 200, "the server goes on");
}

#[tokio::test]
async fn statistics_dates_outside_the_calendar_are_400_not_a_dropped_connection() {
    for backend in support::backends() {
        let s = support::start(backend).await;
        let admin = s.admin().await;
        for route in ["overview", "usage/daily", "lockers"] {
            for query in
                ["to_date=-262143-01-05", "from_date=-262143-01-01", "to_date=%2B262142-12-31", "to_date=0000-06-01"]
            {
                let a = s.get(&format!("/api/v1/statistics/{route}?{query}"), Some(&admin.access)).await;
                assert_eq!((a.status, a.code()), (400, "VALIDATION_ERROR"), "{route}?{query}: {}", a.body);
            }
        }
        let a = s.get("/api/v1/statistics/overview?to_date=9999-12-31", Some(&admin.access)).await;
        assert_eq!(a.status, 200, "the last supported day: {}", a.body);
        let a = s.get("/api/v1/transaction-logs?from_date=-262143-01-01", Some(&admin.access)).await;
        assert_eq!((a.status, a.code()), (400, "VALIDATION_ERROR"), "{}", a.body);
    }
}

#[tokio::test]
async fn seed001_order_dates_outside_the_calendar_are_400() {
    for db in seeds_support::backends().await {
        let fx = Fx::new(db).await;
        // chrono's first and last days: a day more or 8 hours less overflowed before. The
        // contract takes dates from 1970-01-01 to 9999-12-31 (catalog::fields).
        for query in ["from=-262143-01-01", "to=%2B262142-12-31", "to=10000-01-01"] {
            let got = fx.get(&format!("/api/admin/orders/?{query}"), Auth::Bearer(&fx.admin)).await;
            fail(&got, 400, "参数错误");
        }
        let got = fx.get("/api/admin/orders/?from=1970-01-01&to=9999-12-31", Auth::Bearer(&fx.admin)).await;
        assert_eq!(got.0, 200, "the ends of the supported range: {}", got.1);
    }
}
