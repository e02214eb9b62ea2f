//! The linear probe: out-of-sample probabilities for every sample from multinomial logistic
//! regressions on the embeddings, one per stratified fold, each predicting the fold it did not
//! see (the cross-validated probabilities confident learning was designed for; Northcutt et
//! al., JAIR 2021). Features are the L2-normalised embeddings standardised per dimension (no
//! labels are used, so nothing leaks between folds), laid out fold by fold so that each fold's
//! training rows are two slices of one matrix, never copied. A relabel warm-starts every fold
//! from its previous weights with the same folds, which converges in a few iterations.

use ndarray::{Array2, Axis, s};

use crate::embed::EmbeddingSet;
use crate::jobs::{JobControl, JobError};
use crate::linear::lbfgs::LbfgsOptions;
use crate::linear::{LogRegOptions, SoftmaxModel, fit_rows, stratified_folds};

/// Probe settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeOptions {
    /// Folds (at least 2).
    pub folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Inverse regularisation strength on standardised features (scikit-learn's `C`).
    pub c: f64,
    /// Optimiser iterations per fold at most.
    pub max_iter: usize,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            folds: 5,
            seed: 42,
            c: 0.01,
            max_iter: 300,
        }
    }
}

/// What a probe run leaves for the next one (a warm start after a relabel).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeState {
    /// The samples, in row order.
    pub samples: Vec<u32>,
    /// Each row's fold.
    pub folds: Vec<usize>,
    /// One model per fold.
    pub models: Vec<SoftmaxModel>,
    /// The options it was run with.
    pub opts: ProbeOptions,
}

/// Out-of-fold probabilities.
#[derive(Clone, Debug)]
pub struct ProbeOutput {
    /// Rows x classes, in the order of the samples given.
    pub probs: Array2<f32>,
    /// For a warm start.
    pub state: ProbeState,
    /// Folds whose optimiser did not meet its tolerance within the iteration limit.
    pub unconverged: usize,
}

/// The probe's features of `samples` (dataset indices with a row in `set`), in that order:
/// standardised per dimension.
pub fn probe_features(set: &EmbeddingSet, samples: &[usize]) -> Array2<f32> {
    let mut x = Array2::<f32>::zeros((samples.len(), set.dim));
    for (mut row, &s) in x.rows_mut().into_iter().zip(samples) {
        if let Some(v) = set.of_sample(s) {
            row.as_slice_mut()
                .expect("a fresh matrix is contiguous")
                .copy_from_slice(&v);
        }
    }
    let n = x.nrows().max(1) as f32;
    let mean = x.sum_axis(Axis(0)) / n;
    x -= &mean;
    let std = x.map_axis(Axis(0), |c| (c.dot(&c) / n).sqrt());
    for mut row in x.rows_mut() {
        row.iter_mut()
            .zip(&std)
            .for_each(|(v, s)| *v = if *s > 1e-12 { *v / s } else { 0.0 });
    }
    x
}

/// Out-of-fold probabilities of `samples` (dataset indices with a row in `set`) with labels
/// `y` (below `classes`), in the order of `samples`. `warm`, when it was run on the same
/// samples with the same options, gives the folds and the starting weights. Reports each fold
/// on `control` and stops when it is cancelled.
pub fn out_of_fold(
    set: &EmbeddingSet,
    samples: &[usize],
    y: &[u32],
    classes: usize,
    opts: &ProbeOptions,
    warm: Option<&ProbeState>,
    control: &JobControl,
) -> Result<ProbeOutput, JobError> {
    let ids: Vec<u32> = samples.iter().map(|&s| s as u32).collect();
    let warm = warm.filter(|w| w.samples == ids && w.opts == *opts);
    let k = opts.folds.max(2);
    let folds = match warm {
        Some(w) => w.folds.clone(),
        None => stratified_folds(y, k, opts.seed),
    };
    // Rows fold by fold: fold f is rows starts[f]..starts[f + 1].
    let mut order: Vec<usize> = (0..samples.len()).collect();
    order.sort_by_key(|&r| folds[r]);
    let mut starts = vec![0; k + 1];
    for &f in &folds {
        starts[f + 1] += 1;
    }
    for f in 0..k {
        starts[f + 1] += starts[f];
    }
    control.begin_stage("probe features", 1);
    let ordered: Vec<usize> = order.iter().map(|&r| samples[r]).collect();
    let x = probe_features(set, &ordered);
    let yo: Vec<u32> = order.iter().map(|&r| y[r]).collect();
    let logreg = LogRegOptions {
        c: opts.c,
        class_weights: None,
        lbfgs: LbfgsOptions {
            max_iter: opts.max_iter,
            gtol: 1e-4,
            ftol: 1e-7,
            ..LbfgsOptions::default()
        },
    };
    let mut probs = Array2::<f32>::zeros((samples.len(), classes));
    let mut models = Vec::with_capacity(k);
    let mut unconverged = 0;
    control.begin_stage("linear probe", k);
    for f in 0..k {
        let (lo, hi) = (starts[f], starts[f + 1]);
        let train = [0..lo, hi..x.nrows()];
        let init = warm.and_then(|w| w.models.get(f));
        let fitted = fit_rows(x.view(), &yo, &train, classes, &logreg, init, |_| {
            !control.is_cancelled()
        });
        if fitted.stopped || control.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        unconverged += usize::from(!fitted.converged);
        let p = fitted.model.probabilities(x.slice(s![lo..hi, ..]));
        for (row, &r) in p.rows().into_iter().zip(&order[lo..hi]) {
            probs.row_mut(r).assign(&row);
        }
        models.push(fitted.model);
        control.add_done(false);
    }
    Ok(ProbeOutput {
        probs,
        state: ProbeState {
            samples: ids,
            folds,
            models,
            opts: opts.clone(),
        },
        unconverged,
    })
}
