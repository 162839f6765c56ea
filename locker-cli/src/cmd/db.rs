//! `locker db`: apply migrations, show what the database holds.
//!
//! Also home of [`open`], which every database-backed command uses.

use std::sync::Arc;

use anyhow::Context;
use locker_core::ports::Database;
use locker_core::store;

use crate::output::Global;

/// Subcommands of `locker db`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create the database if missing and apply pending migrations.
    Migrate,
    /// Show the backend, applied and pending migrations, and row counts (changes nothing).
    Status,
}

/// Opens `--db` and applies pending migrations (every command but `db status` does this).
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Database>> {
    store::open(url).await.with_context(|| format!("Cannot open database {}", store::redact(url)))
}

/// Writes `text` and a newline to stdout; a closed pipe is an error the caller returns
/// (and `output::exit_code` treats as success), never a panic.
pub fn say(text: impl std::fmt::Display) -> anyhow::Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// Runs `locker db`.
pub fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    global.block_on(async {
        let status = match command {
            Command::Migrate => open(&global.db).await?.status().await?,
            Command::Status => {
                store::connect(&global.db)
                    .await
                    .with_context(|| format!("Cannot open database {}", store::redact(&global.db)))?
                    .status()
                    .await?
            }
        };
        if global.json {
            return global.print_json(&status);
        }
        say(format!("database: {} ({})", store::redact(&global.db), status.backend))?;
        let mut t = crate::output::table(&["version", "migration", "state"]);
        for (v, d) in &status.applied {
            t.add_row(vec![v.to_string(), d.clone(), "applied".into()]);
        }
        for (v, d) in &status.pending {
            t.add_row(vec![v.to_string(), d.clone(), "pending".into()]);
        }
        say(&t)?;
        if !status.counts.is_empty() {
            let mut t = crate::output::table(&["table", "rows"]);
            for (name, n) in &status.counts {
                t.add_row(vec![name.clone(), n.to_string()]);
            }
            say(&t)?;
        }
        Ok(())
    })
}
