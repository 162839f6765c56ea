//! The seed-000 error envelope `{success: false, error: {code, message, details}}` and the
//! one table that maps core errors onto it.
//!
//! Internal detail (storage causes, panics) is logged with the request, never returned.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use locker_core::token::ratelimit::Decision;
use locker_core::{Error, ErrorCode};
use serde_json::{Value, json};

/// An error answer of the `/api/v1` surface.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Seed error code (`LOCKER_NOT_FOUND`, `VALIDATION_ERROR`, ...).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Structured details (e.g. `{"field": "size"}`).
    pub details: Option<Value>,
}

impl ApiError {
    /// An error with no details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: None }
    }

    /// `400 VALIDATION_ERROR` naming the field.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "VALIDATION_ERROR",
            message: message.into(),
            details: Some(json!({ "field": field })),
        }
    }

    /// `401 UNAUTHORIZED`: no or unusable credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    /// `403 FORBIDDEN`: authenticated, but the role may not do this.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", "You do not have permission to do this")
    }

    /// Adds structured details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// HTTP status and seed-000 code of `err`: [`status_and_code_of`] its code, with "not found"
/// named after what is missing.
fn status_and_code(err: &Error) -> (StatusCode, &'static str) {
    use StatusCode as S;
    match err {
        Error::NotFound { entity: "locker", .. } => (S::NOT_FOUND, "LOCKER_NOT_FOUND"),
        Error::NotFound { entity: "rental" | "session", .. } => (S::NOT_FOUND, "SESSION_NOT_FOUND"),
        Error::NotFound { entity: "user", .. } => (S::NOT_FOUND, "USER_NOT_FOUND"),
        Error::NotFound { entity: "alert", .. } => (S::NOT_FOUND, "ALERT_NOT_FOUND"),
        Error::NotFound { entity: "controller", .. } => (S::NOT_FOUND, "CONTROLLER_NOT_FOUND"),
        _ => status_and_code_of(err.code()).unwrap_or((S::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR")),
    }
}

/// The mapping table: core error code -> HTTP status and seed-000 code; `None` for a code
/// added to the core and not yet mapped here (a test walks `ErrorCode::ALL` for those).
fn status_and_code_of(code: ErrorCode) -> Option<(StatusCode, &'static str)> {
    use StatusCode as S;
    Some(match code {
        ErrorCode::Validation => (S::BAD_REQUEST, "VALIDATION_ERROR"),
        ErrorCode::NotFound => (S::NOT_FOUND, "NOT_FOUND"),
        ErrorCode::AlreadyExists => (S::CONFLICT, "ALREADY_EXISTS"),
        ErrorCode::Conflict => (S::CONFLICT, "CONFLICT"),
        ErrorCode::InvalidTransition => (S::CONFLICT, "INVALID_STATE"),
        ErrorCode::NoAvailableLocker => (S::SERVICE_UNAVAILABLE, "NO_AVAILABLE_LOCKER"),
        ErrorCode::LockerInUse => (S::CONFLICT, "LOCKER_IN_USE"),
        ErrorCode::InsufficientBalance => (S::PAYMENT_REQUIRED, "INSUFFICIENT_BALANCE"),
        ErrorCode::PaymentNotConfigured => (S::BAD_REQUEST, "PAYMENT_NOT_CONFIGURED"),
        ErrorCode::PaymentDeclined => (S::PAYMENT_REQUIRED, "PAYMENT_DECLINED"),
        ErrorCode::InvalidCredentials => (S::UNAUTHORIZED, "INVALID_CREDENTIALS"),
        ErrorCode::TokenInvalid => (S::UNAUTHORIZED, "TOKEN_INVALID"),
        ErrorCode::TokenExpired => (S::UNAUTHORIZED, "TOKEN_EXPIRED"),
        // Revoked (logout) and reused (family revoked) refresh tokens are invalid to the client;
        // `details.reason` says which.
        ErrorCode::TokenRevoked | ErrorCode::TokenReused => (S::UNAUTHORIZED, "TOKEN_INVALID"),
        ErrorCode::QrUsed => (S::UNAUTHORIZED, "QR_USED"),
        ErrorCode::QrExpired => (S::UNAUTHORIZED, "QR_EXPIRED"),
        ErrorCode::OtpInvalid => (S::UNAUTHORIZED, "OTP_INVALID"),
        ErrorCode::OtpExpired => (S::UNAUTHORIZED, "OTP_EXPIRED"),
        ErrorCode::OtpUsed => (S::UNAUTHORIZED, "OTP_USED"),
        ErrorCode::OtpTooManyAttempts => (S::TOO_MANY_REQUESTS, "OTP_TOO_MANY_ATTEMPTS"),
        ErrorCode::OtpTooManyRequests | ErrorCode::RateLimited => (S::TOO_MANY_REQUESTS, "RATE_LIMITED"),
        ErrorCode::FaceNotFound => (S::UNPROCESSABLE_ENTITY, "FACE_NOT_FOUND"),
        ErrorCode::MultipleFaces => (S::UNPROCESSABLE_ENTITY, "MULTIPLE_FACES"),
        ErrorCode::FaceTooSmall => (S::UNPROCESSABLE_ENTITY, "FACE_TOO_SMALL"),
        ErrorCode::ImageUnreadable => (S::BAD_REQUEST, "IMAGE_UNREADABLE"),
        ErrorCode::ImageTooLarge => (S::PAYLOAD_TOO_LARGE, "IMAGE_TOO_LARGE"),
        ErrorCode::ImageEmpty => (S::BAD_REQUEST, "IMAGE_EMPTY"),
        ErrorCode::ImageTooSmall => (S::UNPROCESSABLE_ENTITY, "IMAGE_TOO_SMALL"),
        ErrorCode::FaceMismatch => (S::UNAUTHORIZED, "FACE_MISMATCH"),
        ErrorCode::UartTimeout => (S::INTERNAL_SERVER_ERROR, "UART_TIMEOUT"),
        ErrorCode::ControllerFault
        | ErrorCode::SerialPort
        | ErrorCode::SerialPortNotFound
        | ErrorCode::ControllerNotAttached => (S::INTERNAL_SERVER_ERROR, "HARDWARE_ERROR"),
        ErrorCode::UartBadChannel | ErrorCode::UartPayloadTooLong | ErrorCode::UartUnsupported => {
            (S::BAD_REQUEST, "VALIDATION_ERROR")
        }
        ErrorCode::Storage | ErrorCode::Config | ErrorCode::Internal => (S::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
        // No seed-000 meaning on this surface: a logged 500, as before this table was checked.
        ErrorCode::FaceModel
        | ErrorCode::TemplateUnknownKey
        | ErrorCode::TemplateDecrypt
        | ErrorCode::TemplateMalformed
        | ErrorCode::PickupCodeInvalid
        | ErrorCode::OtpSendFailed
        | ErrorCode::UartUnknownDriver => (S::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
        _ => return None,
    })
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let (status, code) = status_and_code(&err);
        if status.is_server_error() && code == "INTERNAL_ERROR" {
            tracing::error!(error = ?err, "internal error");
            return ApiError::new(status, code, "Internal error; it has been logged");
        }
        let details = match &err {
            Error::Validation { field, .. } => Some(json!({ "field": field })),
            Error::AlreadyExists { field, .. } => Some(json!({ "field": field })),
            Error::Token(t @ locker_core::token::TokenError::RateLimited { .. }) => {
                super::throttle::denial_of(t).map(super::throttle::describe)
            }
            Error::Token(locker_core::token::TokenError::Revoked) => Some(json!({ "reason": "revoked" })),
            Error::Token(locker_core::token::TokenError::Reused) => Some(json!({ "reason": "reused" })),
            // The score stays in the log: to a caller it is an oracle for hill-climbing a
            // forged image.
            Error::Face(locker_core::face::FaceError::Mismatch { score }) => {
                tracing::info!(score, "face mismatch");
                None
            }
            _ => None,
        };
        // The message with its causes (the OS error of a failing port, the image decoder's
        // complaint): what a client can act on. Internal errors returned above never get here.
        ApiError { status, code, message: locker_core::error::report(&err), details }
    }
}

impl ApiError {
    /// `429 RATE_LIMITED` for `denial`, with `message`; its answer carries `Retry-After` and
    /// the `X-RateLimit-*` headers of that limit.
    pub fn throttled(denial: Decision, message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", message)
            .with_details(super::throttle::describe(denial))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let denial = self
            .details
            .as_ref()
            .filter(|_| self.status == StatusCode::TOO_MANY_REQUESTS)
            .and_then(super::throttle::denial_in);
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(details) = self.details {
            error["details"] = details;
        }
        let mut res = (self.status, Json(json!({ "success": false, "error": error }))).into_response();
        if let Some(denial) = denial {
            super::throttle::put_headers(res.headers_mut(), denial);
        }
        res
    }
}

/// The answer for a path no route serves.
pub async fn not_found_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such endpoint")
}

/// The answer for a path served, but not with this method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "This endpoint does not take this method")
}

impl ApiError {
    /// `401 TOKEN_INVALID` with a reason.
    pub fn token_invalid(reason: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "TOKEN_INVALID", message).with_details(json!({ "reason": reason }))
    }

    /// `500 INTERNAL_ERROR`; the cause is logged, never returned.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Internal error; it has been logged")
    }

    /// `413 PAYLOAD_TOO_LARGE`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_is_in_the_table() {
        let unmapped: Vec<ErrorCode> =
            ErrorCode::ALL.iter().copied().filter(|&c| status_and_code_of(c).is_none()).collect();
        assert!(unmapped.is_empty(), "codes without an HTTP status: {unmapped:?}");
    }

    #[test]
    fn a_face_mismatch_tells_no_score() {
        let e = ApiError::from(Error::Face(locker_core::face::FaceError::Mismatch { score: -0.1186 }));
        assert_eq!((e.status, e.code), (StatusCode::UNAUTHORIZED, "FACE_MISMATCH"));
        assert_eq!(e.details, None, "the score is an oracle for forging a face");
    }

    #[test]
    fn a_rate_limit_answer_carries_the_headers_of_the_limit() {
        let e = Error::Token(locker_core::token::TokenError::RateLimited { retry_after_secs: 7, limit: 3, reset: 99 });
        let res = ApiError::from(e).into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let h = |n: &str| res.headers()[n].to_str().unwrap().to_owned();
        let got = (h("retry-after"), h("x-ratelimit-limit"), h("x-ratelimit-remaining"), h("x-ratelimit-reset"));
        assert_eq!(got, ("7".into(), "3".into(), "0".into(), "99".into()));
    }

    #[test]
    fn not_found_is_named_after_what_is_missing() {
        let locker = Error::not_found("locker", "A01");
        assert_eq!(status_and_code(&locker), (StatusCode::NOT_FOUND, "LOCKER_NOT_FOUND"));
        let other = Error::not_found("barcode", "x");
        assert_eq!(status_and_code(&other), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    }
}
