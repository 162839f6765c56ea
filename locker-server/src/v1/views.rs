//! The JSON shapes of seed 000, field by field, built from domain types; and the paging
//! parameters every listing takes.

use std::collections::HashMap;

use locker_core::domain::{
    Alert, Controller, DoorState, Id, Locker, LockerSize, LockerStatus, Rental, Timestamp, User,
};
use locker_core::ports::{Page, Store, all_pages};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::error::ApiError;

/// Largest `limit` a listing accepts.
pub const MAX_LIMIT: u32 = 100;

/// `page` and `limit` of a listing (1-based, `limit` 1 to [`MAX_LIMIT`]).
#[derive(Debug, Clone, Copy, Deserialize, Default)]
pub struct Paging {
    /// Page number, default 1.
    pub page: Option<u32>,
    /// Items per page, default per route.
    pub limit: Option<u32>,
}

impl Paging {
    /// The checked page, with `default_limit` when none was given.
    pub fn page(self, default_limit: u32) -> Result<Page, ApiError> {
        let page = self.page.unwrap_or(1);
        let limit = self.limit.unwrap_or(default_limit);
        if page == 0 {
            return Err(ApiError::validation("page", "starts at 1"));
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::validation("limit", format!("must be 1 to {MAX_LIMIT}")));
        }
        Ok(Page { page, limit })
    }
}

/// The seed's `pagination` object.
pub fn pagination(page: Page, total: u64) -> Value {
    let pages = total.div_ceil(u64::from(page.limit.max(1)));
    json!({ "page": page.page, "limit": page.limit, "total": total, "total_pages": pages })
}

/// RFC 3339 with a `Z`, seconds precision.
pub fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Optional time as above, or `null`.
pub fn opt_ts(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(ts(t)))
}

/// Controller names by id, for `esp32_id`.
pub async fn controller_names(store: &dyn Store) -> Result<HashMap<Id, String>, ApiError> {
    let controllers = all_pages(|page| store.list_controllers(page)).await?;
    Ok(controllers.into_iter().map(|c: Controller| (c.id, c.name)).collect())
}

/// A locker as `GET /lockers` lists it. Fields in alphabetical order, as the answers built
/// from a `serde_json::Value` (a sorted map) have always had them.
#[derive(Debug, Serialize)]
pub struct LockerRow<'a> {
    door_state: DoorState,
    esp32_id: Option<&'a str>,
    id: Id,
    location: &'a str,
    locker_code: &'a str,
    relay_pin: u16,
    sensor_pin: u16,
    size: LockerSize,
    status: LockerStatus,
}

impl<'a> LockerRow<'a> {
    /// `l`, wired to the controller named `controller`.
    pub fn new(l: &'a Locker, controller: Option<&'a str>) -> Self {
        LockerRow {
            door_state: l.door,
            esp32_id: controller,
            id: l.id,
            location: &l.location,
            locker_code: &l.code,
            relay_pin: l.relay_channel,
            sensor_pin: l.sensor_channel,
            size: l.size,
            status: l.status,
        }
    }
}

/// A locker as `GET /lockers` lists it, as a JSON value (to add fields to).
pub fn locker(l: &Locker, controllers: &HashMap<Id, String>) -> Value {
    let controller = l.controller_id.and_then(|c| controllers.get(&c)).map(String::as_str);
    serde_json::to_value(LockerRow::new(l, controller)).unwrap_or(Value::Null)
}

/// The short locker of session answers.
pub fn locker_short(l: &Locker) -> Value {
    json!({ "id": l.id, "locker_code": l.code, "location": l.location })
}

/// A user as `GET /users/me` shows them.
pub fn user_full(u: &User) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "full_name": u.full_name,
        "phone": u.phone,
        "role": u.role,
        "is_active": u.active,
        "created_at": ts(u.created_at),
        "updated_at": ts(u.updated_at),
    })
}

/// A user in the admin list.
pub fn user_row(u: &User) -> Value {
    json!({ "id": u.id, "email": u.email, "full_name": u.full_name, "role": u.role, "is_active": u.active })
}

/// A session in `my-sessions`.
pub fn session_row(r: &Rental, locker_code: Option<&str>) -> Value {
    json!({
        "id": r.id,
        "locker_code": locker_code,
        "status": r.state.session_status(),
        "auth_method": r.auth_method,
        "check_in_at": opt_ts(r.started_at.or(Some(r.created_at))),
        "check_out_at": opt_ts(if r.state.is_final() { r.ended_at } else { None }),
    })
}

/// An alert as `GET /security-alerts` lists it.
pub fn alert(a: &Alert, locker_code: Option<&str>) -> Value {
    json!({
        "id": a.id,
        "locker_id": a.locker_id,
        "locker_code": locker_code,
        "alert_type": a.kind,
        "severity": a.severity,
        "description": a.message,
        "is_resolved": a.resolved_at.is_some(),
        "resolved_by": a.resolved_by,
        "resolved_at": opt_ts(a.resolved_at),
        "resolution_note": a.resolution_note,
        "created_at": ts(a.created_at),
    })
}

/// Locker codes by id, looked up once each.
pub async fn locker_codes(store: &dyn Store, ids: Vec<Id>) -> Result<HashMap<Id, String>, ApiError> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        match store.get_locker(id).await {
            Ok(l) => {
                out.insert(id, l.code);
            }
            Err(locker_core::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// A date or date-time query value: `2026-01-18` (start of that day, UTC) or RFC 3339, in
/// years 0001 to 9999 ([`crate::http::dates`]).
pub fn parse_date(field: &str, text: &str, end_of_day: bool) -> Result<Timestamp, ApiError> {
    use crate::http::dates;
    let out_of_range = || ApiError::validation(field, dates::OUT_OF_RANGE);
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        let t = t.to_utc();
        return if dates::supported(t.date_naive()) { Ok(t) } else { Err(out_of_range()) };
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day = if end_of_day { d.succ_opt() } else { Some(d) };
        return match day.and_then(|day| day.and_hms_opt(0, 0, 0)) {
            Some(start) if dates::supported(d) => Ok(start.and_utc()),
            _ => Err(out_of_range()),
        };
    }
    Err(ApiError::validation(field, "expected a date (YYYY-MM-DD) or an RFC 3339 time"))
}

/// `from_date`/`to_date`: the half-open period `[from, to)`; a bare `to_date` day includes
/// that whole day.
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<(Option<Timestamp>, Option<Timestamp>), ApiError> {
    let from = from.map(|f| parse_date("from_date", f, false)).transpose()?;
    let to = to.map(|t| parse_date("to_date", t, true)).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(ApiError::validation("to_date", "must be after from_date"));
        }
    }
    Ok((from, to))
}
