//! Sign-in protection shared by every surface that takes a password or a code:
//!
//! - the per-address auth bucket ([`Credentials::admit`], 5/min by default): one bucket for
//!   `/api/v1/auth/*`, seed 001's `/api/auth/*` and seed 003's `/apis/auth/*`, so an address
//!   cannot get a fresh allowance on each surface;
//! - the per-account lockout ([`Credentials::sign_in`], policy in
//!   [`locker_core::token::lockout`]), recorded in the database so it survives restarts and
//!   binds every process: an account is one account whichever surface or name (e-mail,
//!   phone, username) is used to guess at it;
//! - password hashing off the async workers ([`PasswordPool`]).
//!
//! A password can only be checked with an [`Admitted`] in hand, which only the address
//! bucket hands out, so no credential route can skip the bucket.

mod hashing;

use std::sync::Arc;

use locker_core::Error;
use locker_core::domain::{Id, Timestamp, User};
use locker_core::ports::LoginFailureStore;
use locker_core::token::TokenError;
use locker_core::token::lockout::{LockoutPolicy, Standing};

pub use hashing::PasswordPool;

use crate::limits::Limits;

/// Proof that a request passed the per-address auth bucket.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// The client address that was counted.
    pub address: String,
}

impl Admitted {
    /// For requests the route guard already counted against the auth bucket.
    pub(crate) fn counted(address: String) -> Self {
        Self { address }
    }
}

/// What an account is called in a sign-in: the name typed, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountName<'a> {
    /// An e-mail address (lower-cased by the caller).
    Email(&'a str),
    /// A phone number.
    Phone(&'a str),
    /// A username.
    Username(&'a str),
}

impl AccountName<'_> {
    fn key(self) -> String {
        match self {
            AccountName::Email(v) => format!("email:{v}"),
            AccountName::Phone(v) => format!("phone:{v}"),
            AccountName::Username(v) => format!("username:{v}"),
        }
    }
}

/// The key an account's failures are kept under: the user when there is one (so every
/// name of one user shares the count), else the name typed (so unknown names lock the same
/// way and a lockout tells nothing about existence). Stored hashed: names typed by mistake
/// (a password in the user field) never reach the table in clear.
fn account_key(user: Option<Id>, name: AccountName<'_>) -> String {
    let key = match user {
        Some(id) => format!("user:{id}"),
        None => name.key(),
    };
    hex::encode(locker_core::token::sha256(key.as_bytes()))
}

/// The account lockout: the policy and where its records live.
#[derive(Clone)]
pub struct Lockouts {
    /// The failure records (the database).
    pub store: Arc<dyn LoginFailureStore>,
    /// The rules.
    pub policy: LockoutPolicy,
}

impl std::fmt::Debug for Lockouts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lockouts").field("policy", &self.policy).finish_non_exhaustive()
    }
}

/// An administrator's unlock (`locker users unlock`): forgets the failures of `user`, its
/// lockout and backoff included; returns whether there were any.
pub async fn unlock(store: &dyn LoginFailureStore, user: Id) -> locker_core::Result<bool> {
    store.clear_login_failures(&account_key(Some(user), AccountName::Username(""))).await
}

impl Lockouts {
    fn locked(&self, until: Timestamp, now: Timestamp) -> Error {
        let wait = u64::try_from((until - now).num_seconds()).unwrap_or(0).max(1);
        TokenError::RateLimited { retry_after_secs: wait, limit: self.policy.threshold, reset: until.timestamp() }
            .into()
    }
}

/// Counts a sign-in attempt (or code request) from `address` against `limits.auth`, the
/// per-address bucket; a refusal is [`TokenError::RateLimited`] describing the bucket.
pub fn admit(limits: &Limits, address: &str, now: Timestamp) -> Result<Admitted, TokenError> {
    match limits.auth.check(&address.to_owned(), now).refusal() {
        Some(refusal) => Err(refusal),
        None => Ok(Admitted { address: address.to_owned() }),
    }
}

/// Sign-in protection; cheap to clone, shared by every surface of one server.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Password hashing, off the async workers.
    pub passwords: PasswordPool,
    /// The per-account lockout.
    pub lockouts: Lockouts,
    /// The rate limiters; `auth` is the per-address bucket.
    pub limits: Arc<Limits>,
}

impl Credentials {
    /// Counts a sign-in attempt (or code request) from `address` against the auth bucket;
    /// a refusal is [`TokenError::RateLimited`] describing the bucket.
    pub fn admit(&self, address: &str, now: Timestamp) -> Result<Admitted, TokenError> {
        admit(&self.limits, address, now)
    }

    /// Checks `password` for the account `found` by `name` (unknown accounts cost the same
    /// as wrong passwords). While the account is locked every password is refused with
    /// [`TokenError::RateLimited`] (the lockout's end as `Retry-After`) without being
    /// checked; a wrong one is [`TokenError::InvalidCredentials`] and counts a failure; the
    /// right one forgets the failures. The user returned may be disabled: the caller decides
    /// what to say.
    pub async fn sign_in(
        &self,
        _admitted: &Admitted,
        found: locker_core::Result<User>,
        name: AccountName<'_>,
        password: String,
        now: Timestamp,
    ) -> locker_core::Result<User> {
        let user = match found {
            Ok(user) => Some(user),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let key = account_key(user.as_ref().map(|u| u.id), name);
        let record = self.lockouts.store.login_failures(&key).await?;
        if let Standing::Locked { until } = self.lockouts.policy.standing(record.as_ref(), now) {
            return Err(self.lockouts.locked(until, now));
        }
        let stored = user.as_ref().map(|u| u.password_hash.clone()).filter(|h| !h.is_empty());
        match (self.passwords.verify(password, stored).await?, user) {
            (Ok(()), Some(user)) => {
                if record.is_some() {
                    self.lockouts.store.clear_login_failures(&key).await?;
                }
                Ok(user)
            }
            _ => {
                self.lockouts.store.record_login_failure(&key, &self.lockouts.policy, now).await?;
                Err(TokenError::InvalidCredentials.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_are_hashed_and_name_the_user_when_known() {
        let email = account_key(None, AccountName::Email("a@b.c"));
        assert_eq!(email.len(), 64);
        assert!(!email.contains("a@b.c"));
        assert_ne!(email, account_key(None, AccountName::Phone("a@b.c")), "kinds differ");
    }
}
