//! [`TokenStore`]: what the token rules need persisted. Each method is one atomic step, so
//! the rules stay right under concurrency.

use crate::domain::{Id, Timestamp};
use crate::error::Result;
use crate::token::TokenError;
use crate::token::otp::OtpRecord;
use crate::token::pickup::PickupRecord;
use crate::token::qr::QrTokenId;
use crate::token::refresh::RefreshRecord;
use async_trait::async_trait;

/// The send-limit rule `create_otp` runs inside its transaction: given the send times in the
/// window (oldest first), refuse or allow.
pub type SendCheck<'a> = &'a (dyn Fn(&[Timestamp]) -> Result<(), TokenError> + Send + Sync);

/// Persistence for refresh-token families, OTP records, used QR token ids, pickup codes and
/// controller API key hashes. Object-safe: use it as `&dyn TokenStore`.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Records `token_id` as used; the second call for the same id is
    /// `Err(TokenError::QrUsed)`. `expires_at` lets old rows be purged.
    async fn mark_qr_used(&self, token_id: &QrTokenId, expires_at: Timestamp, now: Timestamp) -> Result<()>;

    /// Deletes used-QR rows that expired before `before`; returns how many.
    async fn purge_used_qr(&self, before: Timestamp) -> Result<u64>;

    /// Stores a new refresh token.
    async fn insert_refresh(&self, record: &RefreshRecord) -> Result<()>;

    /// The refresh token with this hash.
    async fn find_refresh(&self, token_hash: &[u8; 32]) -> Result<Option<RefreshRecord>>;

    /// If `old_hash` is still `active`, marks it `rotated` and stores `next`, atomically, and
    /// returns true; returns false (and stores nothing) if it was not active.
    async fn rotate_refresh(&self, old_hash: &[u8; 32], next: &RefreshRecord) -> Result<bool>;

    /// Revokes every token of `family_id`; returns how many changed.
    async fn revoke_refresh_family(&self, family_id: Id) -> Result<u64>;

    /// In one transaction: reads the send times of `record.address` since `window_start`,
    /// runs `check` on them, voids every older code of that address and inserts `record`.
    async fn create_otp(&self, record: &OtpRecord, window_start: Timestamp, check: SendCheck<'_>) -> Result<()>;

    /// The newest non-voided code of `address` (used or not).
    async fn live_otp(&self, address: &str) -> Result<Option<OtpRecord>>;

    /// Adds one attempt to code `id`; returns the new count.
    async fn add_otp_attempt(&self, id: Id) -> Result<u32>;

    /// Marks code `id` used if it was not; returns whether this call did it.
    async fn consume_otp(&self, id: Id, now: Timestamp) -> Result<bool>;

    /// Stores a pickup code; a code hash already live on the same cabinet is
    /// `Err(Error::AlreadyExists)` (the caller draws another code).
    async fn insert_pickup(&self, record: &PickupRecord) -> Result<()>;

    /// The live (unused, unexpired at `now`) pickup code of `cabinet` with this hash.
    async fn find_pickup(&self, cabinet: &str, code_hash: &[u8; 32], now: Timestamp) -> Result<Option<PickupRecord>>;

    /// Marks pickup code `id` used if it was not; returns whether this call did it.
    async fn consume_pickup(&self, id: Id, now: Timestamp) -> Result<bool>;

    /// Sets (or replaces) the API key hash of controller `controller_id`.
    async fn set_api_key_hash(&self, controller_id: Id, key_hash: &[u8; 32]) -> Result<()>;

    /// The controller whose API key has this hash.
    async fn controller_by_api_key(&self, key_hash: &[u8; 32]) -> Result<Option<Id>>;
}
