//! A rental: one state machine serving both a walk-up session (seed 000, face or QR) and a
//! paid order with pickup code (seed 001).
//!
//! ```text
//!                 Pay                Open                DoorClosed
//! PendingPayment ─────> Reserved ───────────> Opening ─────────────> Active ──CheckOut──> Completed
//!      │  │               │  │  ▲ Extend         │ (walk-up check-in     │  ▲ Reopen, Extend
//!      │  │ Expire        │  │  └──┘             │  enters here)         └──┘
//!      │  └─────> Expired <┘  │                   │
//!      │ Cancel               │ Cancel            │ Cancel (door never opened)
//!      └──────────────> Cancelled <───────────────┘
//! ```
//!
//! [`RentalState::on`] is the machine on states alone; [`Rental::apply`] also stamps times and
//! amounts. Both are pure: time is an argument and effects come back as [`RentalAction`]s
//! for the caller (the service) to carry out — unlock, set the locker status, log, charge.
//! An event the current state does not allow is a [`TransitionError`], never a panic.

use serde::{Deserialize, Serialize};

use super::{Id, LockerStatus, Money, Timestamp, TransitionError, TxAction, string_enum};
use crate::domain::money::HalfHours;

string_enum! {
    /// Where a rental is in its life.
    RentalState, field = "state" {
        /// Order created, not paid.
        PendingPayment => "pending_payment",
        /// Paid (or held); locker reserved, not yet opened.
        Reserved => "reserved",
        /// Locker allocated and unlock sent; waiting for the door to close.
        Opening => "opening",
        /// Things inside, door closed.
        Active => "active",
        /// Checked out. End state.
        Completed => "completed",
        /// Cancelled. End state.
        Cancelled => "cancelled",
        /// Reservation ran out unused. End state.
        Expired => "expired",
    }
}

impl RentalState {
    /// A live rental holds its locker; at most one per locker (enforced by the stores).
    pub fn is_live(self) -> bool {
        matches!(self, RentalState::PendingPayment | RentalState::Reserved | RentalState::Opening | RentalState::Active)
    }

    /// An end state: no event is accepted any more.
    pub fn is_final(self) -> bool {
        !self.is_live()
    }

    /// The state a seed-000 client sees as session status.
    pub fn session_status(self) -> &'static str {
        match self {
            RentalState::PendingPayment | RentalState::Reserved | RentalState::Opening | RentalState::Active => {
                "active"
            }
            RentalState::Completed => "completed",
            RentalState::Cancelled | RentalState::Expired => "cancelled",
        }
    }

    /// The state a seed-001 client sees as order status.
    pub fn order_status(self) -> &'static str {
        match self {
            RentalState::PendingPayment => "pending",
            RentalState::Reserved => "paid",
            RentalState::Opening | RentalState::Active => "in_use",
            RentalState::Completed => "completed",
            RentalState::Cancelled | RentalState::Expired => "cancelled",
        }
    }

    /// The machine on states alone: the next state and what the caller must do, or a
    /// [`TransitionError`] when `event` is not allowed in `self`.
    pub fn on(self, event: RentalEvent) -> Result<(RentalState, Vec<RentalAction>), TransitionError> {
        use RentalAction::*;
        use RentalEvent as E;
        use RentalState as S;
        let free = SetLockerStatus(LockerStatus::Available);
        let next = match (self, event) {
            (S::PendingPayment, E::Pay) => {
                (S::Reserved, vec![SetLockerStatus(LockerStatus::Reserved), IssuePickupCode, Log(TxAction::Pay)])
            }
            (S::Reserved, E::Open) => (S::Opening, vec![Unlock, Log(TxAction::OpenByCode)]),
            (S::Opening, E::DoorClosed) => {
                (S::Active, vec![SetLockerStatus(LockerStatus::InUse), Log(TxAction::SensorTrigger)])
            }
            (S::Active, E::Reopen) => (S::Active, vec![Unlock, Log(TxAction::Update)]),
            (S::Reserved | S::Active, E::Extend { half_hours }) if half_hours > 0 => {
                (self, vec![Charge(half_hours), Log(TxAction::Extend)])
            }
            (S::Active, E::CheckOut) => {
                (S::Completed, vec![Unlock, free, DeleteGuestTemplate, Log(TxAction::CheckOut)])
            }
            (S::PendingPayment | S::Reserved | S::Opening, E::Cancel) => {
                (S::Cancelled, vec![free, DeleteGuestTemplate, Log(TxAction::Cancel)])
            }
            (S::PendingPayment | S::Reserved, E::Expire) => (S::Expired, vec![free, DeleteGuestTemplate]),
            _ => {
                return Err(TransitionError {
                    machine: "rental",
                    state: self.to_string(),
                    event: event.name().to_owned(),
                });
            }
        };
        Ok(next)
    }
}

string_enum! {
    /// Which seed model the rental serves.
    RentalKind, field = "kind" {
        /// Walk-up session (seed 000).
        Session => "session",
        /// Paid order with pickup code (seed 001).
        Order => "order",
    }
}

string_enum! {
    /// How the person proved who they are.
    AuthMethod, field = "auth_method" {
        /// Face recognition.
        FaceId => "face_id",
        /// Dynamic QR token.
        QrCode => "qr_code",
        /// Pickup code.
        PickupCode => "pickup_code",
        /// Password / access token (app).
        Password => "password",
        /// Admin override.
        Admin => "admin",
    }
}

/// One rental of one locker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rental {
    /// Stable id.
    pub id: Id,
    /// The locker it holds.
    pub locker_id: Id,
    /// The renter; `None` for a guest (face-only) session.
    pub user_id: Option<Id>,
    /// Session or order.
    pub kind: RentalKind,
    /// Current state.
    pub state: RentalState,
    /// How it was started.
    pub auth_method: AuthMethod,
    /// Paid duration in half hours (orders); 0 for walk-up sessions.
    pub half_hours: u32,
    /// Price per hour at booking, minor units.
    pub price_per_hour: Money,
    /// Total charged so far, minor units.
    pub amount: Money,
    /// Created.
    pub created_at: Timestamp,
    /// When the person checked in (door first opened for them).
    pub started_at: Option<Timestamp>,
    /// End of the paid time (orders).
    pub paid_until: Option<Timestamp>,
    /// Last reopen.
    pub last_access_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
}

impl Rental {
    /// Applies `event` at `now`: the machine of [`RentalState::on`] plus the bookkeeping it
    /// implies (check-in and end times, paid time and amount on payment and extension).
    /// Returns the updated rental and the actions; `self` is untouched.
    pub fn apply(&self, event: RentalEvent, now: Timestamp) -> Result<(Rental, Vec<RentalAction>), TransitionError> {
        let (state, actions) = self.state.on(event)?;
        let mut next = self.clone();
        next.state = state;
        match event {
            RentalEvent::Pay => {
                next.amount = HalfHours(self.half_hours).price(self.price_per_hour);
                next.paid_until = Some(now + HalfHours(self.half_hours).duration());
            }
            RentalEvent::Open => next.started_at = Some(now),
            RentalEvent::DoorClosed => {
                next.started_at.get_or_insert(now);
            }
            RentalEvent::Reopen => next.last_access_at = Some(now),
            RentalEvent::Extend { half_hours } => {
                let added = HalfHours(half_hours);
                next.half_hours = self.half_hours.saturating_add(half_hours);
                next.amount = Money(self.amount.0 + added.price(self.price_per_hour).0);
                // Extension continues from the paid end (overdue time is paid for), or from now.
                next.paid_until = Some(self.paid_until.unwrap_or(now) + added.duration());
            }
            RentalEvent::CheckOut | RentalEvent::Cancel | RentalEvent::Expire => next.ended_at = Some(now),
        }
        Ok((next, actions))
    }

    /// Past its paid end while still active: an alert (`order_overdue`), not a state.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.state == RentalState::Active && self.paid_until.is_some_and(|end| now > end)
    }

    /// The order's total: what was charged once paid, the booked time's price before (or
    /// when nothing was charged).
    pub fn order_total(&self) -> Money {
        if self.state == RentalState::PendingPayment || self.amount.minor() == 0 {
            HalfHours(self.half_hours).price(self.price_per_hour)
        } else {
            self.amount
        }
    }

    /// What is owed for time past the paid end: each started half hour at the booked price.
    pub fn overdue_amount(&self, now: Timestamp) -> Money {
        match self.paid_until {
            Some(end) if now > end => HalfHours::covering(now - end).price(self.price_per_hour),
            _ => Money(0),
        }
    }
}

/// Inputs to the rental machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RentalEvent {
    /// An order was paid.
    Pay,
    /// The locker was unlocked for the renter (pickup code or app).
    Open,
    /// The door sensor confirmed closed after opening.
    DoorClosed,
    /// Reopen during the rental ("update").
    Reopen,
    /// Paid time extended by this many half hours (at least one).
    Extend {
        /// Half hours added.
        half_hours: u32,
    },
    /// Check-out: unlock and end.
    CheckOut,
    /// Cancelled by the renter, an admin or a failed opening.
    Cancel,
    /// The reservation ran out unused.
    Expire,
}

impl RentalEvent {
    /// The event's name in errors and logs.
    pub fn name(self) -> &'static str {
        match self {
            RentalEvent::Pay => "pay",
            RentalEvent::Open => "open",
            RentalEvent::DoorClosed => "door_closed",
            RentalEvent::Reopen => "reopen",
            RentalEvent::Extend { .. } => "extend",
            RentalEvent::CheckOut => "check_out",
            RentalEvent::Cancel => "cancel",
            RentalEvent::Expire => "expire",
        }
    }
}

/// What the caller must do after a rental transition, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RentalAction {
    /// Fire the relay of the rental's locker (commit the intent first).
    Unlock,
    /// Set the locker's status.
    SetLockerStatus(LockerStatus),
    /// Issue a pickup code for the order.
    IssuePickupCode,
    /// Charge this many half hours at the booked price.
    Charge(u32),
    /// Delete a guest's face template (no-op for registered users).
    DeleteGuestTemplate,
    /// Append this action to the transaction log.
    Log(TxAction),
}

impl RentalAction {
    /// The locker status `actions` ask for, if any.
    pub fn locker_status(actions: &[RentalAction]) -> Option<LockerStatus> {
        actions.iter().find_map(|a| match a {
            RentalAction::SetLockerStatus(s) => Some(*s),
            _ => None,
        })
    }

    /// The log action `actions` ask for, if any.
    pub fn log_action(actions: &[RentalAction]) -> Option<TxAction> {
        actions.iter().find_map(|a| match a {
            RentalAction::Log(action) => Some(*action),
            _ => None,
        })
    }
}

#[cfg(test)]
mod rental_tests;
