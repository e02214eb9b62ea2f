//! Principal components by randomized subspace iteration (Halko, Martinsson and Tropp 2011):
//! a few products of the centred matrix with a thin block, orthonormalised, then the
//! eigenvectors of a small matrix. Written here because the PCA crates either need LAPACK or
//! form the full covariance (1280 x 1280 over 100,000 rows is 4x the work), and the map and the
//! embedding checks need only a few components.

use ndarray::{Array1, Array2, ArrayView2, Axis};

/// A deterministic pseudo-random normal value stream (xorshift + Box-Muller).
pub(crate) struct Normal(pub(crate) u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub(crate) fn next(&mut self) -> f32 {
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

/// The leading principal directions of a matrix's rows, to project other rows on.
#[derive(Clone, Debug)]
pub struct PcaBasis {
    /// The rows' mean (subtracted before projecting).
    pub mean: Array1<f32>,
    /// Unit directions as columns (d x k), signs as in [`pca`].
    pub components: Array2<f32>,
    /// The variance along each direction.
    pub variance: Vec<f32>,
}

impl PcaBasis {
    /// The scores of `rows` (m x d) on the directions (m x k).
    pub fn project(&self, rows: ArrayView2<f32>) -> Array2<f32> {
        let mut s = rows.dot(&self.components);
        let shift = self.mean.dot(&self.components);
        s.rows_mut().into_iter().for_each(|mut r| r -= &shift);
        s
    }
}

/// The `k` leading principal directions of the rows of `x`, by the same subspace iteration as
/// [`pca`]; `None` when `x` has no rows or columns.
pub fn pca_basis(x: ArrayView2<f32>, k: usize) -> Option<PcaBasis> {
    let s = subspace(x, k)?;
    let d = x.ncols();
    let mut components = Array2::<f32>::zeros((d, s.k));
    for c in 0..s.k {
        // V's column = B^T u / s, signed so that its largest loading is positive.
        let loading = s.b.t().dot(&s.vectors.column(c).mapv(|v| v as f32));
        let norm = loading.dot(&loading).sqrt();
        let sign = loading
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .map_or(1.0, f32::signum);
        if norm > 0.0 {
            components
                .column_mut(c)
                .assign(&loading.mapv(|v| v * sign / norm));
        }
    }
    Some(PcaBasis {
        mean: s.mean,
        components,
        variance: s.variance,
    })
}

/// The shared subspace iteration of [`pca`] and [`pca_basis`].
struct Subspace {
    mean: Array1<f32>,
    /// Orthonormal basis of the range (n x l).
    y: Array2<f32>,
    /// `Y^T Xc` (l x d).
    b: Array2<f32>,
    /// Eigenvectors of `B B^T` as columns, by descending eigenvalue.
    vectors: Array2<f64>,
    values: Vec<f64>,
    variance: Vec<f32>,
    k: usize,
}

fn subspace(x: ArrayView2<f32>, k: usize) -> Option<Subspace> {
    let (n, d) = x.dim();
    let k = k.min(d).min(n);
    if k == 0 {
        return None;
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
    let variance = values
        .iter()
        .take(k)
        .map(|&v| (v / (n.max(2) - 1) as f64) as f32)
        .collect();
    Some(Subspace {
        mean,
        y,
        b,
        vectors,
        values,
        variance,
        k,
    })
}

/// The scores of the `k` leading principal components of the rows of `x` (n x k), and the
/// variance each explains. Randomized subspace iteration with `k + 10` vectors and 4 power
/// iterations; signs are fixed so that each component's largest loading is positive.
pub fn pca(x: ArrayView2<f32>, k: usize) -> (Array2<f32>, Vec<f32>) {
    let Some(s) = subspace(x, k) else {
        return (Array2::zeros((x.nrows(), 0)), Vec::new());
    };
    let Subspace {
        y,
        b,
        vectors,
        values,
        variance,
        k,
        ..
    } = s;
    let l = y.ncols();
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
    (y.dot(&u), variance)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
