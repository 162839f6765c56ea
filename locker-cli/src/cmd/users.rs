//! `locker users`: user accounts.
//!
//! Placeholder until issue 3 lands; it refuses with a clear message.

use crate::output::Global;

/// Subcommands of `locker users`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `locker users`.
pub fn run(_global: &Global, command: Command) -> anyhow::Result<()> {
    match command {}
}
