//! The OpenAPI 3.1 document of every surface, built from the one route catalogue
//! ([`crate::catalog`], collected by [`crate::operations`]), so it lists exactly the routes
//! the routers serve, with their security and bodies (a test checks both directions); each
//! operation tagged with its surface and answering in that surface's own envelope.
//! `GET /api/v1/openapi.json` serves it.

use serde_json::{Map, Value, json};

use crate::catalog::{BodyKind, Operation, Surface, object_schema};

mod seed_answers;
mod v1_answers;
use crate::http::guard::Access;

/// The `{param}` segments of `path` as required path parameters of `schema`.
fn path_params(path: &str, schema: Value) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": schema }))
        .collect()
}

/// The request body of `o`, if it takes one.
fn request_body(o: &Operation) -> Option<Value> {
    let form = json!({ "multipart/form-data": { "schema": { "type": "object", "required": ["face_image"],
        "properties": { "face_image": { "type": "string", "format": "binary" } } } } });
    match o.kind {
        BodyKind::None => None,
        BodyKind::Json => {
            let schema = object_schema(&o.body, o.closed);
            Some(json!({ "required": o.body_required, "content": { "application/json": { "schema": schema } } }))
        }
        BodyKind::FaceImage => Some(json!({ "required": true, "content": form })),
        BodyKind::FaceOrQr => {
            let content = json!({ "multipart/form-data": form["multipart/form-data"].clone(),
                "application/json": { "schema": { "type": "object",
                "required": ["qr_token"], "properties": { "qr_token": { "type": "string", "pattern": "\\S" } } } } });
            Some(json!({ "required": true, "content": content }))
        }
    }
}

/// The answers of `o`: its success answer and its surface's errors.
fn responses(o: &Operation) -> Value {
    let content = |schema: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    let mut responses = Map::new();
    let success = match o.answer {
        "" => json!({ "description": "OK" }),
        answer => json!({ "description": "OK", "content": content(answer) }),
    };
    responses.insert(o.status.to_string(), success);
    let error = match o.surface {
        Surface::V1 => Some(json!({ "description": "Error", "content": content("Error") })),
        Surface::Cabinets => {
            Some(json!({ "description": "Error; `code` equals the HTTP status", "content": content("Seed001Error") }))
        }
        Surface::Barcodes => Some(json!({ "description": "Error", "content": content("Seed002Error") })),
        // Seed 003 answers 200 with a non-zero `code` for every error.
        Surface::OtpLogin => {
            responses.insert(
                "200".into(),
                json!({ "description": "`code` 0 on success, else the error code", "content": content(o.answer) }),
            );
            None
        }
    };
    if let Some(error) = error {
        responses.insert("4XX".into(), error.clone());
        responses.insert("5XX".into(), error);
    }
    Value::Object(responses)
}

/// One operation, answering in its surface's envelope.
fn operation(o: &Operation) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(o.summary));
    op.insert("operationId".into(), json!(format!("{} {}", o.method, o.path)));
    op.insert("tags".into(), json!([o.surface.tag()]));
    let path_schema = match o.surface {
        Surface::V1 | Surface::Barcodes => {
            json!({ "type": "string", "format": "uuid", "pattern": crate::catalog::UUID })
        }
        Surface::Cabinets | Surface::OtpLogin => json!({ "type": "string" }),
    };
    let mut params = path_params(o.path, path_schema);
    let located = |place: &'static str| move |f: &crate::catalog::Field| json!({ "name": f.name, "in": place, "required": f.required, "schema": f.schema() });
    params.extend(o.query.iter().map(located("query")));
    params.extend(o.headers.iter().map(located("header")));
    if !params.is_empty() {
        op.insert("parameters".into(), json!(params));
    }
    let security = match o.access {
        Access::Public => json!([]),
        Access::OptionalUser => json!([{}, { "bearerAuth": [] }]),
        Access::Customer | Access::Admin => json!([{ "bearerAuth": [] }]),
        Access::Controller => json!([{ "apiKey": [] }]),
    };
    op.insert("security".into(), security);
    op.insert("x-access".into(), json!(o.access));
    if o.surface == Surface::V1 {
        op.insert("x-rate-limit-class".into(), json!(o.class));
    }
    if o.idempotent {
        op.insert(
            "x-idempotency-key".into(),
            json!("Idempotency-Key header: kept 24 h; 409 while in flight, 422 for a different payload"),
        );
    }
    if let Some(body) = request_body(o) {
        op.insert("requestBody".into(), body);
    }
    op.insert("responses".into(), responses(o));
    Value::Object(op)
}

/// The component schemas of the seed surfaces' answers.
fn seed_schemas() -> Map<String, Value> {
    let barcode = json!({ "type": "object", "required": ["id", "barcodeData", "type", "metadata", "createdAt", "updatedAt"],
        "properties": { "id": { "type": "string" }, "barcodeData": { "type": "string" },
            "type": { "enum": ["QR", "EAN13", "EAN8", "UPCA", "CODE128"] },
            "metadata": { "type": "object", "required": ["device", "location"], "properties": {
                "device": { "type": "string" }, "location": { "type": ["string", "null"] } } },
            "createdAt": { "type": "string", "format": "date-time" }, "updatedAt": { "type": "string", "format": "date-time" } } });
    let envelope = |code: Value| {
        json!({ "type": "object", "required": ["code", "message", "data"],
        "properties": { "code": code, "message": { "type": "string" }, "data": {} } })
    };
    let schemas = json!({
        "Seed001Envelope": envelope(json!({ "const": 0 })),
        "Seed001Message": { "type": "object", "required": ["code", "message"], "properties": {
            "code": { "const": 0 }, "message": { "type": "string" } } },
        "Seed001Error": { "type": "object", "required": ["code", "message", "data"], "properties": {
            "code": { "type": "integer", "description": "the HTTP status" }, "message": { "type": "string" },
            "data": { "type": "object", "required": ["detail"], "properties": {
                "detail": { "type": "string" }, "field": { "type": "string" } } } } },
        "Seed001TokenPair": { "type": "object", "required": ["access", "refresh"], "properties": {
            "access": { "type": "string" }, "refresh": { "type": "string" } } },
        "Seed002Barcode": barcode,
        "Seed002BarcodeList": { "type": "object", "required": ["items", "total"], "properties": {
            "items": { "type": "array", "items": { "$ref": "#/components/schemas/Seed002Barcode" } },
            "total": { "type": "integer" } } },
        "Seed002Deleted": { "type": "object", "required": ["deletedId", "deletedAt"], "properties": {
            "deletedId": { "type": "string" }, "deletedAt": { "type": "string", "format": "date-time" } } },
        "Seed002Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object",
            "required": ["code", "message", "details"], "properties": {
                "code": { "enum": ["INVALID_PAYLOAD", "DUPLICATE_BARCODE", "NOT_FOUND", "DB_WRITE_ERROR", "API_TIMEOUT",
                    "PERMISSION_DENIED", "UNAUTHORIZED", "METHOD_NOT_ALLOWED"] },
                "message": { "type": "string" }, "details": { "type": "object" } } } } },
        "Seed003Envelope": envelope(json!({ "type": "integer",
            "enum": [0, -1, -6, -200, -201, -202, -203, -204, -205, -206, -300, -304, -801] })),
    });
    into_map(schemas)
}

/// The members of a JSON object (none for any other value).
fn into_map(object: Value) -> Map<String, Value> {
    match object {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The document of `operations` (every route of every surface: [`crate::operations`]).
pub fn build(operations: &[Operation]) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for o in operations {
        let item = paths.entry(o.path.to_owned()).or_insert_with(|| json!({}));
        item[o.method.as_str().to_ascii_lowercase()] = operation(o);
    }
    let tags: Vec<Value> = Surface::ALL.iter().map(|s| json!({ "name": s.tag() })).collect();
    let mut schemas = seed_schemas();
    schemas.extend(seed_000_schemas());
    schemas.extend(v1_answers::schemas());
    schemas.extend(seed_answers::schemas());
    json!({
        "openapi": "3.1.0",
        "info": { "title": "locker", "version": env!("CARGO_PKG_VERSION"),
            "description": "One server, one core, each seed's contract at its own base path with its own envelope: \
                seed 000 at /api/v1, seed 001 at /api/…/ (trailing slashes), seed 002 at /api/barcodes, seed 003 at /apis/auth. \
                `locker serve` mounts all four." },
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
                "apiKey": { "type": "apiKey", "in": "header", "name": "X-API-Key" },
            },
            "schemas": schemas,
        },
    })
}

/// The component schemas of seed 000's envelope.
fn seed_000_schemas() -> Map<String, Value> {
    let schemas = json!({
                "Health": { "type": "object", "required": ["status", "version"], "properties": {
                    "status": { "const": "ok" }, "version": { "type": "string" } } },
                "OpenApiDocument": { "type": "object", "required": ["openapi", "info", "paths"] },
                "Success": { "type": "object", "required": ["success"], "properties": {
                    "success": { "const": true }, "message": { "type": "string" }, "data": {} } },
                "Error": { "type": "object", "required": ["success", "error"], "properties": {
                    "success": { "const": false },
                    "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string" }, "message": { "type": "string" }, "details": { "type": "object" } } } } },
    });
    into_map(schemas)
}
