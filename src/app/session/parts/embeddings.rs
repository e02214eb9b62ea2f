//! The embeddings of the open dataset: the set, why there is none, its maps and a separate embedding model.

use crate::embed::EmbeddingSet;
use crate::workspace::NoEmbeddings;
use std::sync::Arc;

pub use crate::app::jobs::Gathered;

/// The embeddings of the open dataset.
#[derive(Default)]
pub struct EmbeddingState {
    /// The set, once a model run with embeddings finished.
    pub set: Option<Arc<EmbeddingSet>>,
    /// Names the set installed last, unique for the whole process: what caches of the set
    /// (maps, neighbours, analyses) are keyed by, never its address (a freed set's address can
    /// be reused by the next one).
    pub set_id: u64,
    /// Why there is none (the model has no embedding value, the run gave none).
    pub why_none: Option<NoEmbeddings>,
    /// The maps of the set.
    pub map: super::map::MapState,
    /// The separate embedding model, when one was chosen (`--embedder`, File > Embeddings
    /// from model).
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
    pub fn unavailable(&self) -> NoEmbeddings {
        self.why_none.clone().unwrap_or(NoEmbeddings::NotRun)
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
        state.install(Err(NoEmbeddings::Empty("logits".into())));
        assert_ne!(state.set_id, second);
        assert!(state.set.is_none());
    }
}
