//! The success answers of seed 001 (`/api/…/`) and seed 003 (`/apis/auth`), field by field
//! as their handlers write them (`crate::seeds::cabinets` and `crate::seeds::otp_login`):
//! one component schema per answer, each the surface's envelope around its data. A route
//! names its answer with `Route::answers`; the contract tests hold every answer to its
//! schema (`contract::seed_answers_match_their_schemas` walks every route once).

use serde_json::{Map, Value, json};

use locker_core::domain::LockerSize;

/// `{type: object}` with `properties`, every one of them required.
fn all_of(properties: Value) -> Value {
    let required: Vec<String> = properties.as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": properties })
}

/// `schema` or `null`.
fn or_null(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// `schema` with more required `properties`.
fn with(schema: &Value, properties: Value) -> Value {
    let mut out = schema.clone();
    for (name, property) in properties.as_object().into_iter().flatten() {
        out["properties"][name] = property.clone();
        if let Some(required) = out["required"].as_array_mut() {
            required.push(json!(name));
        }
    }
    out
}

/// `schema` with more `properties` that may be absent.
fn optional(schema: Value, properties: Value) -> Value {
    let mut out = schema;
    for (name, property) in properties.as_object().into_iter().flatten() {
        out["properties"][name] = property.clone();
    }
    out
}

/// Seed 001's success envelope around `data`: `{code: 0, message, data}`.
fn seed_001(data: Value) -> Value {
    json!({ "type": "object", "required": ["code", "message", "data"], "properties": {
        "code": { "const": 0 }, "message": { "type": "string" }, "data": data } })
}

/// An array of `item`.
fn list(item: Value) -> Value {
    json!({ "type": "array", "items": item })
}

/// The component schemas of seed 001's and seed 003's success answers.
pub fn schemas() -> Map<String, Value> {
    let number = json!({ "type": "integer", "minimum": 0 });
    let text = json!({ "type": "string" });
    let flag = json!({ "type": "boolean" });
    // Money as the seed writes it in texts (`"2.00"`) and in figures (`12.5`).
    let money_text = json!({ "type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$" });
    let money_figure = json!({ "type": "number" });
    let hours = json!({ "type": "string", "pattern": "^[0-9]+\\.(00|50)$" });
    // `2026-01-19T20:16:49.211115+08:00`, and order times without offset (`2026-01-19T20:26:09`).
    let local_time = json!({ "type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?[+-]\\d{2}:\\d{2}$" });
    let naive_time = json!({ "type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$" });
    let date = json!({ "type": "string", "format": "date" });
    let size = json!({ "type": "string", "enum": LockerSize::NAMES });
    let cabinet_status = json!({ "type": "string", "enum": ["available", "in_use", "maintenance"] });
    let order_status = json!({ "type": "string", "enum": ["pending", "paid", "in_use", "completed", "cancelled"] });

    let user = all_of(
        json!({ "id": number, "username": text, "phone": text, "balance": money_text, "created_at": local_time }),
    );
    let user_with_email = with(&user, json!({ "email": text }));
    let signed_in = |user: &Value| all_of(json!({ "user": user, "access": text, "refresh": text }));

    let cabinet = all_of(json!({
        "id": number, "cabinet_id": text, "size": size, "size_display": text, "location": text, "station": text,
        "status": cabinet_status, "status_display": text, "price_per_hour": money_text,
    }));
    let cabinet_detail = with(&cabinet, json!({ "device_id": or_null(text.clone()), "is_locked": flag }));
    let cabinet_created = all_of(json!({
        "id": number, "cabinet_id": text, "size": size, "location": text, "station": text,
        "status": cabinet_status, "price_per_hour": money_text,
    }));
    let cabinet_live = all_of(json!({
        "id": number, "cabinet_id": text, "size": size, "status": cabinet_status, "status_display": text,
        "price_per_hour": money_text, "is_locked": flag,
    }));

    let booking = all_of(json!({
        "id": number, "order_no": text, "cabinet_id": text, "cabinet_size": size, "status": order_status,
        "status_display": text, "duration_hours": hours, "price_per_hour": money_text, "total_amount": money_text,
    }));
    let order_detail = with(
        &booking,
        json!({
            "user_phone": or_null(text.clone()), "pickup_code": or_null(text.clone()), "end_time": or_null(naive_time.clone()),
        }),
    );
    let order_item = all_of(json!({
        "id": number, "order_no": text, "cabinet_id": text, "status": order_status, "status_display": text,
        "duration_hours": hours, "total_amount": money_text, "created_at": naive_time, "end_time": or_null(naive_time.clone()),
    }));
    let admin_order = with(&order_item, json!({ "user_phone": or_null(text.clone()), "station": text }));

    let device = all_of(json!({
        "device_id": text, "name": text, "station": text, "location": or_null(text.clone()), "is_active": flag,
        "status": { "enum": ["online", "offline"] },
        "battery_level": or_null(json!({ "type": "integer", "minimum": 0, "maximum": 100 })),
        "last_heartbeat": or_null(local_time.clone()),
    }));
    let log_row = all_of(json!({
        "id": number, "device_id": text, "log_type": text, "message": text, "data": {}, "created_at": local_time,
    }));
    let alert = json!({ "type": "object",
        "required": ["type", "level", "title", "message", "device_id", "station", "created_at"],
        "properties": {
            "type": { "enum": ["device_offline", "low_battery", "order_overdue", "cabinet_maintenance"] },
            "level": { "enum": ["warning", "info"] }, "title": text, "message": text,
            "device_id": or_null(text.clone()), "station": text, "created_at": local_time,
            "cabinet_id": text, "order_id": number } });
    let counted = |key: &str, schema: &Value| all_of(json!({ key: schema, "count": number }));
    let earned = |key: &str, schema: &Value| all_of(json!({ key: schema, "revenue": money_figure, "orders": number }));
    let stats = all_of(json!({
        "overview": all_of(json!({ "total_users": number, "total_orders": number, "total_cabinets": number, "total_devices": number })),
        "orders": all_of(json!({ "total": number, "completed": number, "cancelled": number, "total_amount": money_figure })),
        "cabinets": all_of(json!({ "total": number, "available": number, "in_use": number, "maintenance": number })),
        "devices": all_of(json!({ "total": number, "online": number, "offline": number })),
        "daily_orders": list(counted("date", &date)),
        "peak_hours": list(counted("hour", &json!({ "type": "integer", "minimum": 0, "maximum": 23 }))),
    }));
    let revenue = all_of(json!({
        "total_revenue": money_figure, "total_orders": number, "average_order": money_figure,
        "daily_revenue": list(earned("date", &date)), "station_revenue": list(earned("station", &text)),
    }));
    let poll = json!({ "anyOf": [
        all_of(json!({ "command": { "const": "none" } })),
        all_of(json!({ "command": { "const": "open_cabinet" }, "cabinet_id": text, "timestamp": { "type": "string", "format": "date-time" } })),
    ] });

    // Only on a payment through the demo's simulated provider.
    let simulated = json!({ "simulated_payment": { "const": true }, "payment_note": text });

    let schemas = json!({
        "Seed001Registered": seed_001(signed_in(&user_with_email)),
        "Seed001SignedIn": seed_001(signed_in(&user)),
        "Seed001Me": seed_001(user_with_email),
        "Seed001User": seed_001(user),
        "Seed001Cabinets": seed_001(list(cabinet)),
        "Seed001CabinetCreated": seed_001(cabinet_created),
        "Seed001Cabinet": seed_001(cabinet_detail),
        "Seed001CabinetStatus": seed_001(cabinet_live),
        "Seed001CabinetUpdated": seed_001(optional(
            all_of(json!({ "cabinet_id": text, "price_per_hour": money_text, "status": cabinet_status })),
            // Only when the request rewired the cabinet.
            json!({ "device_id": or_null(text.clone()) }),
        )),
        "Seed001OrderBooked": seed_001(booking),
        "Seed001Orders": seed_001(list(order_item)),
        "Seed001Order": seed_001(order_detail),
        "Seed001OrderPaid": seed_001(optional(all_of(json!({
            "id": number, "order_no": text, "status": order_status, "status_display": text, "pickup_code": text })),
            simulated.clone())),
        "Seed001OrderExtended": seed_001(optional(all_of(json!({
            "id": number, "duration_hours": hours, "total_amount": money_text, "end_time": or_null(naive_time.clone()) })),
            simulated)),
        "Seed001OrderCancelled": seed_001(all_of(json!({ "id": number, "status": order_status, "status_display": text }))),
        "Seed001Heartbeat": seed_001(all_of(json!({ "device_id": text, "status": { "const": "online" } }))),
        "Seed001Opened": seed_001(all_of(json!({ "cabinet_id": text, "action": { "const": "open" }, "order_id": number }))),
        "Seed001Poll": seed_001(poll),
        "Seed001DeviceLogs": seed_001(list(log_row)),
        "Seed001Stats": seed_001(stats),
        "Seed001Revenue": seed_001(revenue),
        "Seed001AdminOrders": seed_001(all_of(json!({
            "total": number, "page": number, "page_size": number, "results": list(admin_order) }))),
        "Seed001Devices": seed_001(list(device.clone())),
        "Seed001Device": seed_001(device),
        "Seed001Alerts": seed_001(all_of(json!({ "total": number, "alerts": list(alert) }))),
        "Seed003OtpSent": seed_003(all_of(json!({ "email": text, "expireInSeconds": number }))),
        "Seed003LoggedIn": seed_003(all_of(json!({
            "userId": number, "email": text, "fullName": text, "avatarUrl": { "type": "null" },
            "accessToken": text, "refreshToken": text, "expiresAt": { "type": "string", "format": "date-time" } }))),
    });
    match schemas {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Seed 003's answer: `{code: 0, message, data}` on success, else a non-zero result code
/// with `data: {}` (HTTP 200 either way).
fn seed_003(data: Value) -> Value {
    let codes = [-1, -6, -200, -201, -202, -203, -204, -205, -206, -300, -304, -801];
    json!({ "anyOf": [
        { "type": "object", "required": ["code", "message", "data"], "properties": {
            "code": { "const": 0 }, "message": { "type": "string" }, "data": data } },
        { "type": "object", "required": ["code", "message", "data"], "properties": {
            "code": { "enum": codes }, "message": { "type": "string" },
            "data": { "type": "object", "maxProperties": 0 } } },
    ] })
}
