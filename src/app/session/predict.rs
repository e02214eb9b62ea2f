//! Predictions in the window: choosing a model, importing a predictions file, running the model
//! in the background (results stream into the gallery), cancelling it.

use std::path::Path;
use std::sync::Arc;

use super::Session;
use super::parts::predict_job::{JobOutcome, RunningPredict};
use crate::eval::{Entry, PredictionSet, import_predictions};
use crate::jobs::JobControl;
use crate::model::{BackendKind, SampleOutcome, load_model};

impl Session {
    /// Loads the model at `path` (an `.onnx` or a spec `.json`).
    pub fn set_model(&mut self, path: &Path) -> Result<(), String> {
        let model = load_model(path).map_err(|e| e.to_string())?;
        self.messages.notes = model.notes.clone();
        self.predictions.model = Some(Arc::new(model));
        self.predictions.vlm = None;
        Ok(())
    }

    /// Loads predictions made elsewhere.
    pub fn import(&mut self, file: &Path) -> Result<(), String> {
        let (set, warnings) = import_predictions(file, &self.dataset).map_err(|e| e.to_string())?;
        self.messages.notes = warnings;
        self.predictions.backend = Some(format!("imported from {}", file.display()));
        self.predictions.vlm = None;
        self.predictions.set = Some(set);
        self.predictions.revision += 1;
        self.changed();
        Ok(())
    }

    /// Starts predicting with the current model on a background thread; `wake` requests a repaint.
    pub fn start_prediction(
        &mut self,
        backend: BackendKind,
        use_cache: bool,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) {
        let Some(model) = self.predictions.model.clone() else {
            self.messages.error = Some("choose a model first".into());
            return;
        };
        self.predictions.cancel();
        let n = self.dataset.samples.len();
        self.predictions.set = Some(PredictionSet::empty(&model.spec.name, "", n));
        self.messages.error = None;
        let dataset = self.dataset.clone();
        let run = move |tx: &crossbeam_channel::Sender<(usize, Entry)>, job: &JobControl| {
            let n = dataset.classes.len();
            let stream = |i: usize, outcome: &SampleOutcome| {
                let _ = tx.send((i, Entry::from_outcome(outcome, n, &model.model_labels)));
            };
            let (report, b) = super::parts::embeddings::run_keeping_embeddings(
                &dataset,
                &model,
                backend,
                use_cache,
                job,
                Some(&stream),
            )?;
            let gathered = super::parts::embeddings::gather(&report, b.factory.embedding());
            Ok(JobOutcome::Model(
                report,
                b.hint.unwrap_or_default(),
                gathered,
            ))
        };
        self.install_job(RunningPredict::spawn("predict-job", wake, None, run));
    }

    /// Keeps the job whose thread started, or shows why it could not start.
    pub(super) fn install_job(&mut self, started: std::io::Result<RunningPredict>) {
        match started {
            Ok(job) => self.predictions.job = Some(job),
            Err(e) => self.messages.error = Some(format!("cannot start the job's thread: {e}")),
        }
    }
}
