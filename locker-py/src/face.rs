//! The face engine (detect, embed, verify) and a gallery for 1:N identification.
//! Inference releases the GIL, so several Python threads can embed at once.

use std::sync::RwLock;

use locker_core::face::{Embedding, FaceConfig, FaceEngine, FaceError, Gallery, Pick};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{LResult, PyLockerError};

fn parse_pick(pick: &str) -> LResult<Pick> {
    Ok(match pick {
        "single" => Pick::Single,
        "largest" => Pick::Largest,
        "central" => Pick::Central,
        other => {
            return Err(PyLockerError::validation(format!(
                "invalid pick {other:?}; expected single, largest or central"
            )));
        }
    })
}

/// An L2-normalised face embedding (128 floats).
#[pyclass(module = "locker", name = "Embedding", frozen)]
#[derive(Clone)]
pub struct PyEmbedding {
    pub(crate) inner: Embedding,
}

#[pymethods]
impl PyEmbedding {
    /// Builds an embedding from 128 numbers (normalised on the way in).
    #[new]
    fn new(values: Vec<f32>) -> LResult<Self> {
        if values.len() != locker_core::face::EMBEDDING_DIM {
            return Err(PyLockerError::validation(format!(
                "an embedding has {} values, got {}",
                locker_core::face::EMBEDDING_DIM,
                values.len()
            )));
        }
        let inner = Embedding::from_raw(&values)
            .ok_or_else(|| PyLockerError::validation("embedding is all zero or not finite"))?;
        Ok(Self { inner })
    }

    /// The 128 values.
    #[getter]
    fn values(&self) -> Vec<f32> {
        self.inner.as_slice().to_vec()
    }

    /// Little-endian f32 bytes (512), e.g. to store a template.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_le_bytes())
    }

    /// The inverse of `to_bytes`.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> LResult<Self> {
        Embedding::from_le_bytes(data)
            .map(|inner| Self { inner })
            .ok_or_else(|| PyLockerError::validation("not the bytes of an embedding"))
    }

    /// Cosine similarity with `other` (-1..1).
    fn cosine(&self, other: &PyEmbedding) -> f32 {
        self.inner.cosine(&other.inner)
    }

    fn __len__(&self) -> usize {
        self.inner.as_slice().len()
    }

    fn __repr__(&self) -> String {
        format!("Embedding([{:.4}, {:.4}, ...])", self.inner.as_slice()[0], self.inner.as_slice()[1])
    }
}

/// One detected face in image pixels, with five landmarks (eyes, nose, mouth corners).
#[pyclass(module = "locker", name = "FaceBox", frozen, get_all)]
pub struct PyFaceBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Detector confidence.
    pub score: f32,
    /// Five (x, y) points.
    pub landmarks: Vec<(f32, f32)>,
}

#[pymethods]
impl PyFaceBox {
    fn __repr__(&self) -> String {
        format!("FaceBox(x={:.0}, y={:.0}, w={:.0}, h={:.0}, score={:.3})", self.x, self.y, self.w, self.h, self.score)
    }
}

/// The loaded face models (YuNet detector, MobileFaceNet embedder). Thread-safe; inference
/// releases the GIL.
#[pyclass(module = "locker", name = "FaceEngine", frozen)]
pub struct PyFaceEngine {
    engine: FaceEngine,
}

#[pymethods]
impl PyFaceEngine {
    /// Loads the models from `models_dir` (default: `LOCKER_MODELS_DIR`, else
    /// `../shared/models`). Raises FaceModelError when a model is missing.
    #[new]
    #[pyo3(signature = (models_dir=None))]
    fn new(py: Python<'_>, models_dir: Option<String>) -> LResult<Self> {
        let config = models_dir.map_or_else(FaceConfig::from_env, FaceConfig::with_models_dir);
        let engine = py.detach(|| FaceEngine::load(config))?;
        Ok(Self { engine })
    }

    /// Every face in a JPEG or PNG image, best first (no quality gates).
    fn detect(&self, py: Python<'_>, image: &[u8]) -> LResult<Vec<PyFaceBox>> {
        let found = py.detach(|| -> Result<_, FaceError> { self.engine.detect(&self.engine.decode(image)?) })?;
        Ok(found
            .into_iter()
            .map(|d| PyFaceBox {
                x: d.bbox.x,
                y: d.bbox.y,
                w: d.bbox.w,
                h: d.bbox.h,
                score: d.score,
                landmarks: d.landmarks.iter().map(|[x, y]| (*x, *y)).collect(),
            })
            .collect())
    }

    /// Decodes, detects under the quality gates, aligns and embeds the face chosen by
    /// `pick` ("single", "largest", "central"). Raises FaceNotFound, MultipleFaces,
    /// FaceTooSmall, ImageUnreadable...
    #[pyo3(signature = (image, pick="central"))]
    fn embed(&self, py: Python<'_>, image: &[u8], pick: &str) -> LResult<PyEmbedding> {
        let pick = parse_pick(pick)?;
        let sample = py.detach(|| self.engine.process(image, pick))?;
        Ok(PyEmbedding { inner: sample.embedding })
    }

    /// 1:1: embeds the central face of `image` and compares it with `template`; returns the
    /// score on a match, raises FaceMismatch otherwise.
    fn verify(&self, py: Python<'_>, image: &[u8], template: &PyEmbedding) -> LResult<f32> {
        let threshold = self.engine.config().thresholds.verify;
        let score = py.detach(|| -> Result<f32, FaceError> {
            let probe = self.engine.process(image, Pick::Central)?.embedding;
            locker_core::face::gallery::check(&probe, &template.inner, threshold)
        })?;
        Ok(score)
    }

    /// The 1:1 threshold in use.
    #[getter]
    fn verify_threshold(&self) -> f32 {
        self.engine.config().thresholds.verify
    }

    /// The 1:N open-set threshold in use.
    #[getter]
    fn identify_threshold(&self) -> f32 {
        self.engine.config().thresholds.identify
    }
}

/// One identification result.
#[pyclass(module = "locker", name = "Match", frozen, get_all)]
pub struct PyMatch {
    /// The enrolled id.
    pub id: String,
    /// Cosine score against the probe.
    pub score: f32,
}

#[pymethods]
impl PyMatch {
    fn __repr__(&self) -> String {
        format!("Match(id={:?}, score={:.3})", self.id, self.score)
    }
}

/// Enrolled embeddings, searchable 1:N. Thread-safe.
#[pyclass(module = "locker", name = "Gallery", frozen)]
pub struct PyGallery {
    gallery: RwLock<Gallery>,
}

#[pymethods]
impl PyGallery {
    /// An empty gallery.
    #[new]
    fn new() -> Self {
        Self { gallery: RwLock::new(Gallery::new()) }
    }

    /// Enrolls `embedding` under `id`; adding again to an id adds another sample.
    fn add(&self, id: &str, embedding: &PyEmbedding) -> LResult<()> {
        if id.is_empty() {
            return Err(PyLockerError::validation("id must not be empty"));
        }
        self.gallery.write().unwrap_or_else(|e| e.into_inner()).enroll(id, [&embedding.inner]);
        Ok(())
    }

    /// Removes every sample of `id`; raises NotFound if it is not enrolled.
    fn remove(&self, id: &str) -> LResult<()> {
        if self.gallery.write().unwrap_or_else(|e| e.into_inner()).remove(id) {
            Ok(())
        } else {
            Err(locker_core::Error::not_found("gallery id", id).into())
        }
    }

    /// The enrolled ids.
    fn ids(&self) -> Vec<String> {
        self.gallery.read().unwrap_or_else(|e| e.into_inner()).ids().to_vec()
    }

    fn __len__(&self) -> usize {
        self.gallery.read().unwrap_or_else(|e| e.into_inner()).people()
    }

    /// The best match for `probe` at or above `threshold` (default 0.45), or None.
    #[pyo3(signature = (probe, threshold=0.45))]
    fn identify(&self, py: Python<'_>, probe: &PyEmbedding, threshold: f32) -> Option<PyMatch> {
        let best = py.detach(|| {
            self.gallery
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .identify(&probe.inner, 1, threshold)
                .into_iter()
                .next()
        });
        best.map(|m| PyMatch { id: m.id, score: m.score })
    }
}
