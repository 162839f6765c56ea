//! Devices (the controllers of `/api/v1`, `device_id` = the controller's name) that talk
//! HTTP: heartbeat and status by `X-API-Key`, opening a cabinet by pickup code (a user),
//! command polling, and the device log (admin).
//!
//! Every device that polls over HTTP is a lock controller of the locker service
//! ([`locker_core::controller::command_queue::CommandQueueBoard`], attached through
//! [`locker_core::service::HttpBoards`]); these handlers parse, call the service or the
//! board, and shape the answer:
//!
//! - Heartbeat and status report record the battery and the time (a controller silent for
//!   10 minutes counts as offline). In `cabinet_status`, `true` means the door is closed;
//!   each cabinet must be wired to the reporting controller. Each door is reported to the
//!   device's board and runs through the service's door machine (a close ends the cycle
//!   and finishes the rental it served; an open with no unlock raises `unauthorized_open`);
//!   the answer comes once the service has handled them.
//! - Opening by code (any signed-in user holding the code: the code is the credential, and
//!   tries are limited per cabinet per hour): the code is checked and used up, then the
//!   service opens the order ([`LockerService::open_order_by_code`]: `paid` -> in use, or,
//!   the second time, in use -> `completed`, freeing the cabinet). For a device polling over
//!   HTTP the unlock is a command queued for it, which it takes with
//!   `GET /api/devices/<device_id>/open/`, each command exactly once even when polls
//!   overlap. After the first opening the same code is issued again for the pickup; a
//!   refused opening of a live order issues it again too.
//! - A device may poll only its own queue (`403` otherwise); a deactivated device is `403`.
//!
//! [`LockerService::open_order_by_code`]: locker_core::service::LockerService::open_order_by_code

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use locker_core::Error;
use locker_core::controller::command_queue::ReportError;
use locker_core::domain::{Controller, DoorState, Locker, RentalState};
use locker_core::service::OPEN_BY_CODE;
use serde_json::{Map, Value, json};

use super::CabinetsState;
use super::auth::{AdminCaller, Caller};
use super::envelope::{Body, Entity, Fail, PathText, Reply, required_str};
use super::views::{local_time, utc_time};

/// The controller a request's `X-API-Key` belongs to (active).
#[derive(Debug, Clone)]
pub struct Device(pub Controller);

impl FromRequestParts<CabinetsState> for Device {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, state: &CabinetsState) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get("x-api-key")
            .ok_or_else(|| Fail::no_credentials("send `X-API-Key: <device api key>`"))?
            .to_str()
            .map_err(|_| Fail::unauthorized("无效的API密钥", "unreadable X-API-Key"))?;
        let id = locker_core::token::apikey::authenticate(state.store.as_ref(), key).await.map_err(|e| match e {
            Error::Token(_) => Fail::unauthorized("无效的API密钥", "no device has this key"),
            other => Fail::core(other),
        })?;
        let controller = state.store.get_controller(id).await.map_err(Fail::core)?;
        if !controller.active {
            return Err(Fail::forbidden(format!("device {} is deactivated", controller.name)));
        }
        Ok(Device(controller))
    }
}

/// A controller by its name from the path (`404 设备不存在`).
async fn device_of(state: &CabinetsState, name: &str) -> Result<Controller, Fail> {
    state.store.get_controller_by_name(name).await.map_err(|e| Fail::from_core(e, Entity::Device))
}

/// An optional `battery_level` (0 to 100).
fn battery(body: &Map<String, Value>) -> Result<Option<u8>, Fail> {
    match body.get("battery_level") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|b| u8::try_from(b).ok())
            .filter(|b| *b <= 100)
            .map(Some)
            .ok_or_else(|| Fail::invalid("battery_level", "an integer from 0 to 100")),
    }
}

/// Records a sign of life (and the battery, when reported) and a log row.
async fn beat(
    state: &CabinetsState,
    mut controller: Controller,
    battery: Option<u8>,
    log: (&str, &str, &Value),
) -> Result<Controller, Fail> {
    let now = state.now();
    controller.last_heartbeat_at = Some(now);
    if battery.is_some() {
        controller.battery_percent = battery;
    }
    let controller = state.store.update_controller(&controller).await.map_err(Fail::core)?;
    let (kind, message, data) = log;
    state.store.append_device_log(controller.id, kind, message, data, now).await.map_err(Fail::core)?;
    Ok(controller)
}

/// `POST /api/devices/heartbeat/`: `心跳接收成功` with `{device_id, status: "online"}`.
pub async fn heartbeat(
    State(state): State<CabinetsState>,
    Device(device): Device,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let level = battery(&body)?;
    let data = json!({ "battery_level": level });
    let device = beat(&state, device, level, ("heartbeat", "心跳", &data)).await?;
    Ok(Reply::ok("心跳接收成功", json!({ "device_id": device.name, "status": "online" })))
}

/// The cabinets of a status report with what their doors say, checked before anything is
/// written: each must exist and be wired to `device`.
async fn door_reports(
    state: &CabinetsState,
    device: &Controller,
    body: &Map<String, Value>,
) -> Result<Vec<(Locker, DoorState)>, Fail> {
    let map = match body.get("cabinet_status") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(Fail::invalid("cabinet_status", "an object {\"cabinet id\": true (closed) / false (open)}"));
        }
    };
    let mut out = Vec::with_capacity(map.len());
    for (code, closed) in map {
        let field = format!("cabinet_status.{code}");
        let closed = closed.as_bool().ok_or_else(|| Fail::invalid(&field, "true (closed) or false (open)"))?;
        let locker = state.store.get_locker_by_code(code).await.map_err(|e| Fail::from_core(e, Entity::Cabinet))?;
        if locker.controller_id != Some(device.id) {
            return Err(Fail::invalid(&field, format!("cabinet {code} is not wired to device {}", device.name)));
        }
        out.push((locker, if closed { DoorState::Closed } else { DoorState::Open }));
    }
    Ok(out)
}

/// Reports each door of `doors` to `device`'s board, in parallel (one lane per channel in
/// the service); returns once the service has handled them all.
async fn report_doors(state: &CabinetsState, device: &Controller, doors: &[(Locker, DoorState)]) -> Result<(), Fail> {
    if doors.is_empty() {
        return Ok(());
    }
    let board = state.boards.board(device.id).map_err(Fail::core)?;
    let reports = doors.iter().map(|(locker, door)| board.report(locker.sensor_channel, *door));
    futures::future::try_join_all(reports).await.map_err(|e| match e {
        ReportError::Failed(e) => Fail::core(e),
        other => Fail::unavailable(other.to_string()),
    })?;
    Ok(())
}

/// `POST /api/devices/status/`: doors and battery; `状态更新成功` (no data).
pub async fn status(
    State(state): State<CabinetsState>,
    Device(device): Device,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let level = battery(&body)?;
    let doors = door_reports(&state, &device, &body).await?;
    report_doors(&state, &device, &doors).await?;
    let data = json!({ "cabinet_status": body.get("cabinet_status"), "battery_level": level });
    beat(&state, device, level, ("status", "状态上报", &data)).await?;
    Ok(Reply::message("状态更新成功"))
}

/// `POST /api/devices/open/by-code/` (user): `开柜成功` with `{cabinet_id, action, order_id}`.
pub async fn open_by_code(
    State(state): State<CabinetsState>,
    Caller(caller): Caller,
    Body(body): Body,
) -> Result<Reply, Fail> {
    let code = required_str(&body, "cabinet_id")?.trim();
    let pickup = required_str(&body, "pickup_code")?.trim();
    let order = state.service.open_order_by_code(&state.desk(), code, pickup, caller.id).await.map_err(open_refused)?;
    Ok(Reply::ok("开柜成功", json!({ "cabinet_id": order.locker.code, "action": "open", "order_id": order.number })))
}

/// A refused opening by code, in the seed's words.
fn open_refused(err: Error) -> Fail {
    match err {
        Error::NotOpenable(why) => Fail::refused("柜子不可用", why),
        Error::Transition(t) if t.event == OPEN_BY_CODE && t.state == RentalState::Opening.as_str() => {
            Fail::refused("柜子不可用", "the door has not been closed since it was last opened")
        }
        Error::Transition(t) if t.event == OPEN_BY_CODE => {
            Fail::refused("无效的取件码或订单已过期", "the order is no longer live")
        }
        // Not a wrong code: the order moved under us, or its door is busy.
        Error::Conflict(why) => Fail::refused("柜门正忙，请稍后再试", why),
        Error::Uart(u) => {
            Fail::refused("柜子不可用", format!("the lock controller failed: {u}; staff has been alerted"))
        }
        other => Fail::from_core(other, Entity::Cabinet),
    }
}

/// `GET /api/devices/<device_id>/open/`: the oldest queued unlock, taken once.
pub async fn poll(
    State(state): State<CabinetsState>,
    Device(device): Device,
    PathText(path): PathText,
) -> Result<Reply, Fail> {
    let named = device_of(&state, &path).await?;
    if named.id != device.id {
        return Err(Fail::forbidden(format!("this key belongs to device {}", device.name)));
    }
    let now = state.now();
    match state.store.take_command(device.id, now).await.map_err(Fail::core)? {
        None => Ok(Reply::ok("无待执行指令", json!({ "command": "none" }))),
        Some(cmd) => {
            let data = json!({ "cabinet_id": cmd.locker_code, "command_id": cmd.id.to_string() });
            state
                .store
                .append_device_log(device.id, "command", "开柜指令已下发", &data, now)
                .await
                .map_err(Fail::core)?;
            Ok(Reply::ok(
                "有待执行指令",
                json!({ "command": cmd.command, "cabinet_id": cmd.locker_code, "timestamp": utc_time(cmd.created_at) }),
            ))
        }
    }
}

/// Rows of a device log shown at most.
pub const LOG_LIMIT: u32 = 100;

/// `GET /api/devices/<device_id>/logs/` (admin): the newest rows first.
pub async fn logs(
    State(state): State<CabinetsState>,
    _admin: AdminCaller,
    PathText(path): PathText,
) -> Result<Reply, Fail> {
    let device = device_of(&state, &path).await?;
    let rows = state.store.device_logs(device.id, LOG_LIMIT).await.map_err(Fail::core)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.number,
                "device_id": device.name,
                "log_type": r.log_type,
                "message": r.message,
                "data": r.data,
                "created_at": local_time(r.created_at),
            })
        })
        .collect();
    Ok(Reply::success(Value::Array(items)))
}
