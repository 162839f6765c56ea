//! [`Statistics`]: the figures of the admin dashboards, counted and summed by the database
//! ([`StatsStore`]); the shells only shape them.
//!
//! A rental counts in the period it was created in. Durations run from check-in (or
//! creation) to the end; see [`RentalTally`] for how each figure is summed.

use std::sync::Arc;

use chrono::{FixedOffset, Offset as _};

use crate::Result;
use crate::domain::{Id, RentalKind, Timestamp};
use crate::ports::{
    Moment, PaymentGrouping, PaymentTally, RentalGrouping, RentalTally, RentalWindow, StatsStore, TallyKey,
};

use super::LockerService;

/// UTC as an offset: `/api/v1` groups its figures in it, seed 001 its hours.
fn utc() -> FixedOffset {
    chrono::Utc.fix()
}

/// The rentals created in a period, counted four ways (`/statistics/overview`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageOverview {
    /// By state.
    pub by_state: Vec<RentalTally>,
    /// By authentication method.
    pub by_auth_method: Vec<RentalTally>,
    /// By the UTC hour of the start.
    pub by_start_hour: Vec<RentalTally>,
    /// By the day of the week of the start (UTC).
    pub by_start_weekday: Vec<RentalTally>,
}

/// The rentals created in a period, day by day (UTC): check-ins on the day they started,
/// check-outs on the day they ended (`/statistics/usage/daily`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyUsage {
    /// By start date; `rentals` are the check-ins.
    pub by_start_day: Vec<RentalTally>,
    /// By end date; `completed` are the check-outs, `timed`/`timed_seconds` their durations.
    pub by_end_day: Vec<RentalTally>,
}

/// The orders created in a period (seed 001's dashboard), and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFigures {
    /// Orders ever made.
    pub all_time: u64,
    /// The period's orders by state.
    pub by_state: Vec<RentalTally>,
    /// The period's orders by the date they were made, at the caller's offset.
    pub by_day: Vec<RentalTally>,
    /// The period's orders by the UTC hour they were made.
    pub by_utc_hour: Vec<RentalTally>,
}

/// What payments took in during a period (seed 001's revenue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revenue {
    /// Everything; `None` when nothing was paid.
    pub total: Option<PaymentTally>,
    /// By the date of payment, at the caller's offset.
    pub by_day: Vec<PaymentTally>,
    /// By the station of the order's locker.
    pub by_station: Vec<PaymentTally>,
}

/// The statistics flows over one database. [`LockerService::statistics`] gives the
/// service's; a shell with no running service builds one over its database with
/// [`Statistics::new`] (the figures need nothing else).
#[derive(Clone)]
pub struct Statistics {
    store: Arc<dyn StatsStore>,
}

impl std::fmt::Debug for Statistics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statistics").finish_non_exhaustive()
    }
}

impl Statistics {
    /// Statistics over `store`.
    pub fn new(store: Arc<dyn StatsStore>) -> Self {
        Self { store }
    }

    async fn rentals(&self, window: &RentalWindow, by: RentalGrouping) -> Result<Vec<RentalTally>> {
        self.store.tally_rentals(window, by).await
    }

    /// Rentals of every kind created in `[from, to)`, counted by state, method, start hour
    /// and start weekday (UTC).
    pub async fn usage_overview(&self, from: Timestamp, to: Timestamp) -> Result<UsageOverview> {
        let window = RentalWindow { from: Some(from), to: Some(to), ..RentalWindow::default() };
        Ok(UsageOverview {
            by_state: self.rentals(&window, RentalGrouping::State).await?,
            by_auth_method: self.rentals(&window, RentalGrouping::AuthMethod).await?,
            by_start_hour: self.rentals(&window, RentalGrouping::Hour(Moment::Started, utc())).await?,
            by_start_weekday: self.rentals(&window, RentalGrouping::Weekday(Moment::Started, utc())).await?,
        })
    }

    /// Rentals created in `[from, to)` (of `locker` only, if given), by start and end date (UTC).
    pub async fn daily_usage(&self, from: Timestamp, to: Timestamp, locker: Option<Id>) -> Result<DailyUsage> {
        let window = RentalWindow { from: Some(from), to: Some(to), locker_id: locker, kind: None };
        Ok(DailyUsage {
            by_start_day: self.rentals(&window, RentalGrouping::Day(Moment::Started, utc())).await?,
            by_end_day: self.rentals(&window, RentalGrouping::Day(Moment::Ended, utc())).await?,
        })
    }

    /// Rentals created in `[from, to)` by locker: sessions, time held inside the period,
    /// latest start. Lockers with no rental are absent.
    pub async fn locker_usage(&self, from: Timestamp, to: Timestamp) -> Result<Vec<RentalTally>> {
        let window = RentalWindow { from: Some(from), to: Some(to), ..RentalWindow::default() };
        self.rentals(&window, RentalGrouping::Locker).await
    }

    /// Orders made since `since` by state, by date at `offset` and by UTC hour, and the
    /// number of orders ever made.
    pub async fn order_figures(&self, since: Timestamp, offset: FixedOffset) -> Result<OrderFigures> {
        let orders = RentalWindow { kind: Some(RentalKind::Order), ..RentalWindow::default() };
        let all_time = self.rentals(&orders, RentalGrouping::All).await?;
        let recent = RentalWindow { from: Some(since), ..orders };
        Ok(OrderFigures {
            all_time: all_time.iter().find(|t| t.key == TallyKey::All).map_or(0, |t| t.rentals),
            by_state: self.rentals(&recent, RentalGrouping::State).await?,
            by_day: self.rentals(&recent, RentalGrouping::Day(Moment::Created, offset)).await?,
            by_utc_hour: self.rentals(&recent, RentalGrouping::Hour(Moment::Created, utc())).await?,
        })
    }

    /// Payments made in `[from, to)`: in all, by date at `offset`, by station.
    pub async fn revenue(&self, from: Timestamp, to: Timestamp, offset: FixedOffset) -> Result<Revenue> {
        let tally = |by| self.store.tally_payments(from, to, by);
        Ok(Revenue {
            total: tally(PaymentGrouping::All).await?.into_iter().next(),
            by_day: tally(PaymentGrouping::Day(offset)).await?,
            by_station: tally(PaymentGrouping::Station).await?,
        })
    }
}

impl LockerService {
    /// The statistics over the service's database.
    pub fn statistics(&self) -> Statistics {
        Statistics::new(self.database().clone())
    }
}
