//! The seed-001 envelope `{code, message, data}`, its error answers with the seed's Chinese
//! messages, the one mapping from core errors, and the body and query readers whose every
//! refusal is a `400 参数错误` naming the field.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use locker_core::Error;
use locker_core::domain::{HalfHours, Money};
use serde_json::{Map, Value, json};

use crate::http::throttle;
use crate::seeds::BodyError;

/// A success: HTTP 200 (or 201), `{code: 0, message, data}`; `data` is left out when `None`
/// (the status report answers `{code, message}` only).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    status: StatusCode,
    message: &'static str,
    data: Option<Value>,
}

impl Reply {
    /// `200` with `message` and `data`.
    pub fn ok(message: &'static str, data: Value) -> Self {
        Reply { status: StatusCode::OK, message, data: Some(data) }
    }

    /// `200` with `message: "success"`.
    pub fn success(data: Value) -> Self {
        Self::ok("success", data)
    }

    /// `201 Created` with `message` and `data`.
    pub fn created(message: &'static str, data: Value) -> Self {
        Reply { status: StatusCode::CREATED, message, data: Some(data) }
    }

    /// `200` with only a message.
    pub fn message(message: &'static str) -> Self {
        Reply { status: StatusCode::OK, message, data: None }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": 0, "message": self.message });
        if let Some(data) = self.data {
            body["data"] = data;
        }
        (self.status, Json(body)).into_response()
    }
}

/// An error answer: HTTP status `code`, body `{code, message, data: {detail, field?}}` where
/// `code` repeats the status (the seed's table: 400, 401, 403, 404) and `message` is the
/// seed's wording. `detail` says precisely what is wrong (English).
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    /// HTTP status, repeated as `code`.
    pub status: StatusCode,
    /// The seed's message.
    pub message: &'static str,
    /// `{detail, field?}`.
    pub data: Value,
}

impl Fail {
    fn new(status: StatusCode, message: &'static str, detail: impl Into<String>) -> Self {
        Fail { status, message, data: json!({ "detail": detail.into() }) }
    }

    /// `400 参数错误` naming `field`.
    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        Fail {
            status: StatusCode::BAD_REQUEST,
            message: "参数错误",
            data: json!({ "field": field, "detail": detail.into() }),
        }
    }

    /// `400` with one of the seed's business messages (`柜子不可用`, `余额不足`, ...).
    pub fn refused(message: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, detail)
    }

    /// `503 服务暂时不可用`: the server cannot take this now; the client may retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "服务暂时不可用", detail)
    }

    /// `401 认证凭据未提供` (no token or API key) or `401` with `message` for a bad one.
    pub fn unauthorized(message: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message, detail)
    }

    /// `401 认证凭据未提供`.
    pub fn no_credentials(detail: impl Into<String>) -> Self {
        Self::unauthorized("认证凭据未提供", detail)
    }

    /// `403 无权限访问`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "无权限访问", detail)
    }

    /// `404` with the seed's message for `entity` (`用户不存在`, `柜子不存在`, ...).
    pub fn not_found(entity: Entity, id: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_FOUND, entity.missing(), format!("no {} {id}", entity.name()))
    }

    /// `405` for a path served with other methods.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "请求方法不允许", "this endpoint does not take this method")
    }

    /// `500 服务器内部错误`; the cause is logged, never returned.
    pub fn internal(err: &Error) -> Self {
        tracing::error!(error = ?err, "seed 001 internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误", "internal error; it has been logged")
    }

    /// The mapping table from core errors; `entity` names what a `NotFound` is about.
    /// Anything without a seed meaning is a logged 500.
    pub fn from_core(err: Error, entity: Entity) -> Self {
        use locker_core::token::TokenError;
        match err {
            Error::Validation { field, message } => Self::invalid(&field, message),
            Error::NotFound { id, .. } => Self::not_found(entity, id),
            Error::InsufficientBalance => Self::refused("余额不足", "the balance does not cover the amount"),
            Error::Conflict(why) | Error::LockerInUse(why) => Self::refused("柜子不可用", why),
            Error::NoAvailableLocker => Self::refused("柜子不可用", "no cabinet is free"),
            Error::NotOpenable(why) => Self::refused("柜子不可用", why),
            Error::Transition(t) => Self::refused("订单状态不允许此操作", t.to_string()),
            Error::Token(TokenError::PickupCodeInvalid) => {
                Self::refused("无效的取件码或订单已过期", "wrong, used or expired pickup code for this cabinet")
            }
            Error::Token(ref t @ TokenError::RateLimited { .. }) => {
                let mut data = throttle::denial_of(t).map(throttle::describe).unwrap_or_else(|| json!({}));
                data["detail"] = json!("too many tries; wait before trying again");
                Fail { status: StatusCode::TOO_MANY_REQUESTS, message: "请求过于频繁", data }
            }
            other => Self::internal(&other),
        }
    }

    /// A core error where "not found" is impossible or means a broken database.
    pub fn core(err: Error) -> Self {
        Self::from_core(err, Entity::Record)
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.status.as_u16(), "message": self.message, "data": self.data });
        let mut res = (self.status, Json(body)).into_response();
        let denial = (self.status == StatusCode::TOO_MANY_REQUESTS).then(|| throttle::denial_in(&self.data)).flatten();
        if let Some(denial) = denial {
            throttle::put_headers(res.headers_mut(), denial);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// What a `404` is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// `用户不存在`.
    User,
    /// `柜子不存在`.
    Cabinet,
    /// `订单不存在`.
    Order,
    /// `设备不存在`.
    Device,
    /// Something that must exist (a broken reference).
    Record,
}

impl Entity {
    fn missing(self) -> &'static str {
        match self {
            Entity::User => "用户不存在",
            Entity::Cabinet => "柜子不存在",
            Entity::Order => "订单不存在",
            Entity::Device => "设备不存在",
            Entity::Record => "资源不存在",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Cabinet => "cabinet",
            Entity::Order => "order",
            Entity::Device => "device",
            Entity::Record => "record",
        }
    }
}

/// The request body as a JSON object; anything else is `400 参数错误` (413 when too large).
#[derive(Debug, Clone, PartialEq)]
pub struct Body(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Fail;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        object(&headers, Bytes::from_request(req, state).await).map(Body)
    }
}

/// The one path parameter as text; text that is not UTF-8 is the empty string (found by no
/// lookup, so the route answers its `404`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathText(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathText {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let text = Path::<String>::from_request_parts(parts, state).await.map(|Path(p)| p).unwrap_or_default();
        Ok(PathText(text))
    }
}

fn object(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Map<String, Value>, Fail> {
    crate::seeds::json_object(headers, body).map_err(|e| match e {
        BodyError::NotJson => Fail::invalid("Content-Type", "expected `Content-Type: application/json`"),
        BodyError::Unreadable(text, status) => Fail { status, ..Fail::invalid("body", text) },
        BodyError::Malformed => Fail::invalid("body", "malformed JSON"),
        BodyError::NotObject => Fail::invalid("body", "expected a JSON object"),
    })
}

/// A required, non-blank string field.
pub fn required_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, Fail> {
    match optional_str(body, field)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(Fail::invalid(field, "this field is required")),
    }
}

/// An optional string field (`null` counts as absent).
pub fn optional_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, Fail> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Fail::invalid(field, "must be a string")),
    }
}

/// A decimal field given as a JSON number (`2`, `0.5`) or a string (`"2.00"`), as text.
fn decimal_text(body: &Map<String, Value>, field: &str) -> Result<Option<String>, Fail> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(Fail::invalid(field, "must be a decimal number")),
    }
}

/// A required duration in hours: at least 0.5, in 0.5 h steps (`2`, `0.5`, `"1.50"`).
pub fn hours(body: &Map<String, Value>, field: &str) -> Result<HalfHours, Fail> {
    let text = decimal_text(body, field)?.ok_or_else(|| Fail::invalid(field, "this field is required"))?;
    let parsed = match body.get(field) {
        Some(Value::Number(n)) => n.as_f64().map_or_else(|| HalfHours::parse_hours(&text), HalfHours::from_hours_f64),
        _ => HalfHours::parse_hours(&text),
    };
    parsed.map_err(|e| Fail::invalid(field, validation_text(e)))
}

/// An optional amount of money (`6`, `"5.00"`), not negative, at most two decimals.
pub fn money(body: &Map<String, Value>, field: &str) -> Result<Option<Money>, Fail> {
    let Some(text) = decimal_text(body, field)? else { return Ok(None) };
    // JSON numbers such as 6.0 arrive as "6.0"; Money takes at most two decimals.
    let amount: Money = text.parse().map_err(|e| Fail::invalid(field, validation_text(e)))?;
    if amount.minor() < 0 {
        return Err(Fail::invalid(field, "must not be negative"));
    }
    Ok(Some(amount))
}

/// An optional boolean field.
pub fn optional_bool(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, Fail> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(Fail::invalid(field, "must be true or false")),
    }
}

/// The message of a validation error without its field prefix.
fn validation_text(e: Error) -> String {
    match e {
        Error::Validation { message, .. } => message,
        other => other.to_string(),
    }
}

/// The query string as `(key, value)` pairs, percent-decoded.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect()
}

/// The value of `key` in `pairs`, if given and not empty.
pub fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// An integer query parameter within `range`, or `default` when absent.
pub fn query_int(
    pairs: &[(String, String)],
    key: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, Fail> {
    match query_value(pairs, key) {
        None => Ok(default),
        Some(v) => {
            v.parse::<u32>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                Fail::invalid(key, format!("must be an integer from {} to {}", range.start(), range.end()))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn durations_accept_numbers_and_strings_in_half_hours() {
        assert_eq!(hours(&map(json!({ "h": 2 })), "h").unwrap(), HalfHours(4));
        assert_eq!(hours(&map(json!({ "h": 0.5 })), "h").unwrap(), HalfHours(1));
        assert_eq!(hours(&map(json!({ "h": "1.50" })), "h").unwrap(), HalfHours(3));
        for bad in [
            json!({}),
            json!({ "h": 0 }),
            json!({ "h": 0.25 }),
            json!({ "h": -1 }),
            json!({ "h": "x" }),
            json!({ "h": true }),
        ] {
            let err = hours(&map(bad.clone()), "h").unwrap_err();
            assert_eq!(
                (err.status, err.message, err.data["field"].as_str()),
                (StatusCode::BAD_REQUEST, "参数错误", Some("h")),
                "{bad}"
            );
        }
    }

    #[test]
    fn money_takes_two_decimals_and_no_sign() {
        assert_eq!(money(&map(json!({ "p": 6 })), "p").unwrap(), Some(Money(600)));
        assert_eq!(money(&map(json!({ "p": "5.00" })), "p").unwrap(), Some(Money(500)));
        assert_eq!(money(&map(json!({})), "p").unwrap(), None);
        for bad in [json!({ "p": "-1" }), json!({ "p": "1.234" }), json!({ "p": [] })] {
            assert_eq!(money(&map(bad.clone()), "p").unwrap_err().message, "参数错误", "{bad}");
        }
    }

    #[test]
    fn core_errors_map_to_the_seed_messages() {
        assert_eq!(Fail::from_core(Error::InsufficientBalance, Entity::Order).message, "余额不足");
        assert_eq!(Fail::from_core(Error::not_found("locker", "X"), Entity::Cabinet).message, "柜子不存在");
        let storage = Fail::core(Error::Storage { message: "disk on fire".into(), source: None });
        assert_eq!(storage.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!storage.data.to_string().contains("disk"), "causes are not returned");
    }
}
