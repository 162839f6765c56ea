//! SQL text and parameter lists shared by both backends.
//!
//! SQLite accepts PostgreSQL's `$N` placeholders, and column names are the same in both
//! schemas, so most statements are written once here. What differs is how a value is
//! bound (SQLite keeps ids and times as text, PostgreSQL as `uuid`/`timestamptz`): each
//! backend implements [`Binds`] for its query type, and the `bind_*` functions below list
//! the parameters once. Statements that differ (row locks) live in the backend modules.

use crate::domain::{Controller, Id, Locker, Rental, Timestamp, TxLogEntry, User};

/// Binding domain values to a query, per backend.
pub(crate) trait Binds: Sized {
    /// An id.
    fn id(self, v: Option<Id>) -> Self;
    /// A time.
    fn ts(self, v: Option<Timestamp>) -> Self;
    /// A text.
    fn text(self, v: Option<String>) -> Self;
    /// An integer.
    fn int(self, v: Option<i64>) -> Self;
    /// A boolean.
    fn flag(self, v: Option<bool>) -> Self;
    /// A JSON value.
    fn json(self, v: &serde_json::Value) -> Self;
    /// Bytes.
    fn bytes(self, v: Option<Vec<u8>>) -> Self;
}

/// Text form of an optional enum (`as_str`).
pub(crate) fn name<T: std::fmt::Display>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_string())
}

pub(crate) const INSERT_LOCKER: &str = "INSERT INTO lockers (id, code, station, location, size, status, door, controller_id, relay_channel, sensor_channel, price_per_hour, last_used_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

pub(crate) const UPDATE_LOCKER: &str = "UPDATE lockers SET code = $2, station = $3, location = $4, size = $5, status = $6, door = $7, controller_id = $8, relay_channel = $9, sensor_channel = $10, price_per_hour = $11, last_used_at = $12, updated_at = $14 WHERE id = $1 AND created_at = $13";

/// Binds `$1..$14` of [`INSERT_LOCKER`] / [`UPDATE_LOCKER`].
pub(crate) fn bind_locker<Q: Binds>(q: Q, l: &Locker) -> Q {
    q.id(Some(l.id))
        .text(Some(l.code.clone()))
        .text(Some(l.station.clone()))
        .text(Some(l.location.clone()))
        .text(Some(l.size.to_string()))
        .text(Some(l.status.to_string()))
        .text(Some(l.door.to_string()))
        .id(l.controller_id)
        .int(Some(l.relay_channel.into()))
        .int(Some(l.sensor_channel.into()))
        .int(Some(l.price_per_hour.minor()))
        .ts(l.last_used_at)
        .ts(Some(l.created_at))
        .ts(Some(l.updated_at))
}

pub(crate) const SELECT_LOCKER_BY_ID: &str = "SELECT id, code, station, location, size, status, door, controller_id, relay_channel, sensor_channel, price_per_hour, last_used_at, created_at, updated_at FROM lockers WHERE id = $1";
pub(crate) const SELECT_LOCKER_BY_CODE: &str = "SELECT id, code, station, location, size, status, door, controller_id, relay_channel, sensor_channel, price_per_hour, last_used_at, created_at, updated_at FROM lockers WHERE code = $1";

pub(crate) const LIST_LOCKERS: &str = "SELECT id, code, station, location, size, status, door, controller_id, relay_channel, sensor_channel, price_per_hour, last_used_at, created_at, updated_at FROM lockers WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR size = $2) AND ($3 IS NULL OR station = $3) AND ($4 IS NULL OR location = $4) ORDER BY code LIMIT $5 OFFSET $6";
pub(crate) const COUNT_LOCKERS: &str = "SELECT COUNT(*) AS n FROM lockers WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR size = $2) AND ($3 IS NULL OR station = $3) AND ($4 IS NULL OR location = $4)";

/// Every locker with its controller's name, by code (the unpaged locker board).
pub(crate) const LOCKER_BOARD: &str = "SELECT l.id, l.code, l.station, l.location, l.size, l.status, l.door, l.controller_id, l.relay_channel, l.sensor_channel, l.price_per_hour, l.last_used_at, l.created_at, l.updated_at, c.name AS controller_name FROM lockers l LEFT JOIN controllers c ON c.id = l.controller_id ORDER BY l.code";
/// One page of the locker board: the filter of [`LIST_LOCKERS`] (`$1..$4`), `$5` limit,
/// `$6` offset (walks the `code` index; [`COUNT_LOCKERS`] counts the matches).
pub(crate) const LOCKER_BOARD_PAGE: &str = "SELECT l.id, l.code, l.station, l.location, l.size, l.status, l.door, l.controller_id, l.relay_channel, l.sensor_channel, l.price_per_hour, l.last_used_at, l.created_at, l.updated_at, c.name AS controller_name FROM lockers l LEFT JOIN controllers c ON c.id = l.controller_id WHERE ($1 IS NULL OR l.status = $1) AND ($2 IS NULL OR l.size = $2) AND ($3 IS NULL OR l.station = $3) AND ($4 IS NULL OR l.location = $4) ORDER BY l.code LIMIT $5 OFFSET $6";
/// Lockers per status.
pub(crate) const COUNT_LOCKERS_BY_STATUS: &str = "SELECT status, COUNT(*) AS n FROM lockers GROUP BY status";

/// Binds the four filter parameters of [`LIST_LOCKERS`] / [`COUNT_LOCKERS`].
pub(crate) fn bind_locker_filter<Q: Binds>(q: Q, f: &crate::ports::LockerFilter) -> Q {
    q.text(name(f.status)).text(name(f.size)).text(f.station.clone()).text(f.location.clone())
}

pub(crate) const SET_LOCKER_STATUS: &str = "UPDATE lockers SET status = $2, updated_at = $3 WHERE id = $1";
pub(crate) const SET_LOCKER_DOOR: &str = "UPDATE lockers SET door = $2, updated_at = $3 WHERE id = $1";
/// Status change after a rental transition; an ended rental also stamps `last_used_at`.
pub(crate) const SET_LOCKER_STATUS_USED: &str =
    "UPDATE lockers SET status = $2, updated_at = $3, last_used_at = $3 WHERE id = $1";
pub(crate) const COUNT_LIVE_RENTALS_OF_LOCKER: &str = "SELECT COUNT(*) AS n FROM rentals WHERE locker_id = $1 AND state IN ('pending_payment', 'reserved', 'opening', 'active')";
pub(crate) const DELETE_LOCKER: &str = "DELETE FROM lockers WHERE id = $1";

/// Free lockers in the requested place and sizes, in allocation-policy order; `$1..$3`
/// sizes, `$4` station, `$5` location, `$6` limit.
pub(crate) const FREE_LOCKERS: &str = "SELECT id, code, station, location, size, status, door, controller_id, relay_channel, sensor_channel, price_per_hour, last_used_at, created_at, updated_at FROM lockers WHERE status = 'available' AND door = 'closed' AND size IN ($1, $2, $3) AND ($4 IS NULL OR station = $4) AND ($5 IS NULL OR location = $5) AND id NOT IN (SELECT value FROM json_each($6)) ORDER BY CASE size WHEN 'small' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, last_used_at IS NOT NULL, last_used_at, code LIMIT $7";

/// Binds `$1..$6` of [`FREE_LOCKERS`]: sizes (padded by repeating the last), station,
/// location, and the lockers to avoid as a JSON array of ids. Avoided lockers are left out
/// in SQL, so PostgreSQL's `FOR UPDATE SKIP LOCKED` never locks a row it will not take.
pub(crate) fn bind_free_lockers<Q: Binds>(q: Q, r: &crate::alloc::AllocationRequest) -> Q {
    let sizes = r.acceptable_sizes();
    let size = |i: usize| sizes.get(i).or(sizes.last()).map(|s| s.to_string());
    let avoid = serde_json::Value::from(r.avoid.iter().map(|id| id.to_string()).collect::<Vec<_>>()).to_string();
    q.text(size(0)).text(size(1)).text(size(2)).text(r.station.clone()).text(r.location.clone()).text(Some(avoid))
}

pub(crate) const SELECT_CONTROLLER_BY_ID: &str = "SELECT id, name, station, battery_percent, firmware, last_heartbeat_at, active, created_at FROM controllers WHERE id = $1";
pub(crate) const SELECT_CONTROLLER_BY_NAME: &str = "SELECT id, name, station, battery_percent, firmware, last_heartbeat_at, active, created_at FROM controllers WHERE name = $1";
pub(crate) const LIST_CONTROLLERS: &str = "SELECT id, name, station, battery_percent, firmware, last_heartbeat_at, active, created_at FROM controllers ORDER BY name LIMIT $1 OFFSET $2";
pub(crate) const COUNT_CONTROLLERS: &str = "SELECT COUNT(*) AS n FROM controllers";
pub(crate) const INSERT_CONTROLLER: &str = "INSERT INTO controllers (id, name, station, battery_percent, firmware, last_heartbeat_at, active, created_at, api_key_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
pub(crate) const UPDATE_CONTROLLER: &str = "UPDATE controllers SET name = $2, station = $3, battery_percent = $4, firmware = $5, last_heartbeat_at = $6, active = $7 WHERE id = $1 AND created_at = $8";

/// Binds `$1..$8` of [`INSERT_CONTROLLER`] / [`UPDATE_CONTROLLER`].
pub(crate) fn bind_controller<Q: Binds>(q: Q, c: &Controller) -> Q {
    q.id(Some(c.id))
        .text(Some(c.name.clone()))
        .text(Some(c.station.clone()))
        .int(c.battery_percent.map(i64::from))
        .text(c.firmware.clone())
        .ts(c.last_heartbeat_at)
        .flag(Some(c.active))
        .ts(Some(c.created_at))
}

pub(crate) const USER_SELECT_BY_ID: &str = "SELECT id, email, phone, username, full_name, role, password_hash, active, balance, created_at, updated_at FROM users WHERE id = $1";
pub(crate) const USER_SELECT_BY_EMAIL: &str = "SELECT id, email, phone, username, full_name, role, password_hash, active, balance, created_at, updated_at FROM users WHERE email = $1";
pub(crate) const USER_SELECT_BY_PHONE: &str = "SELECT id, email, phone, username, full_name, role, password_hash, active, balance, created_at, updated_at FROM users WHERE phone = $1";
pub(crate) const USER_SELECT_BY_USERNAME: &str = "SELECT id, email, phone, username, full_name, role, password_hash, active, balance, created_at, updated_at FROM users WHERE username = $1";
pub(crate) const LIST_USERS: &str = "SELECT id, email, phone, username, full_name, role, password_hash, active, balance, created_at, updated_at FROM users WHERE ($1 IS NULL OR role = $1) AND ($2 IS NULL OR active = $2) ORDER BY created_at, id LIMIT $3 OFFSET $4";
pub(crate) const COUNT_USERS: &str =
    "SELECT COUNT(*) AS n FROM users WHERE ($1 IS NULL OR role = $1) AND ($2 IS NULL OR active = $2)";
pub(crate) const INSERT_USER: &str = "INSERT INTO users (id, email, phone, username, full_name, role, password_hash, active, balance, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub(crate) const UPDATE_USER: &str = "UPDATE users SET email = $2, phone = $3, username = $4, full_name = $5, role = $6, password_hash = $7, active = $8, balance = $9, updated_at = $11 WHERE id = $1 AND created_at = $10";

/// Binds `$1..$11` of [`INSERT_USER`] / [`UPDATE_USER`].
pub(crate) fn bind_user<Q: Binds>(q: Q, u: &User) -> Q {
    q.id(Some(u.id))
        .text(u.email.clone())
        .text(u.phone.clone())
        .text(u.username.clone())
        .text(Some(u.full_name.clone()))
        .text(Some(u.role.to_string()))
        .text(Some(u.password_hash.clone()))
        .flag(Some(u.active))
        .int(Some(u.balance.minor()))
        .ts(Some(u.created_at))
        .ts(Some(u.updated_at))
}

pub(crate) const RENTAL_SELECT_BY_ID: &str = "SELECT id, locker_id, user_id, kind, state, auth_method, half_hours, price_per_hour, amount, created_at, started_at, paid_until, last_access_at, ended_at FROM rentals WHERE id = $1";
pub(crate) const LIST_RENTALS: &str = "SELECT id, locker_id, user_id, kind, state, auth_method, half_hours, price_per_hour, amount, created_at, started_at, paid_until, last_access_at, ended_at FROM rentals WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR locker_id = $2) AND ($3 = FALSE OR state IN ('pending_payment', 'reserved', 'opening', 'active')) ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5";
pub(crate) const COUNT_RENTALS: &str = "SELECT COUNT(*) AS n FROM rentals WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR locker_id = $2) AND ($3 = FALSE OR state IN ('pending_payment', 'reserved', 'opening', 'active'))";
pub(crate) const INSERT_RENTAL: &str = "INSERT INTO rentals (id, locker_id, user_id, kind, state, auth_method, half_hours, price_per_hour, amount, created_at, started_at, paid_until, last_access_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
/// Compare-and-set: `$15` is the state the caller expects to find.
pub(crate) const UPDATE_RENTAL_IF_STATE: &str = "UPDATE rentals SET user_id = $3, kind = $4, state = $5, auth_method = $6, half_hours = $7, price_per_hour = $8, amount = $9, started_at = $11, paid_until = $12, last_access_at = $13, ended_at = $14 WHERE id = $1 AND locker_id = $2 AND created_at = $10 AND state = $15";

/// Binds `$1..$14` of [`INSERT_RENTAL`] / [`UPDATE_RENTAL_IF_STATE`].
pub(crate) fn bind_rental<Q: Binds>(q: Q, r: &Rental) -> Q {
    q.id(Some(r.id))
        .id(Some(r.locker_id))
        .id(r.user_id)
        .text(Some(r.kind.to_string()))
        .text(Some(r.state.to_string()))
        .text(Some(r.auth_method.to_string()))
        .int(Some(r.half_hours.into()))
        .int(Some(r.price_per_hour.minor()))
        .int(Some(r.amount.minor()))
        .ts(Some(r.created_at))
        .ts(r.started_at)
        .ts(r.paid_until)
        .ts(r.last_access_at)
        .ts(r.ended_at)
}

/// Binds the filter of [`LIST_RENTALS`] / [`COUNT_RENTALS`].
pub(crate) fn bind_rental_filter<Q: Binds>(q: Q, f: &crate::ports::RentalFilter) -> Q {
    q.id(f.user_id).id(f.locker_id).flag(Some(f.live_only))
}

pub(crate) const ALERT_SELECT_BY_ID: &str = "SELECT id, kind, severity, locker_id, controller_id, message, created_at, resolved_at, resolved_by, resolution_note FROM alerts WHERE id = $1";
pub(crate) const LIST_ALERTS: &str = "SELECT id, kind, severity, locker_id, controller_id, message, created_at, resolved_at, resolved_by, resolution_note FROM alerts WHERE ($1 IS NULL OR kind = $1) AND ($2 IS NULL OR severity = $2) AND ($3 IS NULL OR (resolved_at IS NOT NULL) = $3) AND ($4 IS NULL OR locker_id = $4) ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6";
pub(crate) const COUNT_ALERTS: &str = "SELECT COUNT(*) AS n FROM alerts WHERE ($1 IS NULL OR kind = $1) AND ($2 IS NULL OR severity = $2) AND ($3 IS NULL OR (resolved_at IS NOT NULL) = $3) AND ($4 IS NULL OR locker_id = $4)";
pub(crate) const INSERT_ALERT: &str = "INSERT INTO alerts (id, kind, severity, locker_id, controller_id, message, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const RESOLVE_ALERT: &str =
    "UPDATE alerts SET resolved_at = $2, resolved_by = $3, resolution_note = $4 WHERE id = $1 AND resolved_at IS NULL";

/// Binds the filter of [`LIST_ALERTS`] / [`COUNT_ALERTS`].
pub(crate) fn bind_alert_filter<Q: Binds>(q: Q, f: &crate::ports::AlertFilter) -> Q {
    q.text(name(f.kind)).text(name(f.severity)).flag(f.resolved).id(f.locker_id)
}

pub(crate) const LIST_LOG: &str = "SELECT seq, id, action, locker_id, rental_id, actor_id, auth_method, details, device, created_at, prev_hash, hash FROM tx_log WHERE ($1 IS NULL OR locker_id = $1) AND ($2 IS NULL OR rental_id = $2) AND ($3 IS NULL OR action = $3) ORDER BY seq LIMIT $4 OFFSET $5";
pub(crate) const COUNT_LOG: &str = "SELECT COUNT(*) AS n FROM tx_log WHERE ($1 IS NULL OR locker_id = $1) AND ($2 IS NULL OR rental_id = $2) AND ($3 IS NULL OR action = $3)";
pub(crate) const ALL_LOG: &str = "SELECT seq, id, action, locker_id, rental_id, actor_id, auth_method, details, device, created_at, prev_hash, hash FROM tx_log ORDER BY seq";
pub(crate) const INSERT_LOG: &str = "INSERT INTO tx_log (seq, id, action, locker_id, rental_id, actor_id, auth_method, details, device, created_at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
pub(crate) const SELECT_HEAD: &str = "SELECT last_seq, last_hash FROM tx_log_head WHERE id = 1";
pub(crate) const UPDATE_HEAD: &str = "UPDATE tx_log_head SET last_seq = $1, last_hash = $2 WHERE id = 1";

/// Binds the filter of [`LIST_LOG`] / [`COUNT_LOG`].
pub(crate) fn bind_log_filter<Q: Binds>(q: Q, f: &crate::ports::TxLogFilter) -> Q {
    q.id(f.locker_id).id(f.rental_id).text(name(f.action))
}

/// Binds `$1..$12` of [`INSERT_LOG`].
pub(crate) fn bind_log<Q: Binds>(q: Q, seq: i64, e: &TxLogEntry, prev: &[u8], hash: &[u8]) -> Q {
    q.int(Some(seq))
        .id(Some(e.id))
        .text(Some(e.action.to_string()))
        .id(e.locker_id)
        .id(e.rental_id)
        .id(e.actor_id)
        .text(name(e.auth_method))
        .json(&e.details)
        .text(e.device.clone())
        .ts(Some(e.created_at))
        .bytes(Some(prev.to_vec()))
        .bytes(Some(hash.to_vec()))
}

/// The admin log view, newest first; `$1..$6` filters, `$7` limit, `$8` offset.
pub(crate) const QUERY_LOG: &str = "SELECT seq, id, action, locker_id, rental_id, actor_id, auth_method, details, device, created_at, prev_hash, hash FROM tx_log WHERE ($1 IS NULL OR locker_id = $1) AND ($2 IS NULL OR actor_id = $2) AND ($3 IS NULL OR action = $3) AND ($4 IS NULL OR auth_method = $4) AND ($5 IS NULL OR created_at >= $5) AND ($6 IS NULL OR created_at < $6) ORDER BY seq DESC LIMIT $7 OFFSET $8";
pub(crate) const COUNT_QUERY_LOG: &str = "SELECT COUNT(*) AS n FROM tx_log WHERE ($1 IS NULL OR locker_id = $1) AND ($2 IS NULL OR actor_id = $2) AND ($3 IS NULL OR action = $3) AND ($4 IS NULL OR auth_method = $4) AND ($5 IS NULL OR created_at >= $5) AND ($6 IS NULL OR created_at < $6)";

/// Binds `$1..$6` of [`QUERY_LOG`] / [`COUNT_QUERY_LOG`].
pub(crate) fn bind_log_query<Q: Binds>(q: Q, f: &crate::ports::TxLogQuery) -> Q {
    q.id(f.locker_id).id(f.actor_id).text(name(f.action)).text(name(f.auth_method)).ts(f.from).ts(f.to)
}

/// `$3..$9` are up to seven states (padded by repeating the first); `$3` NULL means any.
pub(crate) const QUERY_RENTALS: &str = "SELECT id, locker_id, user_id, kind, state, auth_method, half_hours, price_per_hour, amount, created_at, started_at, paid_until, last_access_at, ended_at FROM rentals WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR locker_id = $2) AND ($3 IS NULL OR state IN ($3, $4, $5, $6, $7, $8, $9)) AND ($10 IS NULL OR created_at >= $10) AND ($11 IS NULL OR created_at < $11) AND ($12 IS NULL OR kind = $12) AND ($13 IS NULL OR locker_id IN (SELECT id FROM lockers WHERE station = $13)) ORDER BY created_at DESC, id DESC LIMIT $14 OFFSET $15";
pub(crate) const COUNT_QUERY_RENTALS: &str = "SELECT COUNT(*) AS n FROM rentals WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR locker_id = $2) AND ($3 IS NULL OR state IN ($3, $4, $5, $6, $7, $8, $9)) AND ($10 IS NULL OR created_at >= $10) AND ($11 IS NULL OR created_at < $11) AND ($12 IS NULL OR kind = $12) AND ($13 IS NULL OR locker_id IN (SELECT id FROM lockers WHERE station = $13))";

/// Binds `$1..$13` of [`QUERY_RENTALS`] / [`COUNT_QUERY_RENTALS`].
pub(crate) fn bind_rental_query<Q: Binds>(q: Q, f: &crate::ports::RentalQuery) -> Q {
    let state = |i: usize| f.states.get(i).or(f.states.first()).map(|s| s.to_string());
    let mut q = q.id(f.user_id).id(f.locker_id);
    for i in 0..7 {
        q = q.text(state(i));
    }
    q.ts(f.from).ts(f.to).text(name(f.kind)).text(f.station.clone())
}
