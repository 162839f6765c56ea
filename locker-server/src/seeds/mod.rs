//! The surfaces of seeds 002 and 003, each at its own base path with its own envelope and
//! error codes, on the same core as `/api/v1`:
//!
//! | module | seed | base | envelope |
//! |---|---|---|---|
//! | [`barcodes`] | 002, scanner records | `/api/barcodes` | bare records; `{error: {code, message, details}}` |
//! | [`otp_login`] | 003, e-mail OTP login | `/apis/auth/` | `{code, message, data}`, numeric codes, always HTTP 200 |
//!
//! Each module exposes `router(state)`, a `Router` with its state applied, to merge into
//! [`crate::app`]. The states hold `Arc`s of core parts; one database serves them all
//! through [`SeedStore`], opened with [`open_store`].

pub mod barcodes;
pub mod otp_login;

use std::sync::Arc;

use locker_core::accounts::AccountStore;
use locker_core::barcode::BarcodeStore;
use locker_core::ports::Store;
use locker_core::store::Backend;
use locker_core::token::store::TokenStore;

/// Every storage port the seed surfaces use, implemented by both backends' stores. An
/// `Arc<dyn SeedStore>` coerces to `Arc<dyn Store>`, `Arc<dyn TokenStore>`, ... as needed.
pub trait SeedStore: Store + TokenStore + BarcodeStore + AccountStore {}

impl<T: Store + TokenStore + BarcodeStore + AccountStore> SeedStore for T {}

/// Opens the database at `url` (`sqlite:FILE` or `postgres://...`) and applies pending
/// migrations.
pub async fn open_store(url: &str) -> locker_core::Result<Arc<dyn SeedStore>> {
    let store: Arc<dyn SeedStore> = match Backend::from_url(url)? {
        Backend::Sqlite => Arc::new(locker_core::store::sqlite::SqliteStore::connect(url).await?),
        Backend::Postgres => Arc::new(locker_core::store::postgres::PgStore::connect(url).await?),
    };
    store.migrate().await?;
    Ok(store)
}

/// RFC 3339 UTC with milliseconds (`2026-01-02T03:04:05.678Z`): the `datetime` of the seeds.
pub(crate) fn iso_millis(t: locker_core::domain::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Whether a request's `Content-Type` is JSON (`application/json`, `application/*+json`,
/// with or without parameters).
pub(crate) fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || (v.starts_with("application/") && v.ends_with("+json")))
}
