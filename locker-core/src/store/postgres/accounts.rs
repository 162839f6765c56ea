//! User numbers in postgres (see [`crate::accounts`]).

use super::PgStore;

super::super::accounts::impl_account_store!(PgStore, sqlx::Postgres);
