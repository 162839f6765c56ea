//! The process-global tokio runtime the blocking C calls run async core APIs on
//! (deltachat-ffi `RT`): one small runtime, built on first use, never shut down.

use std::sync::OnceLock;

use crate::error::{Fail, locker_result};

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// Runs `fut` to completion on the shared runtime, blocking the calling (C) thread.
///
/// Must not be called from inside the runtime (no export does: C threads are never runtime threads).
pub(crate) fn block_on<F: std::future::Future>(fut: F) -> Result<F::Output, Fail> {
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("locker-ffi-rt")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))
    });
    match rt {
        Ok(rt) => Ok(rt.block_on(fut)),
        Err(e) => Err(Fail::new(locker_result::Internal, e.clone())),
    }
}
