//! The routes that drive doors through [`LockerService`]: check-in by face or QR, update,
//! check-out, force-open, the controllers' sensor and error reports, and `GET /ws`.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use locker_core::domain::{AlertKind, DoorState, Id};
use locker_core::service::{CheckIn, CheckInRequest, LockerService, Proof};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::http::envelope::Success;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::guard::{AdminUser, Caller, DeviceCaller, verify_bearer};
use crate::http::multipart::{FaceImage, FaceOrQr};

fn proof(body: FaceOrQr) -> Proof {
    match body {
        FaceOrQr::Face(bytes) => Proof::Face(bytes.to_vec()),
        FaceOrQr::Qr(token) => Proof::Qr(token),
    }
}

/// Counts a face attempt against the per-address limit and, for a named session, the
/// per-session limit (a face is guessable: a stranger's photos could be tried until one
/// passes). QR tokens are signed and single-use, so they are not counted here.
fn count_face_attempt(state: &AppState, caller: &Caller, session: Option<Id>) -> Result<(), ApiError> {
    let now = state.now();
    let by_address = state.limits.face_per_address.check(&caller.ip, now);
    let by_session = session.map(|id| state.limits.face_per_session.check(&id.to_string(), now));
    for decision in std::iter::once(by_address).chain(by_session) {
        if !decision.is_allowed() {
            return Err(ApiError::throttled(decision, "Too many face attempts; try again later"));
        }
    }
    Ok(())
}

/// [`count_face_attempt`] when the proof is a face.
fn count_if_face(state: &AppState, caller: &Caller, session: Id, body: &FaceOrQr) -> Result<(), ApiError> {
    match body {
        FaceOrQr::Face(_) => count_face_attempt(state, caller, Some(session)),
        FaceOrQr::Qr(_) => Ok(()),
    }
}

fn check_in_body(done: &CheckIn) -> Value {
    json!({
        "session_id": done.rental.id,
        "locker": { "id": done.locker.id, "locker_code": done.locker.code, "location": done.locker.location },
        "check_in_at": done.rental.started_at.unwrap_or(done.rental.created_at),
        "auth_method": done.rental.auth_method,
    })
}

/// `POST /sessions/check-in/face`: a guest, or the signed-in user when a token is sent.
pub async fn check_in_face(
    State(state): State<AppState>,
    caller: Caller,
    FaceImage(photo): FaceImage,
) -> Result<Success<Value>, ApiError> {
    count_face_attempt(&state, &caller, None)?;
    let request = CheckInRequest { proof: Proof::Face(photo.to_vec()), user: caller.user.map(|u| u.id), size: None };
    let done = state.service.check_in(request).await?;
    Ok(Success::data(check_in_body(&done)).with_message("Check-in successful"))
}

/// `POST /sessions/check-in/qr` body.
#[derive(Debug, Deserialize)]
pub struct QrCheckIn {
    qr_token: String,
}

/// `POST /sessions/check-in/qr`: the QR token names the user.
pub async fn check_in_qr(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<QrCheckIn>,
) -> Result<Success<Value>, ApiError> {
    let request = CheckInRequest { proof: Proof::Qr(body.qr_token), user: None, size: None };
    let done = state.service.check_in(request).await?;
    Ok(Success::data(check_in_body(&done)).with_message("Check-in successful"))
}

/// `POST /sessions/{session_id}/update`: reopen without ending the session (bearer token
/// optional, as for check-out).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    body: FaceOrQr,
) -> Result<Success<Value>, ApiError> {
    count_if_face(&state, &caller, id, &body)?;
    let done = state.service.reopen(id, proof(body), caller.user.map(|u| u.id)).await?;
    Ok(Success::data(json!({
        "session_id": done.rental.id,
        "locker_code": done.locker.code,
        "last_access_at": done.rental.last_access_at,
        "door_state": "open",
    }))
    .with_message("Verified; the locker is open"))
}

fn checked_out_body(done: &locker_core::service::CheckedOut) -> Value {
    let start = done.rental.started_at.unwrap_or(done.rental.created_at);
    let end = done.rental.ended_at.unwrap_or(start);
    json!({
        "session_id": done.rental.id,
        "locker_code": done.locker.code,
        "check_in_at": start,
        "check_out_at": end,
        "duration_minutes": (end - start).num_minutes().max(0),
    })
}

/// `POST /sessions/{session_id}/check-out`: face or QR against the session. The bearer
/// token is optional (a walk-up guest has none); when sent, it must be the renter's.
pub async fn check_out(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
    body: FaceOrQr,
) -> Result<Success<Value>, ApiError> {
    count_if_face(&state, &caller, id, &body)?;
    let done = state.service.check_out(id, proof(body), caller.user.map(|u| u.id)).await?;
    Ok(Success::data(checked_out_body(&done)).with_message("Check-out successful"))
}

/// `POST /sessions/check-out/face`: the face alone finds the session among the active ones.
pub async fn check_out_face(
    State(state): State<AppState>,
    caller: Caller,
    FaceImage(photo): FaceImage,
) -> Result<Success<Value>, ApiError> {
    count_face_attempt(&state, &caller, None)?;
    let done = state.service.check_out_by_face(photo.to_vec()).await?;
    Ok(Success::data(checked_out_body(&done)).with_message("Check-out successful"))
}

/// `POST /lockers/{locker_id}/force-open` body.
#[derive(Debug, Deserialize)]
pub struct ForceOpen {
    reason: String,
}

/// `POST /lockers/{locker_id}/force-open` (admin).
pub async fn force_open(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<Id>,
    ApiJson(body): ApiJson<ForceOpen>,
) -> Result<Success<Value>, ApiError> {
    let done = state.service.force_open(id, admin.id, &body.reason).await?;
    Ok(Success::data(json!({
        "locker_id": done.locker.id,
        "command_sent_at": done.command_sent_at,
        "door_state": done.locker.door,
    }))
    .with_message("Unlock command sent"))
}

/// `POST /hardware/uart/send` body.
#[derive(Debug, Deserialize)]
pub struct UartSend {
    esp32_id: String,
    command: String,
    locker_id: Id,
    #[serde(default)]
    relay_pin: Option<u16>,
}

/// `POST /hardware/uart/send` (admin): a direct command to a locker's controller. Only
/// `unlock` exists; it goes through the door machine like a force-open.
pub async fn uart_send(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<UartSend>,
) -> Result<Success<Value>, ApiError> {
    if body.command != "unlock" {
        return Err(ApiError::validation("command", "unknown command; expected one of: unlock"));
    }
    let service = &state.service;
    let locker = state.store().get_locker(body.locker_id).await?;
    let controller = match locker.controller_id {
        Some(id) => state.store().get_controller(id).await?.name,
        None => String::new(),
    };
    if controller != body.esp32_id {
        return Err(ApiError::validation(
            "esp32_id",
            format!("locker {} is not wired to {}", locker.code, body.esp32_id),
        ));
    }
    if body.relay_pin.is_some_and(|pin| pin != locker.relay_channel) {
        return Err(ApiError::validation(
            "relay_pin",
            format!("locker {} is on relay {}", locker.code, locker.relay_channel),
        ));
    }
    let done = service.force_open(locker.id, admin.id, "uart/send unlock").await?;
    Ok(Success::data(json!({ "command_id": locker_core::domain::new_id(), "sent_at": done.command_sent_at }))
        .with_message("Command sent"))
}

/// `POST /hardware/sensor/status` body.
#[derive(Debug, Deserialize)]
pub struct SensorStatus {
    locker_id: Id,
    door_state: DoorState,
}

/// `POST /hardware/sensor/status` (controller key).
pub async fn sensor_status(
    State(state): State<AppState>,
    DeviceCaller(controller): DeviceCaller,
    ApiJson(body): ApiJson<SensorStatus>,
) -> Result<Success<()>, ApiError> {
    state.service.report_sensor(controller, body.locker_id, body.door_state).await?;
    Ok(Success::message("Status updated"))
}

/// `POST /hardware/error` body.
#[derive(Debug, Deserialize)]
pub struct HardwareError {
    #[serde(default)]
    locker_id: Option<Id>,
    error_type: AlertKind,
    #[serde(default)]
    description: String,
}

/// `POST /hardware/error` (controller key).
pub async fn hardware_error(
    State(state): State<AppState>,
    DeviceCaller(controller): DeviceCaller,
    ApiJson(body): ApiJson<HardwareError>,
) -> Result<Success<Value>, ApiError> {
    let alert = state.service.report_error(controller, body.locker_id, body.error_type, &body.description).await?;
    Ok(Success::data(json!({ "alert_id": alert.id })).with_message("Error recorded"))
}

/// `GET /ws`: the client sends its access token as the first message (the bare token or
/// `{"token": "..."}`), then receives every `locker_status_changed`, `security_alert` and
/// `session_updated` event as `{event, data}`.
///
/// A request that is not a WebSocket upgrade is `400 VALIDATION_ERROR` (in the envelope).
pub async fn ws(
    State(state): State<AppState>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade =
        upgrade.map_err(|e| ApiError::validation("upgrade", format!("a WebSocket upgrade is expected: {e}")))?;
    let service = state.service.clone();
    Ok(upgrade.on_upgrade(move |socket| events(state, service, socket)))
}

async fn events(state: AppState, service: Arc<LockerService>, mut socket: WebSocket) {
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), socket.recv()).await;
    let token = match first {
        Ok(Some(Ok(Message::Text(text)))) => {
            let text = text.as_str().trim().to_owned();
            serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or(text)
        }
        _ => return,
    };
    let token = token.strip_prefix("Bearer ").unwrap_or(&token).to_owned();
    if verify_bearer(&state, &token).await.is_err() {
        let refusal = json!({ "event": "error", "data": { "code": "TOKEN_INVALID", "message": "Send a valid access token first" } });
        let _ = socket.send(Message::Text(refusal.to_string().into())).await;
        return;
    }
    let mut rx = service.subscribe();
    let hello = json!({ "event": "authenticated", "data": {} });
    if socket.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Ok(event) => {
                    let Ok(text) = serde_json::to_string(&event) else { continue };
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
