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

/// The embeddings of the open dataset.
#[derive(Default)]
pub struct EmbeddingState {
    /// The set, once a model run with embeddings finished.
    pub set: Option<Arc<EmbeddingSet>>,
    /// Why there is none (no model run yet, the model has no embedding value, a VLM run).
    pub why_none: Option<String>,
    /// The maps of the set.
    pub map: super::session_map::MapState,
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
