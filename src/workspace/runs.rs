//! Model and VLM runs over a workspace's dataset: the one place that opens prediction caches in
//! the state folder and runs the per-sample engine, for the CLI and the window alike.

use crate::embed::EmbeddingSet;
use crate::embed::matrix::Spill;
use crate::eval::PredictionSet;
use crate::jobs::JobControl;
use crate::model::multi::{ModelEntry, predict_models};
use crate::model::predict::OnResult;
use crate::model::{
    LoadedModel, PredictError, PredictOptions, PredictReport, PredictionCache, ResolvedBackend,
    open_prediction_cache, predict_dataset,
};
use crate::vlm::{OnEntry, VlmConfig, VlmRunError, predict_vlm};

use super::Workspace;

/// A finished model run: the engine's report and the predictions as a set.
#[derive(Clone, Debug)]
pub struct ModelRun {
    /// Every sample's outcome (with its embedding when kept), counts and timing.
    pub report: PredictReport,
    /// The predictions over the dataset's classes.
    pub set: PredictionSet,
    /// The model value the embeddings were read from, or why there are none.
    pub embedding: Result<String, NoEmbeddings>,
    /// Where a large set of the run's embeddings is kept out of core (the state folder's
    /// `embeddings/`; `None` without a state folder: in memory).
    pub spill: Option<Spill>,
}

/// Why there are no embeddings to look at.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoEmbeddings {
    /// No model has run yet.
    #[error("run a model first: its embeddings are read with the predictions")]
    NotRun,
    /// The model has no value to read them from (why, in the model's terms).
    #[error("{0}")]
    Model(String),
    /// The run gave none (every sample failed, or it was stopped first).
    #[error("the run gave no embedding (from `{0}`)")]
    Empty(String),
    /// The run itself failed (the model could not be loaded on the backend, ...).
    #[error("the embedding run failed: {0}")]
    Failed(String),
}

impl ModelRun {
    /// The run's embeddings as one set (normalises every row: run it off the UI thread),
    /// on disk past [`Spill::DEFAULT_PAST_BYTES`] when the dataset has a state folder.
    pub fn embedding_set(&self) -> EmbeddingSet {
        EmbeddingSet::from_outcomes_in(&self.report.outcomes, self.spill.as_ref())
    }

    /// [`ModelRun::embedding_set`], or why there is none.
    pub fn embeddings(&self) -> Result<EmbeddingSet, NoEmbeddings> {
        let value = self.embedding.clone()?;
        let set = self.embedding_set();
        if set.is_empty() {
            return Err(NoEmbeddings::Empty(value));
        }
        Ok(set)
    }
}

impl Workspace {
    /// Trains a new classifier head on the embeddings of `run` (a run that kept them) with the
    /// labels `edits` give, and compares it with the model on the held-out split (see
    /// [`crate::head::run::train_and_compare`]); `on_step` sees every step's loss. The same verb
    /// behind `labelscope train` and the window's Train a head.
    pub fn train_head(
        &self,
        run: &ModelRun,
        edits: &crate::curation::CurationState,
        req: &crate::head::run::TrainRequest,
        job: &JobControl,
        on_step: impl FnMut(usize, &crate::head::CurvePoint),
    ) -> Result<crate::head::run::TrainOutcome, crate::jobs::JobError> {
        let embeddings = crate::head::raw_embeddings(&run.report.outcomes);
        crate::head::run::train_and_compare(
            &self.dataset,
            edits,
            &embeddings,
            &run.set,
            req,
            job,
            on_step,
        )
    }

    /// The prediction cache of `model` in the state folder, unless `opts` turns caching off;
    /// when there is no state folder, a note on `job` says the cache is off.
    fn cache_for(
        &self,
        model: &LoadedModel,
        opts: &PredictOptions,
        job: &JobControl,
    ) -> Option<PredictionCache> {
        if !opts.use_cache {
            return None;
        }
        match self.state() {
            Ok(dir) => Some(open_prediction_cache(dir, model, &self.dataset.classes)),
            Err(e) => {
                job.note(format!("prediction cache disabled: {e}"));
                None
            }
        }
    }

    fn finish(
        &self,
        model: &LoadedModel,
        backend: &ResolvedBackend,
        report: PredictReport,
    ) -> ModelRun {
        let set = PredictionSet::from_report(
            &model.spec.name,
            &report,
            self.dataset.classes.len(),
            &model.model_labels,
        );
        let embedding = backend
            .factory
            .embedding()
            .map(str::to_string)
            .map_err(|why| NoEmbeddings::Model(why.to_string()));
        ModelRun {
            report,
            set,
            embedding,
            spill: self
                .state()
                .ok()
                .map(|dir| Spill::to(dir.join("embeddings"))),
        }
    }

    /// Runs `model` on `backend` over every sample (outcomes streamed to `on_result` as they
    /// finish), answering unchanged files from the prediction cache; with `opts.embeddings`,
    /// each outcome keeps the image's embedding, read in the same inference.
    pub fn run_model(
        &self,
        model: &LoadedModel,
        backend: &ResolvedBackend,
        opts: &PredictOptions,
        job: &JobControl,
        on_result: Option<OnResult<'_>>,
    ) -> Result<ModelRun, PredictError> {
        let mut cache = self.cache_for(model, opts, job);
        let report = predict_dataset(
            &self.dataset,
            model,
            backend,
            opts,
            cache.as_mut(),
            job,
            on_result,
        )?;
        Ok(self.finish(model, backend, report))
    }

    /// The resolution trade-off: `model` over every sample with each image first lowered to
    /// each of `sides` (longest side; `None`: as it is), each image decoded once; one run per
    /// setting (see [`resolution_settings`]: with a dynamic ONNX input, also the model fed that
    /// input size), with the model each ran as. Never cached: a lowered image's outcome is not
    /// the file's. The verb behind `evaluate --resolutions` and the window's Resolution
    /// trade-off.
    pub fn run_at_resolutions(
        &self,
        model: &LoadedModel,
        backend: &ResolvedBackend,
        sides: &[Option<u32>],
        opts: &PredictOptions,
        job: &JobControl,
    ) -> Result<Vec<(LoadedModel, ModelRun)>, PredictError> {
        let settings = resolution_settings(model, sides);
        // A model fed another input size gets a runtime session of its own (tract optimises
        // its plan for one concrete shape).
        let own: Vec<Option<ResolvedBackend>> = settings
            .iter()
            .map(|(m, _)| {
                (m.spec.input != model.spec.input)
                    .then(|| crate::model::resolve_backend(backend.factory.kind(), m))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let entries: Vec<ModelEntry<'_>> = settings
            .iter()
            .zip(&own)
            .map(|((m, max_side), own)| ModelEntry {
                model: m,
                backend: own.as_ref().unwrap_or(backend),
                max_side: *max_side,
            })
            .collect();
        let opts = PredictOptions {
            use_cache: false,
            ..opts.clone()
        };
        let runs = self.run_models(&entries, &opts, job)?;
        Ok(settings.into_iter().map(|(m, _)| m).zip(runs).collect())
    }

    /// Runs several models in one pass (each image decoded once and fed to every model), each
    /// with its own cache; one run per model, in order.
    pub fn run_models(
        &self,
        models: &[ModelEntry<'_>],
        opts: &PredictOptions,
        job: &JobControl,
    ) -> Result<Vec<ModelRun>, PredictError> {
        let mut caches: Vec<PredictionCache> = models
            .iter()
            .map_while(|m| self.cache_for(m.model, opts, job))
            .collect();
        let caches = (caches.len() == models.len()).then_some(caches.as_mut_slice());
        let reports = predict_models(&self.dataset, models, opts, caches, job)?;
        Ok(reports
            .into_iter()
            .zip(models)
            .map(|(report, m)| self.finish(m.model, m.backend, report))
            .collect())
    }

    /// Asks a VLM endpoint for every sample (answers streamed to `on_entry`), cached per image
    /// in the state folder unless `use_cache` is off.
    pub fn run_vlm(
        &self,
        cfg: &VlmConfig,
        use_cache: bool,
        job: &JobControl,
        on_entry: Option<OnEntry<'_>>,
    ) -> Result<PredictionSet, VlmRunError> {
        let state = if use_cache { self.state_dir() } else { None };
        predict_vlm(&self.dataset, cfg, state, job, on_entry)
    }
}

/// The settings of the resolution trade-off, in order: for each of `sides`, `model` with the
/// image lowered to that longest side first (named `<model> @ <side> px`, or `@ full`), and,
/// when the model's ONNX input is dynamic and the side is below the input's longer side, the
/// same lowered image fed to the model at that input size (`<model> @ <side> px input`: the
/// camera and the network both at the lower resolution, which is where the speed is).
pub fn resolution_settings(
    model: &LoadedModel,
    sides: &[Option<u32>],
) -> Vec<(LoadedModel, Option<u32>)> {
    let longer = model.spec.input.height.max(model.spec.input.width);
    let mut out = Vec::new();
    for &side in sides {
        let mut m = model.clone();
        m.spec.name = match side {
            Some(s) => format!("{} @ {s} px", model.spec.name),
            None => format!("{} @ full", model.spec.name),
        };
        out.push((m, side));
        if let Some(s) = side.filter(|&s| s < longer)
            && let Some(small) = model.at_input_side(s)
        {
            out.push((small, side));
        }
    }
    out
}
