//! [`crate::ports::StatsStore`] on SQLite: the shared code of [`crate::store::stats`],
//! expanded for this backend.
//!
//! Times are stored as fixed-width UTC text (`2026-01-02T03:04:05.000006Z`): whole seconds
//! from `strftime('%s')`, microseconds from characters 21 to 26.

use super::SqliteStore;

impl SqliteStore {
    /// Microseconds since 1970 of the stored time `expr` (NULL stays NULL).
    pub(crate) fn epoch_micros(expr: &str) -> String {
        format!("(CAST(strftime('%s', {expr}) AS INTEGER) * 1000000 + CAST(substr({expr}, 21, 6) AS INTEGER))")
    }
}

crate::store::stats::impl_stats_store!(SqliteStore, sqlx::Sqlite);
