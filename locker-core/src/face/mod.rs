//! Face detection, alignment, embedding and matching (feature `face`).

use crate::error::ErrorCode;

/// Why the face pipeline refused an image or a match.
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
    #[error("face too small")]
    TooSmall,
    /// The bytes are not a readable JPEG or PNG.
    #[error("image unreadable: {0}")]
    ImageUnreadable(String),
    /// The image is larger than allowed.
    #[error("image too large")]
    ImageTooLarge,
    /// The face does not match the stored template.
    #[error("face does not match (score {score:.3})")]
    Mismatch {
        /// The cosine score that fell short of the threshold.
        score: f32,
    },
}

impl FaceError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            FaceError::NotFound => ErrorCode::FaceNotFound,
            FaceError::MultipleFaces { .. } => ErrorCode::MultipleFaces,
            FaceError::TooSmall => ErrorCode::FaceTooSmall,
            FaceError::ImageUnreadable(_) => ErrorCode::ImageUnreadable,
            FaceError::ImageTooLarge => ErrorCode::ImageTooLarge,
            FaceError::Mismatch { .. } => ErrorCode::FaceMismatch,
        }
    }
}
