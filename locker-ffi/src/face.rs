//! The face engine (detect, embed, 1:1 verify) and a gallery for 1:N identification.

use std::ffi::c_char;
use std::sync::RwLock;

use locker_core::face::{Embedding, FaceConfig, FaceEngine, FaceError, Gallery, Pick};

use crate::error::{Fail, locker_result};
use crate::ffi::{
    Castable, check_out, copy_cstr, ffi_panic_boundary, free_handle, to_handle, try_opt_str, try_ref, try_slice,
    try_str, write_out,
};

/// Numbers in one face embedding.
pub const LOCKER_EMBEDDING_DIM: usize = 128;
/// Longest gallery id plus the NUL.
pub const LOCKER_GALLERY_ID_LEN: usize = 64;

const _: () = assert!(LOCKER_EMBEDDING_DIM == locker_core::face::EMBEDDING_DIM);

/// An L2-normalised face embedding (plain data; copy it, store it, nothing to free).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct locker_embedding {
    /// The unit vector.
    pub values: [f32; LOCKER_EMBEDDING_DIM],
}

impl locker_embedding {
    fn from_core(e: &Embedding) -> Self {
        let mut values = [0f32; LOCKER_EMBEDDING_DIM];
        values.copy_from_slice(&e.as_slice()[..LOCKER_EMBEDDING_DIM]);
        Self { values }
    }

    fn to_core(&self) -> Result<Embedding, Fail> {
        Embedding::from_raw(&self.values)
            .ok_or_else(|| Fail::new(locker_result::Validation, "embedding is all zero or not finite"))
    }
}

/// Which face to use when an image shows several. Passed to functions as a `uint32_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum locker_pick {
    /// Exactly one face, else `LOCKER_RESULT_MULTIPLE_FACES`.
    Single = 0,
    /// The largest face.
    Largest = 1,
    /// The face nearest the image centre (a kiosk camera aims at the customer).
    Central = 2,
}

fn pick_from_u32(pick: u32) -> Result<Pick, Fail> {
    Ok(match pick {
        0 => Pick::Single,
        1 => Pick::Largest,
        2 => Pick::Central,
        other => return Err(Fail::new(locker_result::Validation, format!("invalid pick: {other}"))),
    })
}

/// One detected face, in image pixels.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct locker_face_box {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Detector confidence, 0..1.
    pub score: f32,
    /// Five landmarks (eyes, nose, mouth corners) as x, y pairs.
    pub landmarks: [f32; 10],
}

/// The loaded face models (opaque). Safe to use from several threads at once.
pub struct locker_face_engine {
    _private: [u8; 0],
}

impl Castable for locker_face_engine {
    type Inner = FaceEngine;
}

/// Enrolled embeddings searchable 1:N (opaque). Safe to share between threads.
pub struct locker_gallery {
    _private: [u8; 0],
}

impl Castable for locker_gallery {
    type Inner = RwLock<Gallery>;
}

/// One identification result.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct locker_match {
    /// The enrolled id.
    pub id: [c_char; LOCKER_GALLERY_ID_LEN],
    /// Its cosine score against the probe.
    pub score: f32,
}

/// Loads the detector and embedder from `models_dir` (NULL: `LOCKER_MODELS_DIR`, else
/// `../shared/models`). A missing or broken model is `LOCKER_RESULT_FACE_MODEL`.
/// Release it with `locker_face_engine_free`.
///
/// # Safety
/// `models_dir` is NULL or NUL-terminated; `out_engine` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_face_engine_new(
    models_dir: *const c_char,
    out_engine: *mut *mut locker_face_engine,
) -> locker_result {
    ffi_panic_boundary(|| {
        let dir = unsafe { try_opt_str(models_dir, "models_dir") }?;
        check_out(out_engine, "out_engine")?;
        let config = dir.map_or_else(FaceConfig::from_env, FaceConfig::with_models_dir);
        let engine = FaceEngine::load(config)?;
        unsafe { write_out(out_engine, to_handle::<locker_face_engine>(engine)) };
        Ok(())
    })
}

/// Releases an engine and sets `*engine` to NULL. NULL is a no-op.
///
/// # Safety
/// `engine` is NULL or points at NULL or at an engine from `locker_face_engine_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_face_engine_free(engine: *mut *mut locker_face_engine) {
    let _ = ffi_panic_boundary(|| {
        unsafe { free_handle(engine) };
        Ok(())
    });
}

/// Finds every face in a JPEG or PNG image (best first), writing up to `cap` boxes to
/// `out_faces` and the count to `*out_n`. More faces than `cap`: `LOCKER_RESULT_BUFFER_TOO_SMALL`.
/// Unreadable bytes: `LOCKER_RESULT_IMAGE_UNREADABLE` (or `_IMAGE_EMPTY`, `_IMAGE_TOO_LARGE`).
///
/// # Safety
/// `engine` is live; `image` has `image_len` bytes; `out_faces` has `cap` writable elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_face_engine_detect(
    engine: *const locker_face_engine,
    image: *const u8,
    image_len: usize,
    out_faces: *mut locker_face_box,
    cap: usize,
    out_n: *mut usize,
) -> locker_result {
    ffi_panic_boundary(|| {
        let engine = unsafe { try_ref(engine, "engine") }?;
        let bytes = unsafe { try_slice(image, image_len, "image") }?;
        check_out(out_faces, "out_faces")?;
        check_out(out_n, "out_n")?;
        let found = engine.detect(&engine.decode(bytes)?)?;
        if found.len() > cap {
            return Err(Fail::new(locker_result::BufferTooSmall, format!("{} faces, room for {cap}", found.len())));
        }
        for (i, d) in found.iter().enumerate() {
            let mut landmarks = [0f32; 10];
            for (k, [x, y]) in d.landmarks.iter().enumerate() {
                landmarks[2 * k] = *x;
                landmarks[2 * k + 1] = *y;
            }
            let b = locker_face_box { x: d.bbox.x, y: d.bbox.y, w: d.bbox.w, h: d.bbox.h, score: d.score, landmarks };
            // SAFETY: i < found.len() <= cap writable elements.
            unsafe { out_faces.add(i).write(b) };
        }
        unsafe { write_out(out_n, found.len()) };
        Ok(())
    })
}

/// Decodes, detects (under the quality gates and `pick`, a `locker_pick`), aligns and embeds
/// the face. No face: `LOCKER_RESULT_FACE_NOT_FOUND`; several with `LOCKER_PICK_SINGLE`:
/// `_MULTIPLE_FACES`; too small: `_FACE_TOO_SMALL`.
///
/// # Safety
/// `engine` is live; `image` has `image_len` bytes; `out_embedding` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_face_engine_embed(
    engine: *const locker_face_engine,
    image: *const u8,
    image_len: usize,
    pick: u32,
    out_embedding: *mut locker_embedding,
) -> locker_result {
    ffi_panic_boundary(|| {
        let engine = unsafe { try_ref(engine, "engine") }?;
        let bytes = unsafe { try_slice(image, image_len, "image") }?;
        let pick = pick_from_u32(pick)?;
        check_out(out_embedding, "out_embedding")?;
        let sample = engine.process(bytes, pick)?;
        unsafe { write_out(out_embedding, locker_embedding::from_core(&sample.embedding)) };
        Ok(())
    })
}

/// 1:1: embeds the single central face of `image` and compares it with `template` at the
/// engine's verify threshold. A match writes the cosine score to `*out_score`; a different
/// person is `LOCKER_RESULT_FACE_MISMATCH` (the score is in the message).
///
/// # Safety
/// `engine` is live; `image` has `image_len` bytes; `template` is readable; `out_score` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_face_engine_verify(
    engine: *const locker_face_engine,
    image: *const u8,
    image_len: usize,
    template: *const locker_embedding,
    out_score: *mut f32,
) -> locker_result {
    ffi_panic_boundary(|| {
        let engine = unsafe { try_ref(engine, "engine") }?;
        let bytes = unsafe { try_slice(image, image_len, "image") }?;
        let template = unsafe { template.as_ref() }.ok_or_else(|| Fail::null("template"))?.to_core()?;
        check_out(out_score, "out_score")?;
        let probe = engine.process(bytes, Pick::Central)?.embedding;
        let threshold = engine.config().thresholds.verify;
        let score = locker_core::face::gallery::check(&probe, &template, threshold)?;
        unsafe { write_out(out_score, score) };
        Ok(())
    })
}

/// Cosine similarity of two embeddings (-1..1; same person typically above 0.28).
///
/// # Safety
/// `a` and `b` are readable; `out_score` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_embedding_cosine(
    a: *const locker_embedding,
    b: *const locker_embedding,
    out_score: *mut f32,
) -> locker_result {
    ffi_panic_boundary(|| {
        let a = unsafe { a.as_ref() }.ok_or_else(|| Fail::null("a"))?.to_core()?;
        let b = unsafe { b.as_ref() }.ok_or_else(|| Fail::null("b"))?.to_core()?;
        check_out(out_score, "out_score")?;
        unsafe { write_out(out_score, a.cosine(&b)) };
        Ok(())
    })
}

/// Creates an empty gallery. Release it with `locker_gallery_free`.
#[unsafe(no_mangle)]
pub extern "C" fn locker_gallery_new(out_gallery: *mut *mut locker_gallery) -> locker_result {
    ffi_panic_boundary(|| {
        check_out(out_gallery, "out_gallery")?;
        unsafe { write_out(out_gallery, to_handle::<locker_gallery>(RwLock::new(Gallery::new()))) };
        Ok(())
    })
}

/// Releases a gallery and sets `*gallery` to NULL. NULL is a no-op.
///
/// # Safety
/// `gallery` is NULL or points at NULL or at a gallery from `locker_gallery_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_gallery_free(gallery: *mut *mut locker_gallery) {
    let _ = ffi_panic_boundary(|| {
        unsafe { free_handle(gallery) };
        Ok(())
    });
}

/// Enrolls `embedding` under `id` (1..=63 bytes of UTF-8); adding again to the same id adds
/// another sample of that person.
///
/// # Safety
/// `gallery` is live; `id` is NUL-terminated; `embedding` is readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_gallery_add(
    gallery: *const locker_gallery,
    id: *const c_char,
    embedding: *const locker_embedding,
) -> locker_result {
    ffi_panic_boundary(|| {
        let gallery = unsafe { try_ref(gallery, "gallery") }?;
        let id = unsafe { try_str(id, "id") }?;
        let embedding = unsafe { embedding.as_ref() }.ok_or_else(|| Fail::null("embedding"))?.to_core()?;
        if id.is_empty() {
            return Err(Fail::new(locker_result::Validation, "id must not be empty"));
        }
        copy_cstr::<LOCKER_GALLERY_ID_LEN>(id, "id")?;
        gallery.write().unwrap_or_else(|e| e.into_inner()).enroll(id, [&embedding]);
        Ok(())
    })
}

/// Removes every sample of `id`. An id that is not enrolled is `LOCKER_RESULT_NOT_FOUND`.
///
/// # Safety
/// `gallery` is live; `id` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_gallery_remove(gallery: *const locker_gallery, id: *const c_char) -> locker_result {
    ffi_panic_boundary(|| {
        let gallery = unsafe { try_ref(gallery, "gallery") }?;
        let id = unsafe { try_str(id, "id") }?;
        if gallery.write().unwrap_or_else(|e| e.into_inner()).remove(id) {
            Ok(())
        } else {
            Err(locker_core::Error::not_found("gallery id", id).into())
        }
    })
}

/// Writes the number of enrolled people to `*out_n`.
///
/// # Safety
/// `gallery` is live; `out_n` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_gallery_len(gallery: *const locker_gallery, out_n: *mut usize) -> locker_result {
    ffi_panic_boundary(|| {
        let gallery = unsafe { try_ref(gallery, "gallery") }?;
        check_out(out_n, "out_n")?;
        let n = gallery.read().unwrap_or_else(|e| e.into_inner()).people();
        unsafe { write_out(out_n, n) };
        Ok(())
    })
}

/// 1:N: the enrolled person most similar to `probe`, if their score reaches `threshold`
/// (0.45 is the engine's open-set default). Nobody close enough: `LOCKER_RESULT_FACE_MISMATCH`.
///
/// # Safety
/// `gallery` is live; `probe` is readable; `out_match` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn locker_gallery_identify(
    gallery: *const locker_gallery,
    probe: *const locker_embedding,
    threshold: f32,
    out_match: *mut locker_match,
) -> locker_result {
    ffi_panic_boundary(|| {
        let gallery = unsafe { try_ref(gallery, "gallery") }?;
        let probe = unsafe { probe.as_ref() }.ok_or_else(|| Fail::null("probe"))?.to_core()?;
        check_out(out_match, "out_match")?;
        let g = gallery.read().unwrap_or_else(|e| e.into_inner());
        let best = g.identify(&probe, 1, threshold).into_iter().next();
        let Some(best) = best else {
            let score = g.top_k(&probe, 1).first().map_or(-1.0, |m| m.score);
            return Err(FaceError::Mismatch { score }.into());
        };
        let m = locker_match { id: copy_cstr(&best.id, "id")?, score: best.score };
        unsafe { write_out(out_match, m) };
        Ok(())
    })
}
