//! Scanner records in sqlite (see [`crate::barcode`]).

use super::SqliteStore;

super::super::barcodes::impl_barcode_store!(SqliteStore, sqlx::Sqlite);
