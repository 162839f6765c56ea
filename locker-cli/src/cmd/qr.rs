//! `locker qr`: issue and verify QR tokens.
//!
//! Placeholder until issue 3 lands; it refuses with a clear message.

use crate::output::Global;

/// Subcommands of `locker qr`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `locker qr`.
pub fn run(_global: &Global, command: Command) -> anyhow::Result<()> {
    match command {}
}
