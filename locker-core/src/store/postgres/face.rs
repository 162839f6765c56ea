//! Sealed face templates in postgres (see [`crate::face::store`]).

use super::PgStore;

super::super::face_templates::impl_face_template_store!(PgStore, sqlx::Postgres);
