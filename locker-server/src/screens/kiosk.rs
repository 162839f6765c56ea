//! The kiosk touchscreen at `/kiosk`: check in and out by face or QR, and open by the
//! seed-001 pickup code, in large type, following the door through `/ws`.
//!
//! The page and its modules are `locker-server/assets/kiosk/`, embedded with
//! `include_bytes!` and served as they are; the page calls the seed-000 JSON API itself.
//!
//! Who the kiosk is: the customer routes it drives (`/api/v1/sessions/check-in/face`,
//! `/check-in/qr`, `/check-out/face`, `/sessions/{id}/check-out`, `/qr-tokens/verify`) are
//! public or take an optional user, and the page calls them **without** a token, so a
//! walk-up rental is a guest's, never the kiosk account's. What needs a signed-in user is
//! following the doors (`/ws` takes an access token first) and opening by pickup code
//! (seed 001: any signed-in user holding the code). So staff sign the kiosk in once with a
//! dedicated account (`POST /api/v1/auth/login`); the token pair lives in `sessionStorage`
//! and is rotated through `/api/v1/auth/refresh` before it expires. The face routes are
//! rate-limited per address by the server ([`crate::limits`]), as for any caller.
//!
//! Every answer carries its `Content-Type`, `Cache-Control: no-cache` (the files change
//! with the binary) and a strict [`CSP`]: scripts, styles and connections from this origin
//! only, no inline script, camera frames as `blob:`/`data:` images.

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::http::error::ApiError;

/// The Content-Security-Policy of every kiosk answer.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// One embedded file: its path under `/kiosk/`, media type and bytes.
struct Asset {
    path: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $mime:expr) => {
        Asset { path: $path, mime: $mime, body: include_bytes!(concat!("../../assets/kiosk/", $path)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the screen (`index.html` is the page itself).
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("kiosk.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("camera.js", JS),
    asset!("door.js", JS),
    asset!("errors.js", JS),
    asset!("i18n.js", JS),
    asset!("vendor/jsQR.js", JS),
    asset!("vendor/jsQR.LICENSE", "text/plain; charset=utf-8"),
    asset!("vendor/README.md", "text/plain; charset=utf-8"),
];

/// The routes of the screen: `GET /kiosk` (the page) and `GET /kiosk/{file}`.
pub fn router() -> Router {
    Router::new().route("/kiosk", get(page)).route("/kiosk/", get(page)).route("/kiosk/{*file}", get(file))
}

async fn page() -> Response {
    serve("index.html")
}

async fn file(Path(path): Path<String>) -> Response {
    serve(&path)
}

/// The embedded file at `path` with its headers, or `404 NOT_FOUND` in the seed envelope.
fn serve(path: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such kiosk file").into_response();
    };
    super::embedded(asset.body, asset.mime, CSP, &[("permissions-policy", "camera=(self), microphone=()")])
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn every_file_the_page_names_is_embedded() {
        let page = std::str::from_utf8(ASSETS[0].body).unwrap();
        for asset in ASSETS.iter().filter(|a| a.mime == JS || a.mime.starts_with("text/css")) {
            let named = page.contains(&format!("/kiosk/{}", asset.path))
                || ASSETS.iter().any(|a| {
                    a.mime == JS && std::str::from_utf8(a.body).unwrap().contains(&format!("./{}", asset.path))
                });
            assert!(named, "{} is embedded but nothing loads it", asset.path);
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        let page = std::str::from_utf8(ASSETS[0].body).unwrap();
        for tag in page.split("<script").skip(1) {
            assert!(tag.trim_start().starts_with("src=") || tag.contains(" src="), "inline script: <script{tag}");
        }
        assert!(!page.contains("<style") && !page.contains(" style=") && !page.contains(" onclick="));
    }

    #[test]
    fn an_unknown_file_is_a_404_in_the_envelope() {
        assert_eq!(serve("../Cargo.toml").status(), StatusCode::NOT_FOUND);
        let ok = serve("app.js");
        assert_eq!(ok.headers()[header::CONTENT_TYPE], JS);
        assert_eq!(ok.headers()[header::CONTENT_SECURITY_POLICY], CSP);
    }
}
