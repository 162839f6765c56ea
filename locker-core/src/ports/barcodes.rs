//! [`BarcodeStore`]: scanner records (seed 002).

use crate::Result;
use crate::barcode::{BarcodeRecord, NewBarcode};
use crate::domain::{Id, Timestamp};

/// Where scanner records live.
#[async_trait::async_trait]
pub trait BarcodeStore: Send + Sync {
    /// Validates and stores `new`. The same data of the same symbology already stored is
    /// [`crate::Error::AlreadyExists`] on field `barcodeData`; bad data is
    /// [`crate::Error::Validation`] naming the field.
    async fn insert_barcode(&self, new: &NewBarcode, now: Timestamp) -> Result<BarcodeRecord>;
    /// The record `id`, if any.
    async fn get_barcode(&self, id: Id) -> Result<Option<BarcodeRecord>>;
    /// Records newest first, `offset` skipped, at most `limit`, and the total count (one
    /// consistent snapshot).
    async fn list_barcodes(&self, limit: u32, offset: u64) -> Result<(Vec<BarcodeRecord>, u64)>;
    /// Deletes record `id`; returns it as it was, or `None` if there was none.
    async fn delete_barcode(&self, id: Id) -> Result<Option<BarcodeRecord>>;
}
