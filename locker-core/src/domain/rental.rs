//! A rental: one state machine serving both a walk-up session (seed 000, face or QR) and a
//! paid order with pickup code (seed 001).
//!
//! TODO(issue 2): the pure transition function `(state, event, now) -> Result<(state, actions)>`.

use serde::{Deserialize, Serialize};

use super::{Id, Money, Timestamp, string_enum};

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
    /// Paid time extended by this many half hours.
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
