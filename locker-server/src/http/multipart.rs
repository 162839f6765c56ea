//! Face uploads: `multipart/form-data` with a `face_image` file, and the check-out/update
//! body that is either such a form or JSON `{"qr_token": ...}`.
//!
//! Every way a form can be wrong is a 4xx in the seed envelope: not multipart (400
//! `VALIDATION_ERROR`, field `content-type`), no `face_image` part (400, field
//! `face_image`), an empty file (400 `IMAGE_EMPTY`), a body over the route's limit (413
//! `PAYLOAD_TOO_LARGE`), a broken form (400, field `body`).

use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::ApiError;
use super::extract::ApiJson;

/// The multipart field holding the photo.
pub const FACE_FIELD: &str = "face_image";

/// A `face_image` upload.
#[derive(Debug, Clone)]
pub struct FaceImage(pub Bytes);

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("request body too large (image over the upload limit)")
    } else {
        ApiError::validation("body", format!("malformed multipart form: {}", e.body_text()))
    }
}

fn is_multipart(req: &Request) -> bool {
    content_type(req).is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

fn content_type(req: &Request) -> Option<String> {
    req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|s| s.to_ascii_lowercase())
}

/// What a form held: the image and/or a QR token text field.
#[derive(Debug, Default)]
struct Form {
    image: Option<Bytes>,
    qr_token: Option<String>,
}

async fn read_form<S: Send + Sync>(req: Request, state: &S) -> Result<Form, ApiError> {
    let mut mp = Multipart::from_request(req, state).await.map_err(|e| {
        ApiError::validation("content-type", format!("expected multipart/form-data: {}", e.body_text()))
    })?;
    let mut form = Form::default();
    while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some(FACE_FIELD) => form.image = Some(field.bytes().await.map_err(multipart_error)?),
            Some("qr_token") => form.qr_token = Some(field.text().await.map_err(multipart_error)?),
            _ => {
                // Unknown parts are read and dropped (the body limit still applies).
                field.bytes().await.map_err(multipart_error)?;
            }
        }
    }
    Ok(form)
}

fn check_image(image: Option<Bytes>) -> Result<Bytes, ApiError> {
    let image = image.ok_or_else(|| ApiError::validation(FACE_FIELD, "a `face_image` file part is required"))?;
    if image.is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "IMAGE_EMPTY", "the face_image file is empty")
            .with_details(serde_json::json!({ "field": FACE_FIELD })));
    }
    Ok(image)
}

impl<S: Send + Sync> FromRequest<S> for FaceImage {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_multipart(&req) {
            return Err(ApiError::validation("content-type", "expected multipart/form-data with a face_image file"));
        }
        Ok(FaceImage(check_image(read_form(req, state).await?.image)?))
    }
}

/// How a renter proves who they are at check-out or update.
#[derive(Debug, Clone)]
pub enum FaceOrQr {
    /// A photo (multipart `face_image`).
    Face(Bytes),
    /// A QR token (JSON `{"qr_token"}` or a multipart text field).
    Qr(String),
}

#[derive(Deserialize)]
struct QrBody {
    qr_token: String,
}

impl<S: Send + Sync> FromRequest<S> for FaceOrQr {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if is_multipart(&req) {
            let form = read_form(req, state).await?;
            return match (form.image, form.qr_token) {
                (Some(image), _) => Ok(FaceOrQr::Face(check_image(Some(image))?)),
                (None, Some(token)) if !token.trim().is_empty() => Ok(FaceOrQr::Qr(token.trim().to_owned())),
                _ => Err(ApiError::validation(FACE_FIELD, "send a face_image file or a qr_token")),
            };
        }
        if content_type(&req).is_some_and(|ct| ct.starts_with("application/json")) {
            let ApiJson(body) = ApiJson::<QrBody>::from_request(req, state).await?;
            if body.qr_token.trim().is_empty() {
                return Err(ApiError::validation("qr_token", "must not be empty"));
            }
            return Ok(FaceOrQr::Qr(body.qr_token.trim().to_owned()));
        }
        Err(ApiError::validation(
            "content-type",
            "expected multipart/form-data with face_image, or application/json with qr_token",
        ))
    }
}
