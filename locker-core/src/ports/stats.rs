//! [`StatsStore`]: statistics counted and summed by the database, so no caller pages every
//! rental or payment into memory to compute them.
//!
//! Every figure is a group of rows ([`RentalTally`], [`PaymentTally`]) keyed by one of a
//! few groupings. Times are grouped in a fixed UTC offset chosen by the caller (the seeds
//! count days in UTC or in UTC+08:00); times before 1970 are not supported.

use chrono::{FixedOffset, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::domain::{AuthMethod, Id, Money, RentalKind, RentalState, Timestamp};

/// Which rentals a tally counts: those created at or after `from` and before `to`
/// (`None`: no bound), optionally only one locker's and one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentalWindow {
    /// Only rentals created at or after this time.
    pub from: Option<Timestamp>,
    /// Only rentals created before this time.
    pub to: Option<Timestamp>,
    /// Only this locker's.
    pub locker_id: Option<Id>,
    /// Only this kind.
    pub kind: Option<RentalKind>,
}

/// A moment in a rental's life, to group rentals by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Moment {
    /// `created_at`.
    Created,
    /// `started_at` (check-in), or `created_at` for a rental never checked into.
    Started,
    /// `ended_at`; rentals not ended are left out of the tally.
    Ended,
}

/// What a rental tally groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RentalGrouping {
    /// One group of every rental in the window ([`TallyKey::All`]; none when the window is empty).
    All,
    /// The rental's state.
    State,
    /// How it was started.
    AuthMethod,
    /// Its locker.
    Locker,
    /// The hour of day (0 to 23) of a moment, at an offset from UTC.
    Hour(Moment, FixedOffset),
    /// The day of the week of a moment, at an offset from UTC.
    Weekday(Moment, FixedOffset),
    /// The date of a moment, at an offset from UTC.
    Day(Moment, FixedOffset),
}

/// The key of one group of a rental tally.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TallyKey {
    /// [`RentalGrouping::All`].
    All,
    /// [`RentalGrouping::State`].
    State(RentalState),
    /// [`RentalGrouping::AuthMethod`].
    AuthMethod(AuthMethod),
    /// [`RentalGrouping::Locker`].
    Locker(Id),
    /// [`RentalGrouping::Hour`]: 0 to 23.
    Hour(u32),
    /// [`RentalGrouping::Weekday`], as days from Monday (0) to Sunday (6), so keys sort
    /// Monday first.
    Weekday(u32),
    /// [`RentalGrouping::Day`].
    Day(NaiveDate),
}

impl TallyKey {
    /// The day of the week of a [`TallyKey::Weekday`].
    pub fn weekday(&self) -> Option<Weekday> {
        match self {
            TallyKey::Weekday(d) => {
                use Weekday::*;
                [Mon, Tue, Wed, Thu, Fri, Sat, Sun].get(*d as usize).copied()
            }
            _ => None,
        }
    }
}

/// The figures of one group of rentals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentalTally {
    /// Which group.
    pub key: TallyKey,
    /// Rentals in the group.
    pub rentals: u64,
    /// Completed rentals with an end time.
    pub completed: u64,
    /// Completed rentals that lasted longer than zero (from start to end).
    pub timed: u64,
    /// The durations of the `timed` rentals, each in whole seconds (cut, not rounded), summed.
    pub timed_seconds: i64,
    /// How long the rentals held their lockers inside the window: from the later of start
    /// and `from` to the earlier of end and `to` (a live rental runs to `to`), each in whole
    /// seconds, summed. 0 when the window is not bounded on both sides.
    pub busy_seconds: i64,
    /// The order totals ([`crate::domain::Rental::order_total`]) summed.
    pub order_total: Money,
    /// The latest start ([`Moment::Started`]).
    pub last_start: Option<Timestamp>,
}

impl RentalTally {
    /// A group of `key` with nothing counted yet.
    pub fn empty(key: TallyKey) -> Self {
        Self {
            key,
            rentals: 0,
            completed: 0,
            timed: 0,
            timed_seconds: 0,
            busy_seconds: 0,
            order_total: Money(0),
            last_start: None,
        }
    }
}

/// What a payment tally groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentGrouping {
    /// One group of every payment in the period.
    All,
    /// The date of the payment, at an offset from UTC.
    Day(FixedOffset),
    /// The station of the order's locker.
    Station,
}

/// The key of one group of a payment tally.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PaymentKey {
    /// [`PaymentGrouping::All`].
    All,
    /// [`PaymentGrouping::Day`].
    Day(NaiveDate),
    /// [`PaymentGrouping::Station`].
    Station(String),
}

/// The figures of one group of payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTally {
    /// Which group.
    pub key: PaymentKey,
    /// What the payments took in.
    pub amount: Money,
    /// How many distinct orders they paid for.
    pub orders: u64,
}

/// Statistics computed by the database. Implemented by the SQL stores.
#[async_trait::async_trait]
pub trait StatsStore: Send + Sync {
    /// The rentals of `window`, grouped `by`, in key order. Groups with no rental are
    /// absent, and so are rentals with no key (a [`Moment::Ended`] of a rental not ended).
    async fn tally_rentals(&self, window: &RentalWindow, by: RentalGrouping) -> Result<Vec<RentalTally>>;
    /// The payments made at or after `from` and before `to`, grouped `by`, in key order.
    async fn tally_payments(&self, from: Timestamp, to: Timestamp, by: PaymentGrouping) -> Result<Vec<PaymentTally>>;
}
