//! `/statistics` (admin): overview, daily usage, per-locker usage.
//!
//! The figures are computed here from the rentals created in the period (pure functions
//! below, unit-tested); the store answers the rentals with `query_rentals`. A rental counts
//! in the period it was created in; its duration runs from check-in to check-out (or to the
//! end of the period while it is still live).

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use chrono::{Datelike, TimeDelta, Timelike};
use locker_core::domain::{AuthMethod, Id, Locker, Rental, RentalState, Timestamp};
use locker_core::ports::{AlertFilter, LockerFilter, Page, RentalQuery, Store, all_pages};
use serde::Deserialize;
use serde_json::{Value, json};

use super::lockers::{all_lockers, summary};
use super::views::{opt_ts, period, ts};
use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;

/// Default period when `from_date` is not given: the 30 days before `to`.
pub const DEFAULT_DAYS: i64 = 30;
/// Longest period `usage/daily` lists day by day.
pub const MAX_DAYS: i64 = 366;

/// The period query of every statistics route.
#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    from_date: Option<String>,
    #[serde(default)]
    to_date: Option<String>,
    #[serde(default)]
    locker_id: Option<Id>,
}

fn resolve_period(q: &PeriodQuery, now: Timestamp) -> Result<(Timestamp, Timestamp), ApiError> {
    let (from, to) = period(q.from_date.as_deref(), q.to_date.as_deref())?;
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - TimeDelta::days(DEFAULT_DAYS));
    if from >= to {
        return Err(ApiError::validation("from_date", "must be before to_date"));
    }
    Ok((from, to))
}

async fn rentals(store: &dyn Store, query: RentalQuery) -> Result<Vec<Rental>, ApiError> {
    Ok(all_pages(|page| store.query_rentals(&query, page)).await?)
}

/// Minutes between check-in and check-out of a completed rental.
fn duration(r: &Rental, until: Timestamp) -> Option<TimeDelta> {
    let start = r.started_at.unwrap_or(r.created_at);
    let end = if r.state.is_live() { until } else { r.ended_at? };
    (end > start).then(|| end - start)
}

fn average_minutes<'a>(rs: impl Iterator<Item = &'a Rental>) -> i64 {
    let (sum, n) = rs
        .filter(|r| r.state == RentalState::Completed)
        .filter_map(|r| duration(r, r.ended_at.unwrap_or(r.created_at)))
        .fold((0i64, 0i64), |(s, n), d| (s + d.num_seconds(), n + 1));
    if n == 0 { 0 } else { (sum / n + 30) / 60 }
}

/// The overview figures of `rs` (pure).
pub fn overview_of(rs: &[Rental]) -> Value {
    let completed = rs.iter().filter(|r| r.state == RentalState::Completed).count();
    let active = rs.iter().filter(|r| r.state.is_live()).count();
    let cancelled = rs.iter().filter(|r| matches!(r.state, RentalState::Cancelled | RentalState::Expired)).count();
    let mut hours = [0u32; 24];
    let mut days = [0u32; 7];
    let mut methods: BTreeMap<&str, u64> = BTreeMap::new();
    for m in [AuthMethod::FaceId, AuthMethod::QrCode] {
        methods.insert(m.as_str(), 0);
    }
    for r in rs {
        let at = r.started_at.unwrap_or(r.created_at);
        hours[at.hour() as usize] += 1;
        days[at.weekday().num_days_from_monday() as usize] += 1;
        *methods.entry(r.auth_method.as_str()).or_default() += 1;
    }
    let mut by_hour: Vec<(usize, u32)> = hours.iter().copied().enumerate().filter(|(_, n)| *n > 0).collect();
    by_hour.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut peak: Vec<usize> = by_hour.iter().take(3).map(|(h, _)| *h).collect();
    peak.sort_unstable();
    const NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let busiest = days
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .map(|(d, _)| NAMES[d]);
    json!({
        "sessions": { "total": rs.len(), "completed": completed, "active": active, "cancelled": cancelled },
        "usage": {
            "average_duration_minutes": average_minutes(rs.iter()),
            "peak_hours": peak.iter().map(|h| format!("{h:02}:00")).collect::<Vec<_>>(),
            "busiest_day": busiest,
        },
        "auth_methods": methods,
    })
}

/// `GET /statistics/overview`.
pub async fn overview(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Success<Value>, ApiError> {
    let (from, to) = resolve_period(&q, state.now())?;
    let rs =
        rentals(state.store.as_ref(), RentalQuery { from: Some(from), to: Some(to), ..RentalQuery::default() }).await?;
    let mut body = overview_of(&rs);
    body["period"] = json!({ "from": ts(from), "to": ts(to) });
    body["lockers"] = summary(state.store.as_ref()).await?;
    let alerts = |resolved| {
        let store = state.store.clone();
        async move {
            let f = AlertFilter { resolved, ..AlertFilter::default() };
            Ok::<u64, ApiError>(store.list_alerts(&f, Page { page: 1, limit: 1 }).await?.total)
        }
    };
    body["alerts"] = json!({ "total": alerts(None).await?, "unresolved": alerts(Some(false)).await? });
    Ok(Success::data(body))
}

/// Day-by-day figures of `rs` over `[from, to)` (pure).
pub fn daily_of(rs: &[Rental], from: Timestamp, to: Timestamp) -> Vec<Value> {
    let mut days: BTreeMap<chrono::NaiveDate, (u64, u64, Vec<&Rental>)> = BTreeMap::new();
    let mut d = from.date_naive();
    while d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() < to {
        days.insert(d, (0, 0, Vec::new()));
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    for r in rs {
        if let Some(day) = days.get_mut(&r.started_at.unwrap_or(r.created_at).date_naive()) {
            day.0 += 1;
        }
        if r.state == RentalState::Completed {
            if let Some(day) = r.ended_at.and_then(|e| days.get_mut(&e.date_naive())) {
                day.1 += 1;
                day.2.push(r);
            }
        }
    }
    days.into_iter()
        .map(|(date, (ins, outs, done))| {
            json!({
                "date": date.format("%Y-%m-%d").to_string(),
                "check_ins": ins,
                "check_outs": outs,
                "average_duration_minutes": average_minutes(done.into_iter()),
            })
        })
        .collect()
}

/// `GET /statistics/usage/daily`.
pub async fn daily(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Success<Value>, ApiError> {
    let (from, to) = resolve_period(&q, state.now())?;
    if to - from > TimeDelta::days(MAX_DAYS) {
        return Err(ApiError::validation("from_date", format!("the period is at most {MAX_DAYS} days")));
    }
    if let Some(id) = q.locker_id {
        state.store.get_locker(id).await?;
    }
    let query = RentalQuery { locker_id: q.locker_id, from: Some(from), to: Some(to), ..RentalQuery::default() };
    let rs = rentals(state.store.as_ref(), query).await?;
    Ok(Success::data(json!({ "daily_usage": daily_of(&rs, from, to) })))
}

/// Per-locker figures (pure): sessions, hours occupied within the period, utilization.
pub fn lockers_of(lockers: &[Locker], rs: &[Rental], from: Timestamp, to: Timestamp) -> Vec<Value> {
    let mut by_locker: HashMap<Id, Vec<&Rental>> = HashMap::new();
    for r in rs {
        by_locker.entry(r.locker_id).or_default().push(r);
    }
    let span = (to - from).num_seconds().max(1) as f64;
    lockers
        .iter()
        .map(|l| {
            let mine = by_locker.get(&l.id).map(Vec::as_slice).unwrap_or_default();
            let busy: i64 = mine
                .iter()
                .filter_map(|r| {
                    let start = r.started_at.unwrap_or(r.created_at).max(from);
                    let end = if r.state.is_live() { to } else { r.ended_at?.min(to) };
                    (end > start).then(|| (end - start).num_seconds())
                })
                .sum();
            let last = mine.iter().map(|r| r.started_at.unwrap_or(r.created_at)).max().max(l.last_used_at);
            json!({
                "locker_id": l.id,
                "locker_code": l.code,
                "total_sessions": mine.len(),
                "total_duration_hours": (busy as f64 / 36.0).round() / 100.0,
                "utilization_rate": ((busy as f64 / span) * 10000.0).round() / 10000.0,
                "last_used_at": opt_ts(last),
            })
        })
        .collect()
}

/// `GET /statistics/lockers`.
pub async fn lockers(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Success<Value>, ApiError> {
    let (from, to) = resolve_period(&q, state.now())?;
    let all = all_lockers(state.store.as_ref(), &LockerFilter::default()).await?;
    let rs =
        rentals(state.store.as_ref(), RentalQuery { from: Some(from), to: Some(to), ..RentalQuery::default() }).await?;
    Ok(Success::data(json!({ "locker_stats": lockers_of(&all, &rs, from, to) })))
}

#[cfg(test)]
mod tests {
    use locker_core::domain::{Money, RentalKind, new_id};

    use super::*;

    fn at(h: u32, m: u32) -> Timestamp {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 17).unwrap().and_hms_opt(h, m, 0).unwrap().and_utc()
    }

    fn rental(locker: Id, state: RentalState, start: Timestamp, end: Option<Timestamp>, m: AuthMethod) -> Rental {
        Rental {
            id: new_id(),
            locker_id: locker,
            user_id: None,
            kind: RentalKind::Session,
            state,
            auth_method: m,
            half_hours: 0,
            price_per_hour: Money(0),
            amount: Money(0),
            created_at: start,
            started_at: Some(start),
            paid_until: None,
            last_access_at: None,
            ended_at: end,
        }
    }

    #[test]
    fn overview_counts_states_methods_hours_and_days() {
        let l = new_id();
        let rs = vec![
            rental(l, RentalState::Completed, at(10, 0), Some(at(11, 0)), AuthMethod::FaceId),
            rental(l, RentalState::Completed, at(10, 30), Some(at(11, 0)), AuthMethod::QrCode),
            rental(l, RentalState::Active, at(14, 0), None, AuthMethod::FaceId),
            rental(l, RentalState::Cancelled, at(18, 0), Some(at(18, 1)), AuthMethod::QrCode),
        ];
        let v = overview_of(&rs);
        assert_eq!(v["sessions"], json!({ "total": 4, "completed": 2, "active": 1, "cancelled": 1 }));
        assert_eq!(v["usage"]["average_duration_minutes"], 45);
        assert_eq!(v["usage"]["peak_hours"], json!(["10:00", "14:00", "18:00"]));
        assert_eq!(v["usage"]["busiest_day"], "Saturday", "2026-01-17 is a Saturday");
        assert_eq!(v["auth_methods"], json!({ "face_id": 2, "qr_code": 2 }));
        assert_eq!(overview_of(&[])["usage"]["busiest_day"], Value::Null);
    }

    #[test]
    fn daily_lists_every_day_and_counts_check_outs_on_their_day() {
        let l = new_id();
        let rs = vec![rental(
            l,
            RentalState::Completed,
            at(23, 0),
            Some(at(23, 0) + TimeDelta::hours(2)),
            AuthMethod::FaceId,
        )];
        let days = daily_of(&rs, at(0, 0), at(0, 0) + TimeDelta::days(2));
        assert_eq!(days.len(), 2);
        assert_eq!(
            days[0],
            json!({ "date": "2026-01-17", "check_ins": 1, "check_outs": 0, "average_duration_minutes": 0 })
        );
        assert_eq!(
            days[1],
            json!({ "date": "2026-01-18", "check_ins": 0, "check_outs": 1, "average_duration_minutes": 120 })
        );
    }
}
