//! User numbers and session cut-offs in postgres (see [`crate::accounts`]).

use super::PgStore;

super::super::accounts::impl_account_store!(PgStore, sqlx::Postgres);
