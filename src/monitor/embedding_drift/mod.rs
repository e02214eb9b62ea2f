//! Drift in what the images look like: a window's embeddings against the reference's, by the
//! maximum mean discrepancy (MMD) with a Gaussian kernel and a permutation test, by the share of
//! novel rows (far from the reference's principal subspace), and by how well a classifier tells
//! them apart (domain-classifier AUC). The embedding p-value is twice the smaller of the MMD's
//! and the novel rows' (Bonferroni).
//!
//! - **Projection:** the reference is split at random (seeded) into a fitting part (at most
//!   [`DriftOptions::fit_rows`]) and a test part. The principal directions are fitted on the
//!   fitting part only, and every projected coordinate is scaled to unit variance there; the
//!   samples tested (the test part and the window) never shape the projection (Rabanser et al.,
//!   "Failing Loudly", NeurIPS 2019).
//! - **MMD in linear time and memory:** the Gaussian kernel (bandwidth: the median distance
//!   between fitting points) is approximated by random Fourier features (Rahimi and Recht 2007),
//!   so MMD² is the squared distance between the two samples' mean feature vectors. A
//!   permutation re-draws which pooled rows form the window and sums only those rows: time
//!   `permutations x min(n, m) x features`, memory linear in rows, never `(n + m)²`.
//! - **p-value:** `(1 + #{permuted >= observed}) / (1 + permutations)`, exact for a permutation
//!   test (Phipson and Smyth 2010); each permutation has its own seed, so the answer does not
//!   depend on the number of threads.
//! - **Novel rows:** each row's reconstruction error (squared distance to the principal
//!   subspace, as NannyML's multivariate drift); a row is novel beyond the 99th percentile on
//!   one half of the test part. The window's share of novel rows against the other half's, by a
//!   one-sided
//!   chi-square test of homogeneity on the 2 x 2 counts. It finds a few rows moved off the
//!   subspace, which the MMD on the leading directions cannot see.
//! - **Domain classifier:** a logistic regression (the crate's L-BFGS fit, scikit-learn's `C`
//!   = 1) on the projected coordinates, reference test part against window (at most
//!   [`DriftOptions::classifier_rows`] each), trained on one half and scored on the other and
//!   the reverse; the AUC of the held-out scores. 0.5 means the two cannot be told apart.
//!
//! Checked against a NumPy implementation of the same features and an exact-kernel permutation
//! test (`scripts/make_monitor_reference.py`, tests/core/monitor.rs); false alarms and power in
//! `labelscope bench --suite monitor`.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

mod domain;
mod mmd;

pub use domain::{auc, domain_auc};
pub use mmd::{RandomFeatures, mmd2, permutation_p_value};

use crate::embed::pca::{PcaBasis, pca_basis};
use crate::rng::SplitMix;

/// How the embedding test is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftOptions {
    /// Principal directions kept.
    pub components: usize,
    /// Random Fourier features approximating the kernel.
    pub features: usize,
    /// Permutations of the test.
    pub permutations: usize,
    /// Largest fitting part of the reference (at most half of it).
    pub fit_rows: usize,
    /// Largest sample per side for the MMD test.
    pub test_rows: usize,
    /// Largest sample per side for the domain classifier.
    pub classifier_rows: usize,
    /// Principal directions the reconstruction error (novel rows) leaves out.
    pub novelty_components: usize,
    /// Largest sample per side for the novel-rows test.
    pub novelty_rows: usize,
    /// Seed of the split, the features and the permutations.
    pub seed: u64,
}

impl Default for DriftOptions {
    fn default() -> Self {
        Self {
            components: 32,
            features: 256,
            permutations: 500,
            fit_rows: 2_000,
            test_rows: 10_000,
            classifier_rows: 2_000,
            novelty_components: 128,
            novelty_rows: 5_000,
            seed: 0x5EED_D21F,
        }
    }
}

/// The reference quantile of the reconstruction error beyond which a row counts as novel.
pub const NOVEL_QUANTILE: f64 = 0.99;

/// The fewest rows a side needs for a test.
pub const MIN_ROWS: usize = 10;

/// One window's embedding test.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct EmbeddingTest {
    /// MMD² between window and reference test part (random-feature estimate).
    pub mmd2: f64,
    /// The MMD permutation test's p-value.
    pub mmd_p_value: f64,
    /// The novel-rows test's p-value: the share of rows far from the projection's subspace.
    pub novel_p_value: f64,
    /// Share of the window's rows whose reconstruction error exceeds the reference's 99th
    /// percentile (about 1% when nothing changed).
    pub novel_share: f64,
    /// The embedding family's p-value: twice the smaller of the two (Bonferroni).
    pub p_value: f64,
    /// Held-out AUC of the domain classifier (0.5: indistinguishable).
    pub domain_auc: Option<f64>,
    /// Window rows with an embedding.
    pub rows: usize,
}

/// The reference side of the embedding test, fitted once and used for every window.
#[derive(Clone, Debug)]
pub struct EmbeddingReference {
    /// The leading `components` directions (the MMD's space).
    basis: PcaBasis,
    /// The leading `novelty_components` directions (the reconstruction error's subspace).
    basis_full: PcaBasis,
    /// Per direction, 1 / its standard deviation on the fitting part.
    scale: Vec<f32>,
    /// The fitting part, projected and scaled (novelty is the distance to it).
    fit: Array2<f32>,
    /// The test part, projected and scaled.
    test: Array2<f32>,
    /// The test part's random features.
    test_features: Array2<f32>,
    /// The 99th percentile of the reconstruction error on the first half of the test part
    /// (never the fitting part: its own rows lie closer to the subspace fitted on them).
    novel_threshold: f64,
    /// The second half of the test part: its rows above the threshold, and its rows.
    novel_counts: [u64; 2],
    features: RandomFeatures,
    /// The kernel bandwidth (median distance between fitting points).
    pub bandwidth: f32,
    opts: DriftOptions,
}

impl EmbeddingReference {
    /// Fits the projection and the kernel on part of `reference` (rows: samples); `None` with
    /// fewer than `2 * MIN_ROWS` rows.
    pub fn fit(reference: ArrayView2<f32>, opts: &DriftOptions) -> Option<Self> {
        let n = reference.nrows();
        if n < 2 * MIN_ROWS {
            return None;
        }
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = SplitMix::new(opts.seed);
        for i in (1..n).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let fit_n = opts.fit_rows.min(n / 2).max(MIN_ROWS);
        let fit_raw = reference.select(Axis(0), &order[..fit_n]);
        let basis_full = pca_basis(fit_raw.view(), opts.components.max(opts.novelty_components))?;
        let k = opts.components.min(basis_full.components.ncols());
        let basis = PcaBasis {
            mean: basis_full.mean.clone(),
            components: basis_full.components.slice(ndarray::s![.., ..k]).to_owned(),
            variance: basis_full.variance[..k].to_vec(),
        };
        let scale: Vec<f32> = basis
            .variance
            .iter()
            .map(|&v| if v > 1e-12 { 1.0 / v.sqrt() } else { 0.0 })
            .collect();
        let mut this = Self {
            basis,
            basis_full,
            scale,
            fit: Array2::zeros((0, 0)),
            test: Array2::zeros((0, 0)),
            test_features: Array2::zeros((0, 0)),
            novel_threshold: 0.0,
            novel_counts: [0, 0],
            features: RandomFeatures::new(0, 0, 1.0, 0),
            bandwidth: 1.0,
            opts: opts.clone(),
        };
        this.fit = this.whiten(fit_raw.view());
        this.bandwidth = median_distance(this.fit.view(), opts.seed);
        this.features = RandomFeatures::new(
            this.fit.ncols(),
            opts.features,
            this.bandwidth,
            opts.seed ^ 0xFEA7,
        );
        // The test part is in random order, so its first rows are a random sample of it: only
        // the rows a test uses are copied (memory bounded by the caps, not the reference).
        let test = &order[fit_n..];
        let mmd_rows = &test[..test.len().min(opts.test_rows)];
        this.test = this.whiten(reference.select(Axis(0), mmd_rows).view());
        this.test_features = this.features.map(this.test.view());
        // Its first half sets the novelty threshold; its second half is what the window's share
        // of novel rows is compared with.
        let half = test.len() / 2;
        let cap = opts.novelty_rows;
        let first = reference.select(Axis(0), &test[..half.min(cap)]);
        let errors = this.reconstruction_errors(first.view());
        this.novel_threshold = super::stats::quantile(&errors, NOVEL_QUANTILE)?;
        let second = reference.select(Axis(0), &test[half..(half + cap).min(test.len())]);
        this.novel_counts = this.novel_count(second.view());
        Some(this)
    }

    /// Rows projected on the fitted directions and scaled to unit variance.
    pub fn whiten(&self, rows: ArrayView2<f32>) -> Array2<f32> {
        let mut p = self.basis.project(rows);
        p.rows_mut().into_iter().for_each(|mut r| {
            r.iter_mut().zip(&self.scale).for_each(|(v, s)| *v *= s);
        });
        p
    }

    /// Each row's squared distance to the fitted subspace (the PCA reconstruction error, as
    /// NannyML's multivariate drift measures it): `|x - mean|² - |Vᵀ (x - mean)|²`.
    fn reconstruction_errors(&self, rows: ArrayView2<f32>) -> Vec<f32> {
        let scores = self.basis_full.project(rows);
        rows.rows()
            .into_iter()
            .zip(scores.rows())
            .map(|(x, s)| {
                let centred: f32 = x
                    .iter()
                    .zip(&self.basis_full.mean)
                    .map(|(v, m)| (v - m) * (v - m))
                    .sum();
                (centred - s.dot(&s)).max(0.0)
            })
            .collect()
    }

    /// Rows of `rows` (at most `novelty_rows`, spread evenly) whose reconstruction error
    /// exceeds the reference's threshold, and the rows counted.
    fn novel_count(&self, rows: ArrayView2<f32>) -> [u64; 2] {
        let errors = self.reconstruction_errors(spread(rows, self.opts.novelty_rows).view());
        let above = errors
            .iter()
            .filter(|&&e| f64::from(e) > self.novel_threshold)
            .count() as u64;
        [above, errors.len() as u64]
    }

    /// Rows of the reference's test part.
    pub fn test_rows(&self) -> usize {
        self.test.nrows()
    }

    /// The test of `window` (raw embeddings, one row per image); `None` with fewer than
    /// [`MIN_ROWS`] rows.
    pub fn test(&self, window: ArrayView2<f32>) -> Option<EmbeddingTest> {
        if window.nrows() < MIN_ROWS || self.test.nrows() < MIN_ROWS {
            return None;
        }
        let w = self.whiten(spread(window, self.opts.test_rows).view());
        let wf = self.features.map(w.view());
        let seed = self.opts.seed ^ window.nrows() as u64;
        let mmd_p_value = permutation_p_value(
            self.test_features.view(),
            wf.view(),
            self.opts.permutations,
            seed,
        );
        // Novel rows: the share beyond the reference's 99th percentile of the reconstruction
        // error, window against the reference's test part (chi-square homogeneity, 2 x 2).
        let [w_above, w_n] = self.novel_count(window);
        let [r_above, r_n] = self.novel_counts;
        let novel_p_value = super::stats::chi_square_homogeneity(
            &[r_n - r_above, r_above],
            &[w_n - w_above, w_above],
        )
        .filter(|_| w_above * r_n > r_above * w_n)
        .map_or(1.0, |(_, p, _)| p / 2.0);
        Some(EmbeddingTest {
            mmd2: mmd2(self.test_features.view(), wf.view()),
            mmd_p_value,
            novel_p_value,
            novel_share: w_above as f64 / w_n.max(1) as f64,
            p_value: (2.0 * mmd_p_value.min(novel_p_value)).min(1.0),
            domain_auc: domain_auc(self.test.view(), w.view(), self.opts.classifier_rows, seed),
            rows: window.nrows(),
        })
    }

    /// How far each row of `window` (raw embeddings) lies from the reference: the distance, in
    /// the scaled projection, to its nearest fitting point.
    pub fn novelty(&self, window: ArrayView2<f32>) -> Vec<f32> {
        let w = self.whiten(window);
        let fit_norms: Vec<f32> = self.fit.rows().into_iter().map(|r| r.dot(&r)).collect();
        w.rows()
            .into_iter()
            .collect::<Vec<_>>()
            .par_iter()
            .map(|q| {
                let qn = q.dot(q);
                let dots = self.fit.dot(q);
                dots.iter()
                    .zip(&fit_norms)
                    .map(|(d, n)| (qn + n - 2.0 * d).max(0.0))
                    .fold(f32::INFINITY, f32::min)
                    .sqrt()
            })
            .collect()
    }
}

/// At most `cap` rows of `rows`, evenly spaced (a window's rows are in time order).
fn spread(rows: ArrayView2<f32>, cap: usize) -> Array2<f32> {
    let step = rows.nrows().div_ceil(cap.max(1)).max(1);
    let picked: Vec<usize> = (0..rows.nrows()).step_by(step).collect();
    rows.select(Axis(0), &picked)
}

/// The median distance between up to 2,000 random pairs of rows.
fn median_distance(x: ArrayView2<f32>, seed: u64) -> f32 {
    let n = x.nrows();
    let mut rng = SplitMix::new(seed ^ 0xB4D);
    let mut d: Vec<f32> = (0..2_000)
        .filter_map(|_| {
            let (i, j) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
            (i != j).then(|| {
                let diff = &x.row(i) - &x.row(j);
                diff.dot(&diff).sqrt()
            })
        })
        .collect();
    d.sort_by(f32::total_cmp);
    d.get(d.len() / 2)
        .copied()
        .filter(|v| *v > 0.0)
        .unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian(n: usize, dim: usize, shift: f32, seed: u64) -> Array2<f32> {
        let mut rng = SplitMix::new(seed);
        Array2::from_shape_fn((n, dim), |(_, c)| {
            rng.normal() as f32 + if c < 4 { shift } else { 0.0 }
        })
    }

    #[test]
    fn the_same_distribution_passes_and_a_shifted_one_fails() {
        let opts = DriftOptions {
            components: 8,
            ..DriftOptions::default()
        };
        let reference = EmbeddingReference::fit(gaussian(1_000, 16, 0.0, 1).view(), &opts).unwrap();
        let same = reference.test(gaussian(300, 16, 0.0, 2).view()).unwrap();
        let moved = reference.test(gaussian(300, 16, 0.6, 3).view()).unwrap();
        assert!(same.p_value > 0.05, "{same:?}");
        assert!(moved.p_value < 0.01, "{moved:?}");
        let (a, b) = (same.domain_auc.unwrap(), moved.domain_auc.unwrap());
        assert!(a < 0.58 && b > 0.62, "{a} {b}");
    }

    #[test]
    fn novel_rows_lie_further_from_the_reference() {
        let reference =
            EmbeddingReference::fit(gaussian(400, 8, 0.0, 4).view(), &DriftOptions::default())
                .unwrap();
        let mut rows = gaussian(2, 8, 0.0, 5);
        rows.row_mut(1).fill(12.0);
        let n = reference.novelty(rows.view());
        assert!(n[1] > 2.0 * n[0], "{n:?}");
    }

    #[test]
    fn auc_counts_ties_as_a_half() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[0, 0, 1, 1]), 0.75);
        assert_eq!(auc(&[0.5, 0.5], &[0, 1]), 0.5);
    }
}
