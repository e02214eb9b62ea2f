//! The embeddings of the open dataset: the set, why there is none, its maps and a separate embedding model.

use crate::embed::EmbeddingSet;
use crate::model::PredictReport;
use std::sync::Arc;

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
pub(crate) fn run_keeping_embeddings(
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
    /// Names the set installed last, unique for the whole process: what caches of the set
    /// (maps, neighbours, analyses) are keyed by, never its address (a freed set's address can
    /// be reused by the next one).
    pub set_id: u64,
    /// Why there is none (no model run yet, the model has no embedding value, a VLM run).
    pub why_none: Option<String>,
    /// The maps of the set.
    pub map: super::map::MapState,
    /// A separate embedding model running (`--embedder`, File > Embeddings from model).
    pub job: Option<crate::app::background::BackgroundJob<Gathered>>,
    /// The separate embedding model, when one was chosen.
    pub embedder: Option<std::path::PathBuf>,
    /// The embedding model before the running one, put back if that run is cancelled.
    pub(crate) embedder_before: Option<std::path::PathBuf>,
}

impl EmbeddingState {
    /// Keeps what a run gathered.
    pub fn install(&mut self, gathered: Gathered) {
        static NEXT_SET_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        self.set_id = NEXT_SET_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_installed_set_has_its_own_id_even_at_a_reused_address() {
        let mut state = EmbeddingState::default();
        let rows = vec![vec![1.0f32, 0.0], vec![0.0, 1.0]];
        state.install(Ok(EmbeddingSet::from_rows(&rows)));
        let first = state.set_id;
        state.set = None; // the set is freed; the next one may take its address
        state.install(Ok(EmbeddingSet::from_rows(&rows)));
        assert_ne!(state.set_id, first);
        let second = state.set_id;
        state.install(Err("no embedding".into()));
        assert_ne!(state.set_id, second);
        assert!(state.set.is_none());
    }
}
