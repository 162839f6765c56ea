//! HTTP edges: envelopes, error mapping, extractors, the guard and the middleware.

pub mod dates;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod guard;
pub mod health;
pub mod idempotency;
pub mod multipart;
pub mod surface;
pub mod throttle;
