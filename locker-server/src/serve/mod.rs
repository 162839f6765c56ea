//! The serve loop: accepts TCP connections and serves a router on each over HTTP/1.1,
//! with every wait bounded and every resource capped ([`ConnectionLimits`]):
//!
//! - **header read**: from a connection's start, or the end of its previous answer, the
//!   request header must be complete within `header_read` (half a header, a byte every
//!   few seconds, or nothing at all are closed then);
//! - **idle**: a connection on which no handler works and no byte moves either way for
//!   `idle` is closed (keep-alive with no next request; a client that stops reading);
//! - **body progress**: a body that stops arriving for `body_progress` is answered `408`;
//!   a declared `Content-Length` above `max_body_bytes` is answered `413` at once;
//! - **connection caps**: beyond `max_connections` open connections a new one is answered
//!   `503`, beyond `max_per_address` from one client address `429` (both `Connection:
//!   close`, seed-000 envelope, `Retry-After: 1`), and closed, without waiting for its
//!   request; at most [`REFUSING_AT_ONCE`] such answers are in flight, beyond that new
//!   connections are closed at once, so a flood never costs more descriptors than the caps;
//! - **panics**: a handler that panics answers `500` ([`panic`]).
//!
//! Shutdown is graceful: when `shutdown` resolves, no new connection is accepted, every
//! open one finishes its request in flight and closes, and [`serve`] returns when all are
//! closed (each bounded by the timeouts above).
//!
//! Accept errors (for example `EMFILE`, out of descriptors) are logged once per burst and
//! retried after a short pause instead of spinning.

mod body;
mod gate;
mod idle;
mod nofile;
pub mod panic;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

pub use body::{BodyGuard, BodyStalled};
pub use gate::{ConnectionGate, Refusal};
pub use nofile::{OpenFiles, raise_open_files_limit};

/// Refused connections being answered at once, at most; beyond this they are closed unanswered.
pub const REFUSING_AT_ONCE: usize = 64;

/// Descriptors kept free of connections for the database, the serial port, log files and
/// the refusals ([`ConnectionLimits::fit_descriptors`]).
pub const RESERVED_DESCRIPTORS: u64 = 128 + REFUSING_AT_ONCE as u64;

/// How long a refused connection is given to take its answer before it is closed.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// The pause after a failed `accept` (e.g. out of descriptors) before the next try.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Timeouts and caps of [`serve`]; see the module docs for what each bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to receive a whole request header.
    pub header_read: Duration,
    /// Time a connection may sit with no handler working and no byte moving.
    pub idle: Duration,
    /// Longest wait for the next piece of a request body.
    pub body_progress: Duration,
    /// Largest declared request body anywhere (routes may accept less).
    pub max_body_bytes: u64,
    /// Open connections, overall.
    pub max_connections: usize,
    /// Open connections from one client address.
    pub max_per_address: usize,
}

impl ConnectionLimits {
    /// The defaults (the `locker serve` flags): 10 s header, 5 s idle, 10 s body progress,
    /// 8 MiB bodies, 4,096 connections, 256 per address.
    pub const DEFAULT: ConnectionLimits = ConnectionLimits {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(5),
        body_progress: Duration::from_secs(10),
        max_body_bytes: crate::IMAGE_BODY_LIMIT as u64,
        max_connections: 4096,
        max_per_address: 256,
    };

    /// These limits with `max_connections` lowered, if needed, so that the connections,
    /// the refusals in flight and [`RESERVED_DESCRIPTORS`] fit in `open_files` descriptors.
    pub fn fit_descriptors(self, open_files: u64) -> Self {
        let room = usize::try_from(open_files.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX).max(1);
        ConnectionLimits { max_connections: self.max_connections.min(room), ..self }
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The router with the layers only the serve loop adds (outermost first): the panic
/// catcher, then the body guard.
fn guarded(router: Router, limits: &ConnectionLimits) -> Router {
    let guard = BodyGuard { max_bytes: limits.max_body_bytes, progress: limits.body_progress };
    router
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            body::guard_body(guard, req, next)
        }))
        .layer(axum::middleware::from_fn(panic::catch_panics))
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves, then drains
/// the open connections gracefully. Handlers see the client address as
/// `ConnectInfo<SocketAddr>` (the rate limits use it).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let router = guarded(router, &limits);
    let gate = ConnectionGate::new(limits.max_connections, limits.max_per_address);
    let refusing = Arc::new(AtomicUsize::new(0));
    // Every connection task holds a receiver: `send` asks them to finish, and `closed`
    // resolves when the last one has ended.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut failing = false;
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => { failing = false; a }
                Err(e) => {
                    if !failing {
                        tracing::error!(error = %e, "accept failed; retrying every {} ms", ACCEPT_RETRY.as_millis());
                        failing = true;
                    }
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
        };
        match gate.admit(peer.ip()) {
            Ok(permit) => {
                let (router, stop) = (router.clone(), stop_rx.clone());
                tokio::spawn(async move {
                    serve_connection(stream, peer, router, limits, stop).await;
                    drop(permit);
                });
            }
            Err(refusal) => refuse(stream, peer, refusal, &refusing),
        }
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    stop_tx.closed().await;
    Ok(())
}

/// One connection: HTTP/1.1 with the header timeout, watched for idleness, until it
/// closes, times out, or shutdown asks it to finish.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stop: tokio::sync::watch::Receiver<()>,
) {
    let _ = stream.set_nodelay(true);
    let activity = idle::Activity::new();
    let service = {
        let activity = activity.clone();
        tower::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let working = activity.working();
            let answer = router.clone().oneshot(req.map(axum::body::Body::new));
            async move {
                let res = answer.await;
                drop(working);
                res
            }
        })
    };
    let io = TokioIo::new(idle::Watched::new(stream, activity.clone()));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true)
        .serve_connection(io, hyper_util::service::TowerToHyperService::new(service))
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let finish = tokio::select! {
        result = conn.as_mut() => return log_end(peer, result),
        () = activity.until_idle(limits.idle) => "idle",
        _ = stop.changed() => "shutdown",
    };
    tracing::debug!(%peer, reason = finish, "closing the connection");
    conn.as_mut().graceful_shutdown();
    // A request in flight may finish; a client that does not read its answer may not hold
    // the connection past another idle period.
    let bound = limits.idle.max(limits.header_read);
    if let Ok(result) = tokio::time::timeout(bound, conn.as_mut()).await {
        log_end(peer, result);
    }
}

fn log_end(peer: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Answers a refused connection `503` or `429` without reading its request, or closes it
/// at once when [`REFUSING_AT_ONCE`] refusals are already being answered.
fn refuse(stream: TcpStream, peer: SocketAddr, refusal: Refusal, refusing: &Arc<AtomicUsize>) {
    tracing::warn!(%peer, ?refusal, "connection refused: too many connections");
    if refusing.fetch_add(1, Ordering::SeqCst) >= REFUSING_AT_ONCE {
        refusing.fetch_sub(1, Ordering::SeqCst);
        return;
    }
    let refusing = refusing.clone();
    tokio::spawn(async move {
        let _ = tokio::time::timeout(REFUSAL_LINGER, answer_refusal(stream, refusal)).await;
        refusing.fetch_sub(1, Ordering::SeqCst);
    });
}

/// The raw HTTP answer to a refused connection (its path is never read, so seed 000's envelope).
fn refusal_answer(refusal: Refusal) -> String {
    let (status, code, message) = match refusal {
        Refusal::Full => ("503 Service Unavailable", "SERVICE_UNAVAILABLE", "The server is at its connection limit"),
        Refusal::AddressFull => ("429 Too Many Requests", "RATE_LIMITED", "Too many connections from this address"),
    };
    let body = serde_json::json!({ "success": false, "error": { "code": code, "message": message } }).to_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Writes the answer, ends the sending side, and reads until the client closes (so closing
/// does not reset the connection before the client has read the answer).
async fn answer_refusal(mut stream: TcpStream, refusal: Refusal) -> std::io::Result<()> {
    stream.write_all(refusal_answer(refusal).as_bytes()).await?;
    stream.shutdown().await?;
    let mut sink = [0u8; 1024];
    while stream.read(&mut sink).await? > 0 {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_in_the_descriptors() {
        let limits = ConnectionLimits::DEFAULT;
        assert_eq!(limits.fit_descriptors(1 << 20), limits, "plenty of descriptors: unchanged");
        assert_eq!(limits.fit_descriptors(1024).max_connections, 1024 - RESERVED_DESCRIPTORS as usize);
        assert_eq!(limits.fit_descriptors(10).max_connections, 1, "never zero");
    }

    #[test]
    fn a_refusal_is_a_complete_http_answer() {
        let raw = refusal_answer(Refusal::AddressFull);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 429 "), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "RATE_LIMITED");
    }
}
