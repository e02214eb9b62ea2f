//! The embeddings of the open dataset in the window: gathered on the prediction job's thread
//! from the run's outcomes (read in the same inference as the predictions), kept as one
//! [`EmbeddingSet`] for "find similar" and the map.

use super::Session;
use crate::app::jobs::{Finished, JobKind};
use crate::app::sample_query::{Filter, SIMILAR_LIMIT, SimilarTo};
use crate::workspace::NoEmbeddings;

impl Session {
    /// Selects sample `i`; when the filter hides it, the filter is cleared first.
    pub fn show_sample(&mut self, i: usize) {
        if i >= self.ws.dataset.samples.len() {
            return;
        }
        if !self.view.order.contains(&i) {
            // At once (not apart): the selection goes to the sample in the new order.
            self.view.filter = Filter::default();
            self.refresh_order();
        }
        self.view.cursor = self.view.order.iter().position(|&k| k == i);
    }

    /// Lists the samples nearest to the marked ones (else the selection) in the gallery,
    /// nearest first, with the anchors at the top; the other filters are cleared.
    pub fn show_similar(&mut self) {
        let anchors = self.view.edit_targets();
        if anchors.is_empty() {
            return;
        }
        if self.embeddings.set.is_none() {
            self.messages.error = Some(format!(
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
        self.view.cursor = self.view.order.iter().position(|&k| k == first);
    }

    /// Reads embeddings with the model at `path` (any ONNX image model), for predictions that
    /// came from a VLM or a file, or to see the data through another model. Its predictions are
    /// not used; its outcomes and embeddings are cached like any model's.
    pub fn start_embedder(&mut self, path: &std::path::Path, backend: crate::model::BackendKind) {
        let model = match crate::model::load_model(path) {
            Ok(m) => m,
            Err(e) => {
                self.messages.error = Some(e.to_string());
                return;
            }
        };
        if let Err(why) = &model.embedding {
            self.messages.error = Some(format!("{} gives no embedding: {why}", path.display()));
            return;
        }
        let ws = self.ws.clone();
        let was_running = self.jobs.is_running(JobKind::Embedder);
        let started = self.jobs.start(JobKind::Embedder, move |job| {
            let run = || {
                let b = crate::model::resolve_backend(backend, &model)
                    .map_err(|e| NoEmbeddings::Failed(e.to_string()))?;
                let opts = crate::model::PredictOptions {
                    embeddings: true,
                    ..crate::model::PredictOptions::default()
                };
                ws.run_model(&model, &b, &opts, job, None)
                    .map_err(|e| NoEmbeddings::Failed(e.to_string()))?
                    .embeddings()
            };
            Finished::Embedder(run())
        });
        match started {
            Ok(()) => {
                if !was_running {
                    self.embeddings.embedder_before = self.embeddings.embedder.clone();
                }
                self.embeddings.embedder = Some(path.to_path_buf());
            }
            Err(e) => self.messages.error = Some(e),
        }
    }

    /// Applies the embedding model's set (a stopped run keeps the set from before).
    pub(crate) fn finish_embedder(
        &mut self,
        gathered: super::parts::embeddings::Gathered,
        cancelled: bool,
    ) {
        if cancelled {
            // A stopped run gathered only some samples: the set from before stays.
            self.embeddings.embedder = self.embeddings.embedder_before.take();
            self.messages.notes.push(
                "the embedding model was stopped: the embeddings from before are kept".into(),
            );
            return;
        }
        self.embeddings.install(gathered);
        self.mark_order_dirty();
    }
}
