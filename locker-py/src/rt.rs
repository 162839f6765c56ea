//! The process-global tokio runtime the database calls block on (tokenizers
//! `TOKIO_RUNTIME`): one small runtime, built on first use.

use std::sync::OnceLock;

use locker_core::ErrorCode;

use crate::errors::PyLockerError;

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// Runs `fut` to completion on the shared runtime, blocking the calling thread (call it
/// inside `py.detach` so other Python threads keep running).
pub(crate) fn block_on<F: std::future::Future>(fut: F) -> Result<F::Output, PyLockerError> {
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("locker-py-rt")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))
    });
    match rt {
        Ok(rt) => Ok(rt.block_on(fut)),
        Err(e) => Err(PyLockerError { code: ErrorCode::Internal, message: e.clone() }),
    }
}
