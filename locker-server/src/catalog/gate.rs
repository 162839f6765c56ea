//! The gate in front of every handler: the request's query parameters, headers and JSON body
//! checked against the route's catalogue fields (the same lists the OpenAPI document is built
//! from), so a request the document calls invalid never reaches the handler. What fails is
//! answered in the surface's own error shape by the surface's `reject` function.
//!
//! The gate checks what the list says and nothing more: the handler still parses its values
//! (and may refuse more, a taken name for instance). A body that is not JSON at all, or sent
//! without a JSON `Content-Type`, is left to the handler, which answers it as before.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::fields::{check_object, integers_as_integers};
use super::{BodyKind, Field, Invalid, Operation};
use crate::http::surface::Surface as ErrorShape;

/// The checks of one route, and how its surface answers a refusal.
#[derive(Clone)]
pub struct Gate {
    /// Whether the path parameters are ids (UUIDs), checked before anything else.
    path_ids: bool,
    query: Vec<Field>,
    headers: Vec<Field>,
    body: Option<Vec<Field>>,
    closed: bool,
    limit: usize,
    reject: fn(Invalid) -> Response,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate").field("query", &self.query).field("body", &self.body).finish_non_exhaustive()
    }
}

impl Gate {
    /// The gate of `op`, reading at most `limit` body bytes and refusing with `reject`.
    pub fn new(op: &Operation, limit: usize, reject: fn(Invalid) -> Response) -> Self {
        let body = (op.kind == BodyKind::Json).then(|| op.body.clone());
        let path_ids = op.surface == super::Surface::V1 && op.path.contains('{');
        Self { path_ids, query: op.query.clone(), headers: op.headers.clone(), body, closed: op.closed, limit, reject }
    }

    /// Whether there is anything to check.
    pub fn checks_anything(&self) -> bool {
        self.path_ids || !self.query.is_empty() || !self.headers.is_empty() || self.body.is_some()
    }

    /// The query string `query` against the query fields.
    pub fn check_query(&self, query: Option<&str>) -> Result<(), Invalid> {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
        for field in &self.query {
            let mut given = pairs.iter().filter(|(k, _)| k == field.name).peekable();
            if given.peek().is_none() && field.required {
                return Err(invalid(field.name, "this parameter is required"));
            }
            for (_, value) in given {
                field.check_query(value).map_err(|reason| invalid(field.name, reason))?;
            }
        }
        Ok(())
    }

    /// The request's headers against the header fields (names are case-blind).
    pub fn check_headers(&self, headers: &axum::http::HeaderMap) -> Result<(), Invalid> {
        for field in &self.headers {
            match headers.get(field.name).map(|v| v.to_str()) {
                None if field.required => {
                    return Err(Invalid { missing: true, ..invalid(field.name, "this header is required") });
                }
                None => {}
                Some(Err(_)) => return Err(invalid(field.name, "must be visible ASCII")),
                Some(Ok(value)) => field.check_query(value).map_err(|reason| invalid(field.name, reason))?,
            }
        }
        Ok(())
    }

    /// A JSON body against the body fields: an object, every required field present, every
    /// field of its type and range, and (for a closed body) no other field.
    pub fn check_body(&self, body: &Value) -> Result<(), Invalid> {
        let Some(fields) = &self.body else { return Ok(()) };
        let Value::Object(map) = body else { return Err(invalid("body", "expected a JSON object")) };
        check_object(fields, map, self.closed)
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> Invalid {
    Invalid { field: field.to_owned(), reason: reason.into(), missing: false }
}

/// Whether `request` says its body is JSON.
fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || (v.starts_with("application/") && v.ends_with("+json")))
}

/// The first path parameter that is not an id (UUID), as the refusal `ApiPath` gives it.
fn bad_path_id(params: &RawPathParams) -> Option<Invalid> {
    let (name, _) = params.iter().find(|(_, value)| uuid::Uuid::try_parse(value).is_err())?;
    Some(invalid(name, format!("invalid {name}: expected an id (UUID)")))
}

/// The middleware: checks the path ids, the query, the headers, then a JSON body (buffered,
/// and handed on with integers written as integers).
pub async fn gate(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if gate.path_ids
        && let Ok(params) = RawPathParams::from_request_parts(&mut parts, &()).await
        && let Some(e) = bad_path_id(&params)
    {
        return (gate.reject)(e);
    }
    let request = Request::from_parts(parts, body);
    if let Err(e) = gate.check_query(request.uri().query()).and_then(|()| gate.check_headers(request.headers())) {
        return (gate.reject)(e);
    }
    if gate.body.is_none() {
        return next.run(request).await;
    }
    // A body announced larger than the route takes is refused before a byte of it is read
    // (413 in the surface's shape), so a client cannot hold the handler with it.
    let announced = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<usize>().ok());
    if announced.is_some_and(|n| n > gate.limit) {
        let message = format!("the request body is larger than this route's {} bytes", gate.limit);
        return ErrorShape::of(request.uri().path()).error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &message,
        );
    }
    if !is_json(&request) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let mut bytes = match to_bytes(body, gate.limit).await {
        Ok(bytes) => bytes,
        Err(_) => return (gate.reject)(invalid("body", "unreadable or too large")),
    };
    if let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) {
        if let Err(e) = gate.check_body(&value) {
            return (gate.reject)(e);
        }
        let sent = value.clone();
        integers_as_integers(gate.body.as_deref().unwrap_or_default(), &mut value);
        if value != sent {
            bytes = serde_json::to_vec(&value).unwrap_or_default().into();
            parts.headers.remove(CONTENT_LENGTH);
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
