//! Scanner records in postgres (see [`crate::barcode`]).

use super::PgStore;

super::super::barcodes::impl_barcode_store!(PgStore, sqlx::Postgres);
