//! 2-D maps of an [`EmbeddingSet`]: PCA (instant, the first view) and UMAP (the `umap-rs`
//! crate's layout, on a worker with progress and cancel).
//!
//! PCA is randomized subspace iteration (Halko, Martinsson and Tropp 2011): a few products of
//! the centred matrix with a thin block, orthonormalised, then the eigenvectors of a small
//! matrix. Written here because the PCA crates either need LAPACK or form the full covariance
//! (1280 x 1280 over 100,000 rows is 4x the work), and the map needs only a few components. UMAP
//! runs on the 50 leading PCA components (as umap-learn users usually do for wide embeddings)
//! with exact Euclidean neighbours; `umap-rs` builds the fuzzy graph from them, and
//! [`super::umap_layout`] lays it out from PCA's first two components, one epoch at a time
//! with progress and cancel.

use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use rayon::prelude::*;

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

/// A deterministic pseudo-random normal value stream (xorshift + Box-Muller).
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    }
}

/// Orthonormalises the columns of `m` in place (modified Gram-Schmidt, twice for accuracy); a
/// column that vanishes is left zero.
fn orthonormalise(m: &mut Array2<f32>) {
    for _ in 0..2 {
        for j in 0..m.ncols() {
            for k in 0..j {
                let dot = m.column(j).dot(&m.column(k));
                let prev = m.column(k).to_owned();
                m.column_mut(j).scaled_add(-dot, &prev);
            }
            let norm = m.column(j).dot(&m.column(j)).sqrt();
            if norm > 1e-20 {
                m.column_mut(j).mapv_inplace(|v| v / norm);
            }
        }
    }
}

/// Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations: eigenvalues
/// (descending) and eigenvectors as columns.
fn symmetric_eigen(mut a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut v = Array2::<f64>::eye(n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[(i, j)] * a[(i, j)])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[(p, q)].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[(q, q)] - a[(p, p)]) / (2.0 * a[(p, q)]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[(k, p)], a[(k, q)]);
                    a[(k, p)] = c * akp - s * akq;
                    a[(k, q)] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[(p, k)], a[(q, k)]);
                    a[(p, k)] = c * apk - s * aqk;
                    a[(q, k)] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[(k, p)], v[(k, q)]);
                    v[(k, p)] = c * vkp - s * vkq;
                    v[(k, q)] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[(j, j)].total_cmp(&a[(i, i)]));
    let values = order.iter().map(|&i| a[(i, i)]).collect();
    let vectors = Array2::from_shape_fn((n, n), |(r, c)| v[(r, order[c])]);
    (values, vectors)
}

/// The scores of the `k` leading principal components of the rows of `x` (n x k), and the
/// variance each explains. Randomized subspace iteration with `k + 10` vectors and 4 power
/// iterations; signs are fixed so that each component's largest loading is positive.
pub fn pca(x: ArrayView2<f32>, k: usize) -> (Array2<f32>, Vec<f32>) {
    let (n, d) = x.dim();
    let k = k.min(d).min(n);
    if k == 0 {
        return (Array2::zeros((n, 0)), Vec::new());
    }
    let l = (k + 10).min(d).min(n);
    let mean: Array1<f32> = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
    // Products with the centred matrix without forming it: (X - 1 m) V = X V - 1 (m V).
    let times = |v: &Array2<f32>| -> Array2<f32> {
        let mut y = x.dot(v);
        let mv = mean.dot(v);
        y.rows_mut().into_iter().for_each(|mut r| r -= &mv);
        y
    };
    let times_t = |u: &Array2<f32>| -> Array2<f32> {
        let mut z = x.t().dot(u);
        let colsum = u.sum_axis(Axis(0));
        for (mut row, m) in z.rows_mut().into_iter().zip(mean.iter()) {
            row.scaled_add(-m, &colsum);
        }
        z
    };
    let mut rng = Normal(0x9E37_79B9_7F4A_7C15);
    let omega = Array2::from_shape_fn((d, l), |_| rng.next());
    let mut y = times(&omega);
    orthonormalise(&mut y);
    for _ in 0..4 {
        let mut z = times_t(&y);
        orthonormalise(&mut z);
        y = times(&z);
        orthonormalise(&mut y);
    }
    // B = Y^T Xc (l x d) = U S V^T, so Xc V = Y U S: B B^T = U S^2 U^T gives U and S.
    let b = times_t(&y).reversed_axes();
    let bbt = b.dot(&b.t()).mapv(f64::from);
    let (values, vectors) = symmetric_eigen(bbt);
    let mut u = Array2::<f32>::zeros((l, k));
    for c in 0..k {
        let col = vectors.column(c);
        // Sign: the largest loading (row of V = B^T u / s) positive.
        let loading = b.t().dot(&col.mapv(|v| v as f32));
        let sign = loading
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .map_or(1.0, f32::signum);
        let singular = values[c].max(0.0).sqrt() as f32;
        for r in 0..l {
            u[(r, c)] = col[r] as f32 * sign * singular;
        }
    }
    let scores = y.dot(&u);
    let variance = values
        .iter()
        .take(k)
        .map(|&v| (v / (n.max(2) - 1) as f64) as f32)
        .collect();
    (scores, variance)
}

/// The set's rows as a matrix view.
fn matrix(set: &EmbeddingSet) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((set.len(), set.dim), &set.data).expect("rows x dim values")
}

/// The PCA map of `set` (instant: a few passes over the matrix).
pub fn pca_map(set: &EmbeddingSet) -> Map {
    let (scores, _) = pca(matrix(set), 2);
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
}

impl Default for UmapOptions {
    fn default() -> Self {
        Self {
            n_neighbors: 15,
            min_dist: 0.1,
            pca_dims: 50,
            epochs: None,
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
    let k = opts.n_neighbors.clamp(2, n.saturating_sub(1).max(2));
    if n < 4 {
        return Ok(pca_map(set));
    }
    job.begin_stage("principal components", 1);
    let (reduced, _) = pca(matrix(set), opts.pca_dims.min(set.dim));
    if job.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    job.begin_stage("nearest neighbours", n.div_ceil(512));
    let (idx, dist) = euclidean_knn(reduced.view(), k, job)?;
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
        umap_rs::Umap::new(config.clone()).learn_manifold(reduced.view(), idx.view(), dist.view());
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
    let points = layout
        .into_iter()
        .zip(connected)
        .map(|(p, c)| if c { p } else { [f32::NAN, f32::NAN] })
        .collect();
    Ok(Map {
        method: MapMethod::Umap,
        points,
    })
}

#[cfg(test)]
mod tests {
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
    fn pca_finds_the_exact_leading_components() {
        // Rows along known orthogonal directions with variances 9, 4, 1.
        let mut rng = Normal(3);
        let x = Array2::from_shape_fn((400, 6), |(_, c)| {
            let scale = [3.0, 2.0, 1.0, 0.0, 0.0, 0.0][c];
            scale * rng.next() + 5.0
        });
        let (scores, variance) = pca(x.view(), 3);
        let centred = &x - &x.mean_axis(Axis(0)).unwrap();
        let exact: Vec<f32> = (0..3)
            .map(|c| centred.column(c).dot(&centred.column(c)) / 399.0)
            .collect();
        for c in 0..3 {
            assert!(
                (variance[c] - exact[c]).abs() / exact[c] < 0.05,
                "{variance:?} vs {exact:?}"
            );
            // The score of component c is the centred column c up to sign.
            let corr = scores.column(c).dot(&centred.column(c))
                / (scores.column(c).dot(&scores.column(c)).sqrt()
                    * centred.column(c).dot(&centred.column(c)).sqrt());
            assert!(corr.abs() > 0.99, "component {c}: correlation {corr}");
            let score_var = scores.column(c).dot(&scores.column(c)) / 399.0;
            assert!(
                (score_var - variance[c]).abs() / variance[c] < 1e-3,
                "component {c}: scores' variance {score_var}"
            );
        }
    }

    #[test]
    fn both_maps_keep_clusters_apart() {
        let (set, labels) = clusters(60);
        let job = JobControl::default();
        let pca = pca_map(&set);
        let umap = umap_map(&set, &UmapOptions::default(), &job).unwrap();
        for map in [pca, umap] {
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
