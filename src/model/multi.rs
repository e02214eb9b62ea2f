//! Several models over one dataset in one pass (fp16 vs int8, before vs after fine-tuning): each
//! image is decoded once and fed to every model, each worker owning one backend instance per
//! model. Per model the result is the same [`PredictReport`] a single run gives, and each model
//! keeps its own prediction cache.

use std::path::Path;
use std::time::Instant;

use super::backend::{Backend, BackendError, ResolvedBackend};
use super::cache::PredictionCache;
use super::load::LoadedModel;
use super::mapping::LabelMapping;
use super::outcome::{PredictOptions, PredictReport, SampleOutcome};
use super::predict::{infer_image, outcome_of};
use super::predict_error::{InferError, PredictError};
use super::spec::ExifOrientation;
use super::temperature::scale_outcome;
use crate::dataset::Dataset;
use crate::dataset::image_io::{DecodeError, decode_for_model};
use crate::jobs::JobControl;
use crate::jobs::per_sample::{ResultCache, SampleWork, run_per_sample};
use crate::stamp_cache::FileStamp;

/// One model of a several-model run.
pub struct ModelEntry<'a> {
    /// The model.
    pub model: &'a LoadedModel,
    /// Its backend.
    pub backend: &'a ResolvedBackend,
    /// Lower each image to this longest side before the model's preprocessing
    /// ([`super::downsize`]); `None` for the image as it is.
    pub max_side: Option<u32>,
}

struct MultiWork<'a> {
    dataset: &'a Dataset,
    models: &'a [ModelEntry<'a>],
    mappings: Vec<LabelMapping>,
    job: &'a JobControl,
    fatal: std::sync::Mutex<Option<PredictError>>,
}

impl MultiWork<'_> {
    fn run_all(&self, instances: &mut [Box<dyn Backend>], path: &Path) -> Vec<SampleOutcome> {
        // At most two decodes (with and without EXIF orientation), each shared by every model
        // that wants it.
        let mut decoded: [Option<Result<image::DynamicImage, DecodeError>>; 2] = [None, None];
        let mut out = Vec::with_capacity(self.models.len());
        for ((entry, mapping), instance) in self.models.iter().zip(&self.mappings).zip(instances) {
            let apply = entry.model.spec.input.exif_orientation == ExifOrientation::Apply;
            let img = decoded[usize::from(apply)]
                .get_or_insert_with(|| decode_for_model(path, apply).map(|(img, _)| img));
            let result = match img {
                Ok(img) => {
                    let lowered = entry
                        .max_side
                        .and_then(|s| super::downsize::downsize(img, s));
                    let img = lowered.as_ref().unwrap_or(img);
                    infer_image(instance.as_mut(), img, entry.model, mapping, false, path)
                }
                Err(e) => Err(InferError::Decode(e.clone())),
            };
            out.push(outcome_of(result, entry.model, &self.fatal, self.job));
        }
        out
    }
}

impl SampleWork for MultiWork<'_> {
    type Output = Vec<SampleOutcome>;
    type Worker = Vec<Box<dyn Backend>>;
    type StartError = BackendError;

    fn start_worker(&self) -> Result<Self::Worker, BackendError> {
        self.models
            .iter()
            .map(|m| m.backend.factory.create())
            .collect()
    }

    fn run(&self, instances: &mut Self::Worker, i: usize) -> Self::Output {
        self.run_all(instances, &self.dataset.samples[i].path)
    }

    fn failed(&self, out: &Self::Output) -> bool {
        out.iter().any(|o| o.failure().is_some())
    }

    fn reusable(&self, out: &Self::Output) -> bool {
        !out.iter()
            .any(|o| matches!(o, SampleOutcome::WrongModel(_)))
    }
}

/// Every model's cache side by side: a sample is answered from the caches only when each model
/// has it (a sample one model lacks is run through all of them, decoded once).
struct MultiCache<'a> {
    caches: Vec<&'a mut PredictionCache>,
}

impl ResultCache<Vec<SampleOutcome>> for MultiCache<'_> {
    fn notice(&self) -> Option<&str> {
        self.caches.iter().find_map(|c| c.notice())
    }

    fn lookup(&self, id: &str, stamp: Option<FileStamp>) -> Option<Vec<SampleOutcome>> {
        self.caches.iter().map(|c| c.lookup(id, stamp)).collect()
    }

    fn store(&mut self, id: String, stamp: FileStamp, value: Vec<SampleOutcome>) {
        for (c, v) in self.caches.iter_mut().zip(value) {
            c.store(id.clone(), stamp, v);
        }
    }

    fn save(&self) -> Result<(), crate::stamp_cache::CacheError> {
        self.caches.iter().try_for_each(|c| c.save())
    }
}

/// Predicts every sample of `dataset` with every model of `models`, decoding each image once.
/// `caches` (one per model, or none) answer samples every model has already seen. The reports
/// share the run's wall-clock time; each sample's latency is its own model's inference time.
pub fn predict_models(
    dataset: &Dataset,
    models: &[ModelEntry<'_>],
    opts: &PredictOptions,
    caches: Option<&mut [PredictionCache]>,
    job: &JobControl,
) -> Result<Vec<PredictReport>, PredictError> {
    let started = Instant::now();
    let mappings = models
        .iter()
        .map(|m| {
            LabelMapping::new(
                &m.model.model_labels,
                m.model.spec.label_map.as_ref(),
                &dataset.classes,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    job.set_total(dataset.samples.len());
    let work = MultiWork {
        dataset,
        models,
        mappings,
        job,
        fatal: std::sync::Mutex::new(None),
    };
    let mut cache = caches
        .filter(|c| {
            // A lowered image's outcome is not the file's: never cached.
            opts.use_cache && c.len() == models.len() && models.iter().all(|m| m.max_side.is_none())
        })
        .map(|c| MultiCache {
            caches: c.iter_mut().collect(),
        });
    let run = run_per_sample(
        &dataset.samples,
        &work,
        opts.threads,
        "predict",
        cache.as_mut(),
        job,
    )?;
    job.finish();
    if let Some(e) = work.fatal.into_inner().ok().flatten() {
        return Err(e);
    }
    let elapsed_secs = started.elapsed().as_secs_f64();
    let mut reports: Vec<PredictReport> = models
        .iter()
        .zip(work.mappings)
        .map(|(m, mapping)| PredictReport {
            outcomes: Vec::with_capacity(run.outcomes.len()),
            cancelled: run.cancelled,
            backend: m.backend.factory.describe(),
            num_cached: run.num_cached,
            num_inferred: run.num_computed,
            elapsed_secs,
            mapping,
        })
        .collect();
    for outcome in run.outcomes {
        match outcome {
            Some(all) => {
                for ((r, mut o), m) in reports.iter_mut().zip(all).zip(models) {
                    scale_outcome(&mut o, m.model.spec.output.temperature);
                    r.outcomes.push(Some(o));
                }
            }
            None => reports.iter_mut().for_each(|r| r.outcomes.push(None)),
        }
    }
    Ok(reports)
}
