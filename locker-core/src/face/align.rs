//! Five-point alignment: a least-squares similarity transform (Umeyama, no reflection) from
//! the detected landmarks to the ArcFace 112x112 template, and a bilinear warp.

use image::{Rgb, RgbImage};

/// Side of the aligned face crop.
pub const ALIGNED_SIZE: u32 = 112;

/// The ArcFace 112x112 landmark template, in YuNet's landmark order.
pub const ARCFACE_TEMPLATE: [[f32; 2]; 5] =
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

/// A similarity transform `[x', y'] = [[a, -b], [b, a]] · [x, y] + [tx, ty]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// `scale · cos(angle)`.
    pub a: f32,
    /// `scale · sin(angle)`.
    pub b: f32,
    /// Translation x.
    pub tx: f32,
    /// Translation y.
    pub ty: f32,
}

impl Similarity {
    /// Applies the transform to a point.
    pub fn apply(&self, [x, y]: [f32; 2]) -> [f32; 2] {
        [self.a * x - self.b * y + self.tx, self.b * x + self.a * y + self.ty]
    }

    /// The inverse transform (`None` if degenerate).
    pub fn inverse(&self) -> Option<Similarity> {
        let det = self.a * self.a + self.b * self.b;
        if det <= f32::EPSILON {
            return None;
        }
        let (a, b) = (self.a / det, -self.b / det);
        Some(Similarity { a, b, tx: -(a * self.tx - b * self.ty), ty: -(b * self.tx + a * self.ty) })
    }
}

/// The least-squares similarity mapping `src` onto `dst` (Umeyama 1991 for 2-D, rotation
/// only). `None` when the source points all coincide.
pub fn estimate_similarity(src: &[[f32; 2]], dst: &[[f32; 2]]) -> Option<Similarity> {
    let n = src.len().min(dst.len());
    if n < 2 {
        return None;
    }
    let mean = |pts: &[[f32; 2]]| {
        let (sx, sy) = pts[..n].iter().fold((0f64, 0f64), |(x, y), p| (x + f64::from(p[0]), y + f64::from(p[1])));
        (sx / n as f64, sy / n as f64)
    };
    let (msx, msy) = mean(src);
    let (mdx, mdy) = mean(dst);
    let (mut sxx, mut dot, mut cross) = (0f64, 0f64, 0f64);
    for (s, d) in src[..n].iter().zip(&dst[..n]) {
        let (xs, ys) = (f64::from(s[0]) - msx, f64::from(s[1]) - msy);
        let (xd, yd) = (f64::from(d[0]) - mdx, f64::from(d[1]) - mdy);
        sxx += xs * xs + ys * ys;
        dot += xs * xd + ys * yd;
        cross += xs * yd - ys * xd;
    }
    if sxx <= 1e-12 {
        return None;
    }
    let (a, b) = (dot / sxx, cross / sxx);
    let tx = mdx - (a * msx - b * msy);
    let ty = mdy - (b * msx + a * msy);
    Some(Similarity { a: a as f32, b: b as f32, tx: tx as f32, ty: ty as f32 })
}

/// Warps `image` with `to_crop` (image → crop coordinates) into a `size`x`size` crop,
/// sampling bilinearly; pixels from outside the image are black.
pub fn warp(image: &RgbImage, to_crop: &Similarity, size: u32) -> RgbImage {
    let Some(inv) = to_crop.inverse() else {
        return RgbImage::new(size, size);
    };
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    let fetch = |x: i64, y: i64, c: usize| -> f32 {
        if x < 0 || y < 0 || x >= w || y >= h { 0.0 } else { f32::from(raw[((y * w + x) * 3) as usize + c]) }
    };
    let mut out = RgbImage::new(size, size);
    for (u, v, px) in out.enumerate_pixels_mut() {
        let [sx, sy] = inv.apply([u as f32, v as f32]);
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        *px = Rgb(std::array::from_fn(|c| {
            let top = fetch(x0, y0, c) * (1.0 - fx) + fetch(x0 + 1, y0, c) * fx;
            let bottom = fetch(x0, y0 + 1, c) * (1.0 - fx) + fetch(x0 + 1, y0 + 1, c) * fx;
            (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
        }));
    }
    out
}

/// Aligns the face with `landmarks` to the ArcFace template: a 112x112 RGB crop.
pub fn align_face(image: &RgbImage, landmarks: &[[f32; 2]; 5]) -> RgbImage {
    match estimate_similarity(landmarks, &ARCFACE_TEMPLATE) {
        Some(t) => warp(image, &t, ALIGNED_SIZE),
        None => RgbImage::new(ALIGNED_SIZE, ALIGNED_SIZE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_similarity() {
        let truth = Similarity { a: 0.8, b: 0.3, tx: 12.0, ty: -7.0 };
        let src = [[10.0, 20.0], [50.0, 22.0], [30.0, 40.0], [15.0, 60.0], [45.0, 61.0]];
        let dst = src.map(|p| truth.apply(p));
        let est = estimate_similarity(&src, &dst).unwrap();
        for (got, want) in [est.a, est.b, est.tx, est.ty].iter().zip([0.8, 0.3, 12.0, -7.0]) {
            assert!((got - want).abs() < 1e-3, "{got} vs {want}");
        }
        let back = est.inverse().unwrap().apply(est.apply([3.0, 4.0]));
        assert!((back[0] - 3.0).abs() < 1e-4 && (back[1] - 4.0).abs() < 1e-4);
    }

    #[test]
    fn identity_warp_copies_pixels_and_template_maps_onto_itself() {
        let img = RgbImage::from_fn(112, 112, |x, y| Rgb([x as u8, y as u8, 7]));
        let t = estimate_similarity(&ARCFACE_TEMPLATE, &ARCFACE_TEMPLATE).unwrap();
        assert!((t.a - 1.0).abs() < 1e-5 && t.b.abs() < 1e-5);
        let out = align_face(&img, &ARCFACE_TEMPLATE);
        assert_eq!(out.get_pixel(40, 90), img.get_pixel(40, 90));
    }

    #[test]
    fn degenerate_landmarks_do_not_panic() {
        let img = RgbImage::new(50, 50);
        assert_eq!(align_face(&img, &[[5.0, 5.0]; 5]).dimensions(), (112, 112));
    }
}
