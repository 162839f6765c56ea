//! [`crate::ports::BarcodeStore`] for both backends, expanded per backend by
//! [`impl_barcode_store!`] (as [`super::face_templates`] does for face templates). SQL is
//! shared (`$N` placeholders); table in `migrations/*/0004_barcodes.sql`.

pub(crate) const INSERT: &str = "INSERT INTO barcodes (id, symbology, data, device, location, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub(crate) const GET: &str =
    "SELECT id, symbology, data, device, location, created_by, created_at, updated_at FROM barcodes WHERE id = $1";
pub(crate) const LIST: &str = "SELECT id, symbology, data, device, location, created_by, created_at, updated_at FROM barcodes ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2";
pub(crate) const COUNT: &str = "SELECT COUNT(*) AS n FROM barcodes";
pub(crate) const DELETE: &str = "DELETE FROM barcodes WHERE id = $1 RETURNING id, symbology, data, device, location, created_by, created_at, updated_at";

macro_rules! impl_barcode_store {
    ($store:ty, $db:ty) => {
        use $crate::barcode::{BarcodeRecord, NewBarcode, Symbology};
        use $crate::domain::{Id, Timestamp, new_id};
        use $crate::ports::BarcodeStore;
        use $crate::store::barcodes as sql;
        use $crate::store::rows::{RowRead, undecodable};
        use $crate::store::sql::Binds;
        use $crate::store::{micros, storage_error, write_error};
        use $crate::{Error, Result};

        fn q(sql: &'static str) -> sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments> {
            sqlx::query::<$db>(sql)
        }

        fn barcode_row(r: &<$db as sqlx::Database>::Row) -> Result<BarcodeRecord> {
            let symbology = r.text("symbology")?;
            Ok(BarcodeRecord {
                id: r.id("id")?,
                symbology: Symbology::parse(&symbology).map_err(|e| undecodable("symbology", e))?,
                data: r.text("data")?,
                device: r.text("device")?,
                location: r.opt_text("location")?,
                created_by: r.opt_id("created_by")?,
                created_at: r.ts("created_at")?,
                updated_at: r.ts("updated_at")?,
            })
        }

        #[async_trait::async_trait]
        impl BarcodeStore for $store {
            async fn insert_barcode(&self, new: &NewBarcode, now: Timestamp) -> Result<BarcodeRecord> {
                new.validate()?;
                let now = micros(now);
                let record = BarcodeRecord {
                    id: new_id(),
                    symbology: new.symbology,
                    data: new.data.clone(),
                    device: new.device.clone(),
                    location: new.location.clone(),
                    created_by: new.created_by,
                    created_at: now,
                    updated_at: now,
                };
                q(sql::INSERT)
                    .id(Some(record.id))
                    .text(Some(record.symbology.as_str().to_owned()))
                    .text(Some(record.data.clone()))
                    .text(Some(record.device.clone()))
                    .text(record.location.clone())
                    .id(record.created_by)
                    .ts(Some(now))
                    .ts(Some(now))
                    .execute(&mut *self.writes().await?)
                    .await
                    .map_err(|e| {
                        write_error(e, "storing a barcode", "created_by", |_| {
                            Some(Error::AlreadyExists {
                                entity: "barcode",
                                field: "barcodeData",
                                value: new.data.clone(),
                            })
                        })
                    })?;
                Ok(record)
            }

            async fn get_barcode(&self, id: Id) -> Result<Option<BarcodeRecord>> {
                let row = q(sql::GET)
                    .id(Some(id))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| storage_error(e, "reading a barcode"))?;
                row.as_ref().map(barcode_row).transpose()
            }

            async fn list_barcodes(&self, limit: u32, offset: u64) -> Result<(Vec<BarcodeRecord>, u64)> {
                let offset = i64::try_from(offset).map_err(|_| Error::validation("offset", "too large"))?;
                let mut tx = self.begin_read().await?;
                let rows = q(sql::LIST)
                    .int(Some(i64::from(limit)))
                    .int(Some(offset))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "listing barcodes"))?;
                let total = q(sql::COUNT)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| storage_error(e, "counting barcodes"))?
                    .int("n")?;
                tx.commit().await.map_err(|e| storage_error(e, "ending a read"))?;
                let items = rows.iter().map(barcode_row).collect::<Result<Vec<_>>>()?;
                Ok((items, total.max(0) as u64))
            }

            async fn delete_barcode(&self, id: Id) -> Result<Option<BarcodeRecord>> {
                let row = q(sql::DELETE)
                    .id(Some(id))
                    .fetch_optional(&mut *self.writes().await?)
                    .await
                    .map_err(|e| storage_error(e, "deleting a barcode"))?;
                row.as_ref().map(barcode_row).transpose()
            }
        }
    };
}
pub(crate) use impl_barcode_store;
