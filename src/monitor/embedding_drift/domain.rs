//! How well a classifier tells two samples apart: a cross-fitted logistic regression's
//! held-out ROC AUC (0.5: indistinguishable).

use ndarray::{Array2, ArrayView2};

use super::MIN_ROWS;
use crate::rng::SplitMix;

/// Held-out AUC of a logistic regression telling `a` (label 0) from `b` (label 1): each side
/// subsampled to at most `cap` rows, cut in two halves, trained on one and scored on the other
/// both ways. `None` when a side has fewer than [`MIN_ROWS`] rows.
pub fn domain_auc(a: ArrayView2<f32>, b: ArrayView2<f32>, cap: usize, seed: u64) -> Option<f64> {
    if a.nrows() < MIN_ROWS || b.nrows() < MIN_ROWS {
        return None;
    }
    let mut rng = SplitMix::new(seed ^ 0xA0C);
    let mut pick = |n: usize| {
        let mut idx: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            idx.swap(i, rng.below(i as u64 + 1) as usize);
        }
        idx.truncate(cap.min(n));
        idx
    };
    let (ia, ib) = (pick(a.nrows()), pick(b.nrows()));
    let rows: Vec<ndarray::ArrayView1<f32>> = ia
        .iter()
        .map(|&i| a.row(i))
        .chain(ib.iter().map(|&i| b.row(i)))
        .collect();
    let labels: Vec<u32> = std::iter::repeat_n(0, ia.len())
        .chain(std::iter::repeat_n(1, ib.len()))
        .collect();
    // Fold by alternating position within each side: both folds hold half of each.
    let fold: Vec<bool> = (0..ia.len())
        .map(|k| k % 2 == 0)
        .chain((0..ib.len()).map(|k| k % 2 == 0))
        .collect();
    let mut scores = vec![0.0f64; rows.len()];
    for held_out in [false, true] {
        let train: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] != held_out).collect();
        let test: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] == held_out).collect();
        let x = stack(&rows, &train);
        let y: Vec<u32> = train.iter().map(|&i| labels[i]).collect();
        let model = crate::linear::fit(
            x.view(),
            &y,
            2,
            &crate::linear::LogRegOptions::default(),
            None,
            |_| true,
        )
        .model;
        let logits = model.logits(stack(&rows, &test).view());
        for (k, &i) in test.iter().enumerate() {
            scores[i] = f64::from(logits[(k, 1)] - logits[(k, 0)]);
        }
    }
    Some(auc(&scores, &labels))
}

fn stack(rows: &[ndarray::ArrayView1<f32>], which: &[usize]) -> Array2<f32> {
    let dim = rows.first().map_or(0, |r| r.len());
    let mut x = Array2::zeros((which.len(), dim));
    for (mut out, &i) in x.rows_mut().into_iter().zip(which) {
        out.assign(&rows[i]);
    }
    x
}

/// The area under the ROC curve of `scores` for labels 1 against 0 (ties count a half), as
/// `sklearn.metrics.roc_auc_score`.
pub fn auc(scores: &[f64], labels: &[u32]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&i, &j| scores[i].total_cmp(&scores[j]));
    // Mann-Whitney: the sum of the positives' mid-ranks.
    let (mut rank_sum, mut i) = (0.0f64, 0usize);
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|&&k| labels[k] == 1).count() as f64 * mid;
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&l| l == 1).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}
