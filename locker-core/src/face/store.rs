//! Persistence port for sealed face templates (biometric data, encrypted before it reaches
//! the store): a registered user's template, and a guest's template tied to one rental.
//!
//! The store keeps only ciphertext and the key id ([`SealedTemplate`](super::template::SealedTemplate)); sealing and opening
//! happen in the caller with [`super::template`] and the contexts below, which bind each
//! ciphertext to its owner so it cannot be moved to another row. A guest template is deleted
//! by the database itself when its rental ends (completed, cancelled or expired), and can be
//! deleted earlier with [`FaceTemplateStore::delete_guest_template`](crate::ports::FaceTemplateStore::delete_guest_template).
//! Implemented by `store::sqlite::SqliteStore` and `store::postgres::PgStore`.

use crate::domain::Id;

/// The associated-data context for a user's template.
pub fn user_context(user: Id) -> Vec<u8> {
    format!("face:user:{user}").into_bytes()
}

/// The associated-data context for a rental's guest template.
pub fn rental_context(rental: Id) -> Vec<u8> {
    format!("face:rental:{rental}").into_bytes()
}
