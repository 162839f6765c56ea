//! Login bookkeeping the seed surfaces share beyond [`crate::ports::Store`]'s users:
//! a stable integer number per user (seed 003 answers `userId: 12345`, seed 001 looks users
//! up by integer id) and "log out everywhere" on a new login (seed 003: each successful
//! login revokes the user's older tokens).
//!
//! Revocation has two halves: every active refresh token of the user is revoked, and the
//! user's *sessions-valid-from* second is moved to the login time, so an access token (a
//! stateless JWT) issued in an earlier second is refused by surfaces that check it with
//! [`access_token_current`]. Implemented by `store::sqlite::SqliteStore` and
//! `store::postgres::PgStore` (migration `0005_user_accounts.sql`).

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

/// Whether an access token issued at `iat` (unix seconds) is still current given the
/// user's cut-off. Tokens issued in the cut-off's own second stay valid, since JWT `iat`
/// has whole-second precision and the new login's token is issued in that second.
pub fn access_token_current(iat: i64, valid_from: Option<Timestamp>) -> bool {
    valid_from.is_none_or(|from| iat >= from.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_from_earlier_seconds_are_not_current() {
        let cut = chrono::DateTime::from_timestamp(1_000, 500_000_000).unwrap();
        assert!(access_token_current(999, None));
        assert!(!access_token_current(999, Some(cut)));
        assert!(access_token_current(1_000, Some(cut)));
        assert!(access_token_current(1_001, Some(cut)));
    }
}
