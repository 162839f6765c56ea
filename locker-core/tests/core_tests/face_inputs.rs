//! The detector on the real model: agreement with an independent reference decoding, and a
//! distinct typed error (never a panic) for each kind of bad input.

use crate::face_support;

use std::io::Cursor;
use std::sync::OnceLock;

use image::{ImageFormat, Rgb, RgbImage};
use locker_core::ErrorCode;
use locker_core::face::{FaceEngine, FaceError, Pick};

fn engine() -> Option<&'static FaceEngine> {
    static ENGINE: OnceLock<Option<FaceEngine>> = OnceLock::new();
    ENGINE.get_or_init(face_support::engine).as_ref()
}

fn photo(rel: &str) -> RgbImage {
    image::open(face_support::faces_dir().join(rel)).unwrap().into_rgb8()
}

fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// `tests/core_tests/data/face_reference.json` was produced once by
/// `tests/core_tests/data/face_reference.py` (onnxruntime + numpy, decoding written from the
/// models README, not from our code).
#[test]
fn boxes_and_landmarks_agree_with_the_reference_decoding_within_2px() {
    let (Some(engine), Some(_)) = (engine(), face_support::faces()) else {
        return;
    };
    let reference: serde_json::Value = serde_json::from_str(include_str!("data/face_reference.json")).unwrap();
    let photos = reference["photos"].as_object().unwrap();
    assert!(photos.len() >= 5);
    let mut worst = 0f32;
    for (rel, expected) in photos {
        let ours = engine.detect(&photo(rel)).unwrap();
        let expected = expected.as_array().unwrap();
        assert_eq!(ours.len(), expected.len(), "{rel}: face count");
        for (d, e) in ours.iter().zip(expected) {
            let f = |v: &serde_json::Value| v.as_f64().unwrap() as f32;
            let b = &e["bbox"];
            let ours_box = [d.bbox.x, d.bbox.y, d.bbox.w, d.bbox.h];
            for (got, want) in ours_box.iter().zip(b.as_array().unwrap()) {
                worst = worst.max((got - f(want)).abs());
            }
            for (got, want) in d.landmarks.iter().zip(e["landmarks"].as_array().unwrap()) {
                worst = worst.max((got[0] - f(&want[0])).abs()).max((got[1] - f(&want[1])).abs());
            }
            assert!((d.score - f(&e["score"])).abs() < 0.02, "{rel}: score {} vs {}", d.score, e["score"]);
        }
    }
    println!("reference agreement: largest box/landmark difference {worst:.2} px over {} photos", photos.len());
    assert!(worst <= 2.0, "largest difference {worst} px exceeds 2 px");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A valid PNG header announcing `side`x`side` pixels, with no pixel data behind it: a
/// decoder that trusted it would allocate `side² · 3` bytes.
fn png_header_only(side: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    // A few bytes of a zlib stream stand in for the missing gigabytes.
    for (kind, data) in [(&b"IHDR"[..], &ihdr[..]), (b"IDAT", &[0x78, 0x9c, 0x63, 0x00]), (b"IEND", &[])] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

#[test]
fn each_bad_input_has_its_own_typed_error() {
    let Some(engine) = engine() else { return };
    let run = |bytes: &[u8]| engine.process(bytes, Pick::Single).map(|_| ()).unwrap_err();

    assert_eq!(run(&[]), FaceError::ImageEmpty);
    assert!(matches!(run(b"name,locker\nalice,A-01\n"), FaceError::ImageUnreadable { .. }));
    assert!(matches!(run(&encode(&RgbImage::new(1, 1), ImageFormat::Png)), FaceError::ImageTooSmall { .. }));
    let huge = run(&png_header_only(10_000));
    assert!(matches!(huge, FaceError::ImageTooLarge { width: 10_000, height: 10_000, .. }), "{huge:?}");

    let flat = RgbImage::from_pixel(256, 256, Rgb([128, 128, 128]));
    assert_eq!(run(&encode(&flat, ImageFormat::Png)), FaceError::NotFound);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let noise = RgbImage::from_fn(320, 240, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    assert_eq!(run(&encode(&noise, ImageFormat::Jpeg)), FaceError::NotFound);

    let (a, b) = (photo("Al_Sharpton/1.jpg"), photo("Cate_Blanchett/2.jpg"));
    let mut pair = RgbImage::new(a.width() + b.width(), a.height().max(b.height()));
    image::imageops::replace(&mut pair, &a, 0, 0);
    image::imageops::replace(&mut pair, &b, i64::from(a.width()), 0);
    let pair_jpeg = encode(&pair, ImageFormat::Jpeg);
    assert_eq!(run(&pair_jpeg), FaceError::MultipleFaces { count: 2 });
    assert!(engine.process(&pair_jpeg, Pick::Largest).is_ok(), "the caller may ask for the largest face");

    let mut small = RgbImage::from_pixel(320, 320, Rgb([90, 90, 90]));
    image::imageops::replace(
        &mut small,
        &image::imageops::resize(&a, 80, 80, image::imageops::FilterType::Triangle),
        120,
        120,
    );
    assert!(matches!(run(&encode(&small, ImageFormat::Png)), FaceError::TooSmall { .. }));
}

#[test]
fn errors_map_to_distinct_codes_in_the_face_block() {
    let errors = [
        FaceError::ImageEmpty,
        FaceError::unreadable("", None),
        FaceError::ImageTooSmall { width: 1, height: 1, min_side: 32 },
        FaceError::ImageTooLarge { width: 1, height: 1, max_side: 1 },
        FaceError::NotFound,
        FaceError::MultipleFaces { count: 2 },
        FaceError::TooSmall { size: 1.0, min: 2.0 },
    ];
    let codes: std::collections::HashSet<ErrorCode> = errors.iter().map(FaceError::code).collect();
    assert_eq!(codes.len(), errors.len());
    assert!(codes.iter().all(|c| (400..500).contains(&c.as_u32())));
}
