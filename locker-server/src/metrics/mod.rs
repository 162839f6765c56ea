//! Prometheus metrics: a recorder for the [`metrics`] facade, the HTTP request metrics
//! ([`http`]) and the scrape endpoint ([`scrape`]).
//!
//! The recorder is process-global (the facade has one), installed by [`Metrics::global`]
//! on first use. The core records its own figures through the facade
//! ([`locker_core::telemetry`]: unlocks, door cycles, jams, stranded rentals, face
//! latency, and the sampled controller and pool gauges); this module adds the HTTP side
//! and renders everything in the Prometheus text format. The exporter runs without an HTTP
//! listener of its own: `/metrics` is one of our routes, either on the main listener for an
//! admin access token ([`scrape::admin_route`]) or alone on a separate listener for a
//! private network ([`scrape::open_router`]).
//!
//! | name | kind | labels |
//! |---|---|---|
//! | [`HTTP_REQUESTS`] | counter | `method`, `route` (the route template, `unmatched` for none), `status` |
//! | [`HTTP_DURATION_SECONDS`] | histogram | `method`, `route`, `status` |
//!
//! and the core's table in [`locker_core::telemetry`].

pub mod http;
pub mod scrape;

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use http::instrument;
pub use scrape::{admin_route, open_router};

/// HTTP requests answered, by method, route template and status.
pub const HTTP_REQUESTS: &str = "locker_http_requests_total";
/// Seconds from a request's arrival to its answer's head, by method, route template and
/// status.
pub const HTTP_DURATION_SECONDS: &str = "locker_http_request_duration_seconds";

/// Histogram buckets (seconds) of every `_seconds` histogram: HTTP answers and face matches
/// (a few ms to a few s).
const SECONDS_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The installed recorder's handle: renders what was recorded.
#[derive(Debug, Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

static GLOBAL: OnceLock<Metrics> = OnceLock::new();

impl Metrics {
    /// The process's recorder, installed (and every metric described) on first call. If
    /// another recorder was installed first, this one is not global and renders only the
    /// gauges it samples; a warning says so.
    pub fn global() -> &'static Metrics {
        GLOBAL.get_or_init(|| {
            let seconds = Matcher::Suffix("_seconds".into());
            let builder = match PrometheusBuilder::new().set_buckets_for_metric(seconds, SECONDS_BUCKETS) {
                Ok(with_buckets) => with_buckets,
                Err(e) => {
                    tracing::warn!(error = %e, "histogram buckets refused; rendering summaries");
                    PrometheusBuilder::new()
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will not see the recorded figures");
            }
            locker_core::telemetry::describe();
            http::describe();
            Metrics { handle }
        })
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Drains old histogram samples; call now and then when nothing scrapes for a while
    /// (the server does every few seconds, [`Metrics::spawn_upkeep`]).
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// Runs [`Metrics::run_upkeep`] every 5 seconds on the current runtime.
    pub fn spawn_upkeep(&'static self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                self.run_upkeep();
            }
        })
    }
}
