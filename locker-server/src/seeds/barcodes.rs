//! Seed 002, scanner records: `POST/GET /api/barcodes`, `GET/DELETE /api/barcodes/{id}`.
//!
//! Records are answered bare (`{id, barcodeData, type, metadata: {device, location},
//! createdAt, updatedAt}`); the list is `{items, total}`; a delete `{deletedId, deletedAt}`.
//! Errors are `{error: {code, message, details}}` with the seed's codes and Vietnamese
//! messages ([`SeedError`]). Every route needs `Authorization: Bearer <access token>`.
//!
//! Choices the seed leaves open (see also the crate README):
//! - `type` is one of `QR`, `EAN13`, `EAN8`, `UPCA`, `CODE128` (spelling variants such as
//!   `EAN-13` accepted) and is answered in that canonical spelling; `barcodeData` is checked
//!   against it ([`locker_core::barcode`]); `metadata.device` is required,
//!   `metadata.location` optional (answered as `null` when absent).
//! - A duplicate is the same data of the same type.
//! - Anyone with a valid token lists and reads every record (they are the kiosk's); only
//!   the account that recorded one, or a technician or admin, deletes it
//!   (`403 PERMISSION_DENIED` otherwise).
//! - A missing, invalid, expired or revoked token is `401 UNAUTHORIZED` (the seed's table
//!   has no code for it).
//! - `limit` is 1..=1000 (default 100), `offset` >= 0 (default 0); newest records first.
//! - `details` of `INVALID_PAYLOAD` add `reason`, the precise rule that failed (English).
//! - Storage failures are `500 DB_WRITE_ERROR` on writes and `500 INTERNAL_ERROR` on reads;
//!   the cause is logged, never returned.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use locker_core::Error;
use locker_core::barcode::{BarcodeRecord, NewBarcode, Symbology};
use locker_core::domain::{Id, Role};
use locker_core::ports::BarcodeStore;
use locker_core::ports::Clock;
use locker_core::ports::RevocationStore;
use locker_core::service::LockerService;
use locker_core::token::jwt::{AccessClaims, AccessTokens};
use serde_json::{Map, Value, json};

use super::{is_json, iso_millis};
use crate::catalog::{self, FieldType, Route, opt, req, route};

/// Default page size of `GET /api/barcodes` (the seed's `?limit=100`).
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page size.
pub const MAX_LIMIT: u32 = 1000;

/// What the scanner-record routes need.
#[derive(Clone)]
pub struct BarcodeState {
    /// Where records live.
    pub barcodes: Arc<dyn BarcodeStore>,
    /// Logins, so tokens whose login was ended (on any surface) are refused.
    pub revocations: Arc<dyn RevocationStore>,
    /// Verifies bearer tokens.
    pub tokens: Arc<AccessTokens>,
    /// Now.
    pub clock: Arc<dyn Clock>,
}

impl BarcodeState {
    /// A state over `service`'s database and clock, verifying bearer tokens with `tokens`.
    pub fn new(service: &LockerService, tokens: Arc<AccessTokens>) -> Self {
        let database = service.database();
        Self { barcodes: database.clone(), revocations: database.clone(), tokens, clock: service.clock().clone() }
    }
}

/// Every seed-002 route, as served and documented.
pub fn routes() -> Vec<Route<BarcodeState>> {
    use FieldType::{Integer, String};
    vec![
        route!(Barcodes POST "/api/barcodes", Customer, "Save a scanned barcode", create)
            .body(&[
                req("barcodeData", String).pattern(r"\S"),
                req("type", String).pattern(SYMBOLOGY),
                req("metadata", FieldType::Fields(METADATA)),
            ])
            .answers(201, "Seed002Barcode"),
        route!(Barcodes GET "/api/barcodes", Customer, "Saved barcodes, newest first", list)
            .query(&[opt("limit", Integer).range(1, i64::from(MAX_LIMIT)), opt("offset", Integer).range(0, i64::MAX)])
            .answers(200, "Seed002BarcodeList"),
        route!(Barcodes GET "/api/barcodes/{id}", Customer, "One saved barcode", get_one),
        route!(Barcodes DELETE "/api/barcodes/{id}", Customer, "Delete a saved barcode", delete_one)
            .answers(200, "Seed002Deleted"),
    ]
}

/// The names `Symbology::parse` takes: `QR`, `EAN13`, `EAN8`, `UPCA`, `CODE128` (and `QRCODE`,
/// `UPC`) in any case, with `-`, `_` or spaces anywhere.
const SYMBOLOGY: &str = concat!(
    r"^[-_ ]*(",
    r"[qQ][-_ ]*[rR]([-_ ]*[cC][-_ ]*[oO][-_ ]*[dD][-_ ]*[eE])?",
    r"|[eE][-_ ]*[aA][-_ ]*[nN][-_ ]*(1[-_ ]*3|8)",
    r"|[uU][-_ ]*[pP][-_ ]*[cC]([-_ ]*[aA])?",
    r"|[cC][-_ ]*[oO][-_ ]*[dD][-_ ]*[eE][-_ ]*1[-_ ]*2[-_ ]*8",
    r")[-_ ]*$"
);

/// A scan's `metadata`: the device (required) and the place (optional; `null` is none).
const METADATA: &[catalog::Field] =
    &[req("device", FieldType::String).pattern(r"\S"), opt("location", FieldType::String).nullable()];

/// A request its field list refuses: `400 INVALID_PAYLOAD` naming the field.
fn refuse(invalid: catalog::Invalid) -> Response {
    SeedError::invalid(&invalid.field, "", invalid.reason).into_response()
}

/// The seed-002 routes with their state applied; other methods on these paths get
/// `405 METHOD_NOT_ALLOWED` in the seed's error shape.
pub fn router(state: BarcodeState) -> Router {
    catalog::build_router(routes(), method_not_allowed, refuse)
        .layer(axum::extract::DefaultBodyLimit::max(crate::JSON_BODY_LIMIT))
        .with_state(state)
}

/// An error answer of the seed-002 surface: `{error: {code, message, details}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedError {
    /// HTTP status.
    pub status: StatusCode,
    /// Seed code (`INVALID_PAYLOAD`, `DUPLICATE_BARCODE`, `NOT_FOUND`, ...).
    pub code: &'static str,
    /// Message in Vietnamese, as the seed's table words it.
    pub message: &'static str,
    /// `{field, value}` and the like.
    pub details: Value,
}

impl SeedError {
    /// `400 INVALID_PAYLOAD` on `field` with the offending `value` and the precise `reason`.
    pub fn invalid(field: &str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        let message = if field == "barcodeData" {
            "Dữ liệu mã vạch không đúng định dạng"
        } else {
            "Dữ liệu đầu vào không hợp lệ"
        };
        SeedError {
            status: StatusCode::BAD_REQUEST,
            code: "INVALID_PAYLOAD",
            message,
            details: json!({ "field": field, "value": value.into(), "reason": reason.into() }),
        }
    }

    /// `409 DUPLICATE_BARCODE` for `value`.
    pub fn duplicate(value: impl Into<String>) -> Self {
        SeedError {
            status: StatusCode::CONFLICT,
            code: "DUPLICATE_BARCODE",
            message: "Mã vạch đã tồn tại trong hệ thống",
            details: json!({ "field": "barcodeData", "value": value.into() }),
        }
    }

    /// `404 NOT_FOUND` for record `id`.
    pub fn not_found(id: impl Into<String>) -> Self {
        SeedError {
            status: StatusCode::NOT_FOUND,
            code: "NOT_FOUND",
            message: "Mã vạch không tồn tại",
            details: json!({ "field": "id", "value": id.into() }),
        }
    }

    /// `401 UNAUTHORIZED`: `reason` says what is wrong with the credentials.
    pub fn unauthorized(reason: &str) -> Self {
        SeedError {
            status: StatusCode::UNAUTHORIZED,
            code: "UNAUTHORIZED",
            message: "Token xác thực không hợp lệ hoặc đã hết hạn",
            details: json!({ "field": "Authorization", "reason": reason }),
        }
    }

    /// `403 PERMISSION_DENIED`.
    pub fn permission_denied() -> Self {
        SeedError {
            status: StatusCode::FORBIDDEN,
            code: "PERMISSION_DENIED",
            message: "Không có quyền truy cập tài nguyên",
            details: json!({ "reason": "only the account that recorded it, a technician or an admin may delete it" }),
        }
    }

    /// A `500` for a storage failure: `DB_WRITE_ERROR` when writing, `INTERNAL_ERROR`
    /// otherwise. The cause is logged here and not returned.
    pub fn storage(err: &Error, writing: bool) -> Self {
        tracing::error!(error = ?err, "seed 002 storage failure");
        let (code, message) = if writing {
            ("DB_WRITE_ERROR", "Không thể ghi dữ liệu vào cơ sở dữ liệu")
        } else {
            ("INTERNAL_ERROR", "Lỗi hệ thống")
        };
        SeedError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code,
            message,
            details: json!({ "error": "storage failure; see the server log" }),
        }
    }

    /// Maps a core error from a write of `value`.
    fn from_write(err: Error, value: &str) -> Self {
        match err {
            Error::AlreadyExists { .. } => Self::duplicate(value),
            Error::Validation { field, message } => {
                let shown = if field == "barcodeData" { value.to_owned() } else { String::new() };
                Self::invalid(&field, shown, message)
            }
            other => Self::storage(&other, true),
        }
    }
}

impl IntoResponse for SeedError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message, "details": self.details } });
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        res
    }
}

async fn method_not_allowed() -> SeedError {
    SeedError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "METHOD_NOT_ALLOWED",
        message: "Phương thức không được hỗ trợ",
        details: json!({}),
    }
}

/// The verified caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub AccessClaims);

impl FromRequestParts<BarcodeState> for Caller {
    type Rejection = SeedError;

    async fn from_request_parts(parts: &mut Parts, state: &BarcodeState) -> Result<Self, Self::Rejection> {
        super::verify_bearer(&parts.headers, &state.tokens, state.revocations.as_ref(), state.clock.now())
            .await
            .map(Caller)
            .map_err(|e| match e {
                Ok(err) => SeedError::storage(&err, false),
                Err(reason) => SeedError::unauthorized(reason.reason()),
            })
    }
}

/// The seed's record shape.
fn record_json(r: &BarcodeRecord) -> Value {
    json!({
        "id": r.id.to_string(),
        "barcodeData": r.data,
        "type": r.symbology.as_str(),
        "metadata": { "device": r.device, "location": r.location },
        "createdAt": iso_millis(r.created_at),
        "updatedAt": iso_millis(r.updated_at),
    })
}

/// A JSON value as the `value` of an error's details (strings bare, others as JSON text).
fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A required string field of `obj`.
fn required_str<'a>(obj: &'a Map<String, Value>, field: &str, path: &str) -> Result<&'a str, SeedError> {
    match obj.get(field) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(SeedError::invalid(path, "", "required")),
        Some(other) => Err(SeedError::invalid(path, shown(Some(other)), "must be a string")),
    }
}

/// Parses and checks a `POST /api/barcodes` body.
fn parse_new(body: &[u8], created_by: Option<Id>) -> Result<NewBarcode, SeedError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| SeedError::invalid("body", "", format!("malformed JSON: {e}")))?;
    let obj = value.as_object().ok_or_else(|| SeedError::invalid("body", "", "expected a JSON object"))?;
    let data = required_str(obj, "barcodeData", "barcodeData")?;
    let type_name = required_str(obj, "type", "type")?;
    let symbology = Symbology::parse(type_name).map_err(|e| SeedError::invalid("type", type_name, e.to_string()))?;
    symbology.validate(data).map_err(|e| SeedError::invalid("barcodeData", data, e.to_string()))?;
    let metadata = match obj.get("metadata") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => return Err(SeedError::invalid("metadata", "", "required")),
        Some(other) => return Err(SeedError::invalid("metadata", shown(Some(other)), "must be an object")),
    };
    let device = required_str(metadata, "device", "metadata.device")?;
    let location = match metadata.get("location") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(SeedError::invalid("metadata.location", shown(Some(other)), "must be a string")),
    };
    let new = NewBarcode { symbology, data: data.to_owned(), device: device.to_owned(), location, created_by };
    new.validate().map_err(|e| SeedError::from_write(e, data))?;
    Ok(new)
}

/// `POST /api/barcodes`: `201` with the stored record.
async fn create(
    State(state): State<BarcodeState>,
    Caller(claims): Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), SeedError> {
    if !is_json(&headers) {
        return Err(SeedError::invalid("Content-Type", "", "expected `Content-Type: application/json`"));
    }
    let body = body.map_err(|e| {
        let mut err = SeedError::invalid("body", "", e.body_text());
        err.status = e.status();
        err
    })?;
    let new = parse_new(&body, claims.sub.parse().ok())?;
    let record = state
        .barcodes
        .insert_barcode(&new, state.clock.now())
        .await
        .map_err(|e| SeedError::from_write(e, &new.data))?;
    Ok((StatusCode::CREATED, Json(record_json(&record))))
}

/// Parses `limit` and `offset` from a raw query string.
fn page_of(query: Option<&str>) -> Result<(u32, u64), SeedError> {
    let (mut limit, mut offset) = (DEFAULT_LIMIT, 0u64);
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "limit" => {
                limit =
                    value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                        SeedError::invalid("limit", value, format!("must be an integer 1..={MAX_LIMIT}"))
                    })?
            }
            "offset" => {
                offset = value
                    .parse()
                    .ok()
                    .filter(|n| *n <= i64::MAX as u64)
                    .ok_or_else(|| SeedError::invalid("offset", value, "must be a non-negative integer"))?
            }
            _ => {}
        }
    }
    Ok((limit, offset))
}

/// `GET /api/barcodes?limit&offset`: `{items, total}`.
async fn list(
    State(state): State<BarcodeState>,
    _caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, SeedError> {
    let (limit, offset) = page_of(query.as_deref())?;
    let (items, total) =
        state.barcodes.list_barcodes(limit, offset).await.map_err(|e| SeedError::storage(&e, false))?;
    Ok(Json(json!({ "items": items.iter().map(record_json).collect::<Vec<_>>(), "total": total })))
}

/// `GET /api/barcodes/{id}`.
async fn get_one(
    State(state): State<BarcodeState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, SeedError> {
    let key: Id = id.parse().map_err(|_| SeedError::not_found(&id))?;
    match state.barcodes.get_barcode(key).await.map_err(|e| SeedError::storage(&e, false))? {
        Some(record) => Ok(Json(record_json(&record))),
        None => Err(SeedError::not_found(id)),
    }
}

/// `DELETE /api/barcodes/{id}`: `{deletedId, deletedAt}`.
async fn delete_one(
    State(state): State<BarcodeState>,
    Caller(claims): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, SeedError> {
    let key: Id = id.parse().map_err(|_| SeedError::not_found(&id))?;
    let record = state
        .barcodes
        .get_barcode(key)
        .await
        .map_err(|e| SeedError::storage(&e, false))?
        .ok_or_else(|| SeedError::not_found(&id))?;
    let own = record.created_by.is_some_and(|by| by.to_string() == claims.sub);
    if !own && !matches!(claims.role, Role::Admin | Role::Technician) {
        return Err(SeedError::permission_denied());
    }
    let deleted_at = state.clock.now();
    match state.barcodes.delete_barcode(key).await.map_err(|e| SeedError::storage(&e, true))? {
        Some(gone) => Ok(Json(json!({ "deletedId": gone.id.to_string(), "deletedAt": iso_millis(deleted_at) }))),
        None => Err(SeedError::not_found(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_type_pattern_is_what_symbology_parse_takes() {
        let pattern = regex::Regex::new(SYMBOLOGY).unwrap();
        let names =
            ["QR", "qr", "QR_CODE", "Qr Code", "EAN13", "ean-13", "EAN 8", "UPC", "upc-a", "Code 128", "_EAN8_"];
        for name in names {
            assert!(Symbology::parse(name).is_ok(), "{name}");
            assert!(pattern.is_match(name), "{name}");
        }
        for name in ["", "PDF417", "EAN12", "QRR", "CODE-12-8x", "UPCAA", "ean 1 4"] {
            assert_eq!(Symbology::parse(name).is_ok(), pattern.is_match(name), "{name}");
        }
    }

    #[test]
    fn page_parameters_are_checked() {
        assert_eq!(page_of(None).unwrap(), (100, 0));
        assert_eq!(page_of(Some("limit=5&offset=10&x=y")).unwrap(), (5, 10));
        for bad in ["limit=0", "limit=1001", "limit=abc", "limit=-1", "offset=-1", "offset=1.5", "limit="] {
            let err = page_of(Some(bad)).unwrap_err();
            assert_eq!((err.status, err.code), (StatusCode::BAD_REQUEST, "INVALID_PAYLOAD"), "{bad}");
        }
    }

    #[test]
    fn bodies_are_checked_field_by_field() {
        let field = |body: &str| parse_new(body.as_bytes(), None).unwrap_err().details["field"].clone();
        assert_eq!(field("nope"), "body");
        assert_eq!(field("[]"), "body");
        assert_eq!(field(r#"{"type":"QR","metadata":{"device":"d"}}"#), "barcodeData");
        assert_eq!(field(r#"{"barcodeData":5,"type":"QR","metadata":{"device":"d"}}"#), "barcodeData");
        assert_eq!(field(r#"{"barcodeData":"x","type":"PDF417","metadata":{"device":"d"}}"#), "type");
        assert_eq!(field(r#"{"barcodeData":"abc123","type":"EAN13","metadata":{"device":"d"}}"#), "barcodeData");
        assert_eq!(field(r#"{"barcodeData":"x","type":"QR"}"#), "metadata");
        assert_eq!(field(r#"{"barcodeData":"x","type":"QR","metadata":{}}"#), "metadata.device");
        assert_eq!(field(r#"{"barcodeData":"x","type":"QR","metadata":{"device":" "}}"#), "metadata.device");
        assert_eq!(
            field(r#"{"barcodeData":"x","type":"QR","metadata":{"device":"d","location":1}}"#),
            "metadata.location"
        );
        let ok = parse_new(br#"{"barcodeData":"x","type":"qr","metadata":{"device":"d"}}"#, None).unwrap();
        assert_eq!((ok.symbology, ok.location), (Symbology::Qr, None));
    }
}
