//! Extractors whose rejections speak the seed envelope instead of axum's plain text.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// `Json<T>` that answers malformed JSON, wrong types, missing fields and unknown enum
/// values with `400 VALIDATION_ERROR` naming the field, and oversized bodies with 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // serde_path_to_error is built into axum's message: "Failed to deserialize the JSON
            // body into the target type: field: message at line..". Pull the path out.
            let text = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.body_text());
            let field = text.split_once(": ").map(|(path, _)| path.to_owned()).unwrap_or_default();
            let field = if field.contains(' ') { String::new() } else { field };
            // A missing or unknown field is reported at its parent, named in backticks.
            let named = |prefix: &str| {
                text.split_once(prefix).and_then(|(_, rest)| rest.split_once('`')).map(|(name, _)| name.to_owned())
            };
            let field = match (named("missing field `"), field.as_str()) {
                (Some(name), "" | ".") => name,
                (Some(name), parent) => format!("{parent}.{name}"),
                (None, "" | ".") => named("unknown field `").unwrap_or_default(),
                (None, _) => field,
            };
            ApiError::validation(field, text)
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::validation("body", format!("malformed JSON: {}", e.body_text())),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::validation("content-type", "expected `Content-Type: application/json`")
        }
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "request body too large")
        }
        other => ApiError::validation("body", other.body_text()),
    }
}

/// `Path<T>` whose rejection is `400 VALIDATION_ERROR` naming the path parameter (an id that
/// is not a UUID, for instance).
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. } | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    ErrorKind::DeserializeError { key, .. } => key.clone(),
                    _ => "path".to_owned(),
                };
                Err(ApiError::validation(field.clone(), format!("invalid {field}: expected an id (UUID)")))
            }
            Err(other) => Err(ApiError::validation("path", other.body_text())),
        }
    }
}

/// A query string parsed with serde; a bad value is `400 VALIDATION_ERROR` naming the
/// parameter (unknown enum values, numbers that are not numbers, bad dates).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        parse_query(query).map(ApiQuery)
    }
}

/// Parses a query string into `T`, naming the parameter at fault.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { "query".to_owned() } else { field };
        ApiError::validation(field, e.inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use http_body_util::BodyExt;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct NewThing {
        size: locker_core::domain::LockerSize,
        relay_pin: u16,
    }

    async fn post_json(body: &str, content_type: &str) -> (StatusCode, Value) {
        let app = Router::new()
            .route("/t", post(|ApiJson(_): ApiJson<NewThing>| async { "ok" }))
            .layer(axum::extract::DefaultBodyLimit::max(1024));
        let req = Request::post("/t").header("content-type", content_type).body(Body::from(body.to_owned())).unwrap();
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn bad_json_gets_the_seed_envelope_with_the_field() {
        let (status, body) = post_json(r#"{"size":"huge","relay_pin":1}"#, "application/json").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(body["error"]["details"]["field"], "size");

        let (status, body) = post_json(r#"{"size":"small","relay_pin":"x"}"#, "application/json").await;
        assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("relay_pin")));

        let (_, body) = post_json(r#"{"size":"small"}"#, "application/json").await;
        assert!(body["error"]["message"].as_str().unwrap().contains("relay_pin"), "{body}");

        let (status, body) = post_json("{not json", "application/json").await;
        assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("body")));

        let (status, body) = post_json(r#"{"size":"small","relay_pin":1}"#, "text/plain").await;
        assert_eq!(
            (status, body["error"]["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("content-type"))
        );

        let big = format!(r#"{{"size":"small","relay_pin":1,"pad":"{}"}}"#, "x".repeat(4096));
        let (status, body) = post_json(&big, "application/json").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("PAYLOAD_TOO_LARGE"))
        );
    }
}
