//! [`crate::ports::TokenStore`] on SQLite: the shared code of
//! [`crate::store::tokens`], expanded for this backend.
//!
//! `BEGIN IMMEDIATE` already holds the database's write lock, so OTP sends to one address are serialised without more.

use super::SqliteStore;

impl SqliteStore {
    const LOCK_OTP_ADDRESS: Option<&'static str> = None;
}

crate::store::tokens::impl_token_store!(SqliteStore, sqlx::Sqlite);
