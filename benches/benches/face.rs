//! Face benches: `face/detect`, `face/align`, `face/embed`, `face/pipeline` on a 640x480 JPEG
//! made from a `shared/faces` photo at start, and `face/search/{1k,10k,100k,1M}` (1:N top-5
//! over random unit vectors). The model benches are skipped, with a message, when the models
//! or photos are absent. Compare with `benches/face_compare.py` (onnxruntime, numpy, FAISS).

use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use image::{ImageFormat, Rgb, RgbImage};
use locker_core::face::align::align_face;
use locker_core::face::{EMBEDDING_DIM, Embedding, FaceConfig, FaceEngine, Gallery, Pick};

fn shared(sub: &str, env: &str) -> PathBuf {
    std::env::var_os(env)
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(sub), PathBuf::from)
}

/// A 640x480 JPEG: a faces photo scaled to 480x480 on a grey canvas.
fn bench_jpeg(faces: &std::path::Path) -> Option<Vec<u8>> {
    let photo = image::open(faces.join("Al_Sharpton/1.jpg")).ok()?.into_rgb8();
    let face = image::imageops::resize(&photo, 480, 480, image::imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(640, 480, Rgb([120, 120, 120]));
    image::imageops::replace(&mut canvas, &face, 80, 0);
    let mut out = Vec::new();
    canvas.write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg).ok()?;
    Some(out)
}

/// Registers the face benches.
pub fn define(c: &mut Criterion) {
    models(c);
    search(c);
}

fn models(c: &mut Criterion) {
    let engine = match FaceEngine::load(FaceConfig::with_models_dir(shared("models", "LOCKER_MODELS_DIR"))) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("face benches: models not available ({e}); skipping detect/align/embed/pipeline");
            return;
        }
    };
    let Some(jpeg) = bench_jpeg(&shared("faces", "LOCKER_FACES_DIR")) else {
        eprintln!("face benches: shared/faces not available; skipping detect/align/embed/pipeline");
        return;
    };
    let image = engine.decode(&jpeg).unwrap();
    let face = engine.detect_one(&image, Pick::Single).unwrap();
    let aligned = align_face(&image, &face.landmarks);

    let mut g = c.benchmark_group("face");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    g.bench_function("detect/640x480_at_320", |b| b.iter(|| engine.detect(black_box(&image)).unwrap()));
    g.bench_function("align/112", |b| b.iter(|| align_face(black_box(&image), black_box(&face.landmarks))));
    g.bench_function("embed/112", |b| b.iter(|| engine.embed_aligned(black_box(&aligned)).unwrap()));
    g.bench_function("pipeline/640x480_jpeg", |b| b.iter(|| engine.process(black_box(&jpeg), Pick::Single).unwrap()));
    g.finish();
}

/// Deterministic random unit vectors, row-major.
fn random_units(n: usize, mut seed: u64) -> Vec<f32> {
    let mut out = Vec::with_capacity(n * EMBEDDING_DIM);
    for _ in 0..n {
        let row: Vec<f32> = (0..EMBEDDING_DIM)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        out.extend_from_slice(Embedding::from_raw(&row).unwrap().as_slice());
    }
    out
}

fn search(c: &mut Criterion) {
    let probe = Embedding::from_raw(&random_units(1, 42)).unwrap();
    let mut g = c.benchmark_group("face/search");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for (label, n) in [("1k", 1_000), ("10k", 10_000), ("100k", 100_000), ("1M", 1_000_000)] {
        // Built on first use, so a filtered run (`-- wire/`) does not pay for 1M vectors.
        let mut cached: Option<Gallery> = None;
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("top5", label), |b| {
            let gallery = cached.get_or_insert_with(|| {
                let mut gallery = Gallery::new();
                gallery.extend_unit_rows(&random_units(n, 7 + n as u64));
                gallery
            });
            b.iter(|| gallery.top_k(black_box(&probe), 5))
        });
    }
    g.finish();
}
