//! Closing the loop: a new linear classifier head trained on the model's own embeddings with the
//! cleaned labels, compared on the same held-out samples with the original model and with a
//! head trained on the original labels (what cleaning bought), and written as one deployable
//! ONNX file ([`onnx`]).

pub mod onnx;
pub mod run;
pub mod train;

pub use run::HeadError;
pub use train::{CurvePoint, Head, HeadOptions, TrainedHead, gather, raw_embeddings, train_head};

use crate::curation::CurationState;
use crate::dataset::{ClassId, Dataset};
use crate::embedding_store::Embedding;
use crate::eval::{Entry, Metrics, Predicted, Prediction, PredictionSet, compute_metrics};
use crate::export::{PlanOptions, Split, plan_export};

/// Which samples train and which validate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeadSplit {
    /// Train samples after cleaning (excluded samples left out).
    pub train: Vec<usize>,
    /// Validation samples (excluded samples left out), with the cleaned labels.
    pub val: Vec<usize>,
    /// Excluded samples outside validation: the original-labels head trains on them too.
    pub excluded: Vec<usize>,
}

/// The export's split (stratified, seeded, duplicate groups kept together, or the dataset's
/// own with `keep_splits`) of the cleaned dataset.
pub fn head_split(
    ds: &Dataset,
    edits: &CurationState,
    groups: &[Vec<usize>],
    opts: &PlanOptions,
) -> HeadSplit {
    let plan = plan_export(ds, edits, groups, opts);
    let mut split = HeadSplit::default();
    for r in plan.rows.iter().filter(|r| r.copy == 0) {
        match r.split {
            Split::Train => split.train.push(r.sample),
            Split::Val => split.val.push(r.sample),
            Split::Test => {}
        }
    }
    split.excluded = plan.excluded.iter().map(|(i, _)| *i).collect();
    split
}

/// A head's predictions on `samples`, as a prediction set over the whole dataset.
pub fn head_predictions(
    name: &str,
    head: &Head,
    embeddings: &[Option<Embedding>],
    samples: &[usize],
    n: usize,
) -> PredictionSet {
    let (x, rows) = gather(embeddings, samples);
    let mut set = PredictionSet::empty(name, "trained by labelscope", n);
    let p = head.probabilities(x.view());
    for (row, &i) in p.rows().into_iter().zip(&rows) {
        let (best, conf) = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
            .map_or((0, 0.0), |(c, &v)| (c, v));
        set.entries[i] = Entry::Predicted(Prediction {
            predicted: Predicted::Class(ClassId(best as u32)),
            confidence: Some(conf),
            probs: Some(row.to_vec()),
            raw: None,
            latency_ms: None,
            model_top: Vec::new(),
        });
    }
    set
}

/// Metrics of `set` on `samples` only, against `labels`.
pub fn metrics_on(
    ds: &Dataset,
    labels: &[Option<ClassId>],
    set: &PredictionSet,
    samples: &[usize],
) -> Metrics {
    let mut truth = vec![None; ds.samples.len()];
    for &i in samples {
        truth[i] = labels.get(i).copied().flatten();
    }
    let mut subset = PredictionSet::empty(&set.name, &set.source, ds.samples.len());
    for &i in samples {
        if let Some(e) = set.entries.get(i) {
            subset.entries[i] = e.clone();
        }
    }
    compute_metrics(&ds.classes, &truth, &subset)
}
