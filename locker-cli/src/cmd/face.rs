//! `locker face`: face detection, embedding, verification, enrolment and evaluation.
//!
//! Placeholder until issue 5 lands; it refuses with a clear message.

use crate::output::Global;

/// Subcommands of `locker face`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `locker face`.
pub fn run(_global: &Global, command: Command) -> anyhow::Result<()> {
    match command {}
}
