//! `/controllers` (admin): list the lock-controller boards with their online state, register
//! one, and issue or rotate its device API key.
//!
//! A key is returned once, in the answer that makes it; only its SHA-256 is stored (the same
//! core calls as `locker controllers add|rotate-key`: [`apikey::generate`] and
//! [`apikey::rotate`]). A board can also be registered without a key: `POST /lockers`
//! naming an unknown `esp32_id` registers it keyless ([`controller_for_locker`]), and
//! `POST /controllers/{id}/key` issues its first key later.

use axum::extract::State;
use axum::http::StatusCode;
use locker_core::domain::{Controller, NewController, Timestamp};
use locker_core::ports::Store;
use locker_core::token::apikey;
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::{Paging, opt_ts, pagination, ts};
use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::guard::AdminUser;

/// Station of a board registered without one (as `locker controllers add` defaults).
pub const DEFAULT_STATION: &str = "main";

/// A controller as the console and the API show it (never its key).
pub fn view(c: &Controller, now: Timestamp) -> Value {
    json!({
        "id": c.id,
        "esp32_id": c.name,
        "station": c.station,
        "is_online": c.is_online(now),
        "last_heartbeat_at": opt_ts(c.last_heartbeat_at),
        "battery_level": c.battery_percent,
        "firmware_version": c.firmware,
        "is_active": c.active,
        "created_at": ts(c.created_at),
    })
}

/// `GET /controllers`: every board (paged when `page` or `limit` is given, 50 by default).
pub async fn list(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Success<Value>, ApiError> {
    let page = paging.page(50)?;
    let found = state.store().list_controllers(page).await?;
    let now = state.now();
    let online = found.items.iter().filter(|c| c.is_online(now)).count();
    Ok(Success::data(json!({
        "controllers": found.items.iter().map(|c| view(c, now)).collect::<Vec<_>>(),
        "pagination": pagination(page, found.total),
        "summary": { "total": found.total, "online_on_page": online },
    })))
}

/// `POST /controllers` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    esp32_id: String,
    #[serde(default)]
    station: Option<String>,
}

/// A board name as the core takes it: trimmed, 1 to 64 bytes.
fn board_name(name: &str) -> Result<String, ApiError> {
    let new = NewController { name: name.trim().to_owned(), station: String::new(), api_key_hash: None };
    new.validate().map_err(|_| ApiError::validation("esp32_id", "1 to 64 bytes once trimmed"))?;
    Ok(new.name)
}

/// `POST /controllers`: registers a board and returns its API key, shown this once.
/// `409` when the name is taken (rotate that board's key instead).
pub async fn register(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiJson(body): ApiJson<Register>,
) -> Result<Success<Value>, ApiError> {
    let name = board_name(&body.esp32_id)?;
    let station = body.station.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(DEFAULT_STATION);
    if station.chars().count() > 64 {
        return Err(ApiError::validation("station", "at most 64 characters"));
    }
    let (key, hash) = apikey::generate().map_err(locker_core::Error::from)?;
    let new = NewController { name, station: station.to_owned(), api_key_hash: Some(hash.0.to_vec()) };
    let c = state.store().create_controller(new, state.now()).await.map_err(esp32_field)?;
    Ok(with_key(&c, &key, state.now()).with_message("Controller registered").with_status(StatusCode::CREATED))
}

/// `POST /controllers/{id}/key`: issues a new key (the old one stops working), shown once.
pub async fn issue_key(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    ApiPath(id): ApiPath<locker_core::domain::Id>,
) -> Result<Success<Value>, ApiError> {
    let c = state.store().get_controller(id).await?;
    let key = apikey::rotate(state.tokens().as_ref(), c.id).await?;
    Ok(with_key(&c, &key, state.now()).with_message("API key issued"))
}

/// The controller with its new key (`api_key`, send as `X-API-Key`).
fn with_key(c: &Controller, key: &str, now: Timestamp) -> Success<Value> {
    let mut body = view(c, now);
    body["api_key"] = json!(key);
    Success::data(body)
}

/// Names the seed's `esp32_id` where the core says `name`.
fn esp32_field(e: locker_core::Error) -> ApiError {
    let mut api = ApiError::from(e);
    if let Some(details) = api.details.as_mut()
        && details["field"] == "name"
    {
        details["field"] = json!("esp32_id");
    }
    api
}

/// The board named `name` for a locker: registered keyless on first reference (seed 000's
/// own example adds a locker on `ESP32_002` to a server that has never heard of it). A
/// concurrent first reference is resolved by reading the board the other one made.
pub async fn controller_for_locker(store: &dyn Store, name: &str, now: Timestamp) -> Result<Controller, ApiError> {
    let name = board_name(name)?;
    match store.get_controller_by_name(&name).await {
        Ok(c) => return Ok(c),
        Err(locker_core::Error::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let new = NewController { name: name.clone(), station: DEFAULT_STATION.to_owned(), api_key_hash: None };
    match store.create_controller(new, now).await {
        Ok(c) => {
            tracing::info!(controller = %c.name, "controller registered keyless on first reference by a locker");
            Ok(c)
        }
        Err(locker_core::Error::AlreadyExists { .. }) => Ok(store.get_controller_by_name(&name).await?),
        Err(e) => Err(esp32_field(e)),
    }
}
