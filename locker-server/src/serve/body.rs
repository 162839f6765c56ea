//! The request-body guard: a declared `Content-Length` above the largest body any route
//! takes is refused at once (413), before a byte of it is read; a body that stops arriving
//! for longer than the progress timeout fails its read, and the answer becomes `408` (both
//! in the path's seed envelope, with `Connection: close`).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};

use crate::http::surface::Surface;

/// The body limits the guard enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyGuard {
    /// Largest `Content-Length` accepted anywhere (routes may take less).
    pub max_bytes: u64,
    /// Longest wait for the next piece of a body being read.
    pub progress: Duration,
}

/// The body stopped arriving.
#[derive(Debug, thiserror::Error)]
#[error("the request body stalled (no data for {0:?})")]
pub struct BodyStalled(Duration);

/// A request body whose every wait for data is bounded by `progress`; `stalled` is set
/// when the bound is hit, so the middleware can tell the answer apart from a bad body.
struct ProgressBody {
    inner: Body,
    progress: Duration,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    stalled: Arc<AtomicBool>,
}

impl http_body::Body for ProgressBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match http_body::Body::poll_frame(Pin::new(&mut this.inner), cx) {
            Poll::Ready(frame) => {
                // Data came (or the end): the next wait gets a full `progress` again.
                this.deadline = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let progress = this.progress;
                let deadline = this.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(progress)));
                if deadline.as_mut().poll(cx).is_ready() {
                    this.stalled.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(BodyStalled(progress).into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> SizeHint {
        http_body::Body::size_hint(&self.inner)
    }
}

/// The declared body length, when there is one and it parses.
fn content_length(req: &Request) -> Option<u64> {
    req.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// The middleware: refuse an oversized declared body, bound every body wait.
pub async fn guard_body(limits: BodyGuard, req: Request, next: Next) -> Response {
    let surface = Surface::of(req.uri().path());
    if content_length(&req).is_some_and(|n| n > limits.max_bytes) {
        let message = format!("the request body is larger than {} bytes", limits.max_bytes);
        return surface.error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &message);
    }
    let stalled = Arc::new(AtomicBool::new(false));
    let req = req.map(|inner| {
        Body::new(ProgressBody { inner, progress: limits.progress, deadline: None, stalled: stalled.clone() })
    });
    let res = next.run(req).await;
    if stalled.load(Ordering::SeqCst) {
        tracing::info!(timeout_ms = limits.progress.as_millis() as u64, "request body stalled");
        let message = format!("the request body stopped arriving for {} s", limits.progress.as_secs_f32());
        return surface.error(StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", &message);
    }
    res
}
