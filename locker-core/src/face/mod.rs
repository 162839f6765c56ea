//! Face detection, alignment, embedding and matching (feature `face`).
//!
//! The pipeline: image bytes (JPEG/PNG) → [`decode`] with size limits → [`detect`] (YuNet,
//! boxes, scores and 5 landmarks, NMS, quality gates) → [`align`] (similarity transform to
//! the ArcFace 112x112 template) → [`embed`] (MobileFaceNet, L2-normalised 128-d) →
//! [`gallery`] (1:1 verify and 1:N identify by cosine). [`engine::FaceEngine`] loads both
//! models once and runs the whole pipeline from `&self`. [`template`] seals embeddings at rest
//! with AES-256-GCM.
//!
//! Models and their licences live in the models folder (`LOCKER_MODELS_DIR`, default
//! `../shared/models`): `yunet_dynamic.onnx` (Apache-2.0), `mobilefacenet.onnx` (Apache-2.0),
//! with `LICENSE-*.txt` next to them; a product shipping the models ships those texts too.

pub mod align;
pub mod decode;
pub mod detect;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod gallery;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod store;
pub mod template;

pub use detect::{BBox, Detection, DetectorConfig, Pick};
pub use embed::{EMBEDDING_DIM, Embedding};
pub use engine::{FaceConfig, FaceEngine};
pub use gallery::{Gallery, Match, Thresholds};
pub use template::{SealedTemplate, TemplateKey};

use crate::cause::Cause;
use crate::error_code::ErrorCode;

/// Why the face pipeline refused an image, a match or a template.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FaceError {
    /// No face was found.
    #[error("no face found in the image")]
    NotFound,
    /// More than one face was found.
    #[error("{count} faces found; exactly one is needed")]
    MultipleFaces {
        /// How many faces were found.
        count: usize,
    },
    /// The face is too small to recognise.
    #[error("face too small ({size:.0} px, at least {min:.0} px needed)")]
    TooSmall {
        /// The shorter side of the face box, in image pixels.
        size: f32,
        /// The configured minimum.
        min: f32,
    },
    /// The bytes are not a readable JPEG or PNG; `source` is the image crate's error, when
    /// it gave one.
    #[error("image unreadable: {reason}")]
    ImageUnreadable {
        /// What is wrong, in words a caller can show.
        reason: String,
        /// The image crate's error.
        #[source]
        source: Option<Cause>,
    },
    /// The image is larger than allowed (checked from the header, before decoding).
    #[error("image too large ({width}x{height}, at most {max_side} px per side)")]
    ImageTooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The configured limit per side.
        max_side: u32,
    },
    /// The face does not match the stored template.
    #[error("face does not match (score {score:.3})")]
    Mismatch {
        /// The cosine score that fell short of the threshold.
        score: f32,
    },
    /// No bytes at all.
    #[error("image is empty")]
    ImageEmpty,
    /// The image is too small to hold a recognisable face.
    #[error("image too small ({width}x{height}, at least {min_side} px per side)")]
    ImageTooSmall {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The configured minimum per side.
        min_side: u32,
    },
    /// A model file is missing, does not load, or failed to run; `source` is tract's error
    /// (or the failed worker's), when there is one.
    #[error("face model error: {context}")]
    Model {
        /// What was being done, or what is wrong.
        context: String,
        /// The underlying error.
        #[source]
        source: Option<Cause>,
    },
    /// The template was sealed with a key this process does not have.
    #[error("template sealed with unknown key id {key_id:?}")]
    UnknownKey {
        /// The key id stored with the ciphertext.
        key_id: String,
    },
    /// The template does not decrypt (wrong key bytes or tampered data).
    #[error("template does not decrypt (wrong key or corrupted data)")]
    TemplateDecrypt,
    /// The template bytes have the wrong layout or version.
    #[error("template malformed: {0}")]
    TemplateMalformed(String),
}

impl FaceError {
    /// A [`FaceError::Model`] with no underlying error (a missing file, an output of the
    /// wrong shape, ...).
    pub fn model(context: impl Into<String>) -> Self {
        FaceError::Model { context: context.into(), source: None }
    }

    /// A [`FaceError::Model`]: `context` failed because of `source`.
    pub fn model_failed(context: impl Into<String>, source: Cause) -> Self {
        FaceError::Model { context: context.into(), source: Some(source) }
    }

    /// A [`FaceError::ImageUnreadable`]: `reason`, because of the image crate's `source`.
    pub fn unreadable(reason: impl Into<String>, source: Option<image::ImageError>) -> Self {
        FaceError::ImageUnreadable { reason: reason.into(), source: source.map(Cause::new) }
    }

    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            FaceError::NotFound => ErrorCode::FaceNotFound,
            FaceError::MultipleFaces { .. } => ErrorCode::MultipleFaces,
            FaceError::TooSmall { .. } => ErrorCode::FaceTooSmall,
            FaceError::ImageUnreadable { .. } => ErrorCode::ImageUnreadable,
            FaceError::ImageTooLarge { .. } => ErrorCode::ImageTooLarge,
            FaceError::Mismatch { .. } => ErrorCode::FaceMismatch,
            FaceError::ImageEmpty => ErrorCode::ImageEmpty,
            FaceError::ImageTooSmall { .. } => ErrorCode::ImageTooSmall,
            FaceError::Model { .. } => ErrorCode::FaceModel,
            FaceError::UnknownKey { .. } => ErrorCode::TemplateUnknownKey,
            FaceError::TemplateDecrypt => ErrorCode::TemplateDecrypt,
            FaceError::TemplateMalformed(_) => ErrorCode::TemplateMalformed,
        }
    }
}
