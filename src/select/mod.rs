//! Choosing which unlabelled images to label next: from a pool's embeddings (and the model's
//! probabilities on it), given what is already labelled, pick a budget of images by
//!
//! - **uncertainty**: the smallest margin between the model's two most probable labels;
//! - **diversity**: k-center greedy (Sener and Savarese, ICLR 2018): each pick is the pool
//!   image furthest from everything labelled or picked so far;
//! - **typicality**: TypiClust (Hacohen et al., ICML 2022): the pool is cut into as many
//!   clusters as labels there will be (k-means), and the most typical image (densest: the
//!   smallest mean distance to its nearest neighbours) of each cluster without a label is picked,
//!   largest clusters first;
//! - **random** (seeded), the baseline;
//! - **auto**: typicality while the labels are few (under [`FEW_LABELS_PER_CLASS`] per class),
//!   then uncertainty weighed by diversity with class quotas (TypiClust's finding: typical
//!   images win at small budgets, uncertain ones at large).
//!
//! Whatever the strategy, an image that is a near copy (cosine similarity above
//! [`NEAR_COPY_SIMILARITY`]) of a labelled or already picked one is never picked. Each pick says
//! in words why it was chosen. `labelscope bench --suite select` measures the strategies in a
//! simulated labelling loop.

mod kmeans;
pub mod labelling;
pub mod negatives;
mod typical;

use typical::typical;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::rng::SplitMix;

/// How images are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Typicality while labels are few, then uncertainty weighed by diversity.
    #[default]
    Auto,
    /// Smallest margin between the two most probable labels first.
    Uncertainty,
    /// Furthest from everything labelled or picked (k-center greedy).
    Diversity,
    /// The most typical image of each unlabelled cluster (TypiClust).
    Typical,
    /// Uniformly at random (seeded).
    Random,
    /// Images of none of the classes: further from every labelled image than labelled images
    /// lie from each other (see [`negatives`]).
    Negatives,
}

/// Under this many labels per class on average, `auto` picks typical images.
pub const FEW_LABELS_PER_CLASS: f64 = 10.0;

/// Two images at least this similar (cosine) are near copies: never both picked.
pub const NEAR_COPY_SIMILARITY: f32 = 0.98;

/// What selection works from. Embedding rows are L2-normalised.
pub struct SelectInputs<'a> {
    /// The pool's embeddings, one row per image.
    pub pool: ArrayView2<'a, f32>,
    /// The model's probabilities on the pool (rows as `pool`, columns as `classes`).
    pub probs: Option<ArrayView2<'a, f32>>,
    /// The labelled images' embeddings.
    pub labelled: ArrayView2<'a, f32>,
    /// Each labelled image's class (index into `classes`).
    pub labelled_classes: &'a [usize],
    /// Class names.
    pub classes: &'a [String],
}

/// One chosen image.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Pick {
    /// Its row in the pool.
    pub index: usize,
    /// 1 for the first pick.
    pub rank: usize,
    /// The strategy's score (higher was picked earlier).
    pub score: f32,
    /// Why, in words.
    pub reason: String,
}

/// Why nothing could be chosen.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// Uncertainty needs the model's probabilities.
    #[error("uncertainty needs the model's probabilities on the pool")]
    NoProbabilities,
    /// Proposing negatives needs labelled images to measure against.
    #[error("proposing negatives needs at least 2 labelled images (--labelled DATASET)")]
    NoLabelled,
    /// The embeddings disagree in width.
    #[error("the pool's embeddings have {pool} values, the labelled set's {labelled}")]
    Width {
        /// Pool width.
        pool: usize,
        /// Labelled width.
        labelled: usize,
    },
}

/// Picks up to `budget` pool images by `strategy`.
pub fn select(
    inputs: &SelectInputs<'_>,
    budget: usize,
    strategy: Strategy,
    seed: u64,
) -> Result<Vec<Pick>, SelectError> {
    if inputs.labelled.nrows() > 0 && inputs.labelled.ncols() != inputs.pool.ncols() {
        return Err(SelectError::Width {
            pool: inputs.pool.ncols(),
            labelled: inputs.labelled.ncols(),
        });
    }
    let budget = budget.min(inputs.pool.nrows());
    let strategy = match strategy {
        Strategy::Auto => {
            let classes = inputs.classes.len().max(1) as f64;
            if inputs.probs.is_none()
                || (inputs.labelled.nrows() as f64) < FEW_LABELS_PER_CLASS * classes
            {
                Strategy::Typical
            } else {
                Strategy::Auto
            }
        }
        s => s,
    };
    let mut state = Greedy::new(inputs);
    let picks = match strategy {
        Strategy::Random => random(&mut state, budget, seed),
        Strategy::Uncertainty => {
            let margins = margins(inputs).ok_or(SelectError::NoProbabilities)?;
            let order = ascending(&margins);
            let mut picks = Vec::new();
            for i in order {
                if picks.len() == budget {
                    break;
                }
                if state.take(i) {
                    picks.push((i, 1.0 - margins[i], uncertain_reason(inputs, i)));
                }
            }
            picks
        }
        Strategy::Diversity => diversity(&mut state, budget),
        Strategy::Typical => typical(inputs, &mut state, budget, seed),
        Strategy::Negatives => negatives::negatives(inputs, &mut state, budget, seed)?,
        Strategy::Auto => uncertain_and_diverse(inputs, &mut state, budget)?,
    };
    Ok(picks
        .into_iter()
        .enumerate()
        .map(|(k, (index, score, reason))| Pick {
            index,
            rank: k + 1,
            score,
            reason,
        })
        .collect())
}

/// The distance of every pool image to its nearest labelled or picked image, kept up to date as
/// images are picked; near copies of those are never picked.
struct Greedy<'a> {
    pool: ArrayView2<'a, f32>,
    /// Euclidean distance on unit vectors (`sqrt(2 - 2 cos)`); infinite with nothing labelled.
    nearest: Vec<f32>,
    /// The nearest labelled image's class, when the nearest is labelled.
    nearest_class: Vec<Option<usize>>,
    picked: Vec<bool>,
}

/// Distance between unit vectors at the near-copy similarity.
fn near_copy_distance() -> f32 {
    (2.0 - 2.0 * NEAR_COPY_SIMILARITY).sqrt()
}

impl<'a> Greedy<'a> {
    fn new(inputs: &SelectInputs<'a>) -> Self {
        let n = inputs.pool.nrows();
        let mut nearest = vec![f32::INFINITY; n];
        let mut nearest_class = vec![None; n];
        if inputs.labelled.nrows() > 0 {
            // Pool rows in blocks against every labelled row at once (a matrix product per
            // block, the blocks in parallel).
            const BLOCK: usize = 2048;
            let starts: Vec<usize> = (0..n).step_by(BLOCK).collect();
            let found: Vec<(f32, usize)> = starts
                .into_par_iter()
                .flat_map_iter(|lo| {
                    let hi = (lo + BLOCK).min(n);
                    let sims = inputs
                        .pool
                        .slice(ndarray::s![lo..hi, ..])
                        .dot(&inputs.labelled.t());
                    (0..hi - lo)
                        .map(|r| {
                            sims.row(r)
                                .iter()
                                .enumerate()
                                .map(|(j, &d)| ((2.0 - 2.0 * d).max(0.0).sqrt(), j))
                                .fold((f32::INFINITY, 0), |a, b| if b.0 < a.0 { b } else { a })
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            for (i, (d, j)) in found.into_iter().enumerate() {
                nearest[i] = d;
                nearest_class[i] = inputs.labelled_classes.get(j).copied();
            }
        }
        Self {
            pool: inputs.pool,
            nearest,
            nearest_class,
            picked: vec![false; n],
        }
    }

    /// Picks `i` unless it was picked or is a near copy of a labelled or picked image; updates
    /// every distance.
    fn take(&mut self, i: usize) -> bool {
        if self.picked[i] || self.nearest[i] < near_copy_distance() {
            return false;
        }
        self.picked[i] = true;
        let row = self.pool.row(i);
        let pool = self.pool;
        // One dot per pool row, in parallel (the same sums a matrix-vector product makes).
        self.nearest
            .par_iter_mut()
            .zip(self.nearest_class.par_iter_mut())
            .enumerate()
            .for_each(|(j, (n, c))| {
                let d = pool.row(j).dot(&row);
                let dist = (2.0 - 2.0 * d).max(0.0).sqrt();
                if dist < *n {
                    *n = dist;
                    *c = None;
                }
            });
        true
    }
}

fn random(state: &mut Greedy<'_>, budget: usize, seed: u64) -> Vec<(usize, f32, String)> {
    let n = state.pool.nrows();
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix::new(seed);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut picks = Vec::new();
    for i in order {
        if picks.len() == budget {
            break;
        }
        if state.take(i) {
            picks.push((i, 0.0, "random".to_string()));
        }
    }
    picks
}

fn diversity(state: &mut Greedy<'_>, budget: usize) -> Vec<(usize, f32, String)> {
    let mut picks = Vec::new();
    while picks.len() < budget {
        // The furthest image not yet picked (with nothing labelled: the first image).
        let Some((i, d)) = state
            .nearest
            .iter()
            .enumerate()
            .filter(|(i, _)| !state.picked[*i])
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
            .map(|(i, &d)| (i, d))
        else {
            break;
        };
        if d < near_copy_distance() {
            break; // everything left is a near copy
        }
        let reason = far_reason(d, state.nearest_class[i], None);
        state.take(i);
        picks.push((i, if d.is_finite() { d } else { 2.0 }, reason));
    }
    picks
}

fn far_reason(distance: f32, class: Option<usize>, classes: Option<&[String]>) -> String {
    if !distance.is_finite() {
        return "far from everything: nothing labelled or picked yet".into();
    }
    let cos = 1.0 - distance * distance / 2.0;
    match (class, classes) {
        (Some(c), Some(names)) => format!(
            "far from every labelled image: the nearest is a {} (similarity {cos:.2})",
            names.get(c).map_or("?", String::as_str)
        ),
        _ => format!("far from everything labelled or picked (similarity {cos:.2})"),
    }
}

/// `p1 - p2` per pool image.
fn margins(inputs: &SelectInputs<'_>) -> Option<Vec<f32>> {
    let probs = inputs.probs?;
    Some(
        probs
            .axis_iter(Axis(0))
            .map(|row| {
                let (a, b) = top_two(row.as_slice().unwrap_or(&[]));
                a.1 - b.1
            })
            .collect(),
    )
}

/// The two most probable classes: (index, probability), best first.
fn top_two(p: &[f32]) -> ((usize, f32), (usize, f32)) {
    let mut best = (0usize, f32::MIN);
    let mut second = (0usize, f32::MIN);
    for (i, &v) in p.iter().enumerate() {
        if v > best.1 {
            second = best;
            best = (i, v);
        } else if v > second.1 {
            second = (i, v);
        }
    }
    (best, (second.0, second.1.max(0.0)))
}

fn uncertain_reason(inputs: &SelectInputs<'_>, i: usize) -> String {
    let Some(probs) = inputs.probs else {
        return "uncertain".into();
    };
    let row = probs.row(i);
    let ((a, pa), (b, pb)) = top_two(row.as_slice().unwrap_or(&[]));
    let name = |c: usize| inputs.classes.get(c).map_or("?", String::as_str);
    format!("uncertain: {} {pa:.2} vs {} {pb:.2}", name(a), name(b))
}

fn ascending(values: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    order
}

/// Uncertainty weighed by distance, with class quotas: each step picks the image with the
/// largest `(1 - margin) * min(1, distance / median distance)` among the predicted classes that
/// have not yet had `ceil(budget / classes)` picks (the quota lifts when no class under it has
/// a candidate left).
fn uncertain_and_diverse(
    inputs: &SelectInputs<'_>,
    state: &mut Greedy<'_>,
    budget: usize,
) -> Result<Vec<(usize, f32, String)>, SelectError> {
    let probs = inputs.probs.ok_or(SelectError::NoProbabilities)?;
    let margins = margins(inputs).ok_or(SelectError::NoProbabilities)?;
    let predicted: Vec<usize> = probs
        .axis_iter(Axis(0))
        .map(|r| top_two(r.as_slice().unwrap_or(&[])).0.0)
        .collect();
    let k = inputs.classes.len().max(1);
    let quota = budget.div_ceil(k).max(1);
    let mut per_class = vec![0usize; k.max(predicted.iter().max().map_or(0, |m| m + 1))];
    let mut picks = Vec::new();
    while picks.len() < budget {
        let scale = median_finite(&state.nearest).unwrap_or(1.0).max(1e-6);
        let score = |i: usize| {
            let spread = (state.nearest[i] / scale).min(1.0);
            (1.0 - margins[i]) * if spread.is_finite() { spread } else { 1.0 }
        };
        let candidate = |capped: bool| {
            (0..margins.len())
                .filter(|&i| !state.picked[i] && state.nearest[i] >= near_copy_distance())
                .filter(|&i| !capped || per_class[predicted[i]] < quota)
                .max_by(|&a, &b| score(a).total_cmp(&score(b)).then(b.cmp(&a)))
        };
        let Some(i) = candidate(true).or_else(|| candidate(false)) else {
            break;
        };
        let s = score(i);
        let near = state.nearest[i];
        let mut reason = uncertain_reason(inputs, i);
        if near.is_finite() {
            reason.push_str("; ");
            reason.push_str(&far_reason(
                near,
                state.nearest_class[i],
                Some(inputs.classes),
            ));
        }
        state.take(i);
        per_class[predicted[i]] += 1;
        picks.push((i, s, reason));
    }
    Ok(picks)
}

fn median_finite(v: &[f32]) -> Option<f32> {
    let mut f: Vec<f32> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        return None;
    }
    let mid = f.len() / 2;
    let (_, m, _) = f.select_nth_unstable_by(mid, f32::total_cmp);
    Some(*m)
}

/// Each row of `set`'s probabilities over `classes` from `preds`, when every row's sample has
/// them (the pool's probabilities for [`SelectInputs::probs`]).
pub fn probabilities(
    set: &crate::embed::EmbeddingSet,
    preds: &crate::eval::PredictionSet,
    classes: usize,
) -> Option<Array2<f32>> {
    let mut out = Array2::zeros((set.len(), classes));
    for (r, &sample) in set.samples.iter().enumerate() {
        let probs = preds.prediction(sample as usize)?.probs.as_ref()?;
        for (c, v) in probs.iter().take(classes).enumerate() {
            out[(r, c)] = *v;
        }
    }
    Some(out)
}

/// Rows of `x` L2-normalised (a zero row stays zero).
pub fn normalised(mut x: Array2<f32>) -> Array2<f32> {
    for mut row in x.rows_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row.mapv_inplace(|v| v / norm);
        }
    }
    x
}

#[cfg(test)]
mod tests;
