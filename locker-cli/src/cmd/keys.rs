//! `locker keys`: signing keys for QR and access tokens.
//!
//! Placeholder until issue 3 lands; it refuses with a clear message.

use crate::output::Global;

/// Subcommands of `locker keys`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `locker keys`.
pub fn run(_global: &Global, command: Command) -> anyhow::Result<()> {
    match command {}
}
