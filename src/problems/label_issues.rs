//! Suspected label errors by confident learning (Northcutt, Jiang & Chuang, JAIR 2021): per-class
//! thresholds (the mean self-confidence of the samples given each label), the confident joint,
//! its calibration to the label counts, pruning by noise rate (for each off-diagonal cell, the
//! samples of that given label with the largest margin towards the other class), and a ranking
//! by self-confidence.
//!
//! Ranking: self-confidence `p(given label)` is the default, as in cleanlab, because it is the
//! quantity users can read ("the model gives this label 3%") and performed on par with the
//! normalized margin in the paper's benchmarks; the normalized margin is reported alongside.
//! As in cleanlab, a sample the model predicts as its given label is never flagged.

use crate::dataset::ClassId;

/// One suspected label error.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelIssue {
    /// Sample index.
    pub sample: usize,
    /// The given (effective) label.
    pub label: ClassId,
    /// The most likely other class.
    pub suggested: ClassId,
    /// `1 - p(given label)`: higher is more suspicious (the ranking score).
    pub score: f32,
    /// Normalized margin `p(label) - max other p`, in -1..1 (lower is more suspicious).
    pub margin: f32,
}

/// Everything confident learning computed, for reports and tests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfidentLearning {
    /// Per-class thresholds `t_j`.
    pub thresholds: Vec<f32>,
    /// Confident joint `C[given][true]` (counts).
    pub joint: Vec<Vec<usize>>,
    /// Flagged samples, most suspicious first.
    pub issues: Vec<LabelIssue>,
    /// Samples that had probabilities and a label.
    pub num_scored: usize,
}

/// Runs confident learning on `(sample, given label, probabilities over the K classes)`.
pub fn confident_learning(rows: &[(usize, ClassId, Vec<f32>)], k: usize) -> ConfidentLearning {
    let mut sums = vec![0f64; k];
    let mut counts = vec![0usize; k];
    for (_, y, p) in rows {
        sums[y.index()] += f64::from(p[y.index()]);
        counts[y.index()] += 1;
    }
    let thresholds: Vec<f32> = (0..k)
        .map(|j| {
            if counts[j] > 0 {
                (sums[j] / counts[j] as f64) as f32
            } else {
                1.0
            }
        })
        .collect();
    // Confident joint: each sample counts for the most probable class among those whose
    // probability reaches that class's threshold.
    let mut joint = vec![vec![0usize; k]; k];
    let mut confident_class: Vec<Option<usize>> = Vec::with_capacity(rows.len());
    for (_, y, p) in rows {
        let best = (0..k)
            .filter(|&j| p[j] >= thresholds[j])
            .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)));
        if let Some(j) = best {
            joint[y.index()][j] += 1;
        }
        confident_class.push(best);
    }
    // Calibrate rows to the label counts, normalise to a joint distribution, then count how
    // many samples to prune in each off-diagonal cell.
    let n = rows.len() as f64;
    let q: Vec<Vec<f64>> = joint
        .iter()
        .zip(&counts)
        .map(|(row, &n_i)| {
            let total: usize = row.iter().sum();
            row.iter()
                .map(|&c| {
                    if total == 0 {
                        0.0
                    } else {
                        c as f64 / total as f64 * n_i as f64
                    }
                })
                .collect()
        })
        .collect();
    let total: f64 = q.iter().flatten().sum::<f64>().max(1.0);
    let mut flagged = vec![false; rows.len()];
    for (i, q_row) in q.iter().enumerate() {
        let members: Vec<usize> = (0..rows.len())
            .filter(|&r| rows[r].1.index() == i)
            .collect();
        for j in (0..k).filter(|&j| j != i) {
            let prune = (q_row[j] / total * n).round() as usize;
            if prune == 0 {
                continue;
            }
            let mut by_margin: Vec<(f32, usize)> = members
                .iter()
                .map(|&r| (rows[r].2[j] - rows[r].2[i], r))
                .collect();
            by_margin.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for &(_, r) in by_margin.iter().take(prune) {
                flagged[r] = true;
            }
        }
    }
    let mut issues: Vec<LabelIssue> = rows
        .iter()
        .enumerate()
        .filter(|(r, _)| flagged[*r])
        .filter_map(|(_, (sample, y, p))| {
            let argmax = (0..k).max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))?;
            if argmax == y.index() {
                return None;
            }
            let (suggested, other) = (0..k)
                .filter(|&j| j != y.index())
                .map(|j| (j, p[j]))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
            Some(LabelIssue {
                sample: *sample,
                label: *y,
                suggested: ClassId(suggested as u32),
                score: 1.0 - p[y.index()],
                margin: p[y.index()] - other,
            })
        })
        .collect();
    issues.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.sample.cmp(&b.sample)));
    ConfidentLearning {
        thresholds,
        joint,
        issues,
        num_scored: rows.len(),
    }
}

/// Whether probabilities look in-sample (the model saw these images in training): nearly every
/// sample right and confidently so. Confident learning then finds little, and what it ranks is
/// unreliable; out-of-sample (held-out or cross-validated) probabilities are needed.
pub fn looks_in_sample(rows: &[(usize, ClassId, Vec<f32>)]) -> bool {
    if rows.len() < 20 {
        return false;
    }
    let mean_self: f64 = rows
        .iter()
        .map(|(_, y, p)| f64::from(p[y.index()]))
        .sum::<f64>()
        / rows.len() as f64;
    mean_self > 0.985
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize, y: u32, p: [f32; 2]) -> (usize, ClassId, Vec<f32>) {
        (i, ClassId(y), p.to_vec())
    }

    #[test]
    fn thresholds_joint_and_ranking_on_a_hand_made_matrix() {
        // Class 0: three confident, one that looks like class 1 (a flip).
        // Class 1: three confident, one borderline that is still class 1.
        let rows = vec![
            row(0, 0, [0.9, 0.1]),
            row(1, 0, [0.8, 0.2]),
            row(2, 0, [0.9, 0.1]),
            row(3, 0, [0.2, 0.8]),
            row(4, 1, [0.1, 0.9]),
            row(5, 1, [0.2, 0.8]),
            row(6, 1, [0.1, 0.9]),
            row(7, 1, [0.45, 0.55]),
        ];
        let cl = confident_learning(&rows, 2);
        // t0 = mean p0 over label 0 = (0.9+0.8+0.9+0.2)/4 = 0.7; t1 = (0.9+0.8+0.9+0.55)/4.
        assert!((cl.thresholds[0] - 0.7).abs() < 1e-6);
        assert!((cl.thresholds[1] - 0.7875).abs() < 1e-6);
        // Sample 3 is confidently class 1 (0.8 >= t1); sample 7 reaches neither threshold.
        assert_eq!(cl.joint, vec![vec![3, 1], vec![0, 3]]);
        assert_eq!(cl.issues.len(), 1);
        let issue = &cl.issues[0];
        assert_eq!((issue.sample, issue.suggested), (3, ClassId(1)));
        assert!((issue.score - 0.8).abs() < 1e-6);
        assert!((issue.margin + 0.6).abs() < 1e-6);
    }

    #[test]
    fn ranking_puts_the_least_self_confident_first() {
        let mut rows: Vec<_> = (0..10).map(|i| row(i, 0, [0.95, 0.05])).collect();
        rows.extend((10..20).map(|i| row(i, 1, [0.05, 0.95])));
        rows.push(row(20, 0, [0.3, 0.7]));
        rows.push(row(21, 0, [0.02, 0.98]));
        rows.push(row(22, 1, [0.9, 0.1]));
        let cl = confident_learning(&rows, 2);
        let order: Vec<usize> = cl.issues.iter().map(|x| x.sample).collect();
        // Sample 20 (p = 0.7 for class 1) reaches no threshold: it is not in the confident
        // joint, and one sample is pruned per off-diagonal cell.
        assert_eq!(order, vec![21, 22]);
        assert!(!looks_in_sample(&rows));
    }
}
