//! Running a model over a dataset: decode + preprocess + inference on `threads` named worker
//! threads, each owning its backend instance and pulling the next sample from a shared counter,
//! so decoding of one image overlaps inference of another. One bad image is a per-sample
//! failure, never an abort; the cancel flag is checked between samples.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::backend::ResolvedBackend;
use super::cache::{FileStamp, PredictionCache};
use super::load::LoadedModel;
use super::mapping::{LabelMapping, softmax};
use super::preprocess::{append_tensor, prepare_pixels};
use super::spec::OutputKind;
use crate::dataset::Dataset;
use crate::dataset::image_io::decode_for_model;
use crate::jobs::JobControl;

/// How many raw model classes are kept per sample (for the detail view).
pub const TOP_K: usize = 5;

/// A successful prediction for one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplePrediction {
    /// Probabilities over the dataset's classes, then `other` when the mapping has it.
    pub probs: Vec<f32>,
    /// The model's own top classes: (model class index, probability).
    pub top_model: Vec<(u32, f32)>,
    /// The largest probability of a single model class that maps to no dataset label (0 when
    /// every class maps): `other` is predicted only when this beats every dataset label.
    #[serde(default)]
    pub other_top: f32,
    /// Inference time of this sample in milliseconds (excluding decode and preprocess).
    pub latency_ms: f32,
}

/// What happened to one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleOutcome {
    /// The model ran.
    Predicted(SamplePrediction),
    /// Decoding, preprocessing or inference failed; the message names the file.
    Failed(String),
}

/// Options of a prediction run.
#[derive(Clone, Debug)]
pub struct PredictOptions {
    /// Worker threads (each decodes and infers).
    pub threads: usize,
    /// Read and write the prediction cache.
    pub use_cache: bool,
}

impl Default for PredictOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            use_cache: true,
        }
    }
}

/// Result of a prediction run.
#[derive(Clone, Debug)]
pub struct PredictReport {
    /// Per dataset sample (same order): the outcome, or `None` if the run was cancelled first.
    pub outcomes: Vec<Option<SampleOutcome>>,
    /// Whether the run was cancelled.
    pub cancelled: bool,
    /// The backend that ran (or would have run, when everything was cached).
    pub backend: String,
    /// Samples answered from the cache.
    pub num_cached: usize,
    /// Samples the model actually ran on (or failed on) in this run.
    pub num_inferred: usize,
    /// Wall-clock seconds of the run.
    pub elapsed_secs: f64,
    /// How model classes map to dataset labels.
    pub mapping: LabelMapping,
}

const SHAPE_MISMATCH: &str = "the model produced";

/// Turns raw model outputs into a [`SamplePrediction`].
pub fn finish_prediction(
    raw: &[f32],
    kind: OutputKind,
    mapping: &LabelMapping,
    latency_ms: f32,
) -> Result<SamplePrediction, String> {
    if raw.len() != mapping.targets.len() {
        return Err(format!(
            "{SHAPE_MISMATCH} {} values but has {} labels",
            raw.len(),
            mapping.targets.len()
        ));
    }
    let model_probs = match kind {
        OutputKind::Logits => softmax(raw),
        OutputKind::Probabilities => raw.to_vec(),
    };
    let mut order: Vec<usize> = (0..model_probs.len()).collect();
    order.sort_by(|&a, &b| model_probs[b].total_cmp(&model_probs[a]));
    let top_model = order
        .iter()
        .take(TOP_K)
        .map(|&i| (i as u32, model_probs[i]))
        .collect();
    let other_top = model_probs
        .iter()
        .zip(&mapping.targets)
        .filter(|(_, t)| t.is_none())
        .map(|(p, _)| *p)
        .fold(0.0f32, f32::max);
    Ok(SamplePrediction {
        probs: mapping.map_probs(&model_probs),
        top_model,
        other_top,
        latency_ms,
    })
}

/// Predicts every sample of `dataset`. Results also stream through `on_result` as they arrive
/// (the GUI); the cache (when `cache` is given) answers unchanged samples without inference and
/// is saved at the end, also after a cancel.
pub fn predict_dataset(
    dataset: &Dataset,
    model: &LoadedModel,
    backend: &ResolvedBackend,
    opts: &PredictOptions,
    mut cache: Option<&mut PredictionCache>,
    job: &JobControl,
    on_result: Option<&crossbeam_channel::Sender<(usize, SampleOutcome)>>,
) -> Result<PredictReport, String> {
    let started = Instant::now();
    let mapping = LabelMapping::new(
        &model.model_labels,
        model.spec.label_map.as_ref(),
        &dataset.classes,
    )?;
    if let Some(note) = cache.as_deref().and_then(PredictionCache::notice) {
        job.note(note);
    }
    let n = dataset.samples.len();
    job.set_total(n);
    let mut outcomes: Vec<Option<SampleOutcome>> = vec![None; n];
    let stamps: Vec<Option<FileStamp>> = dataset
        .samples
        .iter()
        .map(|s| FileStamp::of(&s.path))
        .collect();
    let mut todo = Vec::new();
    for (i, s) in dataset.samples.iter().enumerate() {
        match cache
            .as_deref()
            .filter(|_| opts.use_cache)
            .and_then(|c| c.get(&s.id.0, stamps[i]))
        {
            Some(hit) => {
                if let Some(tx) = on_result {
                    let _ = tx.send((i, hit.clone()));
                }
                job.add_done(matches!(hit, SampleOutcome::Failed(_)));
                outcomes[i] = Some(hit.clone());
            }
            None => todo.push(i),
        }
    }
    let num_cached = n - todo.len();
    job.wake();

    // A model whose output size is not its label count fails every sample: the first such
    // result stops the run with that error instead of a table of failures.
    let fatal: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
    let work = |instance: &mut dyn super::backend::Backend, i: usize| {
        let sample = &dataset.samples[i];
        let mut tensor = Vec::new();
        let apply = model.spec.input.exif_orientation == super::spec::ExifOrientation::Apply;
        let outcome = decode_for_model(&sample.path, apply)
            .map(|(img, _)| img)
            .map_err(|e| e.to_string())
            .and_then(|img| {
                prepare_pixels(&img, &model.spec.input)
                    .map_err(|e| format!("{e}: {}", sample.path.display()))
            })
            .and_then(|p| {
                append_tensor(&p, &model.spec.input, &mut tensor);
                let t0 = Instant::now();
                let rows = instance
                    .run(&tensor, 1)
                    .map_err(|e| format!("{e}: {}", sample.path.display()))?;
                let latency_ms = t0.elapsed().as_secs_f32() * 1000.0;
                let raw = rows
                    .first()
                    .ok_or_else(|| format!("no output: {}", sample.path.display()))?;
                finish_prediction(raw, model.spec.output.kind, &mapping, latency_ms)
                    .map_err(|e| format!("{e}: {}", sample.path.display()))
            });
        let outcome = match outcome {
            Ok(p) => SampleOutcome::Predicted(p),
            Err(e) => {
                if e.starts_with(SHAPE_MISMATCH)
                    && let Ok(mut f) = fatal.lock()
                {
                    f.get_or_insert_with(|| {
                        format!("{e} (the model file: {})", model.onnx_path.display())
                    });
                    job.cancel();
                }
                SampleOutcome::Failed(e)
            }
        };
        if let Some(tx) = on_result {
            let _ = tx.send((i, outcome.clone()));
        }
        job.add_done(matches!(outcome, SampleOutcome::Failed(_)));
        job.wake();
        outcome
    };
    let results = super::workers::run_workers(&todo, opts.threads, "predict", backend, job, &work)?;
    if let Some(e) = fatal.into_inner().ok().flatten() {
        job.finish();
        return Err(e);
    }
    let num_inferred = results.len();
    for (i, outcome) in results {
        if let (Some(c), Some(stamp)) = (cache.as_deref_mut(), stamps[i]) {
            c.insert(dataset.samples[i].id.0.clone(), stamp, outcome.clone());
        }
        outcomes[i] = Some(outcome);
    }
    if let Some(c) = cache.as_deref()
        && opts.use_cache
        && num_inferred > 0
    {
        c.save()?;
    }
    let cancelled = job.is_cancelled() && outcomes.iter().any(Option::is_none);
    job.finish();
    Ok(PredictReport {
        outcomes,
        cancelled,
        backend: backend.factory.describe(),
        num_cached,
        num_inferred,
        elapsed_secs: started.elapsed().as_secs_f64(),
        mapping,
    })
}
