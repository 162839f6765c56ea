//! The seed-000 success envelope: `{success: true, message?, data?}`.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A successful `/api/v1` answer.
#[derive(Debug, Serialize)]
pub struct Success<T> {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
    #[serde(skip)]
    status: StatusCode,
}

impl<T: Serialize> Success<T> {
    /// `200 OK` with data.
    pub fn data(data: T) -> Self {
        Success { success: true, message: None, data: Some(data), status: StatusCode::OK }
    }

    /// Adds the human message the seed shows next to the data.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Answers with `status` instead of 200 (e.g. 201 Created).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl Success<()> {
    /// `200 OK` with only a message.
    pub fn message(message: impl Into<String>) -> Self {
        Success { success: true, message: Some(message.into()), data: None, status: StatusCode::OK }
    }
}

impl<T: Serialize> IntoResponse for Success<T> {
    /// As `axum::Json` answers, but serialised into one growing `Vec` (`Json` writes
    /// through a `BytesMut` writer whose per-write overhead showed in the list's profile).
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(1024);
        match serde_json::to_writer(&mut body, &self) {
            Ok(()) => {
                (self.status, [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
            }
            Err(e) => super::error::ApiError::internal(format!("answer not serialisable: {e}")).into_response(),
        }
    }
}
