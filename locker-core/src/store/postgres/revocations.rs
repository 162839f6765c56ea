//! [`crate::ports::RevocationStore`] on PostgreSQL: the shared code of
//! [`crate::store::revocations`], expanded for this backend.
//!
//! Rotation and revocation of one user's refresh tokens serialise on the user's row
//! (`FOR NO KEY UPDATE`, which does not block inserts that merely reference the user):
//! under `READ COMMITTED` an `UPDATE ... WHERE user_id = $1` would not see a successor
//! token inserted by a rotation that commits while it waits.

use super::PgStore;

impl PgStore {
    pub(crate) const LOCK_USER: &'static str = "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE";
    pub(crate) const LOCK_FAMILY_USER: Option<&'static str> = Some(
        "SELECT 1 FROM users WHERE id = (SELECT user_id FROM refresh_tokens WHERE family_id = $1 LIMIT 1) FOR NO KEY UPDATE",
    );
}

crate::store::revocations::impl_revocation_store!(PgStore, sqlx::Postgres);
