//! Seed-001 orders, payments and HTTP controller records in postgres (see [`crate::orders`]).

use super::PgStore;

impl PgStore {
    /// The oldest undelivered command nobody else is taking (`FOR UPDATE SKIP LOCKED`);
    /// `delivered_at IS NULL` is checked again on the row updated.
    const TAKE_COMMAND: &'static str = "UPDATE device_commands SET delivered_at = $2 WHERE delivered_at IS NULL AND id = (SELECT id FROM device_commands WHERE controller_id = $1 AND delivered_at IS NULL ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, controller_id, command, locker_code, rental_id, created_at, delivered_at";
}

super::super::orders::impl_order_store!(PgStore, sqlx::Postgres);
