//! [`LoginFailureStore`]: the per-account failure records of [`crate::token::lockout`], in
//! the database so a lockout survives a restart and binds every process on that database.

use crate::Result;
use crate::domain::Timestamp;
use crate::token::lockout::{LockoutPolicy, LoginFailures};

/// Where failure records live, keyed by an opaque account key (the caller hashes it).
#[async_trait::async_trait]
pub trait LoginFailureStore: Send + Sync {
    /// The record of `account`, if any.
    async fn login_failures(&self, account: &str) -> Result<Option<LoginFailures>>;

    /// In one transaction: reads the record of `account`, applies [`LockoutPolicy::fail`],
    /// stores the result (deletable at [`LockoutPolicy::expires_at`]) and deletes records
    /// expired at `now`. Returns the stored record. Concurrent failures of one account are
    /// serialised, so none is lost.
    async fn record_login_failure(
        &self,
        account: &str,
        policy: &LockoutPolicy,
        now: Timestamp,
    ) -> Result<LoginFailures>;

    /// Forgets `account`'s record (a successful sign-in, an administrator's unlock);
    /// returns whether there was one.
    async fn clear_login_failures(&self, account: &str) -> Result<bool>;
}
