//! `GET /health`: liveness for load balancers and the kiosk watchdog.

use axum::Json;
use serde_json::{Value, json};

/// Always `{"status":"ok","version":...}` while the process serves requests.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
