//! Login bookkeeping the seed surfaces share beyond [`crate::ports::Store`]'s users: a
//! stable integer number per user (seed 003 answers `userId: 12345`, seed 001 looks users
//! up by integer id), behind [`crate::ports::AccountStore`]. Implemented by
//! `store::sqlite::SqliteStore` and `store::postgres::PgStore` (migration
//! `0005_user_accounts.sql`).
//!
//! "Log out everywhere" (seed 003 does it on each new login) is no longer kept here: it is
//! [`crate::ports::RevocationStore::revoke_user`], the one revocation mechanism of
//! [`crate::token::revocation`]. The `sessions_valid_from` cut-off this module once held
//! was dropped by migration `0007_revocation.sql`.
