//! The success answers of seed 000 (`/api/v1`), field by field as the handlers write them
//! (`crate::v1::views` and the handlers): one component schema per answer, each the
//! `{success, message?, data}` envelope around its data. A route names its answer with
//! `Route::answers`; the contract test holds every answer to its schema.

use serde_json::{Map, Value, json};

use locker_core::domain::{AlertKind, AuthMethod, DoorState, LockerSize, LockerStatus, Role, Severity, TxAction};
use locker_core::token::qr::QrAction;

/// `{type: object}` with `properties`, every one of them required.
fn all_of(properties: Value) -> Value {
    let required: Vec<String> = properties.as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": properties })
}

/// `schema` or `null`.
fn or_null(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// The envelope around `data`.
fn success(data: Value) -> Value {
    json!({ "type": "object", "required": ["success", "data"], "properties": {
        "success": { "const": true }, "message": { "type": "string" }, "data": data } })
}

fn names(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

/// The component schemas of seed 000's answers.
pub fn schemas() -> Map<String, Value> {
    let id = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    let text = json!({ "type": "string" });
    let count = json!({ "type": "integer", "minimum": 0 });
    let pin = json!({ "type": "integer", "minimum": 0, "maximum": u16::MAX });
    let role = names(Role::NAMES);
    let pagination = all_of(json!({ "page": count, "limit": count, "total": count, "total_pages": count }));
    let locker = all_of(json!({
        "id": id, "locker_code": text, "location": text, "size": names(LockerSize::NAMES),
        "status": names(LockerStatus::NAMES), "door_state": names(DoorState::NAMES),
        "esp32_id": or_null(text.clone()), "relay_pin": pin, "sensor_pin": pin,
    }));
    let mut detail = locker.clone();
    detail["properties"]["created_at"] = time.clone();
    detail["properties"]["updated_at"] = time.clone();
    detail["properties"]["current_session"] = or_null(json!({ "type": "object", "properties": {
        "id": id, "user_id": or_null(id.clone()), "check_in_at": or_null(time.clone()),
        "auth_method": names(AuthMethod::NAMES), "status": text } }));
    let session_status = names(crate::v1::sessions::SessionStatus::NAMES);
    let session_row = all_of(json!({
        "id": id, "locker_code": or_null(text.clone()), "status": session_status,
        "auth_method": names(AuthMethod::NAMES), "check_in_at": or_null(time.clone()), "check_out_at": or_null(time.clone()),
    }));
    let locker_short = all_of(json!({ "id": id, "locker_code": text, "location": text }));
    let checked_out = all_of(json!({
        "session_id": id, "locker_code": text, "check_in_at": time, "check_out_at": time, "duration_minutes": count,
    }));
    let alert = all_of(json!({
        "id": id, "locker_id": or_null(id.clone()), "locker_code": or_null(text.clone()),
        "alert_type": names(AlertKind::NAMES), "severity": names(Severity::NAMES), "description": text,
        "is_resolved": { "type": "boolean" }, "resolved_by": or_null(id.clone()), "resolved_at": or_null(time.clone()),
        "resolution_note": or_null(text.clone()), "created_at": time,
    }));
    let log = all_of(json!({
        "id": id, "session_id": or_null(id.clone()), "locker_id": or_null(id.clone()), "locker_code": or_null(text.clone()),
        "user_id": or_null(id.clone()), "user_name": or_null(text.clone()), "action_type": names(TxAction::NAMES),
        "auth_method": or_null(names(AuthMethod::NAMES)), "details": {}, "device_info": or_null(text.clone()),
        "created_at": time,
    }));
    let user_short = all_of(json!({ "id": id, "email": or_null(text.clone()), "full_name": text, "role": role }));
    let controller = json!({
        "id": id, "esp32_id": text, "station": text, "is_online": { "type": "boolean" },
        "last_heartbeat_at": or_null(time.clone()), "battery_level": or_null(json!({ "type": "integer", "minimum": 0, "maximum": 100 })),
        "firmware_version": or_null(text.clone()), "is_active": { "type": "boolean" }, "created_at": time,
    });
    let mut controller_key = controller.clone();
    controller_key["api_key"] = json!({ "type": "string", "pattern": "^lk_" });
    let schemas = json!({
        "V1Message": { "type": "object", "required": ["success", "message"], "properties": {
            "success": { "const": true }, "message": { "type": "string" } } },
        "V1Registered": success(all_of(json!({
            "id": id, "email": or_null(text.clone()), "full_name": text, "role": role, "created_at": time }))),
        "V1LoggedIn": success(all_of(json!({
            "access_token": text, "refresh_token": text, "expires_in": count, "token_type": { "const": "Bearer" },
            "user": user_short }))),
        "V1Refreshed": success(all_of(json!({ "access_token": text, "refresh_token": text, "expires_in": count }))),
        "V1Me": success(all_of(json!({
            "id": id, "email": or_null(text.clone()), "full_name": text, "phone": or_null(text.clone()), "role": role,
            "is_active": { "type": "boolean" }, "created_at": time, "updated_at": time,
            "face_registered": { "type": "boolean" } }))),
        "V1MeUpdated": success(all_of(json!({
            "id": id, "email": or_null(text.clone()), "full_name": text, "phone": or_null(text.clone()) }))),
        "V1FaceRegistered": success(all_of(json!({ "face_registered": { "const": true }, "registered_at": time }))),
        "V1FaceDeleted": success(all_of(json!({ "face_registered": { "const": false }, "deleted": { "type": "boolean" } }))),
        "V1UserList": success(all_of(json!({ "users": { "type": "array", "items": all_of(json!({
            "id": id, "email": or_null(text.clone()), "full_name": text, "role": role, "is_active": { "type": "boolean" } })) },
            "pagination": pagination }))),
        "V1LockerList": success(all_of(json!({ "lockers": { "type": "array", "items": locker },
            "summary": all_of(json!({ "total": count, "available": count, "in_use": count, "reserved": count,
                "maintenance": count })) }))),
        "V1Locker": success(locker),
        "V1ControllerList": success(all_of(json!({ "controllers": { "type": "array", "items": all_of(controller) },
            "pagination": pagination, "summary": all_of(json!({ "total": count, "online_on_page": count })) }))),
        "V1ControllerKey": success(all_of(controller_key)),
        "V1LockerDetail": success(detail),
        "V1LockerUpdated": success(all_of(json!({ "id": id, "locker_code": text }))),
        "V1LockerStatus": success(all_of(json!({ "id": id, "locker_code": text, "status": names(LockerStatus::NAMES) }))),
        "V1SessionList": success(all_of(json!({ "sessions": { "type": "array", "items": session_row },
            "pagination": pagination }))),
        "V1ActiveSession": success(all_of(json!({ "session": or_null(all_of(json!({
            "id": id, "locker": locker_short, "status": session_status, "auth_method": names(AuthMethod::NAMES),
            "check_in_at": or_null(time.clone()), "last_access_at": or_null(time.clone()) }))) }))),
        "V1CheckedIn": success(all_of(json!({
            "session_id": id, "locker": locker_short, "check_in_at": time, "auth_method": names(AuthMethod::NAMES) }))),
        "V1Reopened": success(all_of(json!({
            "session_id": id, "locker_code": text, "last_access_at": or_null(time.clone()), "door_state": { "const": "open" } }))),
        "V1CheckedOut": success(checked_out),
        "V1ForceOpened": success(all_of(json!({ "locker_id": id, "command_sent_at": time, "door_state": names(DoorState::NAMES) }))),
        "V1CommandSent": success(all_of(json!({ "command_id": id, "sent_at": time }))),
        "V1AlertRaised": success(all_of(json!({ "alert_id": id }))),
        "V1QrIssued": success(all_of(json!({
            "id": text, "token": text, "qr_code_base64": { "type": "string", "pattern": "^data:image/png;base64," },
            "action": names(QrAction::NAMES), "session_id": or_null(id.clone()), "expires_at": time,
            "expires_in_seconds": count }))),
        "V1QrValid": success(all_of(json!({
            "valid": { "const": true }, "user_id": id, "action": names(QrAction::NAMES), "session_id": or_null(id.clone()),
            "expires_at": time }))),
        "V1LogList": success(all_of(json!({ "logs": { "type": "array", "items": log }, "pagination": pagination }))),
        "V1AlertList": success(all_of(json!({ "alerts": { "type": "array", "items": alert }, "summary": { "type": "object" },
            "pagination": pagination }))),
        "V1AlertResolved": success(all_of(json!({
            "id": id, "is_resolved": { "const": true }, "resolved_by": or_null(id.clone()), "resolved_at": or_null(time.clone()),
            "resolution_note": or_null(text.clone()) }))),
        "V1Overview": success(json!({ "type": "object", "required": ["alerts"], "properties": {
            "alerts": all_of(json!({ "total": count, "unresolved": count })) } })),
        "V1DailyUsage": success(all_of(json!({ "daily_usage": { "type": "array", "items": all_of(json!({
            "date": { "type": "string", "format": "date" }, "check_ins": count, "check_outs": count,
            "average_duration_minutes": count })) } }))),
        "V1LockerStats": success(all_of(json!({ "locker_stats": { "type": "array", "items": { "type": "object",
            "required": ["locker_id", "locker_code", "total_sessions", "total_duration_hours", "utilization_rate", "last_used_at"],
            "properties": { "locker_id": id, "locker_code": text, "total_sessions": count,
                "total_duration_hours": { "type": "number", "minimum": 0 },
                "utilization_rate": { "type": "number", "minimum": 0 }, "last_used_at": or_null(time.clone()) } } } }))),
    });
    match schemas {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
