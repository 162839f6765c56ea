//! Operations (admin only): dashboard statistics, revenue, every order, cabinet and
//! device management, alerts.
//!
//! Choices the seed leaves open:
//! - `days` is 1 to 366 (default 7 for stats, 30 for revenue), counted back from today in
//!   UTC+08:00; `orders` of the stats counts orders created in that period, `overview`
//!   everything. `daily_orders` and `peak_hours` list only days and hours with orders;
//!   `peak_hours` are UTC hours, as the seed's example counts orders made at 20:26 +08:00
//!   at hour 12.
//! - Revenue is what payments took in the period (payment time): order payments and
//!   extensions, by balance or provider; `total_orders` counts the distinct orders paid.
//! - `GET /api/admin/orders/` answers `{total, page, page_size, results}`; `from`/`to` are
//!   dates (`YYYY-MM-DD`, UTC+08:00, both inclusive); `page_size` is 1 to 100.
//! - Cabinet `status` may be set to `available` or `maintenance` (not while an order or
//!   session holds the cabinet); `in_use` belongs to rentals and is refused.
//! - Alerts are computed from the current state each time: `device_offline` (active device
//!   silent 10 minutes), `low_battery` (under 20 %), `order_overdue` (a paid or in-use order
//!   past its end), `cabinet_maintenance`.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use chrono::{NaiveDate, TimeDelta};
use locker_core::domain::{Controller, Id, LockerStatus, Money, NewTxLog, RentalKind, RentalState, Timestamp};
use locker_core::orders::DeviceProfile;
use locker_core::ports::{LockerFilter, Page, PaymentKey, PaymentTally, RentalQuery, TallyKey, UserFilter};
use serde_json::{Value, json};

use super::auth::AdminCaller;
use super::cabinets::{ListQuery, all_lockers};
use super::envelope::{
    Body, Entity, Fail, Reply, money, optional_bool, optional_str, query_int, query_pairs, query_value, required_str,
};
use super::orders::{order_of, orders_matching};
use super::views::{cabinet_status, cst, local_date, local_time, money_number, states_of};
use super::{CabinetsState, all_pages};

/// Battery level under which a `low_battery` alert shows.
pub const LOW_BATTERY_PERCENT: u8 = locker_core::service::LOW_BATTERY_PERCENT;

/// The first instant of the period of `days` days ending today (UTC+08:00).
fn period_start(now: Timestamp, days: u32) -> Timestamp {
    let first = local_date(now) - TimeDelta::days(i64::from(days) - 1);
    local_midnight(first)
}

/// Midnight of `date` in UTC+08:00, as UTC.
fn local_midnight(date: NaiveDate) -> Timestamp {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    (midnight - TimeDelta::hours(8)).and_utc()
}

async fn controllers(state: &CabinetsState) -> Result<Vec<Controller>, Fail> {
    all_pages(|p| state.store.list_controllers(p)).await
}

/// `GET /api/admin/stats/?days=7`.
pub async fn stats(
    State(state): State<CabinetsState>,
    _admin: AdminCaller,
    RawQuery(q): RawQuery,
) -> Result<Reply, Fail> {
    let days = query_int(&query_pairs(q.as_deref()), "days", 7, 1..=366)?;
    let now = state.now();
    let users = state
        .store
        .list_users(&UserFilter::default(), Page::new(1, 1).map_err(Fail::core)?)
        .await
        .map_err(Fail::core)?
        .total;
    let orders = state.statistics().order_figures(period_start(now, days), cst()).await.map_err(Fail::core)?;
    let lockers = all_lockers(state.store.as_ref(), &LockerFilter::default()).await?;
    let devices = controllers(&state).await?;
    let with_status = |status: &str| -> u64 {
        orders
            .by_state
            .iter()
            .filter(|t| matches!(t.key, TallyKey::State(s) if s.order_status() == status))
            .map(|t| t.rentals)
            .sum()
    };
    let total_amount: i64 = orders.by_state.iter().map(|t| t.order_total.minor()).sum();
    let daily = orders.by_day.iter().filter_map(|t| match t.key {
        TallyKey::Day(d) => Some(json!({ "date": d.to_string(), "count": t.rentals })),
        _ => None,
    });
    let hours = orders.by_utc_hour.iter().filter_map(|t| match t.key {
        TallyKey::Hour(h) => Some(json!({ "hour": h, "count": t.rentals })),
        _ => None,
    });
    let status_count = |s: &str| lockers.iter().filter(|l| cabinet_status(l.status) == s).count();
    let online = devices.iter().filter(|d| d.is_online(now)).count();
    Ok(Reply::success(json!({
        "overview": {
            "total_users": users,
            "total_orders": orders.all_time,
            "total_cabinets": lockers.len(),
            "total_devices": devices.len(),
        },
        "orders": {
            "total": orders.by_state.iter().map(|t| t.rentals).sum::<u64>(),
            "completed": with_status(RentalState::Completed.order_status()),
            "cancelled": with_status("cancelled"),
            "total_amount": money_number(Money(total_amount)),
        },
        "cabinets": {
            "total": lockers.len(),
            "available": status_count("available"),
            "in_use": status_count("in_use"),
            "maintenance": status_count("maintenance"),
        },
        "devices": { "total": devices.len(), "online": online, "offline": devices.len() - online },
        "daily_orders": daily.collect::<Vec<_>>(),
        "peak_hours": hours.collect::<Vec<_>>(),
    })))
}

/// A payment group as the seed shows it: `revenue` in major units and distinct `orders`.
fn revenue_json(key: (&str, Value), t: &PaymentTally) -> Value {
    json!({ key.0: key.1, "revenue": money_number(t.amount), "orders": t.orders })
}

/// `GET /api/admin/revenue/?days=30`.
pub async fn revenue(
    State(state): State<CabinetsState>,
    _admin: AdminCaller,
    RawQuery(q): RawQuery,
) -> Result<Reply, Fail> {
    let days = query_int(&query_pairs(q.as_deref()), "days", 30, 1..=366)?;
    let now = state.now();
    let revenue = state
        .statistics()
        .revenue(period_start(now, days), now + TimeDelta::seconds(1), cst())
        .await
        .map_err(Fail::core)?;
    let (minor, orders) = revenue.total.as_ref().map_or((0, 0), |t| (t.amount.minor(), t.orders));
    let average = if orders == 0 { 0.0 } else { money_number(Money(minor)) / orders as f64 };
    let daily = revenue.by_day.iter().filter_map(|t| match &t.key {
        PaymentKey::Day(d) => Some(revenue_json(("date", json!(d.to_string())), t)),
        _ => None,
    });
    let stations = revenue.by_station.iter().filter_map(|t| match &t.key {
        PaymentKey::Station(s) => Some(revenue_json(("station", json!(s)), t)),
        _ => None,
    });
    Ok(Reply::success(json!({
        "total_revenue": money_number(Money(minor)),
        "total_orders": orders,
        "average_order": (average * 100.0).round() / 100.0,
        "daily_revenue": daily.collect::<Vec<_>>(),
        "station_revenue": stations.collect::<Vec<_>>(),
    })))
}

/// A `YYYY-MM-DD` query parameter, in years 0001 to 9999 ([`crate::http::dates`]).
fn date_param(pairs: &[(String, String)], key: &str) -> Result<Option<NaiveDate>, Fail> {
    let parse = |v: &str| match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if crate::http::dates::supported(d) => Ok(d),
        Ok(_) => Err(Fail::invalid(key, crate::http::dates::OUT_OF_RANGE)),
        Err(_) => Err(Fail::invalid(key, "a date like 2026-01-19")),
    };
    query_value(pairs, key).map(parse).transpose()
}

/// `GET /api/admin/orders/?status&station&from&to&page&page_size`.
pub async fn orders(
    State(state): State<CabinetsState>,
    _admin: AdminCaller,
    RawQuery(q): RawQuery,
) -> Result<Reply, Fail> {
    let pairs = query_pairs(q.as_deref());
    let mut query = RentalQuery::default();
    if let Some(s) = query_value(&pairs, "status") {
        query.states =
            states_of(s).ok_or_else(|| Fail::invalid("status", "pending, paid, in_use, completed or cancelled"))?;
    }
    query.from = date_param(&pairs, "from")?.map(local_midnight);
    // The day after a supported date exists (9999-12-31 is followed by 10000-01-01).
    query.to = date_param(&pairs, "to")?.and_then(|d| d.succ_opt()).map(local_midnight);
    let page = query_int(&pairs, "page", 1, 1..=u32::MAX)?;
    let page_size = query_int(&pairs, "page_size", 20, 1..=100)?;
    query.kind = Some(RentalKind::Order);
    query.station = query_value(&pairs, "station").map(str::to_owned);
    // The database filters, counts and pages; only this page's orders are read further.
    let found = state.store.query_rentals(&query, Page::new(page, page_size).map_err(Fail::core)?).await;
    let found = found.map_err(Fail::core)?;
    let mut results = Vec::new();
    for rental in found.items {
        let order = order_of(&state, rental).await?;
        let phone = match order.rental.user_id {
            Some(id) => state.store.get_user(id).await.map_err(Fail::core)?.phone,
            None => None,
        };
        let mut item = order.list_json();
        item["user_phone"] = json!(phone);
        item["station"] = json!(order.locker.station);
        results.push(item);
    }
    Ok(Reply::success(json!({ "total": found.total, "page": page, "page_size": page_size, "results": results })))
}

/// `GET /api/admin/cabinets/`: the cabinet list with the same filters.
pub async fn cabinets(
    State(state): State<CabinetsState>,
    _admin: AdminCaller,
    RawQuery(q): RawQuery,
) -> Result<Reply, Fail> {
    Ok(Reply::success(ListQuery::parse(q.as_deref())?.run(&state).await?))
}

/// `PUT /api/admin/cabinets/`: status, price, location, and the wiring (`device_id`,
/// `channel`: attach a device to a cabinet made without one); `更新成功`. The status and
/// the wiring of a cabinet held by an order or session do not change.
pub async fn update_cabinet(
    State(state): State<CabinetsState>,
    AdminCaller(admin): AdminCaller,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let code = required_str(&body, "cabinet_id")?.trim();
    let status = match optional_str(&body, "status")? {
        None => None,
        Some("available") => Some(LockerStatus::Available),
        Some("maintenance") => Some(LockerStatus::Maintenance),
        Some("in_use") => return Err(Fail::invalid("status", "in_use is set by orders and sessions, not by hand")),
        Some(_) => return Err(Fail::invalid("status", "available or maintenance")),
    };
    let price = money(&body, "price_per_hour")?;
    let location = optional_str(&body, "location")?.map(str::trim).filter(|l| !l.is_empty());
    let (device, channel) = super::cabinets::wiring(&state, &body).await?;
    let wiring_asked = device.is_some() || channel.is_some();
    let mut locker = state.store.get_locker_by_code(code).await.map_err(|e| Fail::from_core(e, Entity::Cabinet))?;
    let status = status.filter(|s| *s != locker.status);
    let device = device.or(locker.controller_id);
    let channel = channel.map_or((locker.relay_channel, locker.sensor_channel), |c| (c, c));
    let rewired = device != locker.controller_id || channel != (locker.relay_channel, locker.sensor_channel);
    if (status.is_some() || rewired) && matches!(locker.status, LockerStatus::Reserved | LockerStatus::InUse) {
        return Err(Fail::refused("柜子不可用", format!("cabinet {code} is held by an order or session")));
    }
    let now = state.now();
    if price.is_some() || location.is_some() || rewired {
        locker.price_per_hour = price.unwrap_or(locker.price_per_hour);
        locker.location = location.map_or(locker.location, str::to_owned);
        locker.controller_id = device;
        (locker.relay_channel, locker.sensor_channel) = channel;
        locker.updated_at = now;
        locker = state.store.update_locker(&locker).await.map_err(Fail::core)?;
    }
    if let Some(status) = status {
        let log = NewTxLog::status_change(&locker, status, "PUT /api/admin/cabinets/", now).by_admin(admin.id);
        locker = state.store.set_locker_status(locker.id, status, log, now).await.map_err(Fail::core)?;
    }
    let mut data = json!({
        "cabinet_id": locker.code,
        "price_per_hour": locker.price_per_hour.to_string(),
        "status": cabinet_status(locker.status),
    });
    // The seed's answer, plus the wiring when the request asked for one.
    if wiring_asked {
        data["device_id"] = match locker.controller_id {
            Some(id) => json!(state.store.get_controller(id).await.map_err(Fail::core)?.name),
            None => Value::Null,
        };
    }
    Ok(Reply::ok("更新成功", data))
}

/// A device as the admin sees it.
fn device_json(c: &Controller, profile: Option<&DeviceProfile>, now: Timestamp) -> Value {
    json!({
        "device_id": c.name,
        "name": profile.and_then(|p| p.display_name.clone()).unwrap_or_else(|| c.name.clone()),
        "station": c.station,
        "location": profile.and_then(|p| p.location.clone()),
        "is_active": c.active,
        "status": if c.is_online(now) { "online" } else { "offline" },
        "battery_level": c.battery_percent,
        "last_heartbeat": c.last_heartbeat_at.map(local_time),
    })
}

/// `GET /api/admin/devices/`.
pub async fn devices(State(state): State<CabinetsState>, _admin: AdminCaller) -> Result<Reply, Fail> {
    let profiles = state.store.device_profiles().await.map_err(Fail::core)?;
    let now = state.now();
    let items: Vec<Value> =
        controllers(&state).await?.iter().map(|c| device_json(c, profiles.get(&c.id), now)).collect();
    Ok(Reply::success(Value::Array(items)))
}

/// `PUT /api/admin/devices/`: name, station, location, active; `更新成功` with the device.
pub async fn update_device(
    State(state): State<CabinetsState>,
    _admin: AdminCaller,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let name = required_str(&body, "device_id")?.trim();
    let display_name = optional_str(&body, "name")?.map(str::trim).map(str::to_owned);
    let station = optional_str(&body, "station")?.map(str::trim).map(str::to_owned);
    let location = optional_str(&body, "location")?.map(str::trim).map(str::to_owned);
    let active = optional_bool(&body, "is_active")?;
    let mut controller =
        state.store.get_controller_by_name(name).await.map_err(|e| Fail::from_core(e, Entity::Device))?;
    if station.is_some() || active.is_some() {
        controller.station = station.unwrap_or(controller.station);
        controller.active = active.unwrap_or(controller.active);
        controller = state.store.update_controller(&controller).await.map_err(Fail::core)?;
    }
    let mut profiles: HashMap<Id, DeviceProfile> = state.store.device_profiles().await.map_err(Fail::core)?;
    let mut profile = profiles.remove(&controller.id).unwrap_or_default();
    if display_name.is_some() || location.is_some() {
        profile.display_name = display_name.or(profile.display_name);
        profile.location = location.or(profile.location);
        state.store.set_device_profile(controller.id, &profile).await.map_err(Fail::core)?;
    }
    Ok(Reply::ok("更新成功", device_json(&controller, Some(&profile), state.now())))
}

/// One computed alert.
fn alert(
    kind: &str,
    level: &str,
    title: &str,
    message: String,
    device: Option<&Controller>,
    station: &str,
    at: Timestamp,
) -> Value {
    json!({
        "type": kind,
        "level": level,
        "title": title,
        "message": message,
        "device_id": device.map(|d| d.name.clone()),
        "station": station,
        "created_at": at.with_timezone(&cst()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
    })
}

/// `GET /api/admin/alerts/`: `{total, alerts}`, computed from the current state.
pub async fn alerts(State(state): State<CabinetsState>, _admin: AdminCaller) -> Result<Reply, Fail> {
    let now = state.now();
    let devices = controllers(&state).await?;
    let by_id: HashMap<Id, &Controller> = devices.iter().map(|d| (d.id, d)).collect();
    let mut out = Vec::new();
    for d in devices.iter().filter(|d| d.active) {
        if !d.is_online(now) {
            let since = d.last_heartbeat_at.unwrap_or(d.created_at) + Controller::OFFLINE_AFTER;
            out.push(alert(
                "device_offline",
                "warning",
                "设备离线",
                format!("设备 {} ({}) 已离线", d.name, d.station),
                Some(d),
                &d.station,
                since,
            ));
        }
        if let Some(b) = d.battery_percent.filter(|b| *b < LOW_BATTERY_PERCENT) {
            let at = d.last_heartbeat_at.unwrap_or(d.created_at);
            out.push(alert(
                "low_battery",
                "warning",
                "电量低",
                format!("设备 {} ({}) 电量仅剩 {b}%", d.name, d.station),
                Some(d),
                &d.station,
                at,
            ));
        }
    }
    let lockers = all_lockers(state.store.as_ref(), &LockerFilter::default()).await?;
    let live = RentalQuery {
        states: vec![RentalState::Reserved, RentalState::Opening, RentalState::Active],
        ..Default::default()
    };
    for rental in orders_matching(&state, &live).await? {
        let Some(end) = rental.paid_until.filter(|end| now > *end) else { continue };
        let order = order_of(&state, rental).await?;
        let device = order.locker.controller_id.and_then(|c| by_id.get(&c).copied());
        let mut a = alert(
            "order_overdue",
            "warning",
            "订单逾期",
            format!("柜子 {} 的订单 {} 已超过结束时间未取件", order.locker.code, order.number),
            device,
            &order.locker.station,
            end,
        );
        a["cabinet_id"] = json!(order.locker.code);
        a["order_id"] = json!(order.number);
        out.push(a);
    }
    for l in lockers.iter().filter(|l| l.status == LockerStatus::Maintenance) {
        let device = l.controller_id.and_then(|c| by_id.get(&c).copied());
        let mut a = alert(
            "cabinet_maintenance",
            "info",
            "柜子维护中",
            format!("柜子 {} ({}) 维护中", l.code, l.station),
            device,
            &l.station,
            l.updated_at,
        );
        a["cabinet_id"] = json!(l.code);
        out.push(a);
    }
    Ok(Reply::success(json!({ "total": out.len(), "alerts": out })))
}
