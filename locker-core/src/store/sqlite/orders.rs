//! Seed-001 orders, payments and HTTP controller records in sqlite (see [`crate::orders`]).

use super::SqliteStore;

impl SqliteStore {
    /// `BEGIN IMMEDIATE` serialises writers, so the shared dequeue needs no row lock.
    const TAKE_COMMAND: &'static str = super::super::orders::TAKE_COMMAND;
}

super::super::orders::impl_order_store!(SqliteStore, sqlx::Sqlite);
