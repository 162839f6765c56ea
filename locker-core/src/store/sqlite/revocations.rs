//! [`crate::ports::RevocationStore`] on SQLite: the shared code of
//! [`crate::store::revocations`], expanded for this backend.
//!
//! `BEGIN IMMEDIATE` already holds the database's write lock, so `LOCK_USER` only reads the
//! user's row.

use super::SqliteStore;

impl SqliteStore {
    pub(crate) const LOCK_USER: &'static str = "SELECT 1 FROM users WHERE id = $1";
    pub(crate) const LOCK_FAMILY_USER: Option<&'static str> = None;
}

crate::store::revocations::impl_revocation_store!(SqliteStore, sqlx::Sqlite);
