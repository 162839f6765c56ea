//! [`crate::ports::LoginFailureStore`] and [`crate::ports::IdempotencyStore`] on SQLite: the
//! shared code of [`crate::store::guards`], expanded for this backend.
//!
//! `BEGIN IMMEDIATE` already holds the database's write lock, so one account's failures are
//! serialised without more.

use super::SqliteStore;

impl SqliteStore {
    const LOCK_ACCOUNT: Option<&'static str> = None;
}

crate::store::guards::impl_guard_stores!(SqliteStore, sqlx::Sqlite);
