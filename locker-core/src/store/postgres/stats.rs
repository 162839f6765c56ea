//! [`crate::ports::StatsStore`] on PostgreSQL: the shared code of [`crate::store::stats`],
//! expanded for this backend.
//!
//! `EXTRACT(EPOCH FROM timestamptz)` is exact (`numeric`) and does not depend on the
//! session's time zone.

use super::PgStore;

impl PgStore {
    /// Microseconds since 1970 of the `timestamptz` `expr` (NULL stays NULL).
    pub(crate) fn epoch_micros(expr: &str) -> String {
        format!("CAST(EXTRACT(EPOCH FROM {expr}) * 1000000 AS BIGINT)")
    }
}

crate::store::stats::impl_stats_store!(PgStore, sqlx::Postgres);
