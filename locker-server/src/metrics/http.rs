//! The HTTP request metrics: a middleware over the whole router counting each answer and
//! timing it, labelled by the route *template* the router matched
//! (`/api/orders/{order_id}/pay/`), never the raw path, so the label set stays as small
//! as the route catalogue.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use super::{HTTP_DURATION_SECONDS, HTTP_REQUESTS};

/// The `route` label of a request no route matched (404s of unknown paths).
pub const UNMATCHED: &str = "unmatched";

/// `router` with every answer counted and timed. Apply it last, to the router with every
/// surface merged in: only routes present when it is applied are measured.
pub fn instrument(router: Router) -> Router {
    router.layer(axum::middleware::from_fn(track))
}

/// The middleware of [`instrument`].
async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or(UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let method = method_label(req.method());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method.to_owned()), ("route", route), ("status", status)];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION_SECONDS, &labels).record(started.elapsed().as_secs_f64());
    res
}

/// The method as a label: the standard ones by name, anything else `other` (a client can
/// send any token as a method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Describes the HTTP metrics.
pub(super) fn describe() {
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, route template and status");
    metrics::describe_histogram!(
        HTTP_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "HTTP answer latency, by method, route template and status"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
