//! [`AccountStore`]: user numbers and "log out everywhere" for the seed surfaces.

use crate::Result;
use crate::domain::{Id, Timestamp};

/// Where user numbers and session cut-offs live.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// The user's number, assigned (1, 2, 3, ... in order of first use) if it has none.
    /// [`crate::Error::NotFound`] if there is no such user.
    async fn user_number(&self, user: Id) -> Result<i64>;
    /// The user with this number, if any.
    async fn user_by_number(&self, number: i64) -> Result<Option<Id>>;
    /// Revokes every active refresh token of `user` and refuses access tokens issued before
    /// the second of `now`, in one transaction; returns how many refresh tokens it revoked.
    async fn revoke_sessions(&self, user: Id, now: Timestamp) -> Result<u64>;
    /// Access tokens of `user` issued before this second are revoked (`None`: never revoked).
    async fn sessions_valid_from(&self, user: Id) -> Result<Option<Timestamp>>;
}
