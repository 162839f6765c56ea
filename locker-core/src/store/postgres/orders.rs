//! Seed-001 orders, payments and HTTP controller records in postgres (see [`crate::orders`]).

use super::PgStore;

impl PgStore {
    /// The oldest undelivered command nobody else is taking (`FOR UPDATE SKIP LOCKED`);
    /// `state = 'queued'` is checked again on the row updated.
    const TAKE_COMMAND: &'static str = "UPDATE controller_commands SET state = 'done', claimed_at = $2, finished_at = $2, outcome = 'delivered' WHERE state = 'queued' AND id = (SELECT id FROM controller_commands WHERE controller_id = $1 AND command = 'open_cabinet' AND state = 'queued' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, controller_id, command, locker_code, rental_id, created_at, claimed_at AS delivered_at";
}

super::super::orders::impl_order_store!(PgStore, sqlx::Postgres);
