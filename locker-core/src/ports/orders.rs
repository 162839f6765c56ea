//! [`OrderStore`]: paid orders, payments and queued controller commands (seed 001).

use crate::Result;
use crate::domain::{Id, Rental, Timestamp};
use crate::orders::*;
use std::collections::HashMap;

/// Where seed 001's extra records live.
#[async_trait::async_trait]
pub trait OrderStore: Send + Sync {
    /// Every locker's number (1, 2, 3, ... in order of creation), assigning missing ones.
    async fn locker_numbers(&self) -> Result<HashMap<Id, i64>>;
    /// The order's number, assigned if it has none; [`crate::Error::NotFound`] for no rental.
    async fn order_number(&self, rental: Id) -> Result<i64>;
    /// The rental with this order number, if any.
    async fn order_by_number(&self, number: i64) -> Result<Option<Id>>;
    /// Applies `change` in one transaction: the rental compare-and-set (stored state not
    /// `expected` is [`crate::Error::Conflict`]), the debit of a balance charge (too little
    /// is [`crate::Error::InsufficientBalance`]), the payment row, the locker status, the
    /// queued command and the log row. On any error nothing is written.
    async fn change_order(&self, change: OrderChange) -> Result<Rental>;
    /// Payments made at or after `from` and before `to`, oldest first.
    async fn list_payments(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Payment>>;
    /// Queues `command` for its controller at `now`, unless an undelivered command to open
    /// the same locker is already waiting (one pulse per poll, never two in a row). Returns
    /// whether a new command was queued. On SQLite the check and the insert are one write
    /// transaction; on PostgreSQL two concurrent calls for one locker may both queue (the
    /// service calls it under the locker's cycle lock, so one process never does).
    async fn queue_command(&self, command: NewCommand, now: Timestamp) -> Result<bool>;
    /// Takes the oldest undelivered command of `controller`, marking it delivered at `now`;
    /// concurrent polls never take the same command.
    async fn take_command(&self, controller: Id, now: Timestamp) -> Result<Option<DeviceCommand>>;
    /// Appends a row to `controller`'s log.
    async fn append_device_log(
        &self,
        controller: Id,
        log_type: &str,
        message: &str,
        data: &serde_json::Value,
        now: Timestamp,
    ) -> Result<DeviceLog>;
    /// `controller`'s newest `limit` log rows, newest first.
    async fn device_logs(&self, controller: Id, limit: u32) -> Result<Vec<DeviceLog>>;
    /// Every controller's profile (controllers without one are absent).
    async fn device_profiles(&self) -> Result<HashMap<Id, DeviceProfile>>;
    /// Sets `controller`'s profile.
    async fn set_device_profile(&self, controller: Id, profile: &DeviceProfile) -> Result<()>;
}
