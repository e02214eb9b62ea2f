//! Classifying with a vision-language model behind an OpenAI-compatible endpoint from the
//! window: the same core call as `predict --vlm-endpoint`, on a background thread with progress
//! and cancel; answers stream in as they arrive and are cached per image in the dataset's
//! state folder.

use super::Session;
use super::parts::predict_job::{EntrySender, PredictStream, Previous};
use crate::app::jobs::PredictDone;
use crate::eval::{Entry, PredictionSet};
use crate::jobs::{JobControl, JobError};
use crate::vlm::VlmConfig;

impl Session {
    /// Asks `cfg`'s endpoint for every sample in the background; answers stream into the
    /// current predictions as they arrive (cancelled: the answers so far, the rest missing). A
    /// run that fails puts back the predictions it replaced.
    pub fn start_vlm(&mut self, cfg: VlmConfig) {
        let n = self.ws.dataset.samples.len();
        let describe = format!("VLM {} at {}", cfg.model, cfg.url());
        let previous = Previous {
            preds: self.predictions.set.take(),
            model: self.predictions.model.take(),
            vlm: self.predictions.vlm.replace(cfg.clone()),
            backend: self.predictions.backend.clone(),
        };
        // A VLM answers slowly: the last results (metrics, the detail view) stay until its
        // first answer arrives, instead of an empty set scoring 0%.
        let fresh = PredictionSet::empty(&cfg.model, &describe, n);
        let shown_until_first = previous.preds.clone();
        self.predictions.set = Some(
            shown_until_first
                .clone()
                .unwrap_or_else(|| std::sync::Arc::new(fresh.clone())),
        );
        self.reset_calibration();
        self.messages.error = None;
        self.changed();
        let ws = self.ws.clone();
        let run = move |tx: &EntrySender, job: &JobControl| {
            let stream = |i: usize, entry: &Entry| tx.send(i, entry.clone());
            ws.run_vlm(&cfg, true, job, Some(&stream))
                .map(|set| PredictDone::Set(set, describe))
                .map_err(JobError::from)
        };
        let started = PredictStream::start(&mut self.jobs, Some(previous), run).map(|mut s| {
            s.fresh = shown_until_first.map(|_| fresh);
            s
        });
        self.install_stream(started);
    }
}
