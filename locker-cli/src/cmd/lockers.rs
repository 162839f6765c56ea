//! `locker lockers`: add, import, list and set the status of lockers.
//!
//! Placeholder until issue 2 lands; it refuses with a clear message.

use crate::output::Global;

/// Subcommands of `locker lockers`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `locker lockers`.
pub fn run(_global: &Global, command: Command) -> anyhow::Result<()> {
    match command {}
}
