//! Sealed face templates in sqlite (see [`crate::face::store`]).

use super::SqliteStore;

super::super::face_templates::impl_face_template_store!(SqliteStore, sqlx::Sqlite);
