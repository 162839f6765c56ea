//! [`crate::ports::TokenStore`] on PostgreSQL: the shared code of
//! [`crate::store::tokens`], expanded for this backend.
//!
//! Two servers checking one address's send limit at once serialise on an advisory lock keyed by the address (released at commit), since row locks cannot lock rows that do not exist yet.

use super::PgStore;

impl PgStore {
    const LOCK_OTP_ADDRESS: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(hashtext($1))");
}

crate::store::tokens::impl_token_store!(PgStore, sqlx::Postgres);
