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

use crate::domain::Timestamp;

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
