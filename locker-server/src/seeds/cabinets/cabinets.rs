//! Cabinets (the lockers of `/api/v1`): list with filters, available, create (admin),
//! detail, real-time status.
//!
//! `id` is the locker's integer number, `cabinet_id` its code, `status` the seed's
//! `available/in_use/maintenance` (a locker held by a pending or paid order is `in_use`).
//! Create takes the seed's fields plus, optionally, `device_id` (the controller's name) and
//! `channel` (its relay and sensor channel, default 1), so a cabinet can be wired at once;
//! `PUT /api/admin/cabinets/` takes the same two to wire it later. A cabinet with no device
//! cannot be ordered (`400 柜子不可用`): nobody could open it.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use locker_core::domain::{Id, Locker, LockerSize, LockerStatus, NewLocker};
use locker_core::ports::{LockerFilter, Store};
use serde_json::{Map, Value, json};

use super::CabinetsState;
use super::auth::AdminCaller;
use super::envelope::{Body, Entity, Fail, PathText, Reply, money, query_pairs, query_value, required_str};
use super::views::{cabinet_status, cabinet_status_display, is_locked, size_display};

/// Every locker matching `filter`, ordered by code.
pub async fn all_lockers(store: &dyn Store, filter: &LockerFilter) -> Result<Vec<Locker>, Fail> {
    super::all_pages(|page| store.list_lockers(filter, page)).await
}

/// The list item of the seed.
pub fn cabinet_json(locker: &Locker, numbers: &HashMap<Id, i64>) -> Value {
    json!({
        "id": numbers.get(&locker.id).copied().unwrap_or_default(),
        "cabinet_id": locker.code,
        "size": locker.size,
        "size_display": size_display(locker.size),
        "location": locker.location,
        "station": locker.station,
        "status": cabinet_status(locker.status),
        "status_display": cabinet_status_display(locker.status),
        "price_per_hour": locker.price_per_hour.to_string(),
    })
}

/// The filters of the list (`station`, `size`, `status`, `available`), checked.
pub struct ListQuery {
    filter: LockerFilter,
    /// `in_use` covers two locker statuses, so it is applied after the store's filter.
    status: Option<&'static str>,
}

impl ListQuery {
    /// Parses the seed's query parameters.
    pub fn parse(query: Option<&str>) -> Result<Self, Fail> {
        let pairs = query_pairs(query);
        let mut filter =
            LockerFilter { station: query_value(&pairs, "station").map(str::to_owned), ..Default::default() };
        if let Some(size) = query_value(&pairs, "size") {
            filter.size =
                Some(size.parse::<LockerSize>().map_err(|_| Fail::invalid("size", "small, medium or large"))?);
        }
        let mut status = match query_value(&pairs, "status") {
            None => None,
            Some("available") => Some("available"),
            Some("in_use") => Some("in_use"),
            Some("maintenance") => Some("maintenance"),
            Some(_) => return Err(Fail::invalid("status", "available, in_use or maintenance")),
        };
        match query_value(&pairs, "available") {
            None | Some("false") => {}
            Some("true") => {
                if status.is_some_and(|s| s != "available") {
                    return Err(Fail::invalid("available", "contradicts status"));
                }
                status = Some("available");
            }
            Some(_) => return Err(Fail::invalid("available", "true or false")),
        }
        match status {
            Some("available") => filter.status = Some(LockerStatus::Available),
            Some("maintenance") => filter.status = Some(LockerStatus::Maintenance),
            _ => {}
        }
        Ok(Self { filter, status })
    }

    /// The matching cabinets, rendered.
    pub async fn run(&self, state: &CabinetsState) -> Result<Value, Fail> {
        let lockers = all_lockers(state.store.as_ref(), &self.filter).await?;
        let numbers = state.store.locker_numbers().await.map_err(Fail::core)?;
        let items: Vec<Value> = lockers
            .iter()
            .filter(|l| self.status.is_none_or(|s| cabinet_status(l.status) == s))
            .map(|l| cabinet_json(l, &numbers))
            .collect();
        Ok(Value::Array(items))
    }
}

/// `GET /api/cabinets/?station&size&status&available`.
pub async fn list(State(state): State<CabinetsState>, RawQuery(query): RawQuery) -> Result<Reply, Fail> {
    Ok(Reply::success(ListQuery::parse(query.as_deref())?.run(&state).await?))
}

/// `GET /api/cabinets/available/?station&size`.
pub async fn available(State(state): State<CabinetsState>, RawQuery(query): RawQuery) -> Result<Reply, Fail> {
    let mut q = ListQuery::parse(query.as_deref())?;
    q.filter.status = Some(LockerStatus::Available);
    q.status = Some("available");
    Ok(Reply::success(q.run(&state).await?))
}

/// A cabinet's code from the path, and the locker (`404 柜子不存在` when there is none).
pub async fn locker_of(state: &CabinetsState, code: &str) -> Result<Locker, Fail> {
    state.store.get_locker_by_code(code).await.map_err(|e| Fail::from_core(e, Entity::Cabinet))
}

/// The number of `locker`.
pub async fn number_of(state: &CabinetsState, locker: &Locker) -> Result<i64, Fail> {
    let numbers = state.store.locker_numbers().await.map_err(Fail::core)?;
    numbers.get(&locker.id).copied().ok_or_else(|| Fail::not_found(Entity::Cabinet, &locker.code))
}

/// The optional wiring of a cabinet in a body: `device_id` (a registered device's name,
/// `404 设备不存在` otherwise) and `channel` (its relay and sensor channel, 1 to 65535).
pub async fn wiring(state: &CabinetsState, body: &Map<String, Value>) -> Result<(Option<Id>, Option<u16>), Fail> {
    let controller_id = match super::envelope::optional_str(body, "device_id")? {
        None => None,
        Some(name) => {
            Some(state.store.get_controller_by_name(name).await.map_err(|e| Fail::from_core(e, Entity::Device))?.id)
        }
    };
    let channel = match body.get("channel") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .filter(|c| *c >= 1)
                .ok_or_else(|| Fail::invalid("channel", "an integer from 1 to 65535"))?,
        ),
    };
    Ok((controller_id, channel))
}

/// Parses a cabinet creation.
async fn new_cabinet(state: &CabinetsState, body: &Map<String, Value>) -> Result<NewLocker, Fail> {
    let code = required_str(body, "cabinet_id")?.trim().to_owned();
    let size = required_str(body, "size")?
        .parse::<LockerSize>()
        .map_err(|_| Fail::invalid("size", "small, medium or large"))?;
    let location = required_str(body, "location")?.trim().to_owned();
    let station = required_str(body, "station")?.trim().to_owned();
    let price =
        money(body, "price_per_hour")?.ok_or_else(|| Fail::invalid("price_per_hour", "this field is required"))?;
    let (controller_id, channel) = wiring(state, body).await?;
    let channel = channel.unwrap_or(1);
    let new = NewLocker {
        code,
        station,
        location,
        size,
        controller_id,
        relay_channel: channel,
        sensor_channel: channel,
        price_per_hour: price,
    };
    new.validate().map_err(|e| match e {
        locker_core::Error::Validation { field, message } if field == "code" => Fail::invalid("cabinet_id", message),
        other => Fail::core(other),
    })?;
    Ok(new)
}

/// `POST /api/cabinets/create/` (admin): `201 创建成功`.
pub async fn create(State(state): State<CabinetsState>, _admin: AdminCaller, Body(body): Body) -> Result<Reply, Fail> {
    let new = new_cabinet(&state, &body).await?;
    let locker = state.store.create_locker(new, state.now()).await.map_err(|e| match e {
        locker_core::Error::AlreadyExists { value, .. } => Fail {
            data: json!({ "field": "cabinet_id", "detail": format!("cabinet {value} exists") }),
            ..Fail::invalid("cabinet_id", "")
        },
        other => Fail::core(other),
    })?;
    let id = number_of(&state, &locker).await?;
    Ok(Reply::created(
        "创建成功",
        json!({
            "id": id,
            "cabinet_id": locker.code,
            "size": locker.size,
            "location": locker.location,
            "station": locker.station,
            "status": cabinet_status(locker.status),
            "price_per_hour": locker.price_per_hour.to_string(),
        }),
    ))
}

/// `GET /api/cabinets/<cabinet_id>/`: the list item plus `device_id` and `is_locked`.
pub async fn detail(State(state): State<CabinetsState>, PathText(path): PathText) -> Result<Reply, Fail> {
    let locker = locker_of(&state, &path).await?;
    let numbers = state.store.locker_numbers().await.map_err(Fail::core)?;
    let device = match locker.controller_id {
        Some(id) => Some(state.store.get_controller(id).await.map_err(Fail::core)?.name),
        None => None,
    };
    let mut v = cabinet_json(&locker, &numbers);
    v["device_id"] = json!(device);
    v["is_locked"] = json!(is_locked(&locker));
    Ok(Reply::success(v))
}

/// `GET /api/cabinets/<cabinet_id>/status/`: status, price and door, read now.
pub async fn status(State(state): State<CabinetsState>, PathText(path): PathText) -> Result<Reply, Fail> {
    let locker = locker_of(&state, &path).await?;
    let id = number_of(&state, &locker).await?;
    Ok(Reply::success(json!({
        "id": id,
        "cabinet_id": locker.code,
        "size": locker.size,
        "status": cabinet_status(locker.status),
        "status_display": cabinet_status_display(locker.status),
        "price_per_hour": locker.price_per_hour.to_string(),
        "is_locked": is_locked(&locker),
    })))
}
