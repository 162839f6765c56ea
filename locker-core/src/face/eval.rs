//! Verification metrics over scored pairs: accuracy at a threshold, the best threshold and
//! TAR at a target FAR. Used by `locker face eval` and the accuracy tests.

/// One compared pair: its cosine score and whether it shows the same person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    /// Cosine similarity.
    pub score: f32,
    /// Ground truth.
    pub same: bool,
}

/// Figures for a set of pairs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PairReport {
    /// Number of pairs.
    pub pairs: usize,
    /// The threshold `accuracy` was measured at.
    pub threshold: f32,
    /// Fraction of pairs decided correctly at `threshold`.
    pub accuracy: f64,
    /// The threshold with the highest accuracy on these pairs.
    pub best_threshold: f32,
    /// Accuracy at `best_threshold`.
    pub best_accuracy: f64,
    /// The target false-accept rate for `tar`.
    pub far_target: f64,
    /// True-accept rate at the lowest threshold whose FAR is at most `far_target`.
    pub tar: f64,
    /// That threshold.
    pub tar_threshold: f32,
}

/// Accuracy of deciding `score >= threshold` ⇔ same.
pub fn accuracy_at(pairs: &[ScoredPair], threshold: f32) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let right = pairs.iter().filter(|p| (p.score >= threshold) == p.same).count();
    right as f64 / pairs.len() as f64
}

/// Computes the [`PairReport`] for `pairs` at `threshold` and `far_target`.
pub fn evaluate(pairs: &[ScoredPair], threshold: f32, far_target: f64) -> PairReport {
    let mut scores: Vec<f32> = pairs.iter().map(|p| p.score).collect();
    scores.sort_by(f32::total_cmp);
    // Candidate thresholds: every score (deciding `>=`), plus one above the maximum.
    let mut best = (f32::INFINITY, accuracy_at(pairs, f32::INFINITY));
    for &t in &scores {
        let acc = accuracy_at(pairs, t);
        if acc > best.1 {
            best = (t, acc);
        }
    }
    let mut impostors: Vec<f32> = pairs.iter().filter(|p| !p.same).map(|p| p.score).collect();
    impostors.sort_by(|a, b| b.total_cmp(a));
    let allowed = (far_target * impostors.len() as f64).floor() as usize;
    // Accept strictly above the (allowed+1)-th highest impostor score.
    let tar_threshold = impostors.get(allowed).map_or(f32::NEG_INFINITY, |s| s.next_up());
    let genuine = pairs.iter().filter(|p| p.same).count();
    let accepted = pairs.iter().filter(|p| p.same && p.score >= tar_threshold).count();
    PairReport {
        pairs: pairs.len(),
        threshold,
        accuracy: accuracy_at(pairs, threshold),
        best_threshold: best.0,
        best_accuracy: best.1,
        far_target,
        tar: if genuine == 0 { 0.0 } else { accepted as f64 / genuine as f64 },
        tar_threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(score: f32, same: bool) -> ScoredPair {
        ScoredPair { score, same }
    }

    #[test]
    fn figures_on_a_small_set() {
        let pairs = [p(0.9, true), p(0.6, true), p(0.3, true), p(0.5, false), p(0.1, false), p(0.0, false)];
        let r = evaluate(&pairs, 0.4, 0.0);
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-9);
        assert!((accuracy_at(&pairs, r.best_threshold) - r.best_accuracy).abs() < 1e-12);
        assert!((r.best_accuracy - 5.0 / 6.0).abs() < 1e-9);
        // FAR 0: above the highest impostor (0.5), 2 of 3 genuine accepted.
        assert!((r.tar - 2.0 / 3.0).abs() < 1e-9);
        assert!(r.tar_threshold > 0.5 && r.tar_threshold < 0.6);
    }
}
