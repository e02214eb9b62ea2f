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

/// numpy's `round`: halves to even.
fn round_even(v: f64) -> f64 {
    v.round_ties_even()
}

/// Rounds to integers keeping the (rounded) sum: cleanlab's `round_preserving_sum`, which
/// moves the entries with the largest (or smallest) rounding remainders first.
fn round_preserving_sum(values: &[f64]) -> Vec<i64> {
    let mut ints: Vec<f64> = values.iter().map(|&v| round_even(v)).collect();
    let want = round_even(values.iter().sum());
    for _ in 0..values.len() + 2 {
        let have = round_even(ints.iter().sum());
        let diff = round_even(want - have);
        if diff.abs() < 1e-6 {
            break;
        }
        let step = if diff < 0.0 { -1.0 } else { 1.0 };
        let changes = (diff.abs() as usize).min(values.len());
        // numpy's argsort of a short array is stable; `[::-1]` reverses it for increments.
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| (values[a] - ints[a]).total_cmp(&(values[b] - ints[b])));
        if step > 0.0 {
            order.reverse();
        }
        for &i in order.iter().take(changes) {
            ints[i] += step;
        }
    }
    ints.iter().map(|&v| v as i64).collect()
}

fn round_rows(m: &[Vec<f64>]) -> Vec<Vec<i64>> {
    m.iter().map(|row| round_preserving_sum(row)).collect()
}

/// Runs confident learning on `(sample, given label, probabilities over the K classes)`, as
/// cleanlab's `find_label_issues(filter_by="prune_by_noise_rate")` does (tested against it).
#[allow(clippy::needless_range_loop)] // K x K count matrices read best by index
pub fn confident_learning(rows: &[(usize, ClassId, Vec<f32>)], k: usize) -> ConfidentLearning {
    let mut sums = vec![0f64; k];
    let mut counts = vec![0usize; k];
    for (_, y, p) in rows {
        sums[y.index()] += f64::from(p[y.index()]);
        counts[y.index()] += 1;
    }
    // Per-class thresholds: the mean self-confidence; 2 for a class nobody carries.
    let thresholds: Vec<f32> = (0..k)
        .map(|j| {
            if counts[j] > 0 {
                ((sums[j] / counts[j] as f64) as f32).max(2e-6)
            } else {
                2.0
            }
        })
        .collect();
    let argmax = |p: &[f32]| {
        (0..k)
            .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
            .unwrap_or(0)
    };
    // Confident joint: a sample reaching one class's threshold counts for that class; one
    // reaching several counts for its most probable class.
    let mut joint = vec![vec![0usize; k]; k];
    for (_, y, p) in rows {
        let confident: Vec<usize> = (0..k).filter(|&j| p[j] >= thresholds[j] - 1e-6).collect();
        let guess = match confident.as_slice() {
            [] => continue,
            [one] => *one,
            _ => argmax(p),
        };
        joint[y.index()][guess] += 1;
    }
    for (j, row) in joint.iter_mut().enumerate() {
        row[j] = row[j].max(1);
    }
    // Calibrate rows to the label counts, the whole to the number of samples, round keeping
    // row totals.
    let calibrated: Vec<Vec<f64>> = joint
        .iter()
        .zip(&counts)
        .map(|(row, &n_i)| {
            let total = row.iter().sum::<usize>().max(1) as f64;
            row.iter().map(|&c| c as f64 / total * n_i as f64).collect()
        })
        .collect();
    let total: f64 = calibrated.iter().flatten().sum::<f64>().max(1e-300);
    let n = counts.iter().sum::<usize>() as f64;
    let calibrated: Vec<Vec<f64>> = calibrated
        .iter()
        .map(|row| row.iter().map(|v| v / total * n).collect())
        .collect();
    let cj = round_rows(&calibrated);
    // Prune counts (transposed: [true][given]), keeping at least one sample per class.
    let mut prune: Vec<Vec<f64>> = (0..k)
        .map(|t| (0..k).map(|g| cj[g][t] as f64).collect())
        .collect();
    for col in 0..k {
        let diag = prune[col][col];
        let raised = diag.max(1.0);
        let diff = raised - diag;
        let nonzero = (0..k).filter(|&r| prune[r][col] != 0.0).count();
        let spread = diff / (nonzero as f64 - 1.0).max(1.0);
        for r in 0..k {
            prune[r][col] = (prune[r][col] - spread).max(0.0);
        }
        prune[col][col] = raised;
    }
    let prune = round_rows(&prune);
    let mut flagged = vec![false; rows.len()];
    for given in 0..k {
        let members: Vec<usize> = (0..rows.len())
            .filter(|&r| rows[r].1.index() == given)
            .collect();
        if members.len() <= 1 {
            continue;
        }
        for truth in (0..k).filter(|&t| t != given) {
            let count = prune[truth][given].max(0) as usize;
            if count == 0 {
                continue;
            }
            let mut by_margin: Vec<(f32, usize)> = members
                .iter()
                .map(|&r| (rows[r].2[truth] - rows[r].2[given], r))
                .collect();
            by_margin.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for &(_, r) in by_margin.iter().take(count) {
                flagged[r] = true;
            }
        }
    }
    let mut issues: Vec<LabelIssue> = rows
        .iter()
        .enumerate()
        .filter(|(r, _)| flagged[*r])
        .filter_map(|(_, (sample, y, p))| {
            if argmax(p) == y.index() {
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
