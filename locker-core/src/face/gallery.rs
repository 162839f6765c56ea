//! Matching: 1:1 verification and 1:N identification against a gallery.
//!
//! The gallery keeps every enrolled embedding in one contiguous `Vec<f32>` (row-major,
//! 128 floats per row) and scans it with a lane-chunked dot product that the compiler
//! vectorises; on x86-64 a copy compiled for AVX2+FMA is chosen at run time. A person may
//! have several rows (multi-image enrolment); a person's score is their best row's.

use std::collections::HashMap;

use super::FaceError;
use super::embed::{EMBEDDING_DIM, Embedding, dot};

/// Decision thresholds on the cosine score.
///
/// Defaults: 1:1 `verify` 0.28 and 1:N `identify` 0.45. The models README measured, on LFW,
/// a best 1:1 threshold of about 0.26 and suggests 0.30–0.35; on the 1,200 pairs of
/// `shared/faces` our pipeline (320x320 detector input) scores 99.4% at 0.28 with TAR@FAR=1e-3
/// reached just above it (see `locker face eval`). For 1:N a stranger's best match against
/// 100–200 people reaches cosine 0.35–0.40 at the 99th percentile, so the open-set threshold
/// is set above that, at 0.45 (README: 0.40–0.45).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Thresholds {
    /// 1:1: accept when `cosine >= verify`.
    pub verify: f32,
    /// 1:N open set: report a match only when `cosine >= identify`.
    pub identify: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { verify: 0.28, identify: 0.45 }
    }
}

/// The outcome of a 1:1 comparison.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// Cosine similarity.
    pub score: f32,
    /// Whether `score` reached the threshold.
    pub same: bool,
}

/// 1:1: compares two embeddings at `threshold`.
pub fn verify(a: &Embedding, b: &Embedding, threshold: f32) -> Verdict {
    let score = a.cosine(b);
    Verdict { score, same: score >= threshold }
}

/// 1:1 as a check: `Ok(score)` on a match, [`FaceError::Mismatch`] otherwise.
pub fn check(probe: &Embedding, template: &Embedding, threshold: f32) -> Result<f32, FaceError> {
    let v = verify(probe, template, threshold);
    if v.same { Ok(v.score) } else { Err(FaceError::Mismatch { score: v.score }) }
}

/// One identification candidate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Match {
    /// The enrolled person's id.
    pub id: String,
    /// Their best cosine score against the probe.
    pub score: f32,
}

/// Enrolled embeddings, searchable 1:N.
#[derive(Debug, Clone, Default)]
pub struct Gallery {
    ids: Vec<String>,
    index: HashMap<String, u32>,
    rows: Vec<f32>,
    owner: Vec<u32>,
    /// The same rows quantised to i8 (`row ≈ scale · code`), for the pre-scan.
    codes: Vec<i8>,
    /// Per row: the quantisation scale and the L2 norm of the quantisation error.
    quant: Vec<(f32, f32)>,
}

/// Galleries with at least this many rows are searched with the i8 pre-scan.
pub const PRESCAN_MIN_ROWS: usize = 8192;

impl Gallery {
    /// An empty gallery.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `embeddings` for person `id` (several photos per person are kept as separate
    /// rows; a person's score is the best of them).
    pub fn enroll<'a>(&mut self, id: &str, embeddings: impl IntoIterator<Item = &'a Embedding>) {
        let person = match self.index.get(id) {
            Some(&p) => p,
            None => {
                let p = self.ids.len() as u32;
                self.ids.push(id.to_owned());
                self.index.insert(id.to_owned(), p);
                p
            }
        };
        for e in embeddings {
            self.push_row(e.as_slice(), person);
        }
    }

    fn push_row(&mut self, row: &[f32], person: u32) {
        let (scale, err) = quantise_into(row, &mut self.codes);
        self.quant.push((scale, err));
        self.rows.extend_from_slice(row);
        self.owner.push(person);
    }

    /// Adds raw unit rows without ids (benches, bulk loads); person ids become `#<row>`.
    pub fn extend_unit_rows(&mut self, rows: &[f32]) {
        for row in rows.chunks_exact(EMBEDDING_DIM) {
            let id = format!("#{}", self.owner.len());
            let p = self.ids.len() as u32;
            self.index.insert(id.clone(), p);
            self.ids.push(id);
            self.push_row(row, p);
        }
    }

    /// Removes person `id` and all their rows. Returns whether they were enrolled.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(person) = self.index.remove(id) else {
            return false;
        };
        let old = std::mem::take(self);
        self.ids = old.ids;
        self.index = old.index;
        for (row, &o) in old.rows.chunks_exact(EMBEDDING_DIM).zip(&old.owner) {
            if o != person {
                self.push_row(row, if o > person { o - 1 } else { o });
            }
        }
        self.ids.remove(person as usize);
        for p in self.index.values_mut() {
            if *p > person {
                *p -= 1;
            }
        }
        true
    }

    /// Number of enrolled people.
    pub fn people(&self) -> usize {
        self.ids.len()
    }

    /// Number of stored embeddings.
    pub fn rows(&self) -> usize {
        self.owner.len()
    }

    /// The enrolled ids, in enrolment order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// 1:N closed set: the `k` best people for `probe`, best first (exact cosine scores).
    /// Large galleries are pre-scanned in i8 and only candidates that can still reach the
    /// top `k` are re-scored in f32, so the result equals [`Gallery::top_k_exact`].
    pub fn top_k(&self, probe: &Embedding, k: usize) -> Vec<Match> {
        if self.owner.len() >= PRESCAN_MIN_ROWS { self.top_k_prescan(probe, k) } else { self.top_k_exact(probe, k) }
    }

    /// 1:N by scoring every row in f32.
    pub fn top_k_exact(&self, probe: &Embedding, k: usize) -> Vec<Match> {
        if k == 0 || self.ids.is_empty() {
            return Vec::new();
        }
        let mut scores = vec![0f32; self.owner.len()];
        scan(&self.rows, probe.as_slice(), &mut scores);
        let mut best = vec![f32::NEG_INFINITY; self.ids.len()];
        for (&o, &s) in self.owner.iter().zip(&scores) {
            best[o as usize] = best[o as usize].max(s);
        }
        self.best_people(&best, k)
    }

    /// 1:N with the i8 pre-scan and exact f32 re-ranking.
    ///
    /// For a unit row `x = s·X + e` and probe `q = t·Q + f` (i8 codes `X`, `Q`), the error of
    /// `s·t·(X·Q)` is at most `|f| + |e|·(1 + |f|)`. Pass 1 gives every person a lower bound;
    /// the k-th best lower bound `L` is met by k people, so only rows whose upper bound
    /// reaches `L` can matter, and pass 2 scores exactly those in f32.
    pub fn top_k_prescan(&self, probe: &Embedding, k: usize) -> Vec<Match> {
        if k == 0 || self.ids.is_empty() {
            return Vec::new();
        }
        let mut q_codes = Vec::with_capacity(EMBEDDING_DIM);
        let (q_scale, q_err) = quantise_into(probe.as_slice(), &mut q_codes);
        let mut approx = vec![0i32; self.owner.len()];
        scan_i8(&self.codes, &q_codes, &mut approx);
        let slack = |row: usize| q_err + self.quant[row].1 * (1.0 + q_err) + 1e-5;
        let mut lower = vec![f32::NEG_INFINITY; self.ids.len()];
        for (row, (&o, &a)) in self.owner.iter().zip(&approx).enumerate() {
            let est = self.quant[row].0 * q_scale * a as f32;
            lower[o as usize] = lower[o as usize].max(est - slack(row));
        }
        let kth = k.min(lower.len()) - 1;
        let mut sorted = lower.clone();
        sorted.select_nth_unstable_by(kth, |a, b| b.total_cmp(a));
        let floor = sorted[kth];
        let mut best = vec![f32::NEG_INFINITY; self.ids.len()];
        let q = probe.as_slice();
        for (row, (&o, &a)) in self.owner.iter().zip(&approx).enumerate() {
            if self.quant[row].0 * q_scale * a as f32 + slack(row) >= floor {
                let exact = dot(&self.rows[row * EMBEDDING_DIM..(row + 1) * EMBEDDING_DIM], q);
                best[o as usize] = best[o as usize].max(exact);
            }
        }
        self.best_people(&best, k)
    }

    fn best_people(&self, best: &[f32], k: usize) -> Vec<Match> {
        let mut order: Vec<u32> = (0..best.len() as u32).filter(|p| best[*p as usize].is_finite()).collect();
        let by_score = |a: &u32, b: &u32| best[*b as usize].total_cmp(&best[*a as usize]).then(a.cmp(b));
        let k = k.min(order.len());
        if k == 0 {
            return Vec::new();
        }
        if k < order.len() {
            order.select_nth_unstable_by(k - 1, by_score);
            order.truncate(k);
        }
        order.sort_unstable_by(by_score);
        order.into_iter().map(|p| Match { id: self.ids[p as usize].clone(), score: best[p as usize] }).collect()
    }

    /// 1:N open set: like [`Gallery::top_k`] but only matches scoring at least `threshold`.
    pub fn identify(&self, probe: &Embedding, k: usize, threshold: f32) -> Vec<Match> {
        let mut found = self.top_k(probe, k);
        found.retain(|m| m.score >= threshold);
        found
    }

    /// Serialises the gallery (plain bytes; seal them with [`super::template`] at rest).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.rows.len() * 4 + self.owner.len() * 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.owner.len() as u32).to_le_bytes());
        for (row, &o) in self.rows.chunks_exact(EMBEDDING_DIM).zip(&self.owner) {
            let id = self.ids[o as usize].as_bytes();
            out.extend_from_slice(&(id.len() as u16).to_le_bytes());
            out.extend_from_slice(id);
            row.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        }
        out
    }

    /// Reads [`Gallery::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Gallery, FaceError> {
        let bad = |what: &str| FaceError::TemplateMalformed(format!("gallery: {what}"));
        let mut rest = bytes.strip_prefix(MAGIC).ok_or_else(|| bad("wrong magic"))?;
        let mut take = |n: usize| -> Result<&[u8], FaceError> {
            if rest.len() < n {
                return Err(bad("truncated"));
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let count = u32::from_le_bytes(take(4)?.try_into().map_err(|_| bad("count"))?);
        let mut gallery = Gallery::new();
        for _ in 0..count {
            let len = u16::from_le_bytes(take(2)?.try_into().map_err(|_| bad("id length"))?);
            let id = std::str::from_utf8(take(len as usize)?).map_err(|_| bad("id not UTF-8"))?.to_owned();
            let e = Embedding::from_le_bytes(take(EMBEDDING_DIM * 4)?).ok_or_else(|| bad("embedding"))?;
            gallery.enroll(&id, [&e]);
        }
        Ok(gallery)
    }
}

const MAGIC: &[u8] = b"LKG1";

/// Appends the i8 codes of `v` (symmetric, per-vector scale) to `codes`; returns the scale
/// and (a slight over-estimate of) the L2 norm of the quantisation error.
fn quantise_into(v: &[f32], codes: &mut Vec<i8>) -> (f32, f32) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let mut err = 0f32;
    for &x in v {
        let c = (x / scale).round().clamp(-127.0, 127.0);
        codes.push(c as i8);
        err += (x - c * scale) * (x - c * scale);
    }
    (scale, err.sqrt() * 1.0001)
}

#[inline(always)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    const LANES: usize = 32;
    let mut acc = [0i32; LANES];
    for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for i in 0..LANES {
            acc[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    acc.iter().sum()
}

#[inline(always)]
fn scan_i8_generic(codes: &[i8], q: &[i8], out: &mut [i32]) {
    for (row, s) in codes.chunks_exact(EMBEDDING_DIM).zip(out.iter_mut()) {
        *s = dot_i8(row, q);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_i8_avx2(codes: &[i8], q: &[i8], out: &mut [i32]) {
    scan_i8_generic(codes, q, out);
}

fn scan_i8(codes: &[i8], q: &[i8], out: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports the feature `scan_i8_avx2` is compiled for.
        unsafe { scan_i8_avx2(codes, q, out) };
        return;
    }
    scan_i8_generic(codes, q, out);
}

#[inline(always)]
fn scan_generic(rows: &[f32], q: &[f32], out: &mut [f32]) {
    for (row, s) in rows.chunks_exact(EMBEDDING_DIM).zip(out.iter_mut()) {
        *s = dot(row, q);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn scan_avx2(rows: &[f32], q: &[f32], out: &mut [f32]) {
    scan_generic(rows, q, out);
}

/// Scores every row of `rows` (row-major, [`EMBEDDING_DIM`] wide) against `q` into `out`.
pub fn scan(rows: &[f32], q: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features `scan_avx2` is compiled for.
        unsafe { scan_avx2(rows, q, out) };
        return;
    }
    scan_generic(rows, q, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u64) -> Embedding {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let raw: Vec<f32> = (0..EMBEDDING_DIM)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect();
        Embedding::from_raw(&raw).unwrap()
    }

    #[test]
    fn top_k_matches_brute_force_and_uses_best_row_per_person() {
        let mut g = Gallery::new();
        let people: Vec<Embedding> = (0..50).map(unit).collect();
        for (i, e) in people.iter().enumerate() {
            g.enroll(&format!("p{i}"), [e, &unit(1000 + i as u64)]);
        }
        let probe = unit(7);
        let top = g.top_k(&probe, 3);
        assert_eq!(top[0].id, "p7");
        assert!((top[0].score - 1.0).abs() < 1e-5);
        let mut brute: Vec<(f32, usize)> =
            (0..50).map(|i| (probe.cosine(&people[i]).max(probe.cosine(&unit(1000 + i as u64))), i)).collect();
        brute.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (m, (s, i)) in top.iter().zip(&brute) {
            assert_eq!(m.id, format!("p{i}"));
            assert!((m.score - s).abs() < 1e-5);
        }
        assert!(g.identify(&unit(999_999), 5, 0.9).is_empty());
    }

    #[test]
    fn prescan_gives_exactly_the_f32_result() {
        let mut g = Gallery::new();
        for i in 0..300u64 {
            g.enroll(&format!("p{i}"), [&unit(i), &unit(10_000 + i), &unit(20_000 + i)]);
        }
        for probe in [unit(5), unit(424_242), unit(10_007)] {
            for k in [1, 5, 50] {
                assert_eq!(g.top_k_prescan(&probe, k), g.top_k_exact(&probe, k));
            }
        }
        assert!(g.remove("p3"));
        assert_eq!(g.top_k_prescan(&unit(3), 3), g.top_k_exact(&unit(3), 3));
    }

    #[test]
    fn remove_and_bytes_round_trip() {
        let mut g = Gallery::new();
        g.enroll("a", [&unit(1), &unit(2)]);
        g.enroll("b", [&unit(3)]);
        assert!(g.remove("a"));
        assert!(!g.remove("a"));
        assert_eq!((g.people(), g.rows()), (1, 1));
        assert_eq!(g.top_k(&unit(3), 1)[0].id, "b");
        let back = Gallery::from_bytes(&g.to_bytes()).unwrap();
        assert_eq!(back.ids(), g.ids());
        assert!(Gallery::from_bytes(&g.to_bytes()[..20]).is_err());
        assert!(Gallery::from_bytes(b"nope").is_err());
    }

    #[test]
    fn verify_and_check_decide_at_the_threshold() {
        let (a, b) = (unit(1), unit(2));
        assert!(verify(&a, &a, 0.5).same);
        assert!(matches!(check(&a, &b, 0.9), Err(FaceError::Mismatch { .. })));
    }
}
