//! Storage backends behind [`crate::ports::Store`]: SQLite (feature `sqlite`, the embedded
//! default) and PostgreSQL (feature `postgres`). [`open`] chooses one by URL scheme and
//! applies pending migrations.
//!
//! Layout: one directory per backend (`sqlite/`, `postgres/`), each with its own migration
//! folder under `locker-core/migrations/`. What both share is pure and lives here:
//! [`chain`] (the transaction-log hash chain) and `rows` (turning a row into domain types).
//! SQL is written per backend with runtime `query`/`query_as`, so building needs no database.

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod accounts;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod barcodes;
pub mod chain;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod domain_store;
#[cfg(all(feature = "face", any(feature = "sqlite", feature = "postgres")))]
mod face_templates;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod guards;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod orders;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod revocations;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod stats;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod tokens;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod write_turn;

use crate::domain::Timestamp;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use crate::{Error, Result, ports::Database};

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:FILE`, `sqlite://FILE` or `sqlite::memory:`.
    Sqlite,
    /// `postgres://...` or `postgresql://...`.
    Postgres,
}

impl Backend {
    /// The backend for `url`, or [`crate::Error::Config`] for any other scheme.
    pub fn from_url(url: &str) -> crate::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(crate::Error::config(format!(
                "unsupported database URL {:?}: expected sqlite:FILE, sqlite::memory: or postgres://...",
                redact(url)
            )))
        }
    }
}

/// `url` with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens the database at `url` and applies pending migrations: every port on one pool. The
/// one opener; take the single ports from it (`let store: Arc<dyn Store> = db.clone();`).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Database>> {
    let store = connect(url).await?;
    store.migrate().await?;
    Ok(store)
}

/// Opens the database at `url` without migrating (for `locker db status`).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub async fn connect(url: &str) -> Result<std::sync::Arc<dyn Database>> {
    match Backend::from_url(url)? {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => Ok(std::sync::Arc::new(sqlite::SqliteStore::connect(url).await?)),
        #[cfg(feature = "postgres")]
        Backend::Postgres => Ok(std::sync::Arc::new(postgres::PgStore::connect(url).await?)),
        #[allow(unreachable_patterns)]
        other => Err(Error::config(format!("this build has no {other:?} support (enable its cargo feature)"))),
    }
}

/// `t` cut to whole microseconds, the precision both backends keep, so what a call returns
/// equals what a later read returns (and what the log hash covered).
pub fn micros(t: Timestamp) -> Timestamp {
    chrono::DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Maps a backend error on a write: unique violations to [`Error::AlreadyExists`] via
/// `unique` (given the constraint name or message), foreign-key violations to a validation
/// error on `fk_field`, anything else to [`Error::Storage`].
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn write_error(
    e: sqlx::Error,
    doing: &str,
    fk_field: &'static str,
    unique: impl FnOnce(&str) -> Option<Error>,
) -> Error {
    if let sqlx::Error::Database(d) = &e {
        let detail = d.constraint().map(str::to_owned).unwrap_or_else(|| d.message().to_owned());
        if d.is_unique_violation() {
            if let Some(mapped) = unique(&detail) {
                return mapped;
            }
        } else if d.is_foreign_key_violation() {
            return Error::validation(fk_field, "refers to a record that does not exist");
        }
    }
    storage_error(e, doing)
}

/// Maps a backend error to [`Error::Storage`] with what the store was doing.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn storage_error(e: sqlx::Error, doing: &str) -> Error {
    Error::storage(format!("{doing}: {e}"), e)
}

/// `Ok(row)` or [`Error::NotFound`] for `entity` `id`.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn found<T>(row: Option<T>, entity: &'static str, id: impl ToString) -> Result<T> {
    row.ok_or_else(|| Error::not_found(entity, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_by_scheme() {
        assert_eq!(Backend::from_url("sqlite:locker.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::from_url("postgresql://u@h/db").unwrap(), Backend::Postgres);
        let err = Backend::from_url("mysql://root:hunter2@h/db").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Config);
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:x.db"), "sqlite:x.db");
    }
}
