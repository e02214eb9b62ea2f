//! The embedding drift test by simulation: false alarms over no-shift splits, power under a
//! small shift (a share of a window's rows moved by one standard deviation in some dimensions),
//! and the time of a large reference against a large window.
//!
//! The vectors are shaped like image embeddings rather than noise: a low-rank part (100 latent
//! factors with variances falling as 1/j, carrying 80% of the variance) plus isotropic noise,
//! in 1,280 dimensions, as a CNN's pooled features are (a few directions carry most variance).

use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::Serialize;

use crate::monitor::embedding_drift::{DriftOptions, EmbeddingReference};
use crate::rng::SplitMix;

/// A generator of embedding-shaped vectors.
pub struct Shaped {
    /// Loadings, latent x dim, each factor scaled by its standard deviation.
    loadings: Array2<f32>,
    noise_sd: f32,
    /// Each dimension's standard deviation.
    pub sd: Vec<f32>,
}

impl Shaped {
    /// The generator in `dim` dimensions (seeded).
    pub fn new(dim: usize, seed: u64) -> Self {
        let latent = 100.min(dim);
        let mut rng = SplitMix::new(seed);
        let harmonic: f64 = (1..=latent).map(|j| 1.0 / j as f64).sum();
        // Total variance `dim`: 80% in the factors, 20% noise.
        let loadings = Array2::from_shape_fn((latent, dim), |(j, _)| {
            let var = 0.8 * dim as f64 / (harmonic * (j + 1) as f64);
            (rng.normal() * (var / dim as f64).sqrt()) as f32
        });
        let noise_sd = 0.2f32.sqrt();
        let sd = loadings
            .axis_iter(Axis(1))
            .map(|c| (c.dot(&c) + noise_sd * noise_sd).sqrt())
            .collect();
        Self {
            loadings,
            noise_sd,
            sd,
        }
    }

    /// `n` vectors (rows), seeded.
    pub fn draw(&self, n: usize, seed: u64) -> Array2<f32> {
        let (latent, dim) = self.loadings.dim();
        let mut rng = SplitMix::new(seed);
        let z = Array2::from_shape_fn((n, latent), |_| rng.normal() as f32);
        let mut x = z.dot(&self.loadings);
        let noise_sd = self.noise_sd;
        if let Some(values) = x.as_slice_mut() {
            values.par_chunks_mut(dim).enumerate().for_each(|(i, row)| {
                let mut r = SplitMix::new(seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9));
                row.iter_mut()
                    .for_each(|v| *v += noise_sd * r.normal() as f32);
            });
        }
        debug_assert_eq!(x.ncols(), dim);
        x
    }
}

/// One setting's rejection rate.
#[derive(Clone, Debug, Serialize)]
pub struct DriftPowerRow {
    /// What the window is: `no shift` or the shift.
    pub setting: String,
    /// Reference rows (fitting + test part).
    pub reference_n: usize,
    /// Window rows.
    pub window_n: usize,
    /// Trials.
    pub trials: usize,
    /// Share of trials the embedding test (MMD and novel rows, Bonferroni) rejected at `alpha`.
    pub rejected: f64,
    /// Share the MMD test alone rejected.
    pub mmd_rejected: f64,
    /// Share the novel-rows test alone rejected.
    pub novel_rejected: f64,
    /// Mean domain-classifier AUC.
    pub mean_auc: f64,
}

/// Moves `share` of the rows of `x` by one standard deviation in `dims` dimensions (the first
/// rows and a seeded choice of dimensions).
pub fn shift_rows(x: &mut Array2<f32>, sd: &[f32], share: f64, dims: usize, seed: u64) {
    let mut rng = SplitMix::new(seed);
    let mut order: Vec<usize> = (0..x.ncols()).collect();
    for i in 0..dims.min(order.len()) {
        let j = i + rng.below((order.len() - i) as u64) as usize;
        order.swap(i, j);
    }
    let rows = (share * x.nrows() as f64).round() as usize;
    for mut row in x.axis_iter_mut(Axis(0)).take(rows) {
        for &d in &order[..dims.min(order.len())] {
            row[d] += sd[d];
        }
    }
}

/// False alarms (`share` 0) or power: `trials` times, a fresh reference of `reference_n` rows
/// and a window of `window_n` from the same generator, the window shifted.
pub fn rejection_rate(
    shaped: &Shaped,
    reference_n: usize,
    window_n: usize,
    (share, dims): (f64, usize),
    trials: usize,
    alpha: f64,
) -> DriftPowerRow {
    let opts = DriftOptions::default();
    let (mut rejected, mut mmd, mut novel, mut auc) = (0usize, 0usize, 0usize, 0.0f64);
    for t in 0..trials {
        let seed = 0xD21F_0000 + t as u64;
        let reference = shaped.draw(reference_n, seed);
        let mut window = shaped.draw(window_n, seed ^ 0xFFFF_0000);
        if share > 0.0 {
            shift_rows(&mut window, &shaped.sd, share, dims, seed);
        }
        let opts = DriftOptions {
            seed: opts.seed ^ seed,
            ..opts.clone()
        };
        let Some(r) = EmbeddingReference::fit(reference.view(), &opts) else {
            continue;
        };
        if let Some(test) = r.test(window.view()) {
            rejected += usize::from(test.p_value < alpha);
            mmd += usize::from(test.mmd_p_value < alpha);
            novel += usize::from(test.novel_p_value < alpha);
            auc += test.domain_auc.unwrap_or(0.5);
        }
    }
    DriftPowerRow {
        setting: if share > 0.0 {
            format!("{:.0}% of rows +1 SD in {dims} dims", share * 100.0)
        } else {
            "no shift".into()
        },
        reference_n,
        window_n,
        trials,
        rejected: rejected as f64 / trials as f64,
        mmd_rejected: mmd as f64 / trials as f64,
        novel_rejected: novel as f64 / trials as f64,
        mean_auc: auc / trials as f64,
    }
}

/// The time of one test at scale.
#[derive(Clone, Debug, Serialize)]
pub struct DriftScale {
    /// Reference rows.
    pub reference_n: usize,
    /// Window rows.
    pub window_n: usize,
    /// Dimensions.
    pub dim: usize,
    /// Fitting the reference side (split, PCA, projection, features).
    pub fit_secs: f64,
    /// Testing the window (projection, features, permutations, classifier).
    pub test_secs: f64,
    /// The confidence KS test between reference and window of the same sizes.
    pub ks_secs: f64,
    /// The window's p-value (no shift).
    pub p_value: f64,
}

/// Times the reference fit and one window's test on generated vectors.
pub fn scale(shaped: &Shaped, reference_n: usize, window_n: usize) -> DriftScale {
    let reference = shaped.draw(reference_n, 1);
    let window = shaped.draw(window_n, 2);
    let t = Instant::now();
    let fitted = EmbeddingReference::fit(reference.view(), &DriftOptions::default());
    let fit_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let p_value = fitted
        .as_ref()
        .and_then(|r| r.test(window.view()))
        .map_or(f64::NAN, |r| r.p_value);
    let test_secs = t.elapsed().as_secs_f64();
    let (a, b) = (first_column(reference.view()), first_column(window.view()));
    let t = Instant::now();
    let _ = crate::monitor::ks::ks_2samp(&a, &b);
    DriftScale {
        reference_n,
        window_n,
        dim: reference.ncols(),
        fit_secs,
        test_secs,
        ks_secs: t.elapsed().as_secs_f64(),
        p_value,
    }
}

/// A confidence-like value per row (a squashed first coordinate) for timing the KS test.
fn first_column(x: ArrayView2<f32>) -> Vec<f32> {
    x.column(0)
        .iter()
        .map(|v| 1.0 / (1.0 + (-v).exp()))
        .collect()
}
