//! Face enrolment: a user registers (or replaces) their face and deletes it
//! ([`FaceEnrolment`], from [`LockerService::face_enrolment`]). The photo is embedded with
//! the service's engine, sealed with its first template key under the user's context, and
//! stored; check-in and check-out by face then match against it. The embedding and the
//! choice of key are the ones check-in uses (one place for both).

use std::sync::Arc;

use crate::domain::{Id, Timestamp};
use crate::face::store::user_context;
use crate::face::{Embedding, FaceEngine, FaceError, Pick, TemplateKey, template};
use crate::ports::{Clock, FaceTemplateStore};
use crate::{Error, Result};

use super::LockerService;

/// Detects the face `pick` chooses in the photo `bytes` and embeds it, off the async threads.
pub(super) async fn embed(engine: &FaceEngine, bytes: Vec<u8>, pick: Pick) -> Result<Embedding> {
    let engine = engine.clone();
    let sample = tokio::task::spawn_blocking(move || engine.process(&bytes, pick))
        .await
        .map_err(|e| FaceError::model_failed("the face worker failed", crate::cause::Cause::new(e)))??;
    Ok(sample.embedding)
}

/// The key new templates are sealed with: the first of `keys`.
pub(super) fn sealing_key(keys: &[TemplateKey]) -> Result<&TemplateKey> {
    keys.first().ok_or_else(|| Error::config("no face template key configured"))
}

/// The error for face work on a service or shell with no face engine loaded.
pub(super) fn not_enabled() -> Error {
    Error::config("face recognition is not enabled on this kiosk (no models loaded)")
}

/// Registers and deletes users' faces. Cheap to clone.
#[derive(Clone)]
pub struct FaceEnrolment {
    engine: Option<FaceEngine>,
    keys: Arc<[TemplateKey]>,
    templates: Arc<dyn FaceTemplateStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for FaceEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceEnrolment")
            .field("engine", &self.engine.is_some())
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl FaceEnrolment {
    /// Enrolment with `engine` (registering needs one; deleting does not), sealing with
    /// `keys[0]`, storing in `templates`, timed by `clock`. [`LockerService::face_enrolment`]
    /// gives the service's; a shell with no running service builds one over its own parts.
    pub fn new(
        engine: Option<FaceEngine>,
        keys: Vec<TemplateKey>,
        templates: Arc<dyn FaceTemplateStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { engine, keys: keys.into(), templates, clock }
    }

    /// Whether faces can be registered (a face engine is loaded).
    pub fn can_register(&self) -> bool {
        self.engine.is_some()
    }

    /// Registers `user`'s face from `photo` (JPEG or PNG bytes), replacing an earlier one,
    /// and returns when. The photo must show exactly one face ([`FaceError::NotFound`],
    /// [`FaceError::MultipleFaces`] otherwise); on any error nothing is stored. With no
    /// engine, [`Error::Config`].
    pub async fn register(&self, user: Id, photo: Vec<u8>) -> Result<Timestamp> {
        let engine = self.engine.as_ref().ok_or_else(not_enabled)?;
        let embedding = embed(engine, photo, Pick::Single).await?;
        let sealed = template::seal(sealing_key(&self.keys)?, &embedding, &user_context(user));
        let now = self.clock.now();
        self.templates.put_user_template(user, &sealed, now).await?;
        Ok(now)
    }

    /// Deletes `user`'s registered face; returns whether there was one.
    pub async fn delete(&self, user: Id) -> Result<bool> {
        self.templates.delete_user_template(user).await
    }
}

impl LockerService {
    /// Face enrolment with the service's engine (if loaded), template keys and database.
    pub fn face_enrolment(&self) -> FaceEnrolment {
        FaceEnrolment::new(
            self.faces.clone(),
            self.template_keys.clone(),
            self.stores.faces.clone(),
            self.clock.clone(),
        )
    }
}
