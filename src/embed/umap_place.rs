//! Placing rows on a UMAP layout fitted on other rows: the nearest fitted rows of each new row
//! (exact, Euclidean, in the same principal components) and the weighted mean of their places.
//!
//! The weights are UMAP's membership strengths as umap-learn's `transform` computes them for
//! new points (`smooth_knn_dist` with the local connectivity lowered by one, so no neighbour is
//! taken as at distance zero) and the place is its `init_graph_transform`: each new point at
//! the normalised weighted mean of its neighbours' places, or on a neighbour at distance zero.
//! umap-learn then drops the edges under the strongest / 30 and refines the new points for 30
//! epochs against the fixed layout; labelscope keeps the start (a point sits among the
//! neighbours it was found with, which is what the map is read for). A test holds it to
//! umap-learn 0.5.12's own functions (`scripts/make_umap_place_reference.py`).

use ndarray::{ArrayView2, s};
use rayon::prelude::*;

use crate::jobs::{JobControl, JobError};

/// Query rows per block of [`cross_knn`] (a block's distances: rows x references f32).
pub const BLOCK: usize = 256;

/// The `k` nearest rows of `refs` to each row of `queries` (found by the dot-product expansion,
/// their distances then measured from the differences; Euclidean distance, ascending, ties
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
                // The kept distances again from the differences (the expansion above loses a
                // copy's zero to rounding), as umap-learn measures them.
                let mut exact: Vec<(f32, u32)> = best
                    .iter()
                    .map(|&(_, c)| {
                        let d2: f64 = q
                            .row(r)
                            .iter()
                            .zip(refs.row(c as usize))
                            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                            .sum();
                        (d2.sqrt() as f32, c)
                    })
                    .collect();
                exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                out.extend(exact.iter().map(|&(d, c)| (c, d)));
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
/// weighted mean of their places on `fitted`, or on the lowest-numbered neighbour of weight 1
/// (at distance zero), as umap-learn's `init_graph_transform` (see the module's doc); NaN where
/// every neighbour is unplaced (NaN) or of weight zero.
pub fn place(neighbours: &[(u32, f32)], k: usize, fitted: &[[f32; 2]]) -> Vec<[f32; 2]> {
    if k == 0 {
        return Vec::new();
    }
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
    neighbours
        .par_chunks(k)
        .zip(weights.par_chunks(k))
        .map(|(row, w)| {
            // A neighbour at distance zero (weight 1): the point is that one (umap-learn takes
            // the first in column order).
            if let Some(&(c, _)) = row
                .iter()
                .zip(w)
                .filter(|&(&(c, _), &w)| w == 1.0 && fitted[c as usize][0].is_finite())
                .map(|(n, _)| n)
                .min_by_key(|&&(c, _)| c)
            {
                return fitted[c as usize];
            }
            let (mut sum, mut x, mut y) = (0.0f64, 0.0f64, 0.0f64);
            for (&(c, _), &w) in row.iter().zip(w) {
                let p = fitted[c as usize];
                if w <= 0.0 || !p[0].is_finite() {
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

    /// Placing equals umap-learn 0.5.12's `transform` before its refining epochs, on the
    /// committed reference (`scripts/make_umap_place_reference.py`): the same 15 nearest fitted
    /// rows, and each new point where `init_graph_transform` puts it (a copy of a fitted row
    /// exactly on it).
    #[test]
    fn placing_equals_umap_learn_transform_start() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/umap/place_reference.json");
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let matrix = |key: &str| {
            let rows: Vec<Vec<f32>> = serde_json::from_value(r[key].clone()).unwrap();
            let cols = rows[0].len();
            Array2::from_shape_vec((rows.len(), cols), rows.concat()).unwrap()
        };
        let (fitted, new) = (matrix("fitted"), matrix("new"));
        let layout: Vec<[f32; 2]> = serde_json::from_value(r["layout"].clone()).unwrap();
        let want_near: Vec<Vec<u32>> = serde_json::from_value(r["neighbours"].clone()).unwrap();
        let want: Vec<[f64; 2]> = serde_json::from_value(r["placed"].clone()).unwrap();
        let k = r["k"].as_u64().unwrap() as usize;
        let near = cross_knn(new.view(), fitted.view(), k, &JobControl::default()).unwrap();
        for (i, row) in near.chunks(k).enumerate() {
            let got: Vec<u32> = row.iter().map(|p| p.0).collect();
            assert_eq!(got, want_near[i], "neighbours of new row {i}");
        }
        let placed = place(&near, k, &layout);
        assert_eq!(placed[0], layout[17], "a copy of fitted row 17 sits on it");
        for (i, (p, w)) in placed.iter().zip(&want).enumerate() {
            for d in 0..2 {
                let err = (f64::from(p[d]) - w[d]).abs();
                assert!(err < 1e-4 * w[d].abs().max(1.0), "row {i}: {p:?} vs {w:?}");
            }
        }
    }
}
