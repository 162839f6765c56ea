//! `/lockers`: list with filters and summary, detail with the current session, and the
//! admin's create, update, delete and status change.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use locker_core::domain::{Id, Locker, LockerSize, LockerStatus, Money, NewLocker, Role};
use locker_core::ports::{LockerFilter, Page, RentalFilter, StatusCounts, Store, all_pages};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::controllers::controller_for_locker;
use super::views::{self, LockerRow, Paging, opt_ts, pagination, ts};
use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::guard::{AdminUser, AuthUser};

/// Station of lockers created without a controller.
pub const DEFAULT_STATION: &str = "default";

/// `GET /lockers` query: the seed's filters, and paging the seed does not have (without
/// `page` and `limit` every matching locker is listed and no `pagination` is added).
#[derive(Debug, Deserialize)]
pub struct ListLockers {
    #[serde(default)]
    status: Option<LockerStatus>,
    #[serde(default)]
    size: Option<LockerSize>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    limit: Option<u32>,
}

/// Every locker matching `filter` (all pages).
pub async fn all_lockers(store: &dyn Store, filter: &LockerFilter) -> Result<Vec<Locker>, ApiError> {
    Ok(all_pages(|page| store.list_lockers(filter, page)).await?)
}

/// The seed's `summary` of lockers by status (fields in alphabetical order, as before).
#[derive(Debug, Serialize)]
pub struct Summary {
    available: u64,
    in_use: u64,
    maintenance: u64,
    reserved: u64,
    total: u64,
}

impl From<StatusCounts> for Summary {
    fn from(c: StatusCounts) -> Self {
        Summary {
            available: c.available,
            in_use: c.in_use,
            maintenance: c.maintenance,
            reserved: c.reserved,
            total: c.total(),
        }
    }
}

/// The status summary of the whole system.
pub async fn summary(store: &dyn Store) -> Result<Value, ApiError> {
    let all = all_lockers(store, &LockerFilter::default()).await?;
    Ok(json!(Summary::from(StatusCounts::of(all.iter().map(|l| l.status)))))
}

/// The `data` of `GET /lockers`.
#[derive(Debug, Serialize)]
struct LockerList<'a> {
    lockers: Vec<LockerRow<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pagination: Option<Value>,
    summary: Summary,
}

/// Lists lockers with their status and a summary of all: one read of the locker board
/// (lockers with their controllers' names), serialised straight from it.
pub async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<ListLockers>) -> Result<Response, ApiError> {
    let filter = LockerFilter { status: q.status, size: q.size, station: None, location: q.location };
    let page = match (q.page, q.limit) {
        (None, None) => None,
        (page, limit) => Some(Paging { page, limit }.page(20)?),
    };
    let board = state.store().locker_board(&filter, page).await?;
    let list = LockerList {
        lockers: board.lockers.iter().map(|n| LockerRow::new(&n.locker, n.controller.as_deref())).collect(),
        pagination: page.map(|p| pagination(p, board.matching)),
        summary: board.summary.into(),
    };
    Ok(Success::data(list).into_response())
}

/// The live rental of a locker, if any.
pub async fn current_rental(store: &dyn Store, locker: Id) -> Result<Option<locker_core::domain::Rental>, ApiError> {
    let filter = RentalFilter { locker_id: Some(locker), live_only: true, ..RentalFilter::default() };
    Ok(store.list_rentals(&filter, Page { page: 1, limit: 1 }).await?.items.into_iter().next())
}

/// One locker with its current session.
/// The session's `id` and `user_id` are shown to admins and to the renter only: to anyone
/// else they would name another customer's rental.
pub async fn detail(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> Result<Success<Value>, ApiError> {
    let l = state.store().get_locker(id).await?;
    let names = views::controller_names(state.store().as_ref()).await?;
    let mut body = views::locker(&l, &names);
    body["current_session"] = match current_rental(state.store().as_ref(), id).await? {
        Some(r) => {
            let mut session = json!({
                "check_in_at": opt_ts(r.started_at.or(Some(r.created_at))),
                "auth_method": r.auth_method,
                "status": r.state.session_status(),
            });
            if caller.role == Role::Admin || r.user_id == Some(caller.id) {
                session["id"] = json!(r.id);
                session["user_id"] = json!(r.user_id);
            }
            session
        }
        None => Value::Null,
    };
    body["created_at"] = json!(ts(l.created_at));
    body["updated_at"] = json!(ts(l.updated_at));
    Ok(Success::data(body))
}

/// `POST /lockers` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateLocker {
    locker_code: String,
    location: String,
    size: LockerSize,
    #[serde(default)]
    esp32_id: Option<String>,
    relay_pin: u16,
    sensor_pin: u16,
    /// Price per hour in minor units (not in the seed; default 0).
    #[serde(default)]
    price_per_hour: Option<i64>,
}

fn check_location(location: &str) -> Result<String, ApiError> {
    let location = location.trim();
    if location.is_empty() || location.chars().count() > 200 {
        return Err(ApiError::validation("location", "1 to 200 characters"));
    }
    Ok(location.to_owned())
}

/// Maps the core's `code` field name to the seed's `locker_code`.
fn seed_fields(e: locker_core::Error) -> ApiError {
    let mut api = ApiError::from(e);
    if let Some(details) = api.details.as_mut() {
        if details["field"] == "code" {
            details["field"] = json!("locker_code");
        }
        if details["field"] == "controller_id" {
            details["field"] = json!("esp32_id");
        }
    }
    api
}

/// Creates a locker (admin).
pub async fn create(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiJson(body): ApiJson<CreateLocker>,
) -> Result<Success<Value>, ApiError> {
    let location = check_location(&body.location)?;
    // An unknown board is registered keyless (`v1::controllers`): seed 000 adds a locker on
    // `ESP32_002` without registering it first.
    let controller = match body.esp32_id.as_deref() {
        Some(name) => Some(controller_for_locker(state.store().as_ref(), name, state.now()).await?),
        None => None,
    };
    let price = body.price_per_hour.unwrap_or(0);
    if price < 0 {
        return Err(ApiError::validation("price_per_hour", "must not be negative"));
    }
    let new = NewLocker {
        code: body.locker_code,
        station: controller.as_ref().map_or_else(|| DEFAULT_STATION.to_owned(), |c| c.station.clone()),
        location,
        size: body.size,
        controller_id: controller.as_ref().map(|c| c.id),
        relay_channel: body.relay_pin,
        sensor_channel: body.sensor_pin,
        price_per_hour: Money(price),
    };
    let l = state.store().create_locker(new, state.now()).await.map_err(seed_fields)?;
    Ok(Success::data(json!({
        "id": l.id,
        "locker_code": l.code,
        "location": l.location,
        "size": l.size,
        "status": l.status,
        "door_state": l.door,
        "esp32_id": controller.map(|c| c.name),
        "relay_pin": l.relay_channel,
        "sensor_pin": l.sensor_channel,
    }))
    .with_message("Tạo tủ thành công")
    .with_status(StatusCode::CREATED))
}

/// `PUT /lockers/{id}` body: the fields to change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateLocker {
    #[serde(default)]
    locker_code: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    size: Option<LockerSize>,
    #[serde(default)]
    esp32_id: Option<String>,
    #[serde(default)]
    relay_pin: Option<u16>,
    #[serde(default)]
    sensor_pin: Option<u16>,
    #[serde(default)]
    price_per_hour: Option<i64>,
}

/// Updates a locker's description (admin). Status changes go through `PATCH .../status`.
pub async fn update(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiPath(id): ApiPath<Id>,
    ApiJson(body): ApiJson<UpdateLocker>,
) -> Result<Success<Value>, ApiError> {
    let mut l = state.store().get_locker(id).await?;
    if let Some(code) = body.locker_code {
        l.code = code.trim().to_owned();
    }
    if let Some(location) = body.location.as_deref() {
        l.location = check_location(location)?;
    }
    if let Some(size) = body.size {
        l.size = size;
    }
    if let Some(name) = body.esp32_id.as_deref() {
        let c = controller_for_locker(state.store().as_ref(), name, state.now()).await?;
        l.controller_id = Some(c.id);
        l.station = c.station;
    }
    if let Some(p) = body.relay_pin {
        l.relay_channel = p;
    }
    if let Some(p) = body.sensor_pin {
        l.sensor_channel = p;
    }
    if let Some(p) = body.price_per_hour {
        if p < 0 {
            return Err(ApiError::validation("price_per_hour", "must not be negative"));
        }
        l.price_per_hour = Money(p);
    }
    l.updated_at = state.now();
    state.store().update_locker(&l).await.map_err(seed_fields)?;
    Ok(Success::data(json!({ "id": l.id, "locker_code": l.code })).with_message("Cập nhật thành công"))
}

fn locker_in_use(code: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "LOCKER_IN_USE", format!("Locker {code} has a live session"))
}

/// Deletes a locker (admin); `409 LOCKER_IN_USE` while it has a live session, `409
/// CONFLICT` when past rentals refer to it (set it to maintenance instead).
pub async fn delete(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiPath(id): ApiPath<Id>,
) -> Result<Success<()>, ApiError> {
    let l = state.store().get_locker(id).await?;
    if current_rental(state.store().as_ref(), id).await?.is_some() {
        return Err(locker_in_use(&l.code));
    }
    state.store().delete_locker(id).await?;
    Ok(Success::message("Xóa tủ thành công"))
}

/// `PATCH /lockers/{id}/status` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    status: LockerStatus,
    #[serde(default)]
    reason: Option<String>,
}

/// Puts a locker into maintenance or back to available (admin), with a log row.
pub async fn set_status(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<Id>,
    ApiJson(body): ApiJson<SetStatus>,
) -> Result<Success<Value>, ApiError> {
    if !matches!(body.status, LockerStatus::Available | LockerStatus::Maintenance) {
        return Err(ApiError::validation("status", "only available or maintenance can be set by hand"));
    }
    let reason = body.reason.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if reason.chars().count() > 1000 {
        return Err(ApiError::validation("reason", "at most 1000 characters"));
    }
    // The service logs, raises the maintenance alert and announces the change over `/ws`.
    let l = state.service.set_status(id, body.status, &reason, admin.id).await?;
    Ok(Success::data(json!({ "id": l.id, "locker_code": l.code, "status": l.status }))
        .with_message("Cập nhật trạng thái thành công"))
}
