//! Paid orders and HTTP controllers (seed 001) beyond [`crate::ports::Store`]: integer
//! numbers for lockers and orders, the atomic change of an order with its charge, queued
//! unlock commands for controllers that poll over HTTP, device logs and device profiles.
//!
//! An order is a [`crate::domain::Rental`] of kind `order`; its life is the rental machine
//! ([`crate::domain::RentalState::on`]). What this port adds is [`OrderStore::change_order`](crate::ports::OrderStore::change_order):
//! the rental's compare-and-set transition, the locker status, the log row, a balance debit
//! (`balance = balance - x WHERE balance >= x`, so a balance never goes negative and two
//! payments never spend the same money), the payment row and a queued unlock — all in one
//! transaction, all or nothing. Implemented by `store::sqlite::SqliteStore` and
//! `store::postgres::PgStore` (migration `0006_orders.sql`).
//!
//! The flows over these records (create, pay, extend, cancel, expire, open by pickup code)
//! are methods of [`LockerService`](crate::service::LockerService): see [`crate::service::OrderDesk`].

use serde::{Deserialize, Serialize};

use crate::domain::{Id, LockerStatus, Money, NewTxLog, Rental, RentalKind, RentalState, Timestamp, string_enum};

/// How long an unpaid order holds its locker; after that it expires and frees the locker.
pub const PAYMENT_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// Whether `rental` is an order still unpaid [`PAYMENT_WINDOW`] after it was made.
pub fn unpaid_past_window(rental: &Rental, now: Timestamp) -> bool {
    rental.kind == RentalKind::Order
        && rental.state == RentalState::PendingPayment
        && now - rental.created_at >= PAYMENT_WINDOW
}

/// How long a pickup code stays valid after the paid end (the renter may come late).
pub const PICKUP_GRACE: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// The order's number as the seed shows it and payment providers know it: `O`, the
/// creation time (UTC, to the second), the last four characters of the rental id, `Z`
/// (`O20260119122609198Z` in the seed).
pub fn order_no(rental: &Rental) -> String {
    let tail = rental.id.simple().to_string().to_ascii_uppercase();
    format!("O{}{}Z", rental.created_at.format("%Y%m%d%H%M%S"), &tail[tail.len() - 4..])
}

string_enum! {
    /// How an order is paid.
    PaymentMethod, field = "payment_method" {
        /// The user's prepaid balance, debited atomically.
        Balance => "balance",
        /// WeChat Pay, through a payment provider.
        Wechat => "wechat",
        /// Alipay, through a payment provider.
        Alipay => "alipay",
    }
}

string_enum! {
    /// What a payment paid for.
    PaymentPurpose, field = "purpose" {
        /// The order's booked time.
        Pay => "pay",
        /// Added time.
        Extend => "extend",
    }
}

/// Money taken for an order change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// Who pays.
    pub user_id: Id,
    /// How; [`PaymentMethod::Balance`] debits the user's balance in the same transaction.
    pub method: PaymentMethod,
    /// For what.
    pub purpose: PaymentPurpose,
    /// How much (not negative).
    pub amount: Money,
}

/// A recorded payment, with the station of the order's locker (for revenue per station).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Id.
    pub id: Id,
    /// The order.
    pub rental_id: Id,
    /// Who paid.
    pub user_id: Option<Id>,
    /// How.
    pub method: PaymentMethod,
    /// For what.
    pub purpose: PaymentPurpose,
    /// How much.
    pub amount: Money,
    /// The station of the order's locker.
    pub station: String,
    /// When.
    pub created_at: Timestamp,
}

/// An unlock for a controller that polls over HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCommand {
    /// The controller that will fetch it.
    pub controller_id: Id,
    /// The locker (code) to open.
    pub locker_code: String,
    /// The rental it opens for, if any.
    pub rental_id: Option<Id>,
}

/// A queued command as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCommand {
    /// Id.
    pub id: Id,
    /// The controller.
    pub controller_id: Id,
    /// Always `open_cabinet` today.
    pub command: String,
    /// The locker to open.
    pub locker_code: String,
    /// The rental, if any.
    pub rental_id: Option<Id>,
    /// Queued at.
    pub created_at: Timestamp,
    /// Taken by a poll at.
    pub delivered_at: Option<Timestamp>,
}

/// One row of a controller's log (heartbeats, status reports, commands taken).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceLog {
    /// Integer id, in order of writing.
    pub number: i64,
    /// The controller.
    pub controller_id: Id,
    /// `heartbeat`, `status`, `command`, ...
    pub log_type: String,
    /// In words.
    pub message: String,
    /// What was reported.
    pub data: serde_json::Value,
    /// When.
    pub created_at: Timestamp,
}

/// What an admin names a controller by, besides its unique name (`ESP32_001`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProfile {
    /// Display name (`火车站主柜控制器`).
    pub display_name: Option<String>,
    /// Where it is.
    pub location: Option<String>,
}

/// One atomic change of an order; see [`OrderStore::change_order`](crate::ports::OrderStore::change_order).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderChange {
    /// The state the rental must be in (compare-and-set).
    pub expected: RentalState,
    /// The rental after the change (from [`crate::domain::Rental::apply`]).
    pub updated: Rental,
    /// The locker's new status, if it changes.
    pub locker_status: Option<LockerStatus>,
    /// The log row.
    pub log: NewTxLog,
    /// Money taken, if any.
    pub charge: Option<Charge>,
    /// An unlock to queue for an HTTP controller, if any.
    pub command: Option<NewCommand>,
}
