//! `locker uart`: the serial line to lock controllers.
//!
//! Placeholder until issue 4 lands; it refuses with a clear message.

use crate::output::Global;

/// Subcommands of `locker uart`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `locker uart`.
pub fn run(_global: &Global, command: Command) -> anyhow::Result<()> {
    match command {}
}
