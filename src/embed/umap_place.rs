//! Placing rows on a UMAP layout fitted on other rows: the nearest fitted rows of each new row
//! (exact, Euclidean, in the same principal components) and the weighted mean of their places.
//!
//! The weights are UMAP's membership strengths as umap-learn's `transform` computes them for
//! new points (`smooth_knn_dist` with the local connectivity lowered by one, so no neighbour is
//! taken as at distance zero; edges under the strongest / 30 dropped, as for its 30 transform
//! epochs past 10,000 points) and the start is its `init_graph_transform`: each new point at
//! the normalised weighted mean of its neighbours' places. umap-learn then refines the new
//! points for those epochs against the fixed layout; labelscope keeps the start (a point sits
//! among the neighbours it was found with, which is what the map is read for).

use ndarray::{ArrayView2, s};
use rayon::prelude::*;

use crate::jobs::{JobControl, JobError};

/// Query rows per block of [`cross_knn`] (a block's distances: rows x references f32).
pub const BLOCK: usize = 256;

/// The `k` nearest rows of `refs` to each row of `queries` (Euclidean distance, ascending, ties
/// to the lower index), flattened `k` per query. Blocks of query rows run in parallel, one
/// progress step each on `job`, which can cancel between blocks.
pub fn cross_knn(
    queries: ArrayView2<f32>,
    refs: ArrayView2<f32>,
    k: usize,
    job: &JobControl,
) -> Result<Vec<(u32, f32)>, JobError> {
    let k = k.min(refs.nrows());
    if k == 0 {
        return Ok(Vec::new());
    }
    let ref_norms: Vec<f32> = refs.rows().into_iter().map(|r| r.dot(&r)).collect();
    let blocks: Vec<usize> = (0..queries.nrows().div_ceil(BLOCK)).collect();
    let found: Vec<Vec<(u32, f32)>> = blocks
        .par_iter()
        .map(|&b| {
            if job.is_cancelled() {
                return Vec::new();
            }
            let lo = b * BLOCK;
            let hi = (lo + BLOCK).min(queries.nrows());
            let q = queries.slice(s![lo..hi, ..]);
            let dots = q.dot(&refs.t());
            let mut out = Vec::with_capacity((hi - lo) * k);
            // Ascending (squared distance, index); the last is the worst kept.
            let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
            for (r, row) in dots.rows().into_iter().enumerate() {
                let qn = q.row(r).dot(&q.row(r));
                best.clear();
                for (c, &dot) in row.iter().enumerate() {
                    let d2 = (qn + ref_norms[c] - 2.0 * dot).max(0.0);
                    if best.len() == k && d2 >= best[k - 1].0 {
                        continue;
                    }
                    let at = best.partition_point(|&(d, _)| d <= d2);
                    best.insert(at, (d2, c as u32));
                    best.truncate(k);
                }
                out.extend(best.iter().map(|&(d2, c)| (c, d2.sqrt())));
            }
            job.add_done(false);
            out
        })
        .collect();
    if job.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    Ok(found.concat())
}

/// umap-learn's `smooth_knn_dist` for one new point (local connectivity 0, so rho = 0): the
/// sigma at which the memberships of neighbours 1..k sum to log2(k), by bisection.
fn sigma(dists: &[f32], mean_distance: f32) -> f32 {
    const TOLERANCE: f32 = 1e-5;
    const MIN_K_DIST_SCALE: f32 = 1e-3;
    let target = (dists.len() as f32).log2();
    let (mut lo, mut hi, mut mid) = (0.0f32, f32::INFINITY, 1.0f32);
    for _ in 0..64 {
        let psum: f32 = dists
            .iter()
            .skip(1)
            .map(|&d| if d > 0.0 { (-d / mid).exp() } else { 1.0 })
            .sum();
        if (psum - target).abs() < TOLERANCE {
            break;
        }
        if psum > target {
            hi = mid;
            mid = (lo + hi) / 2.0;
        } else {
            lo = mid;
            mid = if hi.is_infinite() {
                mid * 2.0
            } else {
                (lo + hi) / 2.0
            };
        }
    }
    mid.max(MIN_K_DIST_SCALE * mean_distance)
}

/// Places each new point (its `k` nearest fitted rows, as [`cross_knn`] gives them) at the
/// weighted mean of their places on `fitted` (see the module's doc); NaN where every
/// neighbour is unplaced (NaN) or dropped.
pub fn place(neighbours: &[(u32, f32)], k: usize, fitted: &[[f32; 2]]) -> Vec<[f32; 2]> {
    if k == 0 {
        return Vec::new();
    }
    let n_epochs = 30.0f32;
    let mean_distance = if neighbours.is_empty() {
        0.0
    } else {
        neighbours.iter().map(|&(_, d)| f64::from(d)).sum::<f64>() as f32 / neighbours.len() as f32
    };
    let weights: Vec<f32> = neighbours
        .par_chunks(k)
        .flat_map_iter(|row| {
            let dists: Vec<f32> = row.iter().map(|&(_, d)| d).collect();
            let s = sigma(&dists, mean_distance);
            dists.into_iter().map(move |d| {
                if d > 0.0 && s > 0.0 {
                    (-d / s).exp()
                } else {
                    1.0
                }
            })
        })
        .collect();
    let cut = weights.iter().copied().fold(0.0f32, f32::max) / n_epochs;
    neighbours
        .par_chunks(k)
        .zip(weights.par_chunks(k))
        .map(|(row, w)| {
            let (mut sum, mut x, mut y) = (0.0f64, 0.0f64, 0.0f64);
            for (&(c, _), &w) in row.iter().zip(w) {
                let p = fitted[c as usize];
                if w < cut || !p[0].is_finite() {
                    continue;
                }
                sum += f64::from(w);
                x += f64::from(w) * f64::from(p[0]);
                y += f64::from(w) * f64::from(p[1]);
            }
            if sum > 0.0 {
                [(x / sum) as f32, (y / sum) as f32]
            } else {
                [f32::NAN, f32::NAN]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn cross_knn_equals_a_sort_of_every_distance() {
        let mut rng = crate::rng::SplitMix::new(3);
        let q = Array2::from_shape_fn((37, 5), |_| rng.normal() as f32);
        let r = Array2::from_shape_fn((300, 5), |_| rng.normal() as f32);
        let got = cross_knn(q.view(), r.view(), 7, &JobControl::default()).unwrap();
        assert_eq!(got.len(), 37 * 7);
        for (i, row) in got.chunks(7).enumerate() {
            let mut all: Vec<(f32, u32)> = (0..300)
                .map(|c| {
                    let d = &q.row(i) - &r.row(c);
                    (d.dot(&d), c as u32)
                })
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let want: Vec<u32> = all[..7].iter().map(|p| p.1).collect();
            let have: Vec<u32> = row.iter().map(|p| p.0).collect();
            assert_eq!(have, want, "query {i}");
            for (&(_, d), (d2, _)) in row.iter().zip(&all) {
                assert!((d * d - d2).abs() < 1e-3 * d2.max(1.0), "{d} vs {d2}");
            }
        }
    }

    #[test]
    fn sigma_makes_the_memberships_sum_to_log2_k() {
        let dists = [0.5f32, 0.7, 0.9, 1.0, 1.4, 2.0, 2.2, 3.0];
        let s = sigma(&dists, 1.0);
        let psum: f32 = dists[1..].iter().map(|d| (-d / s).exp()).sum();
        assert!((psum - 8f32.log2()).abs() < 1e-4, "{psum}");
    }

    #[test]
    fn a_point_lands_nearest_its_nearest_fitted_point_and_unplaced_ones_are_skipped() {
        let fitted = [[0.0, 0.0], [10.0, 0.0], [f32::NAN, f32::NAN], [0.0, 10.0]];
        // Near fitted row 0, a little further from 1 and 3; row 2 unplaced.
        let neighbours = [(0, 0.1), (2, 0.2), (1, 2.0), (3, 2.5)];
        let p = place(&neighbours, 4, &fitted);
        assert_eq!(p.len(), 1);
        assert!(
            p[0][0] >= 0.0 && p[0][0] < 5.0 && p[0][1] < 5.0,
            "{:?}",
            p[0]
        );
        let all_unplaced = [(2, 0.1), (2, 0.2)];
        assert!(place(&all_unplaced, 2, &fitted)[0][0].is_nan());
    }
}
