//! Proposing negatives: pool images that fit none of the classes, because they lie further from
//! every labelled image than labelled images lie from each other. The yardstick is the labelled
//! set itself: each labelled image's distance to its nearest other labelled image (over a seeded
//! sample of up to [`SAMPLE`] of them), and the [`QUANTILE`] of those. A pool image beyond it is
//! proposed, furthest first, with the model's confident answer named when it gives one (a
//! confident prediction far from the training data is the classic sign of an input the model
//! has no class for).

use ndarray::Axis;
use rayon::prelude::*;

use super::{Greedy, SelectError, SelectInputs};
use crate::rng::SplitMix;

/// Labelled images whose nearest labelled neighbour sets the yardstick (at most).
const SAMPLE: usize = 2000;
/// The share of labelled images closer to a labelled neighbour than a proposed negative is to
/// every labelled image.
pub const QUANTILE: f64 = 0.99;

/// Cosine similarity of unit vectors at Euclidean distance `d`.
fn similarity(d: f32) -> f32 {
    1.0 - d * d / 2.0
}

/// The distance (Euclidean, unit vectors) beyond which a pool image fits no class: the
/// [`QUANTILE`] of labelled images' distance to their nearest other labelled image.
pub fn yardstick(inputs: &SelectInputs<'_>, seed: u64) -> Option<f32> {
    let m = inputs.labelled.nrows();
    if m < 2 {
        return None;
    }
    let mut rows: Vec<usize> = (0..m).collect();
    if m > SAMPLE {
        let mut rng = SplitMix::new(seed);
        for i in 0..SAMPLE {
            let j = i + rng.below((m - i) as u64) as usize;
            rows.swap(i, j);
        }
        rows.truncate(SAMPLE);
    }
    let mut nearest: Vec<f32> = rows
        .par_iter()
        .map(|&r| {
            let dots = inputs.labelled.dot(&inputs.labelled.row(r));
            dots.iter()
                .enumerate()
                .filter(|&(j, _)| j != r)
                .map(|(_, &d)| (2.0 - 2.0 * d).max(0.0).sqrt())
                .fold(f32::INFINITY, f32::min)
        })
        .collect();
    nearest.sort_by(f32::total_cmp);
    let k = ((nearest.len() as f64 * QUANTILE).ceil() as usize).clamp(1, nearest.len()) - 1;
    Some(nearest[k])
}

/// Up to `budget` pool images beyond the [`yardstick`], furthest from every labelled image
/// first (never two near copies).
pub(super) fn negatives(
    inputs: &SelectInputs<'_>,
    state: &mut Greedy<'_>,
    budget: usize,
    seed: u64,
) -> Result<Vec<(usize, f32, String)>, SelectError> {
    let limit = yardstick(inputs, seed).ok_or(SelectError::NoLabelled)?;
    let far: Vec<(usize, f32)> = {
        let mut v: Vec<(usize, f32)> = state
            .nearest
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, d)| d > limit)
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    let mut picks = Vec::new();
    for (i, d) in far {
        if picks.len() == budget {
            break;
        }
        let class = state.nearest_class[i];
        if !state.take(i) {
            continue;
        }
        let nearest = class
            .and_then(|c| inputs.classes.get(c))
            .map_or_else(String::new, |c| format!(" (a {c})"));
        let confident = inputs.probs.as_ref().and_then(|p| {
            let row = p.index_axis(Axis(0), i);
            let (c, &v) = row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
            let name = inputs.classes.get(c)?;
            (v >= 0.9).then(|| format!("; yet the model says {name} {v:.2}"))
        });
        picks.push((
            i,
            d / limit,
            format!(
                "fits no class: its nearest labelled image{nearest} is at similarity {:.2}; {:.0}% of labelled images have a labelled neighbour above {:.2}{}",
                similarity(d),
                QUANTILE * 100.0,
                similarity(limit),
                confident.unwrap_or_default()
            ),
        ));
    }
    Ok(picks)
}
