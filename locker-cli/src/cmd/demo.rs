//! `locker demo`: a demo database with demo lockers, listed.
//!
//! Placeholder until issue 2 lands.

use crate::output::Global;

/// Options of `locker demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `locker demo`.
pub fn run(_global: &Global, _args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`locker demo` is not built yet")
}
