//! Classifying with a vision-language model behind an OpenAI-compatible endpoint from the
//! window: the same core call as `predict --vlm-endpoint`, on a background thread with progress
//! and cancel; answers are cached per image in the dataset's state folder.

use std::sync::Arc;

use super::session::{JobOutcome, RunningPredict, Session};
use crate::eval::{Entry, PredictionSet};
use crate::jobs::JobControl;
use crate::vlm::{VlmConfig, predict_vlm};

impl Session {
    /// Asks `cfg`'s endpoint for every sample in the background; the set replaces the current
    /// predictions when the job ends (cancelled: the answers so far, the rest missing).
    pub fn start_vlm(&mut self, cfg: VlmConfig, wake: Arc<dyn Fn() + Send + Sync>) {
        self.cancel();
        let n = self.dataset.samples.len();
        let describe = format!("VLM {} at {}", cfg.model, cfg.url());
        self.model = None;
        self.vlm = Some(cfg.clone());
        self.preds = Some(PredictionSet {
            name: cfg.model.clone(),
            source: describe.clone(),
            entries: vec![Entry::Missing; n],
            elapsed_secs: None,
            num_cached: 0,
            num_inferred: 0,
        });
        self.error = None;
        self.changed();
        let control = JobControl::new(Some(wake));
        let (done_tx, done) = crossbeam_channel::bounded(1);
        let (dataset, job) = (self.dataset.clone(), control.clone());
        let spawned = std::thread::Builder::new()
            .name("vlm-job".into())
            .spawn(move || {
                let state = crate::state::state_dir(&dataset.root).ok();
                let result = predict_vlm(&dataset, &cfg, state.as_deref(), &job)
                    .map(|set| JobOutcome::Set(set, describe));
                let _ = done_tx.send(result);
                job.finish();
            });
        self.install_job(spawned.map(|_| RunningPredict {
            control,
            results: crossbeam_channel::never(),
            done,
        }));
    }
}
