//! The traits behind which IO sits. Everything else in the core is testable without a
//! database, a serial port or a clock.
//!
//! | port | what it hides | implementations |
//! |---|---|---|
//! | [`Clock`] | wall-clock time | [`SystemClock`], test clocks |
//! | [`Store`] | lockers, users, rentals, alerts, the transaction log | `store::{sqlite, postgres}` |
//! | [`TokenStore`] | refresh families, OTPs, used QR ids, pickup codes, API keys | the SQL stores, `token::memory::MemoryTokenStore` |
//! | [`AccountStore`] | seed user numbers | the SQL stores |
//! | [`LoginFailureStore`] | per-account failed-login records (lockouts) | the SQL stores |
//! | [`IdempotencyStore`] | `Idempotency-Key` claims and stored answers | the SQL stores |
//! | [`RevocationStore`] | logins (refresh families): the bearer check, logout, "log out everywhere" | the SQL stores |
//! | [`OrderStore`] | seed-001 orders, payments, queued board commands | the SQL stores |
//! | [`PaymentProvider`] | WeChat Pay, Alipay: money taken outside the balance | the server's providers |
//! | [`BarcodeStore`] | seed-002 scanner records | the SQL stores |
//! | [`StatsStore`] | statistics: rentals and payments counted and summed by the database | the SQL stores |
//! | `FaceTemplateStore` (feature `face`) | sealed face templates | the SQL stores |
//! | [`ControllerCommands`] | unlocks queued for the process driving a controller, and who drives which | `store::postgres::PgCommands` |
//! | [`LockController`] | relays and door sensors | [`crate::controller::io::ThreadController`] |
//! | [`Notifier`] | delivery of one-time codes | SMTP (`token::otp::smtp`), test captures |
//! | [`EventLog`] | the service's events shared by every server process | `store::postgres::PgEventLog` |
//! | [`Leadership`] | one leader per timer task among the server processes | `store::postgres::PgLeadership` |

mod accounts;
mod barcodes;
mod clock;
mod controller_commands;
mod event_log;
#[cfg(feature = "face")]
mod faces;
mod idempotency;
mod leadership;
mod lock_controller;
mod login_failures;
mod notifier;
mod orders;
mod payments;
mod revocations;
mod stats;
mod store;
mod tokens;

pub use accounts::AccountStore;
pub use barcodes::BarcodeStore;
pub use clock::{Clock, SystemClock};
pub use controller_commands::ControllerCommands;
pub use event_log::{EventLog, EventWakeups, LoggedEvent};
#[cfg(feature = "face")]
pub use faces::FaceTemplateStore;
pub use idempotency::{IdempotencyClaim, IdempotencyStore, StoredResponse};
pub use leadership::{Leadership, Lease};
pub use lock_controller::LockController;
pub use login_failures::LoginFailureStore;
pub use notifier::Notifier;
pub use orders::OrderStore;
pub use payments::{PaymentProvider, PaymentRefused};
pub use revocations::RevocationStore;
pub use stats::{
    Moment, PaymentGrouping, PaymentKey, PaymentTally, RentalGrouping, RentalTally, RentalWindow, StatsStore, TallyKey,
};
pub use store::*;
pub use tokens::{SendCheck, TokenStore};

/// Every storage port of one database, on one connection pool: what
/// [`crate::store::open`] returns. Any type with all the ports is one (the SQLite and
/// PostgreSQL stores); an `Arc<dyn Database>` coerces to any single port
/// (`Arc<dyn Store>`, `Arc<dyn TokenStore>`, ...) where only that one is needed.
#[cfg(feature = "face")]
pub trait Database:
    Store
    + TokenStore
    + RevocationStore
    + LoginFailureStore
    + IdempotencyStore
    + AccountStore
    + OrderStore
    + BarcodeStore
    + StatsStore
    + FaceTemplateStore
{
}
#[cfg(feature = "face")]
impl<
    T: Store
        + TokenStore
        + RevocationStore
        + LoginFailureStore
        + IdempotencyStore
        + AccountStore
        + OrderStore
        + BarcodeStore
        + StatsStore
        + FaceTemplateStore,
> Database for T
{
}

/// Every storage port of one database, on one connection pool: what
/// [`crate::store::open`] returns. Any type with all the ports is one (the SQLite and
/// PostgreSQL stores); an `Arc<dyn Database>` coerces to any single port
/// (`Arc<dyn Store>`, `Arc<dyn TokenStore>`, ...) where only that one is needed.
#[cfg(not(feature = "face"))]
pub trait Database:
    Store
    + TokenStore
    + RevocationStore
    + LoginFailureStore
    + IdempotencyStore
    + AccountStore
    + OrderStore
    + BarcodeStore
    + StatsStore
{
}
#[cfg(not(feature = "face"))]
impl<
    T: Store
        + TokenStore
        + RevocationStore
        + LoginFailureStore
        + IdempotencyStore
        + AccountStore
        + OrderStore
        + BarcodeStore
        + StatsStore,
> Database for T
{
}
