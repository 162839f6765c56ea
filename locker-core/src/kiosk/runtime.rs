//! The process-global tokio runtime of the blocking shells: one small multi-threaded
//! runtime built on first use and never shut down (the process owns it).

use std::sync::OnceLock;

use crate::{Error, Result};

static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, std::sync::Arc<std::io::Error>>> =
    OnceLock::new();

/// The shared runtime (built on first call).
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("locker-rt")
            .enable_all()
            .build()
            .map_err(std::sync::Arc::new)
    });
    rt.as_ref().map_err(|e| Error::config_from("cannot start the async runtime", e.clone()))
}

/// Runs `fut` to completion on the shared runtime, blocking the calling thread.
///
/// Must not be called from a thread of the runtime itself (the shells' callers are plain
/// C or Python threads).
pub fn block_on<F: std::future::Future>(fut: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(fut))
}

#[cfg(test)]
mod tests {
    #[test]
    fn block_on_runs_timers_on_the_shared_runtime() {
        let waited = super::block_on(async {
            let start = std::time::Instant::now();
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            start.elapsed()
        })
        .unwrap();
        assert!(waited >= std::time::Duration::from_millis(5));
    }
}
