//! [`crate::ports::LoginFailureStore`] and [`crate::ports::IdempotencyStore`] on PostgreSQL:
//! the shared code of [`crate::store::guards`], expanded for this backend.
//!
//! Two servers recording failures of one account serialise on an advisory lock keyed by the
//! account (released at commit), since row locks cannot lock a row that does not exist yet.

use super::PgStore;

impl PgStore {
    const LOCK_ACCOUNT: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(hashtext($1))");
}

crate::store::guards::impl_guard_stores!(PgStore, sqlx::Postgres);
