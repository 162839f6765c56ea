//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 document generated from the route table, so
//! it lists exactly the routes the router serves with their security and body kinds (a test
//! checks both directions).

use axum::Json;
use serde_json::{Map, Value, json};

use crate::http::guard::Access;
use crate::routes::{BodyKind, Route, table};

fn operation(r: &Route) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(r.summary));
    op.insert("operationId".into(), json!(format!("{} {}", r.method, r.path)));
    let params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }))
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), json!(params));
    }
    let security = match r.access {
        Access::Public => json!([]),
        Access::OptionalUser => json!([{}, { "bearerAuth": [] }]),
        Access::Customer | Access::Admin => json!([{ "bearerAuth": [] }]),
        Access::Controller => json!([{ "apiKey": [] }]),
    };
    op.insert("security".into(), security);
    op.insert("x-access".into(), json!(r.access));
    op.insert("x-rate-limit-class".into(), json!(r.class));
    if r.idempotent {
        op.insert(
            "x-idempotency-key".into(),
            json!("Idempotency-Key header: kept 24 h; 409 while in flight, 422 for a different payload"),
        );
    }
    let form = json!({ "multipart/form-data": { "schema": { "type": "object", "required": ["face_image"],
        "properties": { "face_image": { "type": "string", "format": "binary" } } } } });
    let body = match r.body {
        BodyKind::None => None,
        BodyKind::Json => {
            Some(json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } }))
        }
        BodyKind::FaceImage => Some(json!({ "required": true, "content": form })),
        BodyKind::FaceOrQr => {
            let mut content = form["multipart/form-data"].clone();
            content = json!({ "multipart/form-data": content, "application/json": { "schema": { "type": "object",
                "required": ["qr_token"], "properties": { "qr_token": { "type": "string" } } } } });
            Some(json!({ "required": true, "content": content }))
        }
    };
    if let Some(body) = body {
        op.insert("requestBody".into(), body);
    }
    let envelope = json!({ "$ref": "#/components/schemas/Success" });
    let error = json!({ "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({ "description": "OK", "content": { "application/json": { "schema": envelope } } }),
    );
    responses.insert("4XX".into(), error.clone());
    responses.insert("5XX".into(), error);
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// The document.
pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for r in table() {
        let item = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        item[r.method.as_str().to_ascii_lowercase()] = operation(&r);
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "locker — Face Locker API (seed 000)", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
                "apiKey": { "type": "apiKey", "in": "header", "name": "X-API-Key" },
            },
            "schemas": {
                "Success": { "type": "object", "required": ["success"], "properties": {
                    "success": { "const": true }, "message": { "type": "string" }, "data": {} } },
                "Error": { "type": "object", "required": ["success", "error"], "properties": {
                    "success": { "const": false },
                    "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string" }, "message": { "type": "string" }, "details": { "type": "object" } } } } },
            },
        },
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(build())
}
