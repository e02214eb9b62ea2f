//! The whole "train a head" step, shared by `labelscope train` and the window: the split, the
//! head on the cleaned labels, optionally one on the original labels, the three rows of the
//! before/after table on the same validation samples, and writing the deployable model.

use std::path::Path;

use super::{HeadOptions, HeadSplit, TrainedHead, head_predictions, head_split, metrics_on};
use crate::curation::{CurationState, effective_labels};
use crate::dataset::Dataset;
use crate::embedding_store::Embedding;
use crate::eval::{Metrics, PredictionSet};
use crate::export::PlanOptions;
use crate::jobs::{JobControl, JobError};
use crate::model::LoadedModel;
use crate::model::spec::{EmbeddingSpec, LabelsSpec, OutputKind};

/// What to train.
#[derive(Clone, Debug)]
pub struct TrainRequest {
    /// The head's settings.
    pub head: HeadOptions,
    /// The split (the export's options: validation fraction, seed, keep the dataset's split).
    pub plan: PlanOptions,
    /// Also train on the original labels.
    pub compare_original_labels: bool,
}

/// What training gave.
#[derive(Clone, Debug)]
pub struct TrainOutcome {
    /// The split.
    pub split: HeadSplit,
    /// The head on the cleaned labels.
    pub cleaned: TrainedHead,
    /// The head on the original labels, when asked for.
    pub original: Option<TrainedHead>,
    /// Rows of the table: name and metrics on the validation samples with the cleaned labels
    /// (the original model first).
    pub rows: Vec<(String, Metrics)>,
    /// Samples relabeled and excluded by the edits.
    pub relabeled: usize,
    /// Samples excluded.
    pub excluded: usize,
    /// Seconds training the cleaned head.
    pub seconds: f64,
    /// Train or validation samples left out for want of an embedding (failed decodes).
    pub without_embedding: usize,
}

/// Fails unless the labels (`None` = excluded) leave at least two classes with samples: a head
/// of one class would report 100% on anything.
fn check_trainable(
    ds: &Dataset,
    labels: &[Option<crate::dataset::ClassId>],
) -> Result<(), JobError> {
    let included = labels.iter().flatten().count();
    if included == 0 {
        return Err(JobError::Failed(format!(
            "nothing to train on: all {} samples are excluded by edits (include some again)",
            labels.len()
        )));
    }
    let mut classes: Vec<_> = labels.iter().flatten().copied().collect();
    classes.sort_unstable();
    classes.dedup();
    if let [only] = classes.as_slice() {
        return Err(JobError::Failed(format!(
            "a classifier head needs samples of at least two classes; all {included} included samples are `{}`",
            ds.class_name(*only)
        )));
    }
    Ok(())
}

/// Trains and compares. `embeddings` are the model's raw embeddings per sample, `preds` its
/// predictions; `on_step(which, point)` reports each optimiser step (`which`: 0 cleaned, 1
/// original).
pub fn train_and_compare(
    ds: &Dataset,
    edits: &CurationState,
    embeddings: &[Option<Embedding>],
    preds: &PredictionSet,
    req: &TrainRequest,
    control: &JobControl,
    mut on_step: impl FnMut(usize, &super::CurvePoint),
) -> Result<TrainOutcome, JobError> {
    let cleaned_labels = effective_labels(ds, edits);
    let original_labels: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
    check_trainable(ds, &cleaned_labels)?;
    let split = head_split(ds, edits, &[], &req.plan);
    if split.val.is_empty() || split.train.is_empty() {
        let included = cleaned_labels.iter().flatten().count();
        return Err(JobError::Failed(format!(
            "the split of {included} included samples leaves {} for training and {} for validation: {}",
            split.train.len(),
            split.val.len(),
            if split.val.is_empty() {
                "raise the validation fraction or give the dataset a val split"
            } else {
                "the dataset is too small to split (each class needs samples on both sides)"
            }
        )));
    }
    let started = std::time::Instant::now();
    let cleaned = super::train_head(
        embeddings,
        &cleaned_labels,
        &split.train,
        &split.val,
        &ds.classes,
        &req.head,
        control,
        |p| on_step(0, p),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let original = if req.compare_original_labels {
        let mut samples = split.train.clone();
        samples.extend(&split.excluded);
        Some(super::train_head(
            embeddings,
            &original_labels,
            &samples,
            &split.val,
            &ds.classes,
            &req.head,
            control,
            |p| on_step(1, p),
        )?)
    } else {
        None
    };
    let n = ds.samples.len();
    let mut rows = vec![(
        "original model".to_string(),
        metrics_on(ds, &cleaned_labels, preds, &split.val),
    )];
    for (name, head) in [
        ("head, original labels", original.as_ref()),
        ("head, cleaned labels", Some(&cleaned)),
    ] {
        if let Some(h) = head {
            let set = head_predictions(name, &h.head, embeddings, &split.val, n);
            rows.push((
                name.into(),
                metrics_on(ds, &cleaned_labels, &set, &split.val),
            ));
        }
    }
    let without_embedding = split
        .train
        .iter()
        .chain(&split.val)
        .filter(|&&i| embeddings.get(i).is_none_or(Option::is_none))
        .count();
    Ok(TrainOutcome {
        without_embedding,
        relabeled: ds
            .samples
            .iter()
            .zip(&cleaned_labels)
            .filter(|(s, c)| c.is_some_and(|c| c != s.label))
            .count(),
        excluded: cleaned_labels.iter().filter(|c| c.is_none()).count(),
        split,
        cleaned,
        original,
        rows,
        seconds,
    })
}

/// Why a head could not be written.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    /// The model could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An output could not be written (or its folder created).
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output folder or one of its files would touch an input (the model, its spec, the
    /// dataset).
    #[error(transparent)]
    Output(#[from] crate::outputs::OutputError),
    /// The model could not be cut and extended.
    #[error("{0}")]
    Onnx(String),
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HeadError> {
    let tmp = path.with_extension("tmp-labelscope");
    std::fs::write(&tmp, bytes).map_err(|source| HeadError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| HeadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `out/head.onnx` (the model cut at its embedding `value` with the cleaned head on top,
/// probabilities when the model gave probabilities), `out/head.json` (its spec) and
/// `out/report.json`. Never writes over the source model. Returns the ONNX file's path.
pub fn write_head(
    out: &Path,
    inputs: &crate::inputs::Inputs,
    ds: &Dataset,
    model: &LoadedModel,
    value: &str,
    outcome: &TrainOutcome,
    req: &TrainRequest,
) -> Result<std::path::PathBuf, HeadError> {
    // Never into the dataset or a folder holding an input, never over an input.
    let mut inputs = inputs.clone().model(&model.onnx_path, "model").dataset(ds);
    if let Some(spec) = &model.spec_path {
        inputs = inputs.model(spec, "model");
    }
    inputs.check_folder_output(out)?;
    for name in ["head.onnx", "head.json", "report.json"] {
        inputs.check_file_output(&out.join(name))?;
    }
    std::fs::create_dir_all(out).map_err(|source| HeadError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let onnx_path = out.join("head.onnx");
    let softmax = model.spec.output.kind == OutputKind::Probabilities;
    let bytes = std::fs::read(&model.onnx_path).map_err(|source| HeadError::Read {
        path: model.onnx_path.clone(),
        source,
    })?;
    let with_head = super::onnx::model_with_head(&bytes, value, &outcome.cleaned.head, softmax)?;
    write_atomic(&onnx_path, &with_head)?;
    let mut spec = model.spec.clone();
    spec.name = format!("{} + labelscope head", spec.name);
    spec.model = Some("head.onnx".into());
    spec.output.name = Some(super::onnx::output_name(softmax).into());
    spec.labels = LabelsSpec::List(ds.classes.clone());
    spec.label_map = None;
    spec.embedding = Some(EmbeddingSpec {
        name: value.to_string(),
    });
    let json = |v: &serde_json::Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    write_atomic(
        &out.join("head.json"),
        &json(&serde_json::to_value(&spec).map_err(|e| HeadError::Onnx(e.to_string()))?),
    )?;
    write_atomic(
        &out.join("report.json"),
        &json(&report(ds, model, value, outcome, req)),
    )?;
    Ok(onnx_path)
}

/// The training report: data counts, seed, settings, curves and the table.
pub fn report(
    ds: &Dataset,
    model: &LoadedModel,
    value: &str,
    o: &TrainOutcome,
    req: &TrainRequest,
) -> serde_json::Value {
    let curve = |h: &TrainedHead| serde_json::to_value(&h.curve).unwrap_or_default();
    let results: Vec<serde_json::Value> = o
        .rows
        .iter()
        .map(|(name, m)| {
            serde_json::json!({
                "name": name,
                "evaluated": m.num_evaluated,
                "accuracy": m.accuracy,
                "macro_f1": m.macro_f1,
                "per_class_f1": ds.classes.iter().zip(&m.per_class)
                    .map(|(c, x)| (c.clone(), serde_json::json!(x.f1)))
                    .collect::<serde_json::Map<_, _>>(),
                "confusion": m.confusion.matrix,
            })
        })
        .collect();
    serde_json::json!({
        "dataset": ds.root.display().to_string(),
        "model": model.onnx_path.display().to_string(),
        "embedding": value,
        "split": {"seed": req.plan.split.seed, "val_fraction": req.plan.split.val,
                  "keep_splits": req.plan.keep_splits, "train": o.split.train.len(),
                  "val": o.split.val.len(), "excluded": o.split.excluded.len()},
        "edits": {"relabeled": o.relabeled, "excluded": o.excluded},
        "without_embedding": o.without_embedding,
        "options": req.head,
        "train_samples": o.cleaned.train_samples,
        "converged": o.cleaned.converged,
        "training_secs": o.seconds,
        "curve_cleaned": curve(&o.cleaned),
        "curve_original": o.original.as_ref().map(curve),
        "results": results,
    })
}
