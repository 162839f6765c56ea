//! The operator's console at `/` (issue 17 item 1): an admin signs in with the seed-000
//! login and watches and runs the cabinet — live locker grid, sessions, alerts, force-open,
//! controllers, locker management, statistics.
//!
//! The files under `assets/console/` are embedded with `include_str!`, so `cargo build` is
//! the whole build and the console works offline. Every answer carries its `Content-Type`,
//! `Cache-Control: no-cache` (the binary is the version: a new build serves new files) and a
//! strict `Content-Security-Policy`: scripts, styles and connections from this origin only,
//! no inline script or style, no framing.

use axum::Router;
use axum::response::Response;
use axum::routing::get;

/// The policy of every console answer.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// One embedded file: its URL path, media type and text.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Where it is served.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static str,
}

macro_rules! asset {
    ($path:literal, $file:literal, $type:literal) => {
        Asset { path: $path, content_type: $type, body: include_str!(concat!("../../assets/console/", $file)) }
    };
}

/// Every file of the console.
pub const ASSETS: &[Asset] = &[
    asset!("/", "index.html", "text/html; charset=utf-8"),
    asset!("/console/console.css", "console.css", "text/css; charset=utf-8"),
    asset!("/console/app.js", "app.js", "text/javascript; charset=utf-8"),
    asset!("/console/api.js", "api.js", "text/javascript; charset=utf-8"),
    asset!("/console/i18n.js", "i18n.js", "text/javascript; charset=utf-8"),
    asset!("/console/charts.js", "charts.js", "text/javascript; charset=utf-8"),
    asset!("/console/csv.js", "csv.js", "text/javascript; charset=utf-8"),
    asset!("/console/icon.svg", "icon.svg", "image/svg+xml"),
];

/// `asset` as an answer with its headers.
pub fn serve(asset: &Asset) -> Response {
    super::embedded(asset.body.as_bytes(), asset.content_type, CSP, &[("x-frame-options", "DENY")])
}

/// The console's routes (`GET` only), to merge into the server's router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |r, asset| r.route(asset.path, get(move || async move { serve(asset) })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_present_and_scripts_are_modules_without_inline_code() {
        for a in ASSETS {
            assert!(!a.body.trim().is_empty(), "{} is empty", a.path);
        }
        let html = ASSETS[0].body;
        assert!(html.contains(r#"<script type="module" src="/console/app.js">"#));
        assert!(!html.contains("<script>") && !html.contains(" style=") && !html.contains("onclick"), "no inline code");
        assert!(!html.contains("http://") && !html.contains("https://"), "no remote resources");
    }
}
