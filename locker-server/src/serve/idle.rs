//! Idle detection for one connection: [`Watched`] wraps its socket and stamps every byte
//! moved either way; [`Activity`] also counts the requests a handler is working on. The
//! connection is idle when no handler is working and no byte has moved for the idle
//! timeout: a keep-alive connection with no next request, or a client that stopped
//! reading its answer.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// What one connection has done lately.
#[derive(Debug)]
pub struct Activity {
    start: Instant,
    /// Milliseconds after `start` of the last byte moved.
    last_io_ms: AtomicU64,
    in_flight: AtomicUsize,
}

/// One request being handled; dropping it ends that.
#[derive(Debug)]
pub struct Working(Arc<Activity>);

impl Drop for Working {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

impl Activity {
    /// A connection opened now.
    pub fn new() -> Arc<Self> {
        Arc::new(Activity { start: Instant::now(), last_io_ms: AtomicU64::new(0), in_flight: AtomicUsize::new(0) })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_ms.store(ms, Ordering::Relaxed);
    }

    /// A handler starts on a request.
    pub fn working(self: &Arc<Self>) -> Working {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Working(self.clone())
    }

    /// When the connection becomes idle if nothing happens before: `None` while a handler works.
    pub fn idle_at(&self, idle: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(self.start + Duration::from_millis(self.last_io_ms.load(Ordering::Relaxed)) + idle)
    }

    /// Resolves when the connection has been idle for `idle`.
    pub async fn until_idle(&self, idle: Duration) {
        loop {
            match self.idle_at(idle) {
                Some(at) if at <= Instant::now() => return,
                Some(at) => tokio::time::sleep_until(at).await,
                // A handler is working: look again after a while.
                None => tokio::time::sleep(idle).await,
            }
        }
    }
}

/// A socket that reports its traffic to an [`Activity`].
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_counts_from_the_last_byte_and_not_while_a_handler_works() {
        let activity = Activity::new();
        let idle = Duration::from_secs(5);
        assert_eq!(activity.idle_at(idle), Some(activity.start + idle), "a silent new connection");
        let working = activity.working();
        assert_eq!(activity.idle_at(idle), None, "never idle while a handler works");
        drop(working);
        let after = activity.idle_at(idle).expect("idle again once the answer is done");
        assert!(after >= activity.start + idle);
    }
}
