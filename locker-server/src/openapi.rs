//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 document generated from the route lists, so
//! it lists exactly the routes the routers serve, with their security and bodies (a test
//! checks both directions): seed 000's [`table`] and the seed surfaces'
//! [`catalog::operations`], each operation tagged with its seed and answering in that seed's
//! own envelope.

use axum::Json;
use serde_json::{Map, Value, json};

use crate::http::guard::Access;
use crate::routes::{BodyKind, Route, table};
use crate::seeds::catalog::{self, Field, Operation, Seed, SeedAuth};

/// The tag of seed 000's operations.
const SEED_000: &str = "seed 000: Face Locker (/api/v1)";

fn operation(r: &Route) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(r.summary));
    op.insert("operationId".into(), json!(format!("{} {}", r.method, r.path)));
    op.insert("tags".into(), json!([SEED_000]));
    let params = path_params(r.path, json!({ "type": "string", "format": "uuid" }));
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

/// The `{param}` segments of `path` as required path parameters of `schema`.
fn path_params(path: &str, schema: Value) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": schema }))
        .collect()
}

/// A JSON object schema with `fields`.
fn object_schema(fields: &[Field]) -> Value {
    let properties: Map<String, Value> = fields.iter().map(|f| (f.name.to_owned(), f.ty.schema())).collect();
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

/// One seed-surface operation, answering in its seed's envelope.
fn seed_operation(o: &Operation) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(o.summary));
    op.insert("operationId".into(), json!(format!("{} {}", o.method, o.path)));
    op.insert("tags".into(), json!([o.seed.tag()]));
    let path_schema = match o.seed {
        Seed::Cabinets => json!({ "type": "string" }),
        Seed::Barcodes => json!({ "type": "string", "format": "uuid" }),
        Seed::OtpLogin => json!({ "type": "string" }),
    };
    let mut params = path_params(o.path, path_schema);
    params.extend(
        o.query
            .iter()
            .map(|f| json!({ "name": f.name, "in": "query", "required": f.required, "schema": f.ty.schema() })),
    );
    if !params.is_empty() {
        op.insert("parameters".into(), json!(params));
    }
    let security = match o.auth {
        SeedAuth::Public => json!([]),
        SeedAuth::User | SeedAuth::Admin => json!([{ "bearerAuth": [] }]),
        SeedAuth::DeviceKey => json!([{ "apiKey": [] }]),
    };
    op.insert("security".into(), security);
    op.insert("x-access".into(), json!(o.auth));
    if !o.body.is_empty() {
        let content = json!({ "application/json": { "schema": object_schema(&o.body) } });
        op.insert("requestBody".into(), json!({ "required": true, "content": content }));
    }
    let content = |schema: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    let mut responses = Map::new();
    responses.insert(o.status.to_string(), json!({ "description": "OK", "content": content(o.answer) }));
    match o.seed {
        Seed::Cabinets => {
            let error =
                json!({ "description": "Error; `code` equals the HTTP status", "content": content("Seed001Error") });
            responses.insert("4XX".into(), error.clone());
            responses.insert("5XX".into(), error);
        }
        Seed::Barcodes => {
            let error = json!({ "description": "Error", "content": content("Seed002Error") });
            responses.insert("4XX".into(), error.clone());
            responses.insert("5XX".into(), error);
        }
        // Seed 003 answers 200 with a non-zero `code` for every error.
        Seed::OtpLogin => {
            responses.insert(
                "200".into(),
                json!({ "description": "`code` 0 on success, else the error code", "content": content(o.answer) }),
            );
        }
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// The component schemas of the seed surfaces' answers.
fn seed_schemas() -> Map<String, Value> {
    let barcode = json!({ "type": "object", "required": ["id", "barcodeData", "type", "metadata", "createdAt", "updatedAt"],
        "properties": { "id": { "type": "string" }, "barcodeData": { "type": "string" },
            "type": { "enum": ["QR", "EAN13", "EAN8", "UPCA", "CODE128"] },
            "metadata": { "type": "object", "properties": { "device": { "type": "string" }, "location": { "type": "string" } } },
            "createdAt": { "type": "string", "format": "date-time" }, "updatedAt": { "type": "string", "format": "date-time" } } });
    let envelope = |code: Value| {
        json!({ "type": "object", "required": ["code", "message", "data"],
        "properties": { "code": code, "message": { "type": "string" }, "data": {} } })
    };
    let schemas = json!({
        "Seed001Envelope": envelope(json!({ "const": 0 })),
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

/// The document.
pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for r in table() {
        let item = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        item[r.method.as_str().to_ascii_lowercase()] = operation(&r);
    }
    for o in catalog::operations() {
        let item = paths.entry(o.path.to_owned()).or_insert_with(|| json!({}));
        item[o.method.as_str().to_ascii_lowercase()] = seed_operation(&o);
    }
    let tags: Vec<Value> = [SEED_000, Seed::Cabinets.tag(), Seed::Barcodes.tag(), Seed::OtpLogin.tag()]
        .iter()
        .map(|t| json!({ "name": t }))
        .collect();
    let mut schemas = seed_schemas();
    schemas.extend(seed_000_schemas());
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
                "Success": { "type": "object", "required": ["success"], "properties": {
                    "success": { "const": true }, "message": { "type": "string" }, "data": {} } },
                "Error": { "type": "object", "required": ["success", "error"], "properties": {
                    "success": { "const": false },
                    "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string" }, "message": { "type": "string" }, "details": { "type": "object" } } } } },
    });
    into_map(schemas)
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(build())
}
