//! MobileFaceNet input normalisation and the unit-length embedding it produces.

use image::RgbImage;

/// Length of an embedding.
pub const EMBEDDING_DIM: usize = 128;

/// ImageNet channel means (RGB), the model's own `data_transforms['val']`.
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet channel standard deviations (RGB).
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// An L2-normalised face embedding; the cosine of two is their dot product.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Normalises `raw` to unit length. `None` if it has the wrong length, is not finite
    /// or is all zeros.
    pub fn from_raw(raw: &[f32]) -> Option<Embedding> {
        if raw.len() != EMBEDDING_DIM || raw.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm <= f32::EPSILON {
            return None;
        }
        Some(Embedding(raw.iter().map(|v| v / norm).collect()))
    }

    /// The mean of two embeddings, renormalised (used for flip augmentation and for
    /// averaging several enrolment photos).
    pub fn mean_of(items: &[&Embedding]) -> Option<Embedding> {
        let mut sum = vec![0f32; EMBEDDING_DIM];
        for e in items {
            sum.iter_mut().zip(&e.0).for_each(|(s, v)| *s += v);
        }
        Embedding::from_raw(&sum)
    }

    /// The unit vector.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity with `other` (both are unit vectors), in -1..1.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        dot(&self.0, &other.0)
    }

    /// Little-endian bytes (512), for sealing.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Reads the bytes of [`Embedding::to_le_bytes`]; `None` unless they hold a unit vector.
    pub fn from_le_bytes(bytes: &[u8]) -> Option<Embedding> {
        if bytes.len() != EMBEDDING_DIM * 4 {
            return None;
        }
        let unit: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let norm = unit.iter().map(|v| v * v).sum::<f32>().sqrt();
        // Stored vectors are already unit length; keep them bit-exact rather than renormalise.
        (norm.is_finite() && (norm - 1.0).abs() < 1e-3).then_some(Embedding(unit))
    }
}

/// Lays out a 112x112 aligned RGB crop as the model input: NCHW RGB,
/// `(pixel / 255 − mean) / std` per channel. With `mirror`, the crop is flipped left-right.
pub fn to_input(aligned: &RgbImage, mirror: bool) -> Vec<f32> {
    let (w, h) = (aligned.width() as usize, aligned.height() as usize);
    let plane = w * h;
    let mut out = vec![0f32; plane * 3];
    for (x, y, px) in aligned.enumerate_pixels() {
        let col = if mirror { w - 1 - x as usize } else { x as usize };
        let at = y as usize * w + col;
        for c in 0..3 {
            out[c * plane + at] = (f32::from(px[c]) / 255.0 - MEAN[c]) / STD[c];
        }
    }
    out
}

/// Dot product of two equal-length slices, in 16 independent lanes so it vectorises.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 16;
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_round_trips_bytes() {
        let raw: Vec<f32> = (0..EMBEDDING_DIM).map(|i| i as f32 - 40.0).collect();
        let e = Embedding::from_raw(&raw).unwrap();
        assert!((e.cosine(&e) - 1.0).abs() < 1e-5);
        assert_eq!(Embedding::from_le_bytes(&e.to_le_bytes()).unwrap().as_slice().len(), EMBEDDING_DIM);
        assert!(Embedding::from_raw(&[0.0; EMBEDDING_DIM]).is_none());
        assert!(Embedding::from_raw(&[1.0; 3]).is_none());
        assert!(Embedding::from_le_bytes(&[0; 7]).is_none());
    }

    #[test]
    fn input_uses_imagenet_normalisation_and_mirrors() {
        let mut img = RgbImage::from_pixel(112, 112, image::Rgb([255, 0, 0]));
        img.put_pixel(0, 0, image::Rgb([0, 0, 0]));
        let t = to_input(&img, false);
        assert!((t[1] - (1.0 - 0.485) / 0.229).abs() < 1e-5);
        assert!((t[0] + 0.485 / 0.229).abs() < 1e-5);
        let m = to_input(&img, true);
        assert!((m[111] + 0.485 / 0.229).abs() < 1e-5);
    }
}
