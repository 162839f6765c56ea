//! YuNet detection: letterbox preprocessing, output decoding, NMS and quality gates.
//!
//! Pure functions on pixels and tensors; [`super::engine::FaceEngine`] runs the model.
//! Decoding follows OpenCV `FaceDetectorYN` as written down in the models README.

use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};

use super::FaceError;

/// The strides of YuNet's three output heads.
pub const STRIDES: [usize; 3] = [8, 16, 32];

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorConfig {
    /// Model input width in pixels (a multiple of 32).
    pub input_width: usize,
    /// Model input height in pixels (a multiple of 32).
    pub input_height: usize,
    /// Minimum score to keep a candidate.
    pub score_threshold: f32,
    /// IoU above which the weaker of two boxes is dropped.
    pub nms_iou: f32,
    /// Smallest accepted face (shorter box side, in original image pixels).
    pub min_face_px: f32,
}

impl Default for DetectorConfig {
    /// 320x320 input (fast on a kiosk CPU), score 0.6, NMS IoU 0.3, faces of 40 px and up.
    fn default() -> Self {
        Self { input_width: 320, input_height: 320, score_threshold: 0.6, nms_iou: 0.3, min_face_px: 40.0 }
    }
}

impl DetectorConfig {
    /// Checks that the input size is a non-zero multiple of 32.
    pub fn validate(&self) -> Result<(), FaceError> {
        let ok = |v: usize| v >= 32 && v % 32 == 0 && v <= 4096;
        if ok(self.input_width) && ok(self.input_height) {
            Ok(())
        } else {
            Err(FaceError::model(format!(
                "detector input {}x{} must be multiples of 32 between 32 and 4096",
                self.input_width, self.input_height
            )))
        }
    }
}

/// An axis-aligned box in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl BBox {
    /// Area in square pixels.
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    /// Intersection over union with `other`.
    pub fn iou(&self, other: &BBox) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.w).min(other.x + other.w);
        let y1 = (self.y + self.h).min(other.y + other.h);
        let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
}

/// One detected face: box, score and five landmarks (right eye, left eye, nose tip, right
/// and left mouth corner, from the subject's point of view), all in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    /// The face box.
    pub bbox: BBox,
    /// Detector confidence in 0..1.
    pub score: f32,
    /// The five landmarks as `[x, y]`.
    pub landmarks: [[f32; 2]; 5],
}

/// Which face to use when the image shows more than one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pick {
    /// Exactly one face, or an error.
    #[default]
    Single,
    /// The largest face; others are ignored.
    Largest,
    /// The face whose centre is nearest the image centre (a kiosk camera is aimed at the
    /// customer; bystanders at the edges are ignored).
    Central,
}

/// The model input and how to map its coordinates back to the image.
#[derive(Debug, Clone, PartialEq)]
pub struct Letterbox {
    /// NCHW BGR float pixels 0..255, `input_height * input_width * 3` values.
    pub tensor: Vec<f32>,
    /// Input pixels per image pixel.
    pub scale: f32,
}

/// Resizes `image` to fit the input (keeping the aspect ratio), pads bottom and right with
/// zeros and lays it out as NCHW BGR 0..255, as YuNet expects.
pub fn letterbox(image: &RgbImage, config: &DetectorConfig) -> Letterbox {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let scale = (config.input_width as f32 / w).min(config.input_height as f32 / h);
    let new_w = ((w * scale).round() as u32).clamp(1, config.input_width as u32);
    let new_h = ((h * scale).round() as u32).clamp(1, config.input_height as u32);
    let resized;
    let src = if (new_w, new_h) == image.dimensions() {
        image
    } else {
        // Through `DynamicImage` (not the generic `imageops::resize`): its instance is compiled
        // in the image crate, with its optimisations, so a debug or test build of this crate
        // does not run an unoptimised copy of the resampler (most of a test-profile detection,
        // issue 16). Same function and pixel type, so the same pixels.
        resized = DynamicImage::ImageRgb8(image.clone()).resize_exact(new_w, new_h, FilterType::Triangle).into_rgb8();
        &resized
    };
    let plane = config.input_width * config.input_height;
    let mut tensor = vec![0f32; plane * 3];
    for (x, y, px) in src.enumerate_pixels() {
        let at = y as usize * config.input_width + x as usize;
        tensor[at] = f32::from(px[2]);
        tensor[plane + at] = f32::from(px[1]);
        tensor[2 * plane + at] = f32::from(px[0]);
    }
    // The effective scale after rounding, per axis; use the mean (they differ by < 1 px).
    let scale = (new_w as f32 / w + new_h as f32 / h) / 2.0;
    Letterbox { tensor, scale }
}

/// The four outputs of one YuNet head (one stride), flat, row-major.
#[derive(Debug, Clone, Copy)]
pub struct HeadOutputs<'a> {
    /// `cls_s`, N values.
    pub cls: &'a [f32],
    /// `obj_s`, N values.
    pub obj: &'a [f32],
    /// `bbox_s`, 4N values.
    pub bbox: &'a [f32],
    /// `kps_s`, 10N values.
    pub kps: &'a [f32],
}

/// Decodes the heads (in [`STRIDES`] order) into detections in input pixels, keeping those
/// scoring at least `score_threshold`.
pub fn decode_heads(
    heads: &[HeadOutputs<'_>; 3],
    input_width: usize,
    input_height: usize,
    score_threshold: f32,
) -> Result<Vec<Detection>, FaceError> {
    let mut out = Vec::new();
    for (head, &stride) in heads.iter().zip(STRIDES.iter()) {
        let cols = input_width / stride;
        let n = cols * (input_height / stride);
        if head.cls.len() != n || head.obj.len() != n || head.bbox.len() != 4 * n || head.kps.len() != 10 * n {
            return Err(FaceError::model(format!("unexpected detector output size at stride {stride}")));
        }
        let s = stride as f32;
        for i in 0..n {
            let score = (head.cls[i].clamp(0.0, 1.0) * head.obj[i].clamp(0.0, 1.0)).sqrt();
            if score < score_threshold {
                continue;
            }
            let (row, col) = ((i / cols) as f32, (i % cols) as f32);
            let b = &head.bbox[4 * i..4 * i + 4];
            let (cx, cy) = ((col + b[0]) * s, (row + b[1]) * s);
            let (w, h) = (b[2].exp() * s, b[3].exp() * s);
            let k = &head.kps[10 * i..10 * i + 10];
            let landmarks = std::array::from_fn(|j| [(k[2 * j] + col) * s, (k[2 * j + 1] + row) * s]);
            out.push(Detection { bbox: BBox { x: cx - w / 2.0, y: cy - h / 2.0, w, h }, score, landmarks });
        }
    }
    Ok(out)
}

/// Greedy non-maximum suppression: keeps the best-scoring boxes, dropping any box whose IoU
/// with a kept one exceeds `iou`. Returns the kept detections, best first.
pub fn nms(mut detections: Vec<Detection>, iou: f32) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for d in detections {
        if kept.iter().all(|k| k.bbox.iou(&d.bbox) <= iou) {
            kept.push(d);
        }
    }
    kept
}

/// Maps a detection from input pixels back to image pixels.
pub fn to_image_coords(d: &Detection, scale: f32) -> Detection {
    let inv = 1.0 / scale;
    Detection {
        bbox: BBox { x: d.bbox.x * inv, y: d.bbox.y * inv, w: d.bbox.w * inv, h: d.bbox.h * inv },
        score: d.score,
        landmarks: d.landmarks.map(|[x, y]| [x * inv, y * inv]),
    }
}

/// The quality gates: no face, more than one face (unless `pick` chooses one), face too
/// small. `image_size` is the image's `(width, height)`. Returns the face to use.
pub fn select_face(
    detections: &[Detection],
    pick: Pick,
    min_face_px: f32,
    image_size: (u32, u32),
) -> Result<Detection, FaceError> {
    let centre = [image_size.0 as f32 / 2.0, image_size.1 as f32 / 2.0];
    let off_centre = |d: &Detection| {
        let (dx, dy) = (d.bbox.x + d.bbox.w / 2.0 - centre[0], d.bbox.y + d.bbox.h / 2.0 - centre[1]);
        dx * dx + dy * dy
    };
    let face = match (detections.len(), pick) {
        (0, _) => return Err(FaceError::NotFound),
        (1, _) => detections[0],
        (count, Pick::Single) => return Err(FaceError::MultipleFaces { count }),
        (_, Pick::Largest) => {
            *detections.iter().max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area())).ok_or(FaceError::NotFound)?
        }
        (_, Pick::Central) => {
            *detections.iter().min_by(|a, b| off_centre(a).total_cmp(&off_centre(b))).ok_or(FaceError::NotFound)?
        }
    };
    let size = face.bbox.w.min(face.bbox.h);
    if size < min_face_px {
        return Err(FaceError::TooSmall { size, min: min_face_px });
    }
    Ok(face)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(x: f32, y: f32, w: f32, score: f32) -> Detection {
        Detection { bbox: BBox { x, y, w, h: w }, score, landmarks: [[0.0; 2]; 5] }
    }

    #[test]
    fn nms_drops_overlaps_and_keeps_separate_faces() {
        let kept = nms(vec![det(0.0, 0.0, 100.0, 0.8), det(5.0, 5.0, 100.0, 0.9), det(300.0, 0.0, 80.0, 0.7)], 0.3);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[1].bbox.x, 300.0);
    }

    #[test]
    fn decodes_one_anchor_per_readme_formula() {
        // 64x32 input: stride 8 has 8 cols x 4 rows; put a face at row 1, col 2.
        let (w, h) = (64, 32);
        let mut bufs: Vec<(Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>)> = STRIDES
            .iter()
            .map(|s| {
                let n = (w / s) * (h / s);
                (vec![0.0; n], vec![0.0; n], vec![0.0; 4 * n], vec![0.0; 10 * n])
            })
            .collect();
        let i = 8 + 2;
        bufs[0].0[i] = 0.81;
        bufs[0].1[i] = 1.0;
        bufs[0].2[4 * i..4 * i + 4].copy_from_slice(&[0.5, 0.25, 0.0, 1.0f32.ln()]);
        bufs[0].3[10 * i] = 0.5;
        bufs[0].3[10 * i + 1] = -0.5;
        let heads =
            [0, 1, 2].map(|k| HeadOutputs { cls: &bufs[k].0, obj: &bufs[k].1, bbox: &bufs[k].2, kps: &bufs[k].3 });
        let d = decode_heads(&heads, w, h, 0.5).unwrap();
        assert_eq!(d.len(), 1);
        assert!((d[0].score - 0.9).abs() < 1e-6);
        let (cx, cy) = ((2.0 + 0.5) * 8.0, (1.0 + 0.25) * 8.0);
        assert!((d[0].bbox.x - (cx - 4.0)).abs() < 1e-4 && (d[0].bbox.y - (cy - 4.0)).abs() < 1e-4);
        assert_eq!(d[0].landmarks[0], [(0.5 + 2.0) * 8.0, (-0.5 + 1.0) * 8.0]);
    }

    #[test]
    fn gates_give_distinct_errors() {
        let size = (200, 100);
        assert_eq!(select_face(&[], Pick::Single, 10.0, size), Err(FaceError::NotFound));
        let two = [det(0.0, 0.0, 50.0, 0.9), det(120.0, 0.0, 80.0, 0.8)];
        assert_eq!(select_face(&two, Pick::Single, 10.0, size), Err(FaceError::MultipleFaces { count: 2 }));
        assert_eq!(select_face(&two, Pick::Largest, 10.0, size).unwrap().bbox.w, 80.0);
        let central = [det(0.0, 0.0, 90.0, 0.9), det(75.0, 25.0, 50.0, 0.8)];
        assert_eq!(select_face(&central, Pick::Central, 10.0, size).unwrap().bbox.w, 50.0);
        assert!(matches!(select_face(&two[..1], Pick::Single, 60.0, size), Err(FaceError::TooSmall { .. })));
    }

    #[test]
    fn letterbox_pads_bottom_right_in_bgr() {
        let img = RgbImage::from_pixel(160, 80, image::Rgb([10, 20, 30]));
        let lb = letterbox(&img, &DetectorConfig { input_width: 320, input_height: 320, ..Default::default() });
        assert_eq!(lb.scale, 2.0);
        assert_eq!(lb.tensor.len(), 3 * 320 * 320);
        assert_eq!(lb.tensor[0], 30.0);
        assert_eq!(lb.tensor[320 * 320 * 2], 10.0);
        assert_eq!(lb.tensor[320 * 319 + 319], 0.0);
    }
}
