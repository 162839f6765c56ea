//! Revocation of access tokens: one mechanism, in the database, for every surface and every
//! server process on that database.
//!
//! # The shape: a login is its refresh family
//!
//! Every sign-in ([`sign_in`]) starts a refresh-token family ([`super::refresh`]) and issues
//! the access token with the family's id as its `sid` claim; every refresh issues the next
//! access token with the same `sid`. The family's state in `refresh_tokens` is then the one
//! fact that decides whether the login is still on: it is *live* while it holds an `active`
//! refresh token. Everything that ends a login ends it by revoking refresh tokens, which the
//! token rules already required:
//!
//! | event | what is written | who writes it |
//! |---|---|---|
//! | logout (one login) | the family's tokens become `revoked` | [`RevocationStore::revoke_login`] |
//! | "log out everywhere" (seed 003 does it on every new login) | every token of the user becomes `revoked` | [`RevocationStore::revoke_user`] |
//! | refresh-token reuse | the family's tokens become `revoked` (DESIGN.md: reuse revokes the family) | [`super::refresh::refresh`] through `TokenStore::revoke_refresh_family` |
//! | disabled user | `users.active = false` (the user's logins are also revoked, so re-enabling does not revive them) | the account's owner, then [`RevocationStore::revoke_user`] |
//!
//! A bearer check ([`authenticate`]) verifies the JWT, then asks the database one question
//! ([`RevocationStore::access_standing`]): the user's role and active flag and whether the
//! family `sid` is live, read in one statement by primary key and a partial index on live
//! refresh tokens (`refresh_tokens_live`, migration `0007`). `/api/v1` already read the user
//! on every request for the current role, so the hot path stays one round trip.
//!
//! Why this and not a watermark plus a deny list: a per-user "sessions valid from" second
//! cannot tell a token issued just before "log out everywhere" from one issued just after
//! it in the same second (JWT `iat` is whole seconds), and a deny list of token ids needs a
//! row per revoked token and a purge. The family rows exist anyway (for rotation and reuse
//! detection), carry their own expiry (`expires_at`; an access token never outlives the
//! newest refresh token of its family, since it is issued with it and lives shorter), and
//! an ended login is simply a family without an active token.
//!
//! # No cache
//!
//! Nothing is cached in process: a revocation committed by any process is seen by the next
//! request on every other process (PostgreSQL `READ COMMITTED` statements, SQLite WAL
//! readers). A concurrent refresh cannot slip a new active token past a revocation: the SQL
//! stores take a per-user row lock (PostgreSQL `SELECT ... FOR NO KEY UPDATE` on `users`;
//! SQLite's `BEGIN IMMEDIATE` write lock) in rotation and in both revocations.

use crate::domain::{Id, Role, Timestamp, User};
use crate::error::{Error, Result};
use crate::ports::{RevocationStore, TokenStore};

use super::TokenError;
use super::jwt::{AccessClaims, AccessTokens};
use super::refresh::{self, NewRefresh};

/// What the database says about an access token's user and login, read in one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessStanding {
    /// The user's current role (the token's may be stale).
    pub role: Role,
    /// Whether the account is enabled.
    pub active: bool,
    /// Whether the login (refresh family) still holds an active refresh token.
    pub login_live: bool,
}

/// Why an access token was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Bad signature, malformed, wrong issuer or type, missing claim.
    #[error("invalid token")]
    Invalid,
    /// Past its expiry.
    #[error("token expired")]
    Expired,
    /// The token's user does not exist (any more).
    #[error("the token's user no longer exists")]
    UnknownUser,
    /// The account is disabled.
    #[error("this account is disabled")]
    Disabled,
    /// Its login was ended: logout, "log out everywhere", or refresh-token reuse.
    #[error("token revoked")]
    Revoked,
    /// The database could not be asked.
    #[error(transparent)]
    Storage(#[from] Error),
}

/// A bearer token that passed every check.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The user.
    pub user: Id,
    /// The login (refresh family) the token belongs to.
    pub login: Id,
    /// The user's current role, from the database.
    pub role: Role,
    /// The verified claims.
    pub claims: AccessClaims,
}

/// The rule (pure): a token is honoured only if its user exists, is enabled, and its login
/// is live.
pub fn judge(standing: Option<AccessStanding>) -> Result<Role, Refusal> {
    match standing {
        None => Err(Refusal::UnknownUser),
        Some(s) if !s.active => Err(Refusal::Disabled),
        Some(s) if !s.login_live => Err(Refusal::Revoked),
        Some(s) => Ok(s.role),
    }
}

/// Verifies `token` at `now` and asks the database whether its login is still on: the one
/// bearer check of every surface.
pub async fn authenticate(
    tokens: &AccessTokens,
    store: &dyn RevocationStore,
    token: &str,
    now: Timestamp,
) -> Result<Authenticated, Refusal> {
    let claims = tokens.verify(token, now).map_err(|e| match e {
        TokenError::Expired => Refusal::Expired,
        _ => Refusal::Invalid,
    })?;
    let user: Id = claims.sub.parse().map_err(|_| Refusal::Invalid)?;
    let login: Id = claims.sid.parse().map_err(|_| Refusal::Invalid)?;
    let role = judge(store.access_standing(user, login).await?)?;
    Ok(Authenticated { user, login, role, claims })
}

/// A new login: the first refresh token of a new family and an access token of that family.
#[derive(Debug)]
pub struct SignIn {
    /// The access token text.
    pub access: String,
    /// Its claims.
    pub claims: AccessClaims,
    /// The refresh token (text shown once) and its record.
    pub refresh: NewRefresh,
}

/// Starts a login for `user`: a refresh family valid `refresh_lifetime_secs`, and an access
/// token bound to it. Every surface signs in through here, so every access token has a
/// login that can be ended.
pub async fn sign_in(
    store: &dyn TokenStore,
    tokens: &AccessTokens,
    user: &User,
    now: Timestamp,
    refresh_lifetime_secs: i64,
) -> Result<SignIn> {
    let fresh = refresh::login(store, user.id, now, refresh_lifetime_secs).await?;
    let (access, claims) = tokens.issue(&user.id.to_string(), user.role, fresh.record.family_id, now)?;
    Ok(SignIn { access, claims, refresh: fresh })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(active: bool, login_live: bool) -> Option<AccessStanding> {
        Some(AccessStanding { role: Role::Customer, active, login_live })
    }

    #[test]
    fn only_a_live_login_of_an_enabled_user_is_honoured() {
        assert!(matches!(judge(standing(true, true)), Ok(Role::Customer)));
        assert!(matches!(judge(standing(true, false)), Err(Refusal::Revoked)));
        assert!(matches!(judge(standing(false, true)), Err(Refusal::Disabled)));
        assert!(matches!(judge(standing(false, false)), Err(Refusal::Disabled)));
        assert!(matches!(judge(None), Err(Refusal::UnknownUser)));
    }
}
