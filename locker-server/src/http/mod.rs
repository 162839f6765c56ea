//! HTTP edges: envelopes, error mapping, extractors and the route handlers per seed.

pub mod envelope;
pub mod error;
pub mod extract;
pub mod health;
