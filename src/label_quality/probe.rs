//! The linear probe: out-of-sample probabilities for every sample from multinomial logistic
//! regressions on the embeddings, one per stratified fold, each predicting the fold it did not
//! see (the cross-validated probabilities confident learning was designed for; Northcutt et
//! al., JAIR 2021). Features are the L2-normalised embeddings standardised per dimension; large
//! sets are first projected on their leading principal components (no labels are used for
//! either, so nothing leaks between folds). A relabel warm-starts every fold from its previous
//! weights with the same folds, which converges in a few iterations.

use ndarray::{Array2, ArrayView2, Axis};

use crate::embed::EmbeddingSet;
use crate::jobs::{JobControl, JobError};
use crate::linear::lbfgs::LbfgsOptions;
use crate::linear::{LogRegOptions, SoftmaxModel, fit, stratified_folds};

/// Probe settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeOptions {
    /// Folds (at least 2).
    pub folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Inverse regularisation strength on standardised features (scikit-learn's `C`).
    pub c: f64,
    /// Above this many values (rows x dimensions) the features are projected on
    /// `reduced_dim` principal components first.
    pub reduce_above: usize,
    /// Dimensions kept by that projection.
    pub reduced_dim: usize,
    /// Optimiser iterations per fold at most.
    pub max_iter: usize,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            folds: 5,
            seed: 42,
            c: 0.01,
            reduce_above: 40_000_000,
            reduced_dim: 256,
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

/// The probe's features of `samples` (rows of `set`): standardised per dimension, projected on
/// principal components first when the matrix is large.
pub fn probe_features(set: &EmbeddingSet, samples: &[usize], opts: &ProbeOptions) -> Array2<f32> {
    let sub = set.subset(samples);
    let x = ArrayView2::from_shape((sub.len(), sub.dim), &sub.data).expect("rows x dim values");
    let mut x = if sub.len() * sub.dim > opts.reduce_above && sub.dim > opts.reduced_dim {
        crate::embed::pca::pca(x, opts.reduced_dim).0
    } else {
        x.to_owned()
    };
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

/// Out-of-fold probabilities of every row of `x` with labels `y` (below `classes`). `warm`,
/// when it was run on the same samples with the same options, gives the folds and the starting
/// weights. Reports each fold on `control` and stops when it is cancelled.
pub fn out_of_fold(
    x: ArrayView2<f32>,
    samples: &[u32],
    y: &[u32],
    classes: usize,
    opts: &ProbeOptions,
    warm: Option<&ProbeState>,
    control: &JobControl,
) -> Result<ProbeOutput, JobError> {
    let warm = warm.filter(|w| w.samples == samples && w.opts == *opts);
    let k = opts.folds.max(2);
    let folds = match warm {
        Some(w) => w.folds.clone(),
        None => stratified_folds(y, k, opts.seed),
    };
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
    let mut probs = Array2::<f32>::zeros((x.nrows(), classes));
    let mut models = Vec::with_capacity(k);
    let mut unconverged = 0;
    control.begin_stage("linear probe", k);
    for f in 0..k {
        let (train, held): (Vec<usize>, Vec<usize>) = (0..x.nrows()).partition(|&r| folds[r] != f);
        let xt = x.select(Axis(0), &train);
        let yt: Vec<u32> = train.iter().map(|&r| y[r]).collect();
        let init = warm.and_then(|w| w.models.get(f));
        let fitted = fit(xt.view(), &yt, classes, &logreg, init, |_, _| {
            !control.is_cancelled()
        });
        if fitted.stopped || control.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        unconverged += usize::from(!fitted.converged);
        let p = fitted.model.probabilities(x.select(Axis(0), &held).view());
        for (row, &r) in p.rows().into_iter().zip(&held) {
            probs.row_mut(r).assign(&row);
        }
        models.push(fitted.model);
        control.add_done(false);
    }
    Ok(ProbeOutput {
        probs,
        state: ProbeState {
            samples: samples.to_vec(),
            folds,
            models,
            opts: opts.clone(),
        },
        unconverged,
    })
}
