//! The server's integration tests, one test binary (issue 16: one link instead of nine;
//! the cargo/ripgrep layout). Each former `tests/NAME.rs` is module `NAME` here, so
//! `cargo test -p locker-server --test server seed001::` runs what `--test seed001` ran.
//! The harnesses are declared once, here, and used by the modules as `crate::support` etc.

mod browser_support;
mod scale_out_support;
mod schema_check;
mod seed001_support;
mod seeds_support;
mod smtp_support;
mod support;

mod api;
mod browser_console;
mod browser_kiosk;
mod brute_force;
mod contract;
mod controllers_api;
mod flows;
mod health;
mod hostile;
mod layout;
mod lockers_list;
mod matrix;
mod metrics;
mod openapi_seeds;
mod revocation;
mod scale_out;
mod scale_out_commands;
mod seed001;
mod seed001_boards;
mod seed001_flows;
mod seed001_money;
mod seed002;
mod seed003;
mod seed_answers;
