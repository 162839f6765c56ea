//! Turning a database row into domain types, once for both backends.
//!
//! Each backend implements [`RowRead`] for its row type (SQLite keeps ids and times as
//! text, PostgreSQL as `uuid` and `timestamptz`); the mappers below are generic over it.
//! Column names are the same in both schemas.

use crate::domain::Timestamp;
use crate::domain::{Alert, Controller, Id, Locker, Money, Rental, TxLogEntry, User};
use crate::{Error, Result};

/// Typed column access over one backend's row.
pub(crate) trait RowRead {
    /// A non-null id.
    fn id(&self, col: &str) -> Result<Id> {
        self.opt_id(col)?.ok_or_else(|| null(col))
    }
    /// A nullable id.
    fn opt_id(&self, col: &str) -> Result<Option<Id>>;
    /// A non-null time.
    fn ts(&self, col: &str) -> Result<Timestamp> {
        self.opt_ts(col)?.ok_or_else(|| null(col))
    }
    /// A nullable time.
    fn opt_ts(&self, col: &str) -> Result<Option<Timestamp>>;
    /// A nullable text.
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    /// A non-null text.
    fn text(&self, col: &str) -> Result<String> {
        self.opt_text(col)?.ok_or_else(|| null(col))
    }
    /// A nullable integer.
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    /// A non-null integer.
    fn int(&self, col: &str) -> Result<i64> {
        self.opt_int(col)?.ok_or_else(|| null(col))
    }
    /// A boolean.
    fn flag(&self, col: &str) -> Result<bool>;
    /// A JSON value.
    fn json(&self, col: &str) -> Result<serde_json::Value>;
    /// A nullable byte string.
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>>;

    /// A text column parsed with `FromStr` (the domain enums).
    fn parsed<T: std::str::FromStr<Err = Error>>(&self, col: &str) -> Result<T> {
        self.text(col)?.parse().map_err(|e| undecodable(col, e))
    }
    /// A nullable text column parsed with `FromStr`.
    fn opt_parsed<T: std::str::FromStr<Err = Error>>(&self, col: &str) -> Result<Option<T>> {
        self.opt_text(col)?.map(|t| t.parse().map_err(|e| undecodable(col, e))).transpose()
    }
    /// An integer column that must fit `T`.
    fn narrow<T: TryFrom<i64>>(&self, col: &str) -> Result<T> {
        let v = self.int(col)?;
        T::try_from(v).map_err(|_| corrupt(col, format!("{v} out of range")))
    }
}

fn null(col: &str) -> Error {
    Error::Storage { message: format!("column {col} is unexpectedly NULL"), source: None }
}

/// A stored value the domain does not accept (a corrupted or hand-edited database).
pub(crate) fn corrupt(col: &str, why: impl std::fmt::Display) -> Error {
    Error::Storage { message: format!("column {col} holds a bad value: {why}"), source: None }
}

/// A stored value that does not decode (a corrupted or hand-edited database); `source` is
/// the parser's error.
pub(crate) fn undecodable(col: &str, source: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::storage(format!("column {col} holds a bad value"), source)
}

pub(crate) fn locker(r: &impl RowRead) -> Result<Locker> {
    Ok(Locker {
        id: r.id("id")?,
        code: r.text("code")?,
        station: r.text("station")?,
        location: r.text("location")?,
        size: r.parsed("size")?,
        status: r.parsed("status")?,
        door: r.parsed("door")?,
        controller_id: r.opt_id("controller_id")?,
        relay_channel: r.narrow("relay_channel")?,
        sensor_channel: r.narrow("sensor_channel")?,
        price_per_hour: Money(r.int("price_per_hour")?),
        last_used_at: r.opt_ts("last_used_at")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

/// A locker with its `controller_name` (the locker board).
pub(crate) fn named_locker(r: &impl RowRead) -> Result<crate::ports::NamedLocker> {
    Ok(crate::ports::NamedLocker { locker: locker(r)?, controller: r.opt_text("controller_name")? })
}

pub(crate) fn controller(r: &impl RowRead) -> Result<Controller> {
    Ok(Controller {
        id: r.id("id")?,
        name: r.text("name")?,
        station: r.text("station")?,
        battery_percent: r.opt_int("battery_percent")?.map(|b| b.clamp(0, 100) as u8),
        firmware: r.opt_text("firmware")?,
        last_heartbeat_at: r.opt_ts("last_heartbeat_at")?,
        active: r.flag("active")?,
        created_at: r.ts("created_at")?,
    })
}

pub(crate) fn user(r: &impl RowRead) -> Result<User> {
    Ok(User {
        id: r.id("id")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        username: r.opt_text("username")?,
        full_name: r.text("full_name")?,
        role: r.parsed("role")?,
        password_hash: r.text("password_hash")?,
        active: r.flag("active")?,
        balance: Money(r.int("balance")?),
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

pub(crate) fn rental(r: &impl RowRead) -> Result<Rental> {
    Ok(Rental {
        id: r.id("id")?,
        locker_id: r.id("locker_id")?,
        user_id: r.opt_id("user_id")?,
        kind: r.parsed("kind")?,
        state: r.parsed("state")?,
        auth_method: r.parsed("auth_method")?,
        half_hours: r.narrow("half_hours")?,
        price_per_hour: Money(r.int("price_per_hour")?),
        amount: Money(r.int("amount")?),
        created_at: r.ts("created_at")?,
        started_at: r.opt_ts("started_at")?,
        paid_until: r.opt_ts("paid_until")?,
        last_access_at: r.opt_ts("last_access_at")?,
        ended_at: r.opt_ts("ended_at")?,
    })
}

pub(crate) fn alert(r: &impl RowRead) -> Result<Alert> {
    Ok(Alert {
        id: r.id("id")?,
        kind: r.parsed("kind")?,
        severity: r.parsed("severity")?,
        locker_id: r.opt_id("locker_id")?,
        controller_id: r.opt_id("controller_id")?,
        message: r.text("message")?,
        created_at: r.ts("created_at")?,
        resolved_at: r.opt_ts("resolved_at")?,
        resolved_by: r.opt_id("resolved_by")?,
        resolution_note: r.opt_text("resolution_note")?,
    })
}

pub(crate) fn log_entry(r: &impl RowRead) -> Result<TxLogEntry> {
    Ok(TxLogEntry {
        id: r.id("id")?,
        action: r.parsed("action")?,
        locker_id: r.opt_id("locker_id")?,
        rental_id: r.opt_id("rental_id")?,
        actor_id: r.opt_id("actor_id")?,
        auth_method: r.opt_parsed("auth_method")?,
        details: r.json("details")?,
        device: r.opt_text("device")?,
        created_at: r.ts("created_at")?,
    })
}

/// A log row with its chain columns, for verification.
pub(crate) fn chained_row(r: &impl RowRead) -> Result<super::chain::StoredRow> {
    Ok(super::chain::StoredRow {
        seq: r.int("seq")?,
        entry: log_entry(r)?,
        prev_hash: r.opt_bytes("prev_hash")?.unwrap_or_default(),
        hash: r.opt_bytes("hash")?.unwrap_or_default(),
    })
}
