//! The web screens `locker serve` serves beside the API: hand-written HTML, CSS and ES
//! modules from `locker-server/assets/`, embedded in the binary (no build step, nothing
//! fetched at build or run time), each screen a router of its own calling the JSON API and
//! `/ws` like any other client.

pub mod console;
pub mod kiosk;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `body` as a screen's file: its `Content-Type`, `Cache-Control: no-cache` (the files change
/// with the binary), the screen's `Content-Security-Policy`, `nosniff`, `no-referrer`, and
/// the screen's `extra` headers.
pub fn embedded(
    body: &'static [u8],
    content_type: &'static str,
    csp: &'static str,
    extra: &[(&'static str, &'static str)],
) -> Response {
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    for (name, value) in extra {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    res
}
