//! The domain: plain serde types for lockers, controllers, users, rentals, doors, alerts and
//! the transaction log, and the rental and door state machines as pure functions.

mod alert;
mod controller;
mod door;
mod locker;
mod money;
mod rental;
mod txlog;
mod user;

pub use alert::{Alert, AlertKind, Severity};
pub use controller::Controller;
pub use door::{Door, DoorAction, DoorConfig, DoorEvent, DoorPhase, DoorState};
pub use locker::{Locker, LockerSize, LockerStatus, NewLocker};
pub use money::{HalfHours, Money};
pub use rental::{AuthMethod, Rental, RentalAction, RentalEvent, RentalKind, RentalState};
pub use txlog::{TxAction, TxLogEntry};
pub use user::{Role, User};

/// A point in time, always UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Ids are UUIDv7 (time-ordered); humans see codes such as `A01`.
pub type Id = uuid::Uuid;

/// A fresh time-ordered id.
pub fn new_id() -> Id {
    uuid::Uuid::now_v7()
}

/// An event that the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{machine}: event {event} is not allowed in state {state}")]
pub struct TransitionError {
    /// Which machine (`rental` or `door`).
    pub machine: &'static str,
    /// The state it was in.
    pub state: String,
    /// The event that was refused.
    pub event: String,
}

/// Declares a string-backed enum with `as_str`, `FromStr` (naming the field on error),
/// `Display` and serde in snake_case.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident, field = $field:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling of every value, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The wire and database spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(crate::Error::validation(
                        $field,
                        format!(
                            "unknown value {other:?}; expected one of: {}",
                            [$($text),+].join(", ")
                        ),
                    )),
                }
            }
        }
    };
}
pub(crate) use string_enum;

pub use alert::NewAlert;
pub use controller::NewController;
pub use txlog::NewTxLog;
pub use user::NewUser;
