//! Predictions in the window: choosing a model, importing a predictions file, running the model
//! in the background (results stream into the gallery), cancelling it.

use std::path::Path;
use std::sync::Arc;

use super::Session;
use super::parts::predict_job::{EntrySender, PredictStream};
use crate::app::jobs::PredictDone;
use crate::eval::{Entry, PredictionSet, import_predictions};
use crate::jobs::JobControl;
use crate::model::{BackendKind, PredictOptions, SampleOutcome, load_model, resolve_backend};

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
        let (set, warnings) =
            import_predictions(file, &self.ws.dataset).map_err(|e| e.to_string())?;
        self.messages.notes = warnings;
        self.predictions.backend = Some(format!("imported from {}", file.display()));
        self.predictions.vlm = None;
        self.predictions.set = Some(Arc::new(set));
        self.reset_calibration();
        self.predictions.revision += 1;
        self.changed();
        Ok(())
    }

    /// Starts predicting with the current model as the prediction job.
    pub fn start_prediction(&mut self, backend: BackendKind, use_cache: bool) {
        let Some(model) = self.predictions.model.clone() else {
            self.messages.error = Some("choose a model first".into());
            return;
        };
        let n = self.ws.dataset.samples.len();
        self.predictions.set = Some(Arc::new(PredictionSet::empty(&model.spec.name, "", n)));
        self.reset_calibration();
        self.messages.error = None;
        let ws = self.ws.clone();
        let run = move |tx: &EntrySender, job: &JobControl| {
            let n = ws.dataset.classes.len();
            let stream = |i: usize, outcome: &SampleOutcome| {
                tx.send(i, Entry::from_outcome(outcome, n, &model.model_labels));
            };
            let b = resolve_backend(backend, &model)?;
            let opts = PredictOptions {
                use_cache,
                embeddings: true,
                ..PredictOptions::default()
            };
            let mut run = ws.run_model(&model, &b, &opts, job, Some(&stream))?;
            let gathered = run.embeddings();
            run.report.drop_embeddings();
            Ok(PredictDone::Model(
                run.report,
                b.hint.unwrap_or_default(),
                gathered,
            ))
        };
        let started = PredictStream::start(&mut self.jobs, None, run);
        self.install_stream(started);
    }

    /// Keeps the stream of the job that started, or shows why it could not start.
    pub(super) fn install_stream(&mut self, started: Result<PredictStream, String>) {
        match started {
            Ok(stream) => self.predictions.stream = Some(stream),
            Err(e) => self.messages.error = Some(e),
        }
    }
}
