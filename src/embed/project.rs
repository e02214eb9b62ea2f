//! 2-D maps of an [`EmbeddingSet`]: PCA (instant, the first view) and UMAP (the `umap-rs`
//! crate's layout, on a worker with progress and cancel).
//!
//! PCA is [`super::pca`]. UMAP
//! runs on the 50 leading PCA components (as umap-learn users usually do for wide embeddings)
//! with exact Euclidean neighbours; `umap-rs` builds the fuzzy graph from them, and
//! [`super::umap_layout`] lays it out from PCA's first two components, one epoch at a time
//! with progress and cancel. Past [`UmapOptions::fit_max`] rows (a million, say) the layout is
//! fitted on a seeded sample of [`UmapOptions::fit_sample`] rows, and every other row is placed
//! among its nearest fitted rows ([`super::umap_place`], umap-learn's `transform` start).

use ndarray::{Array2, ArrayView2, s};
use rayon::prelude::*;

use super::pca::{pca, pca_basis};
use super::set::EmbeddingSet;
use super::umap_layout::{Edges, optimize};
use crate::jobs::{JobControl, JobError};

/// How a map was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MapMethod {
    /// The first two principal components.
    Pca,
    /// UMAP on the leading principal components.
    Umap,
}

/// One 2-D point per row of an embedding set (NaN for a point UMAP left unconnected).
#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    /// How the points were made.
    pub method: MapMethod,
    /// Per row of the set.
    pub points: Vec<[f32; 2]>,
}

/// The set's rows as a matrix (read whole when on disk).
fn matrix(set: &EmbeddingSet) -> ndarray::CowArray<'_, f32, ndarray::Ix2> {
    set.matrix()
}

/// Rows a PCA map of a set on disk fits its directions on (every n-th row); the others are
/// projected block by block, so the map never holds the set.
const PCA_FIT_ROWS: usize = 50_000;

/// The PCA map of `set` (instant: a few passes over the matrix). A set on disk: the
/// directions from at most [`PCA_FIT_ROWS`] evenly spaced rows, every row projected on them.
pub fn pca_map(set: &EmbeddingSet) -> Map {
    if set.on_disk() {
        return pca_map_in_blocks(set);
    }
    let (scores, _) = pca(matrix(set).view(), 2);
    let points = scores
        .rows()
        .into_iter()
        .map(|r| {
            [
                r.first().copied().unwrap_or(0.0),
                r.get(1).copied().unwrap_or(0.0),
            ]
        })
        .collect();
    Map {
        method: MapMethod::Pca,
        points,
    }
}

fn pca_map_in_blocks(set: &EmbeddingSet) -> Map {
    let step = set.len().div_ceil(PCA_FIT_ROWS).max(1);
    let fit_rows: Vec<usize> = (0..set.len()).step_by(step).collect();
    let mut points = Vec::with_capacity(set.len());
    if let Some(basis) = pca_basis(set.select_rows(&fit_rows).view(), 2) {
        const BLOCK: usize = 8192;
        for lo in (0..set.len()).step_by(BLOCK) {
            let hi = (lo + BLOCK).min(set.len());
            let block = set.block(lo, hi);
            let rows = ArrayView2::from_shape((hi - lo, set.dim), &block).expect("rows x dim");
            let scores = basis.project(rows);
            points.extend(scores.rows().into_iter().map(|r| {
                [
                    r.first().copied().unwrap_or(0.0),
                    r.get(1).copied().unwrap_or(0.0),
                ]
            }));
        }
    } else {
        points.resize(set.len(), [0.0, 0.0]);
    }
    Map {
        method: MapMethod::Pca,
        points,
    }
}

/// UMAP's settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct UmapOptions {
    /// Neighbours per point (umap-learn's default 15).
    pub n_neighbors: usize,
    /// How tightly points may pack (umap-learn's default 0.1).
    pub min_dist: f32,
    /// Principal components UMAP runs on.
    pub pca_dims: usize,
    /// Epochs (umap-learn's default: 500 up to 10,000 points, else 200).
    pub epochs: Option<usize>,
    /// Sets up to this many rows are fitted whole.
    pub fit_max: usize,
    /// Past `fit_max`, the rows the layout is fitted on (the rest are placed).
    pub fit_sample: usize,
}

impl Default for UmapOptions {
    fn default() -> Self {
        Self {
            n_neighbors: 15,
            min_dist: 0.1,
            pca_dims: 50,
            epochs: None,
            fit_max: 100_000,
            fit_sample: 50_000,
        }
    }
}

/// Exact k nearest neighbours (Euclidean, each point its own first neighbour) of the rows of
/// `x`, in blocks of rows; checks `job` between blocks.
fn euclidean_knn(
    x: ArrayView2<f32>,
    k: usize,
    job: &JobControl,
) -> Result<(Array2<u32>, Array2<f32>), JobError> {
    let n = x.nrows();
    let norms: Vec<f32> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
    let block = 512;
    let blocks: Vec<usize> = (0..n.div_ceil(block)).collect();
    let rows: Vec<Vec<(u32, f32)>> = blocks
        .par_iter()
        .map(|&b| {
            if job.is_cancelled() {
                return Vec::new();
            }
            let lo = b * block;
            let hi = (lo + block).min(n);
            let dots = x.slice(s![lo..hi, ..]).dot(&x.t());
            // One buffer per block: a fresh n-long vector per row would be kept alive by its
            // capacity (100,000 rows x 800 KB).
            let mut all: Vec<(u32, f32)> = Vec::with_capacity(n);
            let out: Vec<Vec<(u32, f32)>> = (lo..hi)
                .map(|r| {
                    all.clear();
                    all.extend(dots.row(r - lo).iter().enumerate().map(|(c, &dot)| {
                        let d2 = if c == r {
                            0.0
                        } else {
                            (norms[r] + norms[c] - 2.0 * dot).max(0.0)
                        };
                        (c as u32, d2)
                    }));
                    let kk = k.min(all.len());
                    all.select_nth_unstable_by(kk - 1, |a, b| {
                        a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))
                    });
                    let mut top = all[..kk].to_vec();
                    top.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                    top
                })
                .collect();
            job.add_done(false);
            out
        })
        .flatten()
        .collect();
    if job.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    let mut idx = Array2::<u32>::zeros((n, k));
    let mut dist = Array2::<f32>::zeros((n, k));
    for (r, row) in rows.iter().enumerate() {
        for (c, &(j, d2)) in row.iter().enumerate() {
            idx[(r, c)] = j;
            dist[(r, c)] = d2.sqrt();
        }
    }
    Ok((idx, dist))
}

/// Each column of `x` (n x 2) scaled to [0, 10].
fn scaled_to_ten(x: ArrayView2<f32>) -> Vec<[f32; 2]> {
    let range = |c: usize| {
        let col = x.column(c);
        let lo = col.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = col.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        (lo, if hi > lo { 10.0 / (hi - lo) } else { 0.0 })
    };
    let (rx, ry) = (range(0), range(1));
    x.rows()
        .into_iter()
        .map(|r| [(r[0] - rx.0) * rx.1, (r[1] - ry.0) * ry.1])
        .collect()
}

/// The UMAP map of `set`. Stages and progress go to `job`; a cancel returns
/// [`JobError::Cancelled`].
pub fn umap_map(set: &EmbeddingSet, opts: &UmapOptions, job: &JobControl) -> Result<Map, JobError> {
    let n = set.len();
    if n < 4 {
        return Ok(pca_map(set));
    }
    let points = if n <= opts.fit_max.max(opts.fit_sample) {
        job.begin_stage("principal components", 1);
        let (reduced, _) = pca(matrix(set).view(), opts.pca_dims.min(set.dim));
        if job.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        fit(reduced.view(), opts, job)?
    } else {
        fit_and_place(set, opts, job)?
    };
    Ok(Map {
        method: MapMethod::Umap,
        points,
    })
}

/// The layout fitted on a seeded sample of `opts.fit_sample` rows (principal components from
/// the sample too), the other rows placed among their nearest fitted rows.
fn fit_and_place(
    set: &EmbeddingSet,
    opts: &UmapOptions,
    job: &JobControl,
) -> Result<Vec<[f32; 2]>, JobError> {
    let n = set.len();
    let mut rng = crate::rng::SplitMix::new(0x5EED_0AA9);
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..opts.fit_sample {
        let j = i + rng.below((n - i) as u64) as usize;
        order.swap(i, j);
    }
    let mut fitted_rows = order[..opts.fit_sample].to_vec();
    fitted_rows.sort_unstable();
    let mut is_fitted = vec![false; n];
    for &r in &fitted_rows {
        is_fitted[r] = true;
    }
    let others: Vec<usize> = (0..n).filter(|&r| !is_fitted[r]).collect();
    job.begin_stage(
        &format!("principal components of {} sampled rows", fitted_rows.len()),
        1,
    );
    let sample = set.select_rows(&fitted_rows);
    let Some(basis) = pca_basis(sample.view(), opts.pca_dims.min(set.dim)) else {
        return Ok(vec![[f32::NAN; 2]; n]);
    };
    let reduced_sample = basis.project(sample.view());
    drop(sample);
    if job.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    let fitted = fit(reduced_sample.view(), opts, job)?;
    let k = opts.n_neighbors.clamp(2, fitted_rows.len() - 1);
    job.begin_stage(
        &format!("placing the other {} rows", others.len()),
        others.len().div_ceil(super::umap_place::BLOCK),
    );
    let mut points = vec![[f32::NAN; 2]; n];
    for (&r, &p) in fitted_rows.iter().zip(&fitted) {
        points[r] = p;
    }
    // Chunks of rows keep the projected copy small; a chunk is a whole number of the
    // neighbour search's blocks, which run in parallel and count the progress.
    for chunk in others.chunks(32 * super::umap_place::BLOCK) {
        let reduced = basis.project(set.select_rows(chunk).view());
        let near = super::umap_place::cross_knn(reduced.view(), reduced_sample.view(), k, job)?;
        let placed = super::umap_place::place(&near, k, &fitted);
        for (&r, p) in chunk.iter().zip(placed) {
            points[r] = p;
        }
    }
    Ok(points)
}

/// The UMAP layout of the rows of `reduced` (their principal components): exact neighbours,
/// `umap-rs`'s fuzzy graph, [`optimize`]; NaN for a row left unconnected.
fn fit(
    reduced: ArrayView2<f32>,
    opts: &UmapOptions,
    job: &JobControl,
) -> Result<Vec<[f32; 2]>, JobError> {
    let n = reduced.nrows();
    let k = opts.n_neighbors.clamp(2, n.saturating_sub(1).max(2));
    job.begin_stage("nearest neighbours", n.div_ceil(512));
    let (idx, dist) = euclidean_knn(reduced, k, job)?;
    let config = umap_rs::UmapConfig {
        n_components: 2,
        graph: umap_rs::GraphParams {
            n_neighbors: k,
            ..Default::default()
        },
        manifold: umap_rs::ManifoldParams {
            min_dist: opts.min_dist.clamp(0.0, 1.0),
            ..Default::default()
        },
        ..Default::default()
    };
    job.begin_stage("UMAP graph", 1);
    let manifold =
        umap_rs::Umap::new(config.clone()).learn_manifold(reduced, idx.view(), dist.view());
    let (ab, edges) = {
        let graph = manifold.graph();
        let mut edges = Edges {
            head: Vec::with_capacity(graph.nnz()),
            tail: Vec::with_capacity(graph.nnz()),
            weight: Vec::with_capacity(graph.nnz()),
        };
        for (row, vec) in graph.outer_iterator().enumerate() {
            for (col, &w) in vec.iter() {
                edges.head.push(row as u32);
                edges.tail.push(col as u32);
                edges.weight.push(w);
            }
        }
        (manifold.curve_params(), edges)
    };
    let mut connected = vec![false; n];
    for &h in &edges.head {
        connected[h as usize] = true;
    }
    // umap-learn's start: the initial layout scaled to [0, 10] on each axis.
    let init = scaled_to_ten(reduced.slice(s![.., ..2]));
    let epochs = opts
        .epochs
        .unwrap_or(if n <= 10_000 { 500 } else { 200 })
        .max(1);
    job.begin_stage("UMAP layout", epochs);
    let layout = optimize(init, &edges, ab, epochs, job)?;
    Ok(layout
        .into_iter()
        .zip(connected)
        .map(|(p, c)| if c { p } else { [f32::NAN, f32::NAN] })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::pca::Normal;
    use super::*;
    use crate::embedding_store::to_embedding;

    /// Three well separated clusters in 20 dimensions.
    fn clusters(per: usize) -> (EmbeddingSet, Vec<usize>) {
        let mut rng = Normal(7);
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for c in 0..3 {
            for _ in 0..per {
                let row: Vec<f32> = (0..20)
                    .map(|d| if d == c * 5 { 10.0 } else { 0.0 } + 0.3 * rng.next())
                    .collect();
                rows.push(to_embedding(&row));
                labels.push(c);
            }
        }
        let refs: Vec<Result<_, String>> = rows.iter().map(Ok).collect();
        (EmbeddingSet::from_embeddings(&refs), labels)
    }

    #[test]
    fn both_maps_keep_clusters_apart() {
        let (set, labels) = clusters(60);
        let job = JobControl::default();
        let pca = pca_map(&set);
        let umap = umap_map(&set, &UmapOptions::default(), &job).unwrap();
        // Fitted on 60 of the 180 rows, the other 120 placed.
        let sampled = UmapOptions {
            fit_max: 60,
            fit_sample: 60,
            ..UmapOptions::default()
        };
        let placed = umap_map(&set, &sampled, &job).unwrap();
        assert!(placed.points.iter().all(|p| p[0].is_finite()));
        for map in [pca, umap, placed] {
            // Every point's nearest other point on the map is in its own cluster.
            let p = &map.points;
            let mut agree = 0;
            for i in 0..p.len() {
                let j = (0..p.len())
                    .filter(|&j| j != i)
                    .min_by(|&a, &b| {
                        let d =
                            |k: usize| (p[k][0] - p[i][0]).powi(2) + (p[k][1] - p[i][1]).powi(2);
                        d(a).total_cmp(&d(b))
                    })
                    .unwrap();
                agree += usize::from(labels[i] == labels[j]);
            }
            assert!(
                agree as f32 / p.len() as f32 > 0.97,
                "{:?}: {agree}/{}",
                map.method,
                p.len()
            );
        }
    }

    #[test]
    fn a_cancelled_umap_stops() {
        let (set, _) = clusters(30);
        let job = JobControl::default();
        job.cancel();
        assert!(matches!(
            umap_map(&set, &UmapOptions::default(), &job),
            Err(JobError::Cancelled)
        ));
    }
}
