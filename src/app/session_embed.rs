//! The embeddings of the open dataset in the window: gathered on the prediction job's thread
//! from the run's outcomes (read in the same inference as the predictions), kept as one
//! [`EmbeddingSet`] for "find similar" and the map.

use std::sync::Arc;

use super::gallery_view::{Filter, SIMILAR_LIMIT, SimilarTo};
use super::session::Session;
use crate::embed::EmbeddingSet;
use crate::model::PredictReport;

/// What a model run hands over: the set, or why there is none.
pub type Gathered = Result<EmbeddingSet, String>;

/// Builds the set from a finished run (on the job's thread: it normalises every row).
pub fn gather(report: &PredictReport, value: Result<&str, &str>) -> Gathered {
    let value = value.map_err(str::to_string)?;
    let set = EmbeddingSet::from_outcomes(&report.outcomes);
    if set.is_empty() {
        return Err(format!("the run gave no embedding (from `{value}`)"));
    }
    Ok(set)
}

/// Runs `model` over `dataset` keeping embeddings, with the state folder's cache (unless
/// `use_cache` is off), streaming each outcome to `stream`: the report and the backend that ran.
pub(super) fn run_keeping_embeddings(
    dataset: &crate::dataset::Dataset,
    model: &crate::model::LoadedModel,
    backend: crate::model::BackendKind,
    use_cache: bool,
    job: &crate::jobs::JobControl,
    stream: Option<crate::model::predict::OnResult<'_>>,
) -> Result<(PredictReport, crate::model::ResolvedBackend), crate::jobs::JobError> {
    let b = crate::model::resolve_backend(backend, model)?;
    let mut cache = crate::state::state_dir(&dataset.root)
        .ok()
        .map(|d| crate::model::open_prediction_cache(&d, model, &dataset.classes));
    let opts = crate::model::PredictOptions {
        use_cache,
        embeddings: true,
        ..crate::model::PredictOptions::default()
    };
    let report =
        crate::model::predict_dataset(dataset, model, &b, &opts, cache.as_mut(), job, stream)?;
    Ok((report, b))
}

/// The embeddings of the open dataset.
#[derive(Default)]
pub struct EmbeddingState {
    /// The set, once a model run with embeddings finished.
    pub set: Option<Arc<EmbeddingSet>>,
    /// Why there is none (no model run yet, the model has no embedding value, a VLM run).
    pub why_none: Option<String>,
    /// The maps of the set.
    pub map: super::session_map::MapState,
    /// A separate embedding model running (`--embedder`, File > Embeddings from model).
    pub job: Option<super::background::BackgroundJob<Gathered>>,
    /// The separate embedding model, when one was chosen.
    pub embedder: Option<std::path::PathBuf>,
}

impl EmbeddingState {
    /// Keeps what a run gathered.
    pub fn install(&mut self, gathered: Gathered) {
        match gathered {
            Ok(set) => {
                self.set = Some(Arc::new(set));
                self.why_none = None;
            }
            Err(why) => {
                self.set = None;
                self.why_none = Some(why);
            }
        }
    }

    /// Why "find similar" cannot run, for the window.
    pub fn unavailable(&self) -> String {
        self.why_none.clone().unwrap_or_else(|| {
            "run a model first: its embeddings are read with the predictions".into()
        })
    }
}

impl Session {
    /// Selects sample `i`; when the filter hides it, the filter is cleared first.
    pub fn show_sample(&mut self, i: usize) {
        if i >= self.dataset.samples.len() {
            return;
        }
        if !self.order.contains(&i) {
            self.set_filter(Filter::default());
        }
        self.cursor = self.order.iter().position(|&k| k == i);
    }

    /// Lists the samples nearest to the marked ones (else the selection) in the gallery,
    /// nearest first, with the anchors at the top; the other filters are cleared.
    pub fn show_similar(&mut self) {
        let anchors: Vec<usize> = if self.marked.is_empty() {
            self.selected().into_iter().collect()
        } else {
            self.marked.iter().copied().collect()
        };
        if anchors.is_empty() {
            return;
        }
        if self.embeddings.set.is_none() {
            self.error = Some(format!(
                "cannot show similar images: {}",
                self.embeddings.unavailable()
            ));
            return;
        }
        let first = anchors[0];
        self.set_filter(Filter {
            similar: Some(SimilarTo {
                anchors,
                limit: SIMILAR_LIMIT,
            }),
            ..Filter::default()
        });
        self.cursor = self.order.iter().position(|&k| k == first);
    }
}

impl Session {
    /// Reads embeddings with the model at `path` (any ONNX image model), for predictions that
    /// came from a VLM or a file, or to see the data through another model. Its predictions are
    /// not used; its outcomes and embeddings are cached like any model's.
    pub fn start_embedder(
        &mut self,
        path: &std::path::Path,
        backend: crate::model::BackendKind,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) {
        let model = match crate::model::load_model(path) {
            Ok(m) => m,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        if let Err(why) = &model.embedding {
            self.error = Some(format!("{} gives no embedding: {why}", path.display()));
            return;
        }
        if let Some(job) = &self.embeddings.job {
            job.control.cancel();
        }
        let dataset = self.dataset.clone();
        let spawned = super::background::BackgroundJob::spawn("embedder-job", wake, move |job| {
            let (report, b) = run_keeping_embeddings(&dataset, &model, backend, true, job, None)
                .map_err(|e| e.to_string())?;
            gather(&report, b.factory.embedding())
        });
        match spawned {
            Ok(job) => {
                self.embeddings.job = Some(job);
                self.embeddings.embedder = Some(path.to_path_buf());
            }
            Err(e) => self.error = Some(format!("cannot start the embedding model: {e}")),
        }
    }

    /// Collects the embedding model's set when it is done. Returns whether anything changed.
    pub fn poll_embedder(&mut self) -> bool {
        let Some(gathered) = self.embeddings.job.as_ref().and_then(|j| j.poll()) else {
            return false;
        };
        if let Some(job) = self.embeddings.job.take() {
            self.notes.extend(job.control.take_notes());
        }
        self.embeddings.install(gathered);
        self.mark_order_dirty();
        true
    }
}
