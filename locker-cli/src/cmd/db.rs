//! `locker db`: database migrations and status.
//!
//! Placeholder until issue 2 lands; it refuses with a clear message.

use crate::output::Global;

/// Subcommands of `locker db`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `locker db`.
pub fn run(_global: &Global, command: Command) -> anyhow::Result<()> {
    match command {}
}
