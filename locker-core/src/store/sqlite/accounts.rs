//! User numbers in sqlite (see [`crate::accounts`]).

use super::SqliteStore;

super::super::accounts::impl_account_store!(SqliteStore, sqlx::Sqlite);
