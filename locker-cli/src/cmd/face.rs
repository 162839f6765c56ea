//! `locker face`: face detection, embedding, verification, enrolment, identification and
//! evaluation on the real ONNX models.
//!
//! Enrolment writes an encrypted gallery file (`--gallery`, default `faces.gallery`): the
//! whole gallery is sealed with AES-256-GCM under the key from `--key-file` (or
//! `LOCKER_FACE_KEY_FILE`); the file starts with the key id, so a wrong key is reported as
//! such. `locker face keygen` writes a fresh key file. The file is replaced atomically.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use locker_core::face::eval::{ScoredPair, evaluate};
use locker_core::face::gallery::{Gallery, verify};
use locker_core::face::template::{self, SealedTemplate, TemplateKey};
use locker_core::face::{Detection, Embedding, FaceConfig, FaceEngine, FaceError, Pick};

use crate::output::{Global, table};

/// Subcommands of `locker face`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Find faces: boxes, scores and the five landmarks.
    Detect {
        /// JPEG or PNG file.
        image: PathBuf,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Print the 128-d embedding of the one face in IMAGE.
    Embed {
        /// JPEG or PNG file.
        image: PathBuf,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Compare two photos 1:1: cosine score and decision (exit 1 when they do not match).
    Verify {
        /// First photo.
        a: PathBuf,
        /// Second photo.
        b: PathBuf,
        /// Accept at this cosine or above (default: the engine's 1:1 threshold).
        #[arg(long)]
        threshold: Option<f32>,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Enrol a person from one or more photos into the encrypted gallery file.
    Enroll {
        /// The person's id (user id or any label).
        #[arg(long)]
        user: String,
        /// Photos of that person, one face each.
        #[arg(required = true)]
        images: Vec<PathBuf>,
        #[command(flatten)]
        gallery: GalleryArgs,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Identify the face in IMAGE against the gallery (1:N, open set).
    Identify {
        /// JPEG or PNG file.
        image: PathBuf,
        /// How many candidates to show.
        #[arg(short = 'k', long, default_value_t = 5)]
        top: usize,
        /// Accept at this cosine or above (default: the engine's 1:N threshold).
        #[arg(long)]
        threshold: Option<f32>,
        #[command(flatten)]
        gallery: GalleryArgs,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Measure 1:1 accuracy on a pairs CSV (`path_a,path_b,same`; paths relative to the CSV).
    Eval {
        /// The pairs file, e.g. ../shared/faces/pairs.csv.
        pairs: PathBuf,
        /// Report accuracy at this cosine (default: the engine's 1:1 threshold).
        #[arg(long)]
        threshold: Option<f32>,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Write a new random template key (`ID:HEX`) to FILE, readable by the owner only.
    Keygen {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
        /// The key id stored with every ciphertext.
        #[arg(long, default_value = "face-1")]
        id: String,
    },
}

/// Where the models are and how to run them.
#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// Folder with yunet_dynamic.onnx and mobilefacenet.onnx.
    #[arg(long, env = "LOCKER_MODELS_DIR", default_value = "../shared/models")]
    models: PathBuf,
    /// Detector input width and height (multiples of 32).
    #[arg(long, default_value_t = 320)]
    det_size: usize,
    /// Which face to use when a photo shows several: the one nearest the centre (a kiosk
    /// camera is aimed at the customer), the largest, or refuse (`single`).
    #[arg(long, value_enum, default_value_t = PickArg::Central)]
    pick: PickArg,
    /// Average the embedding with that of the mirrored face.
    #[arg(long)]
    flip: bool,
}

impl ModelArgs {
    fn engine(&self) -> anyhow::Result<FaceEngine> {
        let mut config = FaceConfig::with_models_dir(&self.models);
        config.detector.input_width = self.det_size;
        config.detector.input_height = self.det_size;
        config.flip = self.flip;
        FaceEngine::load(config).context("Failed to load the face models")
    }

    fn pick(&self) -> Pick {
        match self.pick {
            PickArg::Single => Pick::Single,
            PickArg::Largest => Pick::Largest,
            PickArg::Central => Pick::Central,
        }
    }
}

/// `--pick` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PickArg {
    /// Exactly one face, or an error.
    Single,
    /// The largest face.
    Largest,
    /// The face nearest the image centre.
    Central,
}

/// The encrypted gallery file and its key.
#[derive(Debug, clap::Args)]
pub struct GalleryArgs {
    /// The gallery file.
    #[arg(long, env = "LOCKER_FACE_GALLERY", default_value = "faces.gallery")]
    gallery: PathBuf,
    /// File holding the template key as `ID:HEX64` (see `locker face keygen`).
    #[arg(long, env = "LOCKER_FACE_KEY_FILE")]
    key_file: PathBuf,
}

const GALLERY_CONTEXT: &[u8] = b"locker face gallery";

impl GalleryArgs {
    fn key(&self) -> anyhow::Result<TemplateKey> {
        let text = std::fs::read_to_string(&self.key_file)
            .with_context(|| format!("Failed to read the key file {}", self.key_file.display()))?;
        Ok(TemplateKey::parse(&text)?)
    }

    fn load(&self, key: &TemplateKey, must_exist: bool) -> anyhow::Result<Gallery> {
        let blob = match std::fs::read(&self.gallery) {
            Ok(blob) => blob,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(Gallery::new()),
            Err(e) => return Err(e).with_context(|| format!("Failed to read {}", self.gallery.display())),
        };
        let sealed = SealedTemplate::from_blob(&blob)?;
        let plain = template::open_bytes(std::slice::from_ref(key), &sealed, GALLERY_CONTEXT)
            .with_context(|| format!("Failed to open the gallery {}", self.gallery.display()))?;
        Ok(Gallery::from_bytes(&plain)?)
    }

    /// Writes to a temporary file next to the gallery, then renames over it.
    fn save(&self, key: &TemplateKey, gallery: &Gallery) -> anyhow::Result<()> {
        let blob = template::seal_bytes(key, &gallery.to_bytes(), GALLERY_CONTEXT).to_blob();
        let tmp = self.gallery.with_extension("gallery.tmp");
        std::fs::write(&tmp, blob).with_context(|| format!("Failed to write {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.gallery).with_context(|| format!("Failed to replace {}", self.gallery.display()))
    }
}

/// Runs `locker face`.
pub fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Detect { image, models } => detect(global, &image, &models),
        Command::Embed { image, models } => {
            let engine = models.engine()?;
            let e = embed_file(&engine, &image, models.pick())?;
            println!("{}", serde_json::to_string(e.as_slice())?);
            Ok(())
        }
        Command::Verify { a, b, threshold, models } => {
            let engine = models.engine()?;
            let threshold = threshold.unwrap_or(engine.config().thresholds.verify);
            let (ea, eb) = (embed_file(&engine, &a, models.pick())?, embed_file(&engine, &b, models.pick())?);
            let verdict = verify(&ea, &eb, threshold);
            if global.json {
                global.print_json(
                    &serde_json::json!({"score": verdict.score, "same": verdict.same, "threshold": threshold}),
                )?;
            } else {
                let word = if verdict.same { "same person" } else { "different people" };
                println!("score {:.4} (threshold {threshold}): {word}", verdict.score);
            }
            if verdict.same { Ok(()) } else { Err(FaceError::Mismatch { score: verdict.score }.into()) }
        }
        Command::Enroll { user, images, gallery, models } => {
            let key = gallery.key()?;
            let mut stored = gallery.load(&key, false)?;
            let engine = models.engine()?;
            let embeddings =
                images.iter().map(|p| embed_file(&engine, p, models.pick())).collect::<anyhow::Result<Vec<_>>>()?;
            stored.enroll(&user, &embeddings);
            gallery.save(&key, &stored)?;
            println!(
                "enrolled {user} from {} photo(s); gallery {} now holds {} people",
                embeddings.len(),
                gallery.gallery.display(),
                stored.people()
            );
            Ok(())
        }
        Command::Identify { image, top, threshold, gallery, models } => {
            let key = gallery.key()?;
            let stored = gallery.load(&key, true)?;
            let engine = models.engine()?;
            let threshold = threshold.unwrap_or(engine.config().thresholds.identify);
            let probe = embed_file(&engine, &image, models.pick())?;
            let found = stored.top_k(&probe, top);
            if global.json {
                let rows: Vec<_> = found
                    .iter()
                    .map(|m| serde_json::json!({"id": m.id, "score": m.score, "accepted": m.score >= threshold}))
                    .collect();
                return global.print_json(&rows);
            }
            let mut t = table(&["rank", "id", "score", "accepted"]);
            for (i, m) in found.iter().enumerate() {
                t.add_row(vec![
                    (i + 1).to_string(),
                    m.id.clone(),
                    format!("{:.4}", m.score),
                    (m.score >= threshold).to_string(),
                ]);
            }
            println!("{t}");
            match found.first() {
                Some(m) if m.score >= threshold => {
                    println!("identified: {} (score {:.4}, threshold {threshold})", m.id, m.score)
                }
                _ => println!("no enrolled person reaches the threshold {threshold}"),
            }
            Ok(())
        }
        Command::Eval { pairs, threshold, models } => eval(global, &pairs, threshold, &models),
        Command::Keygen { out, id } => keygen(&out, &id),
    }
}

fn embed_file(engine: &FaceEngine, path: &Path, pick: Pick) -> anyhow::Result<Embedding> {
    let bytes = std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))?;
    Ok(engine.process(&bytes, pick).with_context(|| format!("No usable face in {}", path.display()))?.embedding)
}

fn detect(global: &Global, path: &Path, models: &ModelArgs) -> anyhow::Result<()> {
    let engine = models.engine()?;
    let bytes = std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))?;
    let image = engine.decode(&bytes).with_context(|| format!("Cannot use {}", path.display()))?;
    let faces: Vec<Detection> = engine.detect(&image)?;
    if global.json {
        return global
            .print_json(&serde_json::json!({"width": image.width(), "height": image.height(), "faces": faces}));
    }
    let mut t = table(&["#", "score", "box (x, y, w, h)", "landmarks (r-eye, l-eye, nose, r-mouth, l-mouth)"]);
    for (i, f) in faces.iter().enumerate() {
        let b = f.bbox;
        let marks: Vec<String> = f.landmarks.iter().map(|[x, y]| format!("({x:.0},{y:.0})")).collect();
        t.add_row(vec![
            (i + 1).to_string(),
            format!("{:.3}", f.score),
            format!("{:.0}, {:.0}, {:.0}, {:.0}", b.x, b.y, b.w, b.h),
            marks.join(" "),
        ]);
    }
    println!("{t}");
    println!("{} face(s) in {} ({}x{})", faces.len(), path.display(), image.width(), image.height());
    Ok(())
}

fn eval(global: &Global, pairs_csv: &Path, threshold: Option<f32>, models: &ModelArgs) -> anyhow::Result<()> {
    let base = pairs_csv.parent().unwrap_or(Path::new("."));
    let mut reader =
        csv_reader(pairs_csv).with_context(|| format!("Failed to open the pairs file {}", pairs_csv.display()))?;
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("Bad CSV at row {}", line + 2))?;
        let (Some(a), Some(b), Some(same)) = (record.get(0), record.get(1), record.get(2)) else {
            bail!("Row {} needs path_a,path_b,same", line + 2);
        };
        let same = match same.trim() {
            "1" | "true" => true,
            "0" | "false" => false,
            other => bail!("Row {}: same must be 0/1, not {other:?}", line + 2),
        };
        rows.push((a.to_owned(), b.to_owned(), same));
    }
    let images: BTreeSet<&str> = rows.iter().flat_map(|(a, b, _)| [a.as_str(), b.as_str()]).collect();
    let engine = models.engine()?;
    let bar = if global.json { ProgressBar::hidden() } else { ProgressBar::new(images.len() as u64) };
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} photos {elapsed} {msg}")?);
    let mut embeddings: HashMap<&str, Embedding> = HashMap::new();
    let mut failed = Vec::new();
    for rel in &images {
        let path = base.join(rel);
        match embed_file(&engine, &path, models.pick()) {
            Ok(e) => {
                embeddings.insert(rel, e);
            }
            Err(e) => failed.push(format!("{rel}: {e:#}")),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let scored: Vec<ScoredPair> = rows
        .iter()
        .filter_map(|(a, b, same)| {
            Some(ScoredPair { score: embeddings.get(a.as_str())?.cosine(embeddings.get(b.as_str())?), same: *same })
        })
        .collect();
    let threshold = threshold.unwrap_or(engine.config().thresholds.verify);
    let report = evaluate(&scored, threshold, 1e-3);
    let skipped = rows.len() - scored.len();
    if global.json {
        return global
            .print_json(&serde_json::json!({"report": report, "skipped_pairs": skipped, "failed_images": failed}));
    }
    for f in &failed {
        eprintln!("skipped {f}");
    }
    println!("pairs scored:        {} ({} skipped: image without a usable face)", report.pairs, skipped);
    println!("accuracy:            {:.2}% at cosine {:.3}", report.accuracy * 100.0, report.threshold);
    println!("best threshold:      {:.3} ({:.2}%)", report.best_threshold, report.best_accuracy * 100.0);
    println!("TAR @ FAR 1e-3:      {:.2}% (cosine >= {:.3})", report.tar * 100.0, report.tar_threshold);
    Ok(())
}

fn csv_reader(path: &Path) -> anyhow::Result<csv::Reader<std::fs::File>> {
    Ok(csv::Reader::from_path(path)?)
}

fn keygen(out: &Path, id: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let key = TemplateKey::generate(id)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        options.open(out).with_context(|| format!("Failed to create {} (it must not exist)", out.display()))?;
    writeln!(file, "{}", key.to_text())?;
    println!("wrote key {id} to {}", out.display());
    Ok(())
}
