//! `/statistics` (admin): overview, daily usage, per-locker usage.
//!
//! The database counts and sums ([`locker_core::service::Statistics`]); the pure functions
//! below shape its figures into the seed's answers (unit-tested). A rental counts in the
//! period it was created in; its duration runs from check-in to check-out (or to the end
//! of the period while it is still live).

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use chrono::TimeDelta;
use locker_core::domain::{AuthMethod, Id, Locker, RentalState, Timestamp};
use locker_core::ports::{AlertFilter, LockerFilter, Page, RentalTally, TallyKey};
use locker_core::service::{DailyUsage, UsageOverview};
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
    let from = match from {
        Some(from) => from,
        None => to
            .checked_sub_signed(TimeDelta::days(DEFAULT_DAYS))
            .ok_or_else(|| ApiError::validation("to_date", crate::http::dates::OUT_OF_RANGE))?,
    };
    if from >= to {
        return Err(ApiError::validation("from_date", "must be before to_date"));
    }
    Ok((from, to))
}

/// The mean of `timed` durations summing to `seconds`, in whole minutes (half up); 0 for none.
fn average_minutes(timed: u64, seconds: i64) -> i64 {
    match i64::try_from(timed) {
        Ok(n) if n > 0 => (seconds / n + 30) / 60,
        _ => 0,
    }
}

/// The rentals of the groups whose key `pick` selects, summed.
fn rentals_where(tallies: &[RentalTally], pick: impl Fn(&TallyKey) -> bool) -> u64 {
    tallies.iter().filter(|t| pick(&t.key)).map(|t| t.rentals).sum()
}

fn in_states(states: &[RentalState]) -> impl Fn(&TallyKey) -> bool + '_ {
    move |key| matches!(key, TallyKey::State(s) if states.contains(s))
}

/// The overview figures (pure).
pub fn overview_of(o: &UsageOverview) -> Value {
    let live: Vec<RentalState> = RentalState::ALL.iter().copied().filter(|s| s.is_live()).collect();
    let completed = rentals_where(&o.by_state, in_states(&[RentalState::Completed]));
    let active = rentals_where(&o.by_state, in_states(&live));
    let cancelled = rentals_where(&o.by_state, in_states(&[RentalState::Cancelled, RentalState::Expired]));
    let total = rentals_where(&o.by_state, |_| true);
    let (timed, seconds) = o.by_state.iter().fold((0, 0), |(n, s), t| (n + t.timed, s + t.timed_seconds));
    let mut methods: BTreeMap<&str, u64> = BTreeMap::new();
    for m in [AuthMethod::FaceId, AuthMethod::QrCode] {
        methods.insert(m.as_str(), 0);
    }
    for t in &o.by_auth_method {
        if let TallyKey::AuthMethod(m) = t.key {
            *methods.entry(m.as_str()).or_default() += t.rentals;
        }
    }
    let mut by_hour: Vec<(u32, u64)> = o
        .by_start_hour
        .iter()
        .filter_map(|t| match t.key {
            TallyKey::Hour(h) => Some((h, t.rentals)),
            _ => None,
        })
        .collect();
    by_hour.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut peak: Vec<u32> = by_hour.iter().take(3).map(|(h, _)| *h).collect();
    peak.sort_unstable();
    // The most rentals; of equal days the first of the week (keys come Monday first).
    let busiest = o
        .by_start_weekday
        .iter()
        .filter_map(|t| t.key.weekday().map(|d| (d, t.rentals)))
        .fold(None, |best: Option<(chrono::Weekday, u64)>, (d, n)| match best {
            Some((_, most)) if most >= n => best,
            _ => Some((d, n)),
        })
        .map(|(d, _)| day_name(d));
    json!({
        "sessions": { "total": total, "completed": completed, "active": active, "cancelled": cancelled },
        "usage": {
            "average_duration_minutes": average_minutes(timed, seconds),
            "peak_hours": peak.iter().map(|h| format!("{h:02}:00")).collect::<Vec<_>>(),
            "busiest_day": busiest,
        },
        "auth_methods": methods,
    })
}

fn day_name(d: chrono::Weekday) -> &'static str {
    const NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    NAMES[d.num_days_from_monday() as usize]
}

/// `GET /statistics/overview`.
pub async fn overview(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Success<Value>, ApiError> {
    let (from, to) = resolve_period(&q, state.now())?;
    let mut body = overview_of(&state.statistics().usage_overview(from, to).await?);
    body["period"] = json!({ "from": ts(from), "to": ts(to) });
    body["lockers"] = summary(state.store().as_ref()).await?;
    let alerts = |resolved| {
        let store = state.store().clone();
        async move {
            let f = AlertFilter { resolved, ..AlertFilter::default() };
            Ok::<u64, ApiError>(store.list_alerts(&f, Page { page: 1, limit: 1 }).await?.total)
        }
    };
    body["alerts"] = json!({ "total": alerts(None).await?, "unresolved": alerts(Some(false)).await? });
    Ok(Success::data(body))
}

/// Day-by-day figures over `[from, to)` (pure): every day listed, check-ins on the day
/// they started, check-outs (and their average duration) on the day they ended.
pub fn daily_of(usage: &DailyUsage, from: Timestamp, to: Timestamp) -> Vec<Value> {
    let by_day = |tallies: &[RentalTally]| -> HashMap<chrono::NaiveDate, RentalTally> {
        tallies
            .iter()
            .filter_map(|t| match t.key {
                TallyKey::Day(d) => Some((d, t.clone())),
                _ => None,
            })
            .collect()
    };
    let (ins, outs) = (by_day(&usage.by_start_day), by_day(&usage.by_end_day));
    let mut days = Vec::new();
    let mut d = from.date_naive();
    while d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() < to {
        let out = outs.get(&d);
        days.push(json!({
            "date": d.format("%Y-%m-%d").to_string(),
            "check_ins": ins.get(&d).map_or(0, |t| t.rentals),
            "check_outs": out.map_or(0, |t| t.completed),
            "average_duration_minutes": out.map_or(0, |t| average_minutes(t.timed, t.timed_seconds)),
        }));
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    days
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
        state.store().get_locker(id).await?;
    }
    let usage = state.statistics().daily_usage(from, to, q.locker_id).await?;
    Ok(Success::data(json!({ "daily_usage": daily_of(&usage, from, to) })))
}

/// Per-locker figures (pure): sessions, hours occupied within the period, utilization.
pub fn lockers_of(lockers: &[Locker], usage: &[RentalTally], from: Timestamp, to: Timestamp) -> Vec<Value> {
    let by_locker: HashMap<Id, &RentalTally> = usage
        .iter()
        .filter_map(|t| match t.key {
            TallyKey::Locker(id) => Some((id, t)),
            _ => None,
        })
        .collect();
    let span = (to - from).num_seconds().max(1) as f64;
    lockers
        .iter()
        .map(|l| {
            let mine = by_locker.get(&l.id);
            let busy = mine.map_or(0, |t| t.busy_seconds);
            let last = mine.and_then(|t| t.last_start).max(l.last_used_at);
            json!({
                "locker_id": l.id,
                "locker_code": l.code,
                "total_sessions": mine.map_or(0, |t| t.rentals),
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
    let all = all_lockers(state.store().as_ref(), &LockerFilter::default()).await?;
    let usage = state.statistics().locker_usage(from, to).await?;
    Ok(Success::data(json!({ "locker_stats": lockers_of(&all, &usage, from, to) })))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn tally(key: TallyKey, rentals: u64) -> RentalTally {
        RentalTally { rentals, ..RentalTally::empty(key) }
    }

    fn at(h: u32, m: u32) -> Timestamp {
        NaiveDate::from_ymd_opt(2026, 1, 17).unwrap().and_hms_opt(h, m, 0).unwrap().and_utc()
    }

    #[test]
    fn overview_counts_states_methods_hours_and_days() {
        let completed =
            RentalTally { timed: 2, timed_seconds: 3600 + 1800, ..tally(TallyKey::State(RentalState::Completed), 2) };
        let o = UsageOverview {
            by_state: vec![
                tally(TallyKey::State(RentalState::Active), 1),
                completed,
                tally(TallyKey::State(RentalState::Cancelled), 1),
            ],
            by_auth_method: vec![
                tally(TallyKey::AuthMethod(AuthMethod::FaceId), 2),
                tally(TallyKey::AuthMethod(AuthMethod::QrCode), 2),
            ],
            by_start_hour: vec![
                tally(TallyKey::Hour(10), 2),
                tally(TallyKey::Hour(14), 1),
                tally(TallyKey::Hour(18), 1),
                tally(TallyKey::Hour(20), 1),
            ],
            by_start_weekday: vec![tally(TallyKey::Weekday(5), 4)],
        };
        let v = overview_of(&o);
        assert_eq!(v["sessions"], json!({ "total": 4, "completed": 2, "active": 1, "cancelled": 1 }));
        assert_eq!(v["usage"]["average_duration_minutes"], 45);
        assert_eq!(v["usage"]["peak_hours"], json!(["10:00", "14:00", "18:00"]), "ties go to the earlier hour");
        assert_eq!(v["usage"]["busiest_day"], "Saturday");
        assert_eq!(v["auth_methods"], json!({ "face_id": 2, "qr_code": 2 }));
        let empty =
            UsageOverview { by_state: vec![], by_auth_method: vec![], by_start_hour: vec![], by_start_weekday: vec![] };
        assert_eq!(overview_of(&empty)["usage"]["busiest_day"], Value::Null);
        assert_eq!(overview_of(&empty)["auth_methods"], json!({ "face_id": 0, "qr_code": 0 }));
        let tie = UsageOverview {
            by_start_weekday: vec![tally(TallyKey::Weekday(2), 3), tally(TallyKey::Weekday(4), 3)],
            ..empty
        };
        assert_eq!(overview_of(&tie)["usage"]["busiest_day"], "Wednesday", "ties go to the earlier day");
    }

    #[test]
    fn daily_lists_every_day_and_counts_check_outs_on_their_day() {
        let day = |d| TallyKey::Day(NaiveDate::from_ymd_opt(2026, 1, d).unwrap());
        let usage = DailyUsage {
            by_start_day: vec![tally(day(17), 1)],
            by_end_day: vec![RentalTally { completed: 1, timed: 1, timed_seconds: 7200, ..tally(day(18), 1) }],
        };
        let days = daily_of(&usage, at(0, 0), at(0, 0) + TimeDelta::days(2));
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

    #[test]
    fn average_minutes_rounds_half_up_and_is_zero_for_none() {
        assert_eq!(average_minutes(0, 0), 0);
        assert_eq!(average_minutes(2, 89), 1, "a mean of 44 s is 1 minute");
        assert_eq!(average_minutes(1, 29), 0);
    }
}
