//! [`IdempotencyStore`]: `Idempotency-Key` claims and the answers stored under them, in the
//! database so a retry after a restart (or on another process) replays the answer instead
//! of acting twice.

use crate::Result;
use crate::domain::Timestamp;

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// What a claim of a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is new (or its old record expired): this request runs, then
    /// [`IdempotencyStore::finish_idempotency_key`] or [`IdempotencyStore::release_idempotency_key`].
    Claimed,
    /// A request with this key is still running (or its process died while running it).
    InFlight,
    /// This key was used with a different request.
    Mismatch,
    /// The answer of the first request with this key.
    Done(StoredResponse),
}

/// Where idempotency keys live, keyed by an opaque scoped key (the caller hashes it).
#[async_trait::async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with `fingerprint` at `now`; records created at or before
    /// `expired_before` are deleted first (so an expired key is new again).
    async fn claim_idempotency_key(
        &self,
        key: &str,
        fingerprint: &[u8; 32],
        now: Timestamp,
        expired_before: Timestamp,
    ) -> Result<IdempotencyClaim>;

    /// Stores the answer of the request that claimed `key`.
    async fn finish_idempotency_key(&self, key: &str, response: &StoredResponse) -> Result<()>;

    /// Forgets a claim whose request did nothing (bad input, or the client went away first).
    async fn release_idempotency_key(&self, key: &str) -> Result<()>;
}
