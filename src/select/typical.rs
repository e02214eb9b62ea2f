//! TypiClust's choice (Hacohen et al., ICML 2022): as many clusters as labels there will be,
//! the most typical image of each cluster without a label, largest clusters first.

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;

use super::{Greedy, SelectInputs, diversity, kmeans};

/// Neighbours for typicality (TypiClust uses 20).
const TYPICALITY_NEIGHBOURS: usize = 20;

pub(super) fn typical(
    inputs: &SelectInputs<'_>,
    state: &mut Greedy<'_>,
    budget: usize,
    seed: u64,
) -> Vec<(usize, f32, String)> {
    let n = inputs.pool.nrows();
    if n == 0 || budget == 0 {
        return Vec::new();
    }
    // As many clusters as labels there will be, over pool and labelled images together; a
    // cluster holding a labelled image is covered and goes last.
    let labelled = inputs.labelled.nrows();
    let both = if labelled > 0 && inputs.labelled.ncols() == inputs.pool.ncols() {
        ndarray::concatenate(Axis(0), &[inputs.pool, inputs.labelled])
            .unwrap_or_else(|_| inputs.pool.to_owned())
    } else {
        inputs.pool.to_owned()
    };
    let k = (labelled + budget).min(both.nrows());
    let assign = kmeans::kmeans(both.view(), k, 20, seed);
    let typicality = typicality(inputs.pool, TYPICALITY_NEIGHBOURS);
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
        let mut candidates = members[c].clone();
        candidates.sort_by(|&a, &b| typicality[b].total_cmp(&typicality[a]).then(a.cmp(&b)));
        for i in candidates {
            if state.take(i) {
                picks.push((
                    i,
                    typicality[i],
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
