//! The loaded models and the whole pipeline: bytes → faces → aligned crop → embedding.
//!
//! [`FaceEngine`] loads YuNet (dynamic-shape export, fixed here to the configured input
//! size) and MobileFaceNet once with tract (`into_optimized().into_runnable()`), keeps them
//! behind an `Arc` and runs from `&self`; clones share the models and it is `Send + Sync`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::RgbImage;
use tract_onnx::prelude::*;

use super::FaceError;
use super::align::{ALIGNED_SIZE, align_face};
use super::decode::{ImageLimits, decode_rgb};
use super::detect::{self, Detection, DetectorConfig, HeadOutputs, Pick, STRIDES};
use super::embed::{self, Embedding};
use super::gallery::Thresholds;
use crate::cause::Cause;

/// File name of the detector in the models folder.
pub const DETECTOR_FILE: &str = "yunet_dynamic.onnx";
/// File name of the embedder in the models folder.
pub const EMBEDDER_FILE: &str = "mobilefacenet.onnx";
/// Environment variable naming the models folder.
pub const MODELS_DIR_ENV: &str = "LOCKER_MODELS_DIR";
/// The models folder when neither configuration nor environment names one.
pub const DEFAULT_MODELS_DIR: &str = "../shared/models";

/// Everything the engine needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceConfig {
    /// Folder holding [`DETECTOR_FILE`] and [`EMBEDDER_FILE`].
    pub models_dir: PathBuf,
    /// Detector input size, score and NMS thresholds, minimum face size.
    pub detector: DetectorConfig,
    /// Image size limits.
    pub limits: ImageLimits,
    /// 1:1 and 1:N decision thresholds.
    pub thresholds: Thresholds,
    /// Average the embedding of the crop and its mirror image (off by default: it did not
    /// improve accuracy on `shared/faces/pairs.csv` and doubles the embedding time).
    pub flip: bool,
}

impl FaceConfig {
    /// Defaults with the models folder from `LOCKER_MODELS_DIR`, else [`DEFAULT_MODELS_DIR`].
    pub fn from_env() -> FaceConfig {
        let dir = std::env::var_os(MODELS_DIR_ENV).map(PathBuf::from);
        FaceConfig::with_models_dir(dir.unwrap_or_else(|| PathBuf::from(DEFAULT_MODELS_DIR)))
    }

    /// Defaults with the given models folder.
    pub fn with_models_dir(dir: impl Into<PathBuf>) -> FaceConfig {
        FaceConfig {
            models_dir: dir.into(),
            detector: DetectorConfig::default(),
            limits: ImageLimits::default(),
            thresholds: Thresholds::default(),
            flip: false,
        }
    }
}

/// One face found and embedded.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceSample {
    /// Where the face is.
    pub detection: Detection,
    /// Its embedding.
    pub embedding: Embedding,
}

/// The loaded face models; cheap to clone.
#[derive(Clone)]
pub struct FaceEngine {
    inner: Arc<Inner>,
}

struct Inner {
    config: FaceConfig,
    detector: Arc<TypedRunnableModel>,
    embedder: Arc<TypedRunnableModel>,
    /// For each stride, the output indices of `cls`, `obj`, `bbox`, `kps`.
    heads: [[usize; 4]; 3],
}

impl std::fmt::Debug for FaceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceEngine").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

fn model_err(what: &str, path: &Path) -> impl FnOnce(TractError) -> FaceError + use<> {
    tract_failed(&format!("{what} {}", path.display()))
}

/// Keeps tract's error (and its context chain) as the source of a [`FaceError::Model`].
fn tract_failed(context: &str) -> impl FnOnce(TractError) -> FaceError + use<> {
    let context = context.to_owned();
    move |e| FaceError::model_failed(context, Cause::from_boxed(e.into()))
}

impl FaceEngine {
    /// Loads and optimises both models. Fails with [`FaceError::Model`] naming the file when
    /// one is missing or does not load.
    pub fn load(config: FaceConfig) -> Result<FaceEngine, FaceError> {
        config.detector.validate()?;
        let (detector, heads) = load_detector(&config)?;
        let embedder = load_embedder(&config.models_dir.join(EMBEDDER_FILE))?;
        Ok(FaceEngine { inner: Arc::new(Inner { config, detector, embedder, heads }) })
    }

    /// The configuration the engine was loaded with.
    pub fn config(&self) -> &FaceConfig {
        &self.inner.config
    }

    /// Decodes image bytes within the configured limits.
    pub fn decode(&self, bytes: &[u8]) -> Result<RgbImage, FaceError> {
        decode_rgb(bytes, self.inner.config.limits)
    }

    /// All faces in `image` after NMS, best first, in image pixels (no quality gates).
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        let cfg = &self.inner.config.detector;
        let lb = detect::letterbox(image, cfg);
        let input = Tensor::from_shape(&[1, 3, cfg.input_height, cfg.input_width], &lb.tensor)
            .map_err(tract_failed("detector input"))?;
        let outputs = self.inner.detector.run(tvec!(input.into_tvalue())).map_err(tract_failed("detector run"))?;
        let slice = |i: usize| -> Result<&[f32], FaceError> {
            outputs
                .get(i)
                .ok_or_else(|| FaceError::model(format!("detector output {i} missing")))
                .and_then(|t| f32_slice(t, "detector output"))
        };
        let mut heads = Vec::with_capacity(3);
        for idx in &self.inner.heads {
            heads.push(HeadOutputs {
                cls: slice(idx[0])?,
                obj: slice(idx[1])?,
                bbox: slice(idx[2])?,
                kps: slice(idx[3])?,
            });
        }
        let heads: [HeadOutputs<'_>; 3] = heads.try_into().map_err(|_| FaceError::model("detector heads"))?;
        let found = detect::decode_heads(&heads, cfg.input_width, cfg.input_height, cfg.score_threshold)?;
        Ok(detect::nms(found, cfg.nms_iou).iter().map(|d| detect::to_image_coords(d, lb.scale)).collect())
    }

    /// The face to use under the quality gates (no face, several faces, too small).
    pub fn detect_one(&self, image: &RgbImage, pick: Pick) -> Result<Detection, FaceError> {
        let found = self.detect(image)?;
        detect::select_face(&found, pick, self.inner.config.detector.min_face_px, image.dimensions())
    }

    /// Embeds a 112x112 aligned crop (averaging with its mirror when `flip` is on).
    pub fn embed_aligned(&self, aligned: &RgbImage) -> Result<Embedding, FaceError> {
        let plain = self.run_embedder(&embed::to_input(aligned, false))?;
        if !self.inner.config.flip {
            return Ok(plain);
        }
        let mirrored = self.run_embedder(&embed::to_input(aligned, true))?;
        Embedding::mean_of(&[&plain, &mirrored]).ok_or_else(|| FaceError::model("embedding is degenerate"))
    }

    /// Aligns the face of `detection` and embeds it.
    pub fn embed_face(&self, image: &RgbImage, detection: &Detection) -> Result<Embedding, FaceError> {
        self.embed_aligned(&align_face(image, &detection.landmarks))
    }

    /// The full pipeline on a decoded image.
    pub fn process_image(&self, image: &RgbImage, pick: Pick) -> Result<FaceSample, FaceError> {
        let detection = self.detect_one(image, pick)?;
        let embedding = self.embed_face(image, &detection)?;
        Ok(FaceSample { detection, embedding })
    }

    /// The full pipeline on image bytes: decode, detect (gated), align, embed.
    pub fn process(&self, bytes: &[u8], pick: Pick) -> Result<FaceSample, FaceError> {
        self.process_image(&self.decode(bytes)?, pick)
    }

    fn run_embedder(&self, input: &[f32]) -> Result<Embedding, FaceError> {
        let side = ALIGNED_SIZE as usize;
        let tensor = Tensor::from_shape(&[1, 3, side, side], input).map_err(tract_failed("embedder input"))?;
        let out = self.inner.embedder.run(tvec!(tensor.into_tvalue())).map_err(tract_failed("embedder run"))?;
        let raw = out
            .first()
            .ok_or_else(|| FaceError::model("embedder gave no output"))
            .and_then(|t| f32_slice(t, "embedder output"))?;
        Embedding::from_raw(raw).ok_or_else(|| FaceError::model("embedding is degenerate"))
    }
}

fn f32_slice<'t>(tensor: &'t Tensor, what: &str) -> Result<&'t [f32], FaceError> {
    tensor.try_as_plain_ram().and_then(|view| view.as_slice::<f32>()).map_err(tract_failed(what))
}

fn load_detector(config: &FaceConfig) -> Result<(Arc<TypedRunnableModel>, [[usize; 4]; 3]), FaceError> {
    let path = config.models_dir.join(DETECTOR_FILE);
    let err = |what: &str| model_err(what, &path);
    if !path.is_file() {
        return Err(FaceError::model(format!("detector model not found at {}", path.display())));
    }
    // The file's value_info names a symbolic batch that tract will not unify with 1.
    let mut model = tract_onnx::onnx()
        .with_ignore_output_shapes(true)
        .with_ignore_value_info(true)
        .model_for_path(&path)
        .map_err(err("loading detector"))?;
    let (h, w) = (config.detector.input_height, config.detector.input_width);
    model.set_input_fact(0, f32::fact([1, 3, h, w]).into()).map_err(err("detector input"))?;
    let names: Vec<String> = model
        .output_outlets()
        .map_err(err("detector outputs"))?
        .iter()
        .map(|o| model.outlet_label(*o).map(str::to_owned).unwrap_or_else(|| model.node(o.node).name.clone()))
        .collect();
    let mut heads = [[0usize; 4]; 3];
    for (s, stride) in STRIDES.iter().enumerate() {
        for (k, kind) in ["cls", "obj", "bbox", "kps"].iter().enumerate() {
            let name = format!("{kind}_{stride}");
            heads[s][k] = names.iter().position(|n| *n == name).ok_or_else(|| {
                FaceError::model(format!("detector {} has no output {name} (has {names:?})", path.display()))
            })?;
        }
    }
    let runnable = model
        .into_optimized()
        .map_err(err("optimising detector"))?
        .into_runnable()
        .map_err(err("preparing detector"))?;
    Ok((runnable, heads))
}

fn load_embedder(path: &Path) -> Result<Arc<TypedRunnableModel>, FaceError> {
    let err = |what: &str| model_err(what, path);
    if !path.is_file() {
        return Err(FaceError::model(format!("embedder model not found at {}", path.display())));
    }
    let side = ALIGNED_SIZE as usize;
    tract_onnx::onnx()
        .model_for_path(path)
        .map_err(err("loading embedder"))?
        .with_input_fact(0, f32::fact([1, 3, side, side]).into())
        .map_err(err("embedder input"))?
        .into_optimized()
        .map_err(err("optimising embedder"))?
        .into_runnable()
        .map_err(err("preparing embedder"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_models_give_a_model_error_naming_the_file() {
        let err = FaceEngine::load(FaceConfig::with_models_dir("/nonexistent/models")).unwrap_err();
        assert!(matches!(&err, FaceError::Model { context, .. } if context.contains(DETECTOR_FILE)), "{err}");
    }

    #[test]
    fn bad_detector_size_is_refused() {
        let mut config = FaceConfig::with_models_dir("/nonexistent");
        config.detector.input_width = 300;
        assert!(matches!(FaceEngine::load(config), Err(FaceError::Model { .. })));
    }
}
