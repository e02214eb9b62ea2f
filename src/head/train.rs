//! Training a new classifier head: multinomial logistic regression on the model's raw
//! embeddings (standardised per dimension, the standardisation folded into the weights for
//! export), the train split's samples with the given labels, a validation loss after every
//! optimiser step for the curve.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::dataset::ClassId;
use crate::embedding_store::Embedding;
use crate::jobs::{JobControl, JobError};
use crate::linear::lbfgs::LbfgsOptions;
use crate::linear::{LogRegOptions, SoftmaxModel, fit};

/// Training settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HeadOptions {
    /// Inverse L2 strength on standardised embeddings (scikit-learn's `C`).
    pub c: f64,
    /// Weigh classes by inverse frequency in train (scikit-learn's `class_weight="balanced"`).
    pub balanced: bool,
    /// Optimiser iterations at most.
    pub max_iter: usize,
}

impl Default for HeadOptions {
    fn default() -> Self {
        Self {
            c: 1.0,
            balanced: false,
            max_iter: 200,
        }
    }
}

/// A trained head: `softmax(((x - mean) / std) W + b)` on a raw embedding `x`.
#[derive(Clone, Debug)]
pub struct Head {
    /// The classifier on standardised embeddings.
    pub model: SoftmaxModel,
    /// Per-dimension mean of the training embeddings.
    pub mean: Array1<f32>,
    /// Per-dimension standard deviation (1 where it is 0).
    pub std: Array1<f32>,
}

impl Head {
    /// Weights and intercepts on the raw embedding: the standardisation folded in.
    pub fn folded(&self) -> (Array2<f32>, Array1<f32>) {
        let mut w = self.model.weights.clone();
        for (mut row, s) in w.rows_mut().into_iter().zip(self.std.iter()) {
            row.mapv_inplace(|v| v / s);
        }
        let b = &self.model.bias - &self.mean.dot(&w);
        (w, b)
    }

    /// Probabilities of raw embeddings (rows); none when their dimension is not the head's.
    pub fn probabilities(&self, x: ArrayView2<f32>) -> Array2<f32> {
        if x.ncols() != self.mean.len() {
            return Array2::zeros((0, self.model.classes()));
        }
        self.model.probabilities(self.standardised(x).view())
    }

    fn standardised(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let mut z = x.to_owned();
        z -= &self.mean;
        z /= &self.std;
        z
    }
}

/// One point of the loss curve.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CurvePoint {
    /// Optimiser iteration.
    pub iteration: usize,
    /// Training objective (mean log loss + L2).
    pub train_loss: f64,
    /// Mean log loss on the validation samples.
    pub val_loss: Option<f64>,
}

/// A head and how its training went.
#[derive(Clone, Debug)]
pub struct TrainedHead {
    /// The head.
    pub head: Head,
    /// Loss after every iteration.
    pub curve: Vec<CurvePoint>,
    /// Training samples used.
    pub train_samples: usize,
    /// Whether the optimiser met its tolerance.
    pub converged: bool,
}

/// The model's raw embedding of each sample of a prediction run (`None` where it failed).
pub fn raw_embeddings(outcomes: &[Option<crate::model::SampleOutcome>]) -> Vec<Option<Embedding>> {
    outcomes
        .iter()
        .map(|o| match o {
            Some(crate::model::SampleOutcome::Predicted(p)) => p.embedding.clone(),
            _ => None,
        })
        .collect()
}

/// The rows of `samples` that have an embedding, as a matrix, with their indices.
pub fn gather(embeddings: &[Option<Embedding>], samples: &[usize]) -> (Array2<f32>, Vec<usize>) {
    let have: Vec<usize> = samples
        .iter()
        .copied()
        .filter(|&i| embeddings.get(i).is_some_and(Option::is_some))
        .collect();
    let dim = have
        .first()
        .and_then(|&i| embeddings[i].as_ref())
        .map_or(0, |e| e.len());
    let mut x = Array2::<f32>::zeros((have.len(), dim));
    for (mut row, &i) in x.rows_mut().into_iter().zip(&have) {
        if let Some(e) = &embeddings[i]
            && e.len() == dim
        {
            row.iter_mut()
                .zip(e.iter())
                .for_each(|(v, h)| *v = h.to_f32());
        }
    }
    (x, have)
}

fn mean_log_loss(p: &Array2<f32>, y: &[u32]) -> f64 {
    let n = y.len().max(1) as f64;
    p.rows()
        .into_iter()
        .zip(y)
        .map(|(row, &c)| -f64::from(row[c as usize].max(1e-12)).ln())
        .sum::<f64>()
        / n
}

/// Trains a head on `train` (dataset indices) with `labels`, reporting the validation loss
/// on `val` after every step through `on_step`. Samples without an embedding or a label are
/// skipped (the caller reports them); a class without a training sample is an error naming it.
#[allow(clippy::too_many_arguments)]
pub fn train_head(
    embeddings: &[Option<Embedding>],
    labels: &[Option<ClassId>],
    train: &[usize],
    val: &[usize],
    class_names: &[String],
    opts: &HeadOptions,
    control: &JobControl,
    mut on_step: impl FnMut(&CurvePoint),
) -> Result<TrainedHead, JobError> {
    let classes = class_names.len();
    let labelled = |s: &[usize]| -> Vec<usize> {
        s.iter()
            .copied()
            .filter(|&i| labels.get(i).copied().flatten().is_some())
            .collect()
    };
    let (x, rows) = gather(embeddings, &labelled(train));
    let y: Vec<u32> = rows
        .iter()
        .filter_map(|&i| labels[i].map(|c| c.0))
        .collect();
    let mut counts = vec![0usize; classes];
    for &c in &y {
        counts[c as usize] += 1;
    }
    let missing: Vec<&str> = (0..classes)
        .filter(|&c| counts[c] == 0)
        .map(|c| class_names[c].as_str())
        .collect();
    if rows.is_empty() {
        let n_labelled = labelled(train).len();
        return Err(JobError::Failed(if n_labelled == 0 {
            format!(
                "the training split has no labelled sample ({} samples in it)",
                train.len()
            )
        } else {
            format!(
                "none of the {n_labelled} training samples has an embedding (their images failed to decode)"
            )
        }));
    }
    if !missing.is_empty() {
        return Err(JobError::Failed(format!(
            "no training sample of {}: relabel or include some, or use a larger train split",
            missing.join(", ")
        )));
    }
    let n = x.nrows() as f32;
    let mean = x.sum_axis(Axis(0)) / n;
    let centred = &x - &mean;
    let std = centred.map_axis(Axis(0), |c| {
        let s = (c.dot(&c) / n).sqrt();
        if s > 1e-12 { s } else { 1.0 }
    });
    let z = centred / &std;
    let (xv, val_rows) = gather(embeddings, &labelled(val));
    let yv: Vec<u32> = if xv.ncols() == x.ncols() {
        val_rows
            .iter()
            .filter_map(|&i| labels[i].map(|c| c.0))
            .collect()
    } else {
        Vec::new()
    };
    let zv = if xv.ncols() == x.ncols() {
        (&xv - &mean) / &std
    } else {
        Array2::zeros((0, x.ncols()))
    };
    let class_weights = opts.balanced.then(|| {
        counts
            .iter()
            .map(|&k| y.len() as f64 / (classes as f64 * k.max(1) as f64))
            .collect()
    });
    let logreg = LogRegOptions {
        c: opts.c,
        class_weights,
        lbfgs: LbfgsOptions {
            max_iter: opts.max_iter,
            gtol: 1e-4,
            ftol: 1e-8,
            ..LbfgsOptions::default()
        },
    };
    let mut curve = Vec::new();
    control.begin_stage("training the head", opts.max_iter);
    let fitted = fit(z.view(), &y, classes, &logreg, None, |step| {
        let val_loss =
            (!yv.is_empty()).then(|| mean_log_loss(&step.model().probabilities(zv.view()), &yv));
        let point = CurvePoint {
            iteration: step.iteration,
            train_loss: step.loss,
            val_loss,
        };
        on_step(&point);
        curve.push(point);
        control.add_done(false);
        !control.is_cancelled()
    });
    if fitted.stopped || control.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    Ok(TrainedHead {
        head: Head {
            model: fitted.model,
            mean,
            std,
        },
        curve,
        train_samples: rows.len(),
        converged: fitted.converged,
    })
}
