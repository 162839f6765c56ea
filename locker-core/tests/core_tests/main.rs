//! locker-core's integration tests, one test binary (issue 16: one link instead of eight;
//! the cargo/ripgrep layout). Each former `tests/NAME.rs` is module `NAME` here, so
//! `cargo test -p locker-core --test core_tests store::` runs what `--test store` ran. A
//! module's `#![cfg(...)]` still leaves it out when its features are off.

#[cfg(feature = "face")]
mod face_support;

#[cfg(all(feature = "test-utils", feature = "sqlite"))]
mod cabinet;
mod door_cycles;
mod error_sources;
mod event_relay;

#[cfg(feature = "face")]
mod face_accuracy;
#[cfg(feature = "face")]
mod face_inputs;
mod face_store;
mod guards_store;
mod layout;
mod module_graph;
mod orders_service;
mod orders_store;
mod service;
mod stats;
mod store;
mod tokens_store;
mod uart_pty;
