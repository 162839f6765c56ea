//! Which seed's surface a path belongs to, and that surface's error envelope, for the
//! answers given before (or instead of) any handler: a refused body, a stalled body, a
//! caught panic.
//!
//! | surface | paths | error body |
//! |---|---|---|
//! | seed 000 | everything not below | `{success: false, error: {code, message}}` |
//! | seed 001 | `/api/…` but not `/api/v1`, `/api/barcodes` | `{code: <status>, message, data: {detail}}` |
//! | seed 002 | `/api/barcodes…` | `{error: {code, message, details: {}}}` |
//! | seed 003 | `/apis/…` | `{code: -6, message, data: {}}` (its "system error") |

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One seed's API surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Seed 000, `/api/v1` (and the default for paths no surface claims).
    V1,
    /// Seed 001, cabinets, orders, devices.
    Cabinets,
    /// Seed 002, scanner records.
    Barcodes,
    /// Seed 003, e-mail OTP login.
    OtpLogin,
}

/// Whether `path` is `prefix` or below it (`/api/v1` and `/api/v1/x`, not `/api/v10`).
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl Surface {
    /// The surface serving `path`.
    pub fn of(path: &str) -> Surface {
        if under(path, "/api/v1") {
            Surface::V1
        } else if under(path, "/api/barcodes") {
            Surface::Barcodes
        } else if under(path, "/apis") {
            Surface::OtpLogin
        } else if under(path, "/api") {
            Surface::Cabinets
        } else {
            Surface::V1
        }
    }

    /// An error answer in this surface's envelope: `status`, the seed-000/002 style
    /// `code` (e.g. `REQUEST_TIMEOUT`) and a message. The answer asks to close the
    /// connection: these errors come from a connection the server gives up on.
    pub fn error(self, status: StatusCode, code: &str, message: &str) -> Response {
        let body: Value = match self {
            Surface::V1 => json!({ "success": false, "error": { "code": code, "message": message } }),
            Surface::Cabinets => json!({ "code": status.as_u16(), "message": message, "data": { "detail": code } }),
            Surface::Barcodes => json!({ "error": { "code": seed_002_code(code), "message": message, "details": {} } }),
            Surface::OtpLogin => json!({ "code": -6, "message": message, "data": {} }),
        };
        let mut res = (status, Json(body)).into_response();
        res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        res
    }
}

/// Seed 002 has a closed list of codes: a too-large body is its `INVALID_PAYLOAD` and a
/// timeout its `API_TIMEOUT` (the HTTP status still says which).
fn seed_002_code(code: &str) -> &str {
    match code {
        "PAYLOAD_TOO_LARGE" => "INVALID_PAYLOAD",
        "REQUEST_TIMEOUT" => "API_TIMEOUT",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_seed() {
        assert_eq!(Surface::of("/api/v1/lockers"), Surface::V1);
        assert_eq!(Surface::of("/api/v1"), Surface::V1);
        assert_eq!(Surface::of("/api/v10/x"), Surface::Cabinets);
        assert_eq!(Surface::of("/api/barcodes/12"), Surface::Barcodes);
        assert_eq!(Surface::of("/apis/auth/request-otp"), Surface::OtpLogin);
        assert_eq!(Surface::of("/api/orders/"), Surface::Cabinets);
        assert_eq!(Surface::of("/health"), Surface::V1);
        assert_eq!(Surface::of("/ws"), Surface::V1);
    }
}
