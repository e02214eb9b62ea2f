//! Spherical k-means on unit vectors (cosine similarity), seeded with k-means++: enough for
//! TypiClust's clusters. Written here because the clustering crates pull in BLAS or a second
//! array library for a loop of a few lines.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::rng::SplitMix;

/// The cluster of each row of `x` (L2-normalised rows) after at most `iterations` rounds.
pub fn kmeans(x: ArrayView2<'_, f32>, k: usize, iterations: usize, seed: u64) -> Vec<usize> {
    fit(x, k, iterations, seed).0
}

/// Pool rows per block when rows are assigned to centres in parallel.
const BLOCK: usize = 4096;

/// The nearest of `centres` (unit rows) to each row of `x`, by cosine similarity (ties to the
/// lower centre), the rows taken in blocks in parallel: one pass over a pool too large to
/// cluster whole, once the centres were fitted on a sample of it.
pub fn nearest_centre(x: ArrayView2<'_, f32>, centres: ArrayView2<'_, f32>) -> Vec<usize> {
    let k = centres.nrows();
    let starts: Vec<usize> = (0..x.nrows()).step_by(BLOCK).collect();
    starts
        .into_par_iter()
        .flat_map_iter(|lo| {
            let hi = (lo + BLOCK).min(x.nrows());
            let sims = x.slice(ndarray::s![lo..hi, ..]).dot(&centres.t());
            (0..hi - lo)
                .map(|r| {
                    let row = sims.row(r);
                    (0..k)
                        .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                        .unwrap_or(0)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// [`kmeans`] with the centres it ended on (rows of unit length).
pub fn fit(
    x: ArrayView2<'_, f32>,
    k: usize,
    iterations: usize,
    seed: u64,
) -> (Vec<usize>, Array2<f32>) {
    let n = x.nrows();
    let k = k.min(n);
    if k == 0 {
        return (vec![0; n], Array2::zeros((0, x.ncols())));
    }
    let mut rng = SplitMix::new(seed);
    // k-means++: each next centre drawn with probability proportional to the squared distance
    // to the nearest centre so far.
    let mut centres = Array2::<f32>::zeros((k, x.ncols()));
    let first = rng.below(n as u64) as usize;
    centres.row_mut(0).assign(&x.row(first));
    let mut nearest: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|i| (2.0 - 2.0 * x.row(i).dot(&x.row(first))).max(0.0))
        .collect();
    for c in 1..k {
        let total: f64 = nearest.iter().map(|&d| f64::from(d)).sum();
        let pick = if total > 0.0 {
            let mut u = rng.uniform() * total;
            nearest
                .iter()
                .position(|&d| {
                    u -= f64::from(d);
                    u <= 0.0
                })
                .unwrap_or(n - 1)
        } else {
            rng.below(n as u64) as usize
        };
        centres.row_mut(c).assign(&x.row(pick));
        let centre = x.row(pick);
        nearest.par_iter_mut().enumerate().for_each(|(i, d)| {
            *d = d.min((2.0 - 2.0 * x.row(i).dot(&centre)).max(0.0));
        });
    }
    let mut assign = vec![usize::MAX; n];
    for _ in 0..iterations.max(1) {
        let sims = x.dot(&centres.t());
        let next: Vec<usize> = (0..n)
            .into_par_iter()
            .map(|i| {
                let row = sims.row(i);
                (0..k)
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                    .unwrap_or(0)
            })
            .collect();
        if next == assign {
            break;
        }
        assign = next;
        let mut sums = Array2::<f32>::zeros((k, x.ncols()));
        for (i, &c) in assign.iter().enumerate() {
            let mut s = sums.row_mut(c);
            s += &x.row(i);
        }
        for (c, mut s) in sums.axis_iter_mut(Axis(0)).enumerate() {
            let norm = s.dot(&s).sqrt();
            if norm > 0.0 {
                s.mapv_inplace(|v| v / norm);
                centres.row_mut(c).assign(&s);
            }
        }
    }
    (assign, centres)
}
