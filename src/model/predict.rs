//! Running a model over a dataset: decode + preprocess + inference as a per-sample job
//! ([`crate::jobs::per_sample`]), each worker owning its backend instance, so decoding of one
//! image overlaps inference of another. One bad image is a per-sample failure, never an abort;
//! the cancel flag is checked between samples.

use std::time::Instant;

use std::path::Path;

use super::backend::{Backend, BackendError, ResolvedBackend};
use super::cache::PredictionCache;
use super::load::LoadedModel;
use super::mapping::{LabelMapping, softmax};
use super::outcome::{PredictOptions, PredictReport, SampleOutcome, SamplePrediction, TOP_K};
use super::predict_error::{InferError, OutputSizeError, PredictError};
use super::preprocess::{append_tensor, prepare_pixels};
use super::spec::{ExifOrientation, OutputKind};
use super::temperature::{is_active, scale_outcome};
use crate::dataset::Dataset;
use crate::dataset::image_io::decode_for_model;
use crate::embedding_store::to_embedding;
use crate::jobs::JobControl;
use crate::jobs::per_sample::{SampleWork, run_per_sample};

/// Turns raw model outputs into a [`SamplePrediction`].
pub fn finish_prediction(
    raw: &[f32],
    kind: OutputKind,
    mapping: &LabelMapping,
    latency_ms: f32,
) -> Result<SamplePrediction, OutputSizeError> {
    if raw.len() != mapping.targets.len() {
        return Err(OutputSizeError {
            got: raw.len(),
            labels: mapping.targets.len(),
        });
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
        embedding: None,
    })
}

/// Called with every sample's outcome as it arrives (cached ones first), from worker threads.
pub type OnResult<'a> = &'a (dyn Fn(usize, &SampleOutcome) + Sync);

/// One model over a dataset, as a [`SampleWork`]: decode, preprocess, infer, map.
struct ModelWork<'a> {
    dataset: &'a Dataset,
    model: &'a LoadedModel,
    backend: &'a ResolvedBackend,
    mapping: &'a LabelMapping,
    job: &'a JobControl,
    on_result: Option<OnResult<'a>>,
    keep_embeddings: bool,
    /// A model whose output size is not its label count fails every sample: the first such
    /// result stops the run with that error instead of a table of failures.
    fatal: std::sync::Mutex<Option<PredictError>>,
}

impl ModelWork<'_> {
    fn predict(
        &self,
        instance: &mut dyn Backend,
        path: &Path,
    ) -> Result<SamplePrediction, InferError> {
        let apply = self.model.spec.input.exif_orientation == ExifOrientation::Apply;
        let (img, _) = decode_for_model(path, apply)?;
        infer_image(
            instance,
            &img,
            self.model,
            self.mapping,
            self.keep_embeddings,
            path,
        )
    }
}

/// The outcome of one inference. A wrong-output-size error (the model does not fit the
/// dataset) is kept in `fatal` and cancels the run: every other sample would fail the same way.
pub(super) fn outcome_of(
    result: Result<SamplePrediction, InferError>,
    model: &LoadedModel,
    fatal: &std::sync::Mutex<Option<PredictError>>,
    job: &JobControl,
) -> SampleOutcome {
    match result {
        Ok(p) => SampleOutcome::Predicted(p),
        Err(e) => {
            let message = e.to_string();
            if !matches!(e, InferError::OutputSize { .. }) {
                return SampleOutcome::Failed(message);
            }
            if let Ok(mut f) = fatal.lock() {
                f.get_or_insert_with(|| PredictError::WrongModel {
                    message: message.clone(),
                    model: model.onnx_path.clone(),
                });
                job.cancel();
            }
            SampleOutcome::WrongModel(message)
        }
    }
}

/// Preprocesses a decoded image for `model`, runs one inference and maps the output; errors
/// name `path`. Shared by one-model and several-model runs (which decode once for all).
pub(super) fn infer_image(
    instance: &mut dyn Backend,
    img: &image::DynamicImage,
    model: &LoadedModel,
    mapping: &LabelMapping,
    keep_embedding: bool,
    path: &Path,
) -> Result<SamplePrediction, InferError> {
    let input = &model.spec.input;
    let pixels = prepare_pixels(img, input).map_err(|source| InferError::Preprocess {
        source,
        path: path.to_path_buf(),
    })?;
    let mut tensor = Vec::new();
    append_tensor(&pixels, input, &mut tensor);
    let t0 = Instant::now();
    let rows = instance
        .run(&tensor, 1)
        .map_err(|source| InferError::Backend {
            source,
            path: path.to_path_buf(),
        })?;
    let latency_ms = t0.elapsed().as_secs_f32() * 1000.0;
    let raw = rows
        .into_iter()
        .next()
        .ok_or_else(|| InferError::NoOutput {
            path: path.to_path_buf(),
        })?;
    let mut p = finish_prediction(&raw.logits, model.spec.output.kind, mapping, latency_ms)
        .map_err(|source| InferError::OutputSize {
            source,
            path: path.to_path_buf(),
        })?;
    if keep_embedding {
        p.embedding = raw.embedding.as_deref().map(to_embedding);
    }
    Ok(p)
}

impl SampleWork for ModelWork<'_> {
    type Output = SampleOutcome;
    type Worker = Box<dyn Backend>;
    type StartError = BackendError;

    fn start_worker(&self) -> Result<Box<dyn Backend>, BackendError> {
        self.backend.factory.create()
    }

    fn run(&self, instance: &mut Box<dyn Backend>, i: usize) -> SampleOutcome {
        let result = self.predict(instance.as_mut(), &self.dataset.samples[i].path);
        outcome_of(result, self.model, &self.fatal, self.job)
    }

    fn failed(&self, out: &SampleOutcome) -> bool {
        out.failure().is_some()
    }

    /// A cached wrong-output-size failure is not reused: the run stops with that error again.
    fn reusable(&self, out: &SampleOutcome) -> bool {
        !matches!(out, SampleOutcome::WrongModel(_))
    }

    /// Streams the outcome scaled by the spec's temperature (the cache keeps it unscaled).
    fn on_result(&self, i: usize, out: &SampleOutcome) {
        let Some(f) = self.on_result else { return };
        match is_active(self.model.spec.output.temperature) {
            Some(t) => {
                let mut scaled = out.clone();
                scale_outcome(&mut scaled, Some(t));
                f(i, &scaled);
            }
            None => f(i, out),
        }
    }
}

/// Predicts every sample of `dataset`, each outcome scaled by the spec's temperature when it
/// has one. Results also stream through `on_result` as they arrive (the GUI); the cache (when `cache` is given and `opts.use_cache`) answers unchanged samples
/// without inference and is saved at the end, also after a cancel.
pub fn predict_dataset(
    dataset: &Dataset,
    model: &LoadedModel,
    backend: &ResolvedBackend,
    opts: &PredictOptions,
    cache: Option<&mut PredictionCache>,
    job: &JobControl,
    on_result: Option<OnResult<'_>>,
) -> Result<PredictReport, PredictError> {
    let started = Instant::now();
    let mapping = LabelMapping::new(
        &model.model_labels,
        model.spec.label_map.as_ref(),
        &dataset.classes,
    )?;
    job.set_total(dataset.samples.len());
    let work = ModelWork {
        dataset,
        model,
        backend,
        mapping: &mapping,
        job,
        on_result,
        keep_embeddings: opts.embeddings && backend.factory.embedding().is_ok(),
        fatal: std::sync::Mutex::new(None),
    };
    let mut cache = cache.filter(|_| opts.use_cache);
    if let (Some(c), true, Ok(value)) = (
        cache.as_deref_mut(),
        work.keep_embeddings,
        backend.factory.embedding(),
    ) {
        c.want_embeddings(model, value);
    }
    let mut run = run_per_sample(&dataset.samples, &work, opts.threads, "predict", cache, job)?;
    if let Some(e) = work.fatal.into_inner().ok().flatten() {
        job.finish();
        return Err(e);
    }
    job.finish();
    for o in run.outcomes.iter_mut().flatten() {
        scale_outcome(o, model.spec.output.temperature);
    }
    Ok(PredictReport {
        outcomes: run.outcomes,
        cancelled: run.cancelled,
        backend: backend.factory.describe(),
        num_cached: run.num_cached,
        num_inferred: run.num_computed,
        elapsed_secs: started.elapsed().as_secs_f64(),
        mapping,
    })
}
