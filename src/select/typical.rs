//! TypiClust's choice (Hacohen et al., ICML 2022): as many clusters as labels there will be,
//! the most typical image of each cluster without a label, largest clusters first.
//!
//! Typicality is `1 / mean distance to the 20 nearest images`. Up to [`EXACT_POOL`] pool images
//! it is measured against the whole pool (n² distances). Past that it is measured, as
//! TypiClust's own code does, within each cluster visited, on a seeded sample of at most
//! [`CLUSTER_SAMPLE`] of its members: a million-image pool needs a few hundred million
//! distances instead of a trillion. There too the k-means centres are fitted on a seeded sample
//! of the rows (at least [`FIT_PER_CLUSTER`] per cluster), then every row joins its nearest
//! centre in one pass: 20 rounds over a million rows took 11 s of a 20 s selection.

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;

use super::{Greedy, SelectInputs, diversity, kmeans};

/// Neighbours for typicality (TypiClust uses 20).
const TYPICALITY_NEIGHBOURS: usize = 20;

/// Pools up to this size get typicality against the whole pool.
pub(super) const EXACT_POOL: usize = 20_000;

/// Past [`EXACT_POOL`], the sample the k-means centres are fitted on holds at least this many
/// rows per cluster (and never fewer than [`EXACT_POOL`]).
const FIT_PER_CLUSTER: usize = 200;

/// Past [`EXACT_POOL`], the members of a cluster typicality is measured on.
pub(super) const CLUSTER_SAMPLE: usize = 2_000;

pub(super) fn typical(
    inputs: &SelectInputs<'_>,
    state: &mut Greedy<'_>,
    budget: usize,
    seed: u64,
) -> Vec<(usize, f32, String)> {
    typical_up_to(inputs, state, budget, seed, EXACT_POOL)
}

/// [`typical`] with whole-pool typicality up to `exact_pool` images.
pub(super) fn typical_up_to(
    inputs: &SelectInputs<'_>,
    state: &mut Greedy<'_>,
    budget: usize,
    seed: u64,
    exact_pool: usize,
) -> Vec<(usize, f32, String)> {
    let n = inputs.pool.nrows();
    if n == 0 || budget == 0 {
        return Vec::new();
    }
    // As many clusters as labels there will be, over pool and labelled images together; a
    // cluster holding a labelled image is covered and goes last.
    let labelled = if inputs.labelled.ncols() == inputs.pool.ncols() {
        inputs.labelled.nrows()
    } else {
        0
    };
    let k = (labelled + budget).min(n + labelled);
    let assign = if n + labelled <= exact_pool {
        let both = ndarray::concatenate(
            Axis(0),
            &[
                inputs.pool,
                inputs.labelled.slice(ndarray::s![..labelled, ..]),
            ],
        )
        .unwrap_or_else(|_| inputs.pool.to_owned());
        kmeans::kmeans(both.view(), k, 20, seed)
    } else {
        // Past the exact size, the centres are fitted on a seeded sample of pool and labelled
        // rows (at least FIT_PER_CLUSTER per cluster), then every row goes to its nearest.
        let all: Vec<usize> = (0..n + labelled).collect();
        let fit_rows = sample_of(&all, exact_pool.max(FIT_PER_CLUSTER * k), seed);
        let row = |i: usize| {
            if i < n {
                inputs.pool.row(i)
            } else {
                inputs.labelled.row(i - n)
            }
        };
        let x = ndarray::Array2::from_shape_fn((fit_rows.len(), inputs.pool.ncols()), |(r, c)| {
            row(fit_rows[r])[c]
        });
        let (_, centres) = kmeans::fit(x.view(), k, 20, seed);
        let mut assign = kmeans::nearest_centre(inputs.pool, centres.view());
        assign.extend(kmeans::nearest_centre(
            inputs.labelled.slice(ndarray::s![..labelled, ..]),
            centres.view(),
        ));
        assign
    };
    let whole = (n <= exact_pool).then(|| typicality(inputs.pool, TYPICALITY_NEIGHBOURS));
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut covered = vec![false; k];
    for (i, &c) in assign.iter().enumerate() {
        if i < n {
            members[c].push(i);
        } else {
            covered[c] = true;
        }
    }
    let mut order: Vec<usize> = (0..k).filter(|&c| !members[c].is_empty()).collect();
    order.sort_by(|&a, &b| {
        covered[a]
            .cmp(&covered[b])
            .then(members[b].len().cmp(&members[a].len()))
            .then(a.cmp(&b))
    });
    let mut picks = Vec::new();
    for c in order {
        if picks.len() == budget {
            break;
        }
        // Each candidate with its typicality, the most typical first.
        let mut candidates: Vec<(usize, f32)> = match &whole {
            Some(t) => members[c].iter().map(|&i| (i, t[i])).collect(),
            None => {
                let sample = sample_of(&members[c], CLUSTER_SAMPLE, seed ^ c as u64);
                let rows = inputs.pool.select(Axis(0), &sample);
                let t = typicality(rows.view(), TYPICALITY_NEIGHBOURS);
                sample.into_iter().zip(t).collect()
            }
        };
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (i, typicality) in candidates {
            if state.take(i) {
                picks.push((
                    i,
                    typicality,
                    format!(
                        "typical of a cluster of {} unlabelled images{}",
                        members[c].len(),
                        if covered[c] {
                            " (one already near a label)"
                        } else {
                            ""
                        }
                    ),
                ));
                break;
            }
        }
    }
    // Fewer clusters than the budget can fill: the rest by distance.
    if picks.len() < budget {
        picks.extend(diversity(state, budget - picks.len()));
    }
    picks
}

/// At most `cap` of `members`, drawn without replacement with `seed`, in ascending order.
fn sample_of(members: &[usize], cap: usize, seed: u64) -> Vec<usize> {
    if members.len() <= cap {
        return members.to_vec();
    }
    let mut all = members.to_vec();
    let mut rng = crate::rng::SplitMix::new(seed);
    for k in 0..cap {
        let j = k + rng.below((all.len() - k) as u64) as usize;
        all.swap(k, j);
    }
    all.truncate(cap);
    all.sort_unstable();
    all
}

/// `1 / mean distance to the k nearest other pool images` per image (TypiClust's typicality).
fn typicality(pool: ArrayView2<'_, f32>, k: usize) -> Vec<f32> {
    let n = pool.nrows();
    let k = k.min(n.saturating_sub(1)).max(1);
    (0..n)
        .into_par_iter()
        .map(|i| {
            let dots = pool.dot(&pool.row(i));
            let mut d: Vec<f32> = dots
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, &x)| (2.0 - 2.0 * x).max(0.0).sqrt())
                .collect();
            if d.is_empty() {
                return 0.0;
            }
            let k = k.min(d.len());
            d.select_nth_unstable_by(k - 1, f32::total_cmp);
            let mean = d[..k].iter().sum::<f32>() / k as f32;
            1.0 / mean.max(1e-6)
        })
        .collect()
}
