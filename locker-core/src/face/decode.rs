//! Image bytes to RGB pixels, with limits checked from the header before decoding.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits, RgbImage};

use super::FaceError;

/// Size limits for incoming images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest width or height accepted (checked from the header, before decoding).
    pub max_side: u32,
    /// Smallest width or height accepted.
    pub min_side: u32,
}

impl Default for ImageLimits {
    /// 4096 px per side at most (a 12-megapixel photo fits), 32 px at least.
    fn default() -> Self {
        Self { max_side: 4096, min_side: 32 }
    }
}

/// Decodes JPEG or PNG bytes into RGB, refusing empty, unknown, too small and too large
/// images with distinct errors. Memory stays bounded: the dimensions are read from the
/// header first and the decoder runs with an allocation limit derived from them.
pub fn decode_rgb(bytes: &[u8], limits: ImageLimits) -> Result<RgbImage, FaceError> {
    if bytes.is_empty() {
        return Err(FaceError::ImageEmpty);
    }
    let format = image::guess_format(bytes).map_err(|e| FaceError::unreadable("not a JPEG or PNG image", Some(e)))?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(FaceError::unreadable(format!("unsupported format {format:?}"), None));
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| FaceError::unreadable("the header does not decode", Some(e)))?;
    if width > limits.max_side || height > limits.max_side {
        return Err(FaceError::ImageTooLarge { width, height, max_side: limits.max_side });
    }
    if width < limits.min_side || height < limits.min_side {
        return Err(FaceError::ImageTooSmall { width, height, min_side: limits.min_side });
    }
    let mut decoder_limits = Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    // RGBA16 is the widest buffer a JPEG/PNG decoder may need, plus slack for the conversion.
    decoder_limits.max_alloc = Some(u64::from(width) * u64::from(height) * 8 * 2 + (1 << 20));
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits);
    let image = reader.decode().map_err(|e| FaceError::unreadable("the pixels do not decode", Some(e)))?;
    Ok(image.into_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        RgbImage::new(width, height).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn refuses_empty_text_and_tiny_images() {
        let limits = ImageLimits::default();
        assert_eq!(decode_rgb(&[], limits), Err(FaceError::ImageEmpty));
        assert!(matches!(decode_rgb(b"hello, I am not an image\n", limits), Err(FaceError::ImageUnreadable { .. })));
        assert!(matches!(decode_rgb(&png(1, 1), limits), Err(FaceError::ImageTooSmall { .. })));
        assert!(matches!(decode_rgb(&png(1, 1)[..20], limits), Err(FaceError::ImageUnreadable { .. })));
    }

    #[test]
    fn decodes_a_png_within_limits() {
        let image = decode_rgb(&png(64, 40), ImageLimits::default()).unwrap();
        assert_eq!(image.dimensions(), (64, 40));
    }
}
