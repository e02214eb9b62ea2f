//! The "Train a head" dialog's state: options, the background job (cached embeddings read
//! again, then training with every step's loss streamed for the live curve), the before/after
//! table, and writing the deployable model.

use std::sync::{Arc, Mutex};

use super::jobs::{Finished, JobKind, TrainDone};
use super::session::Session;
use crate::export::{PlanOptions, SplitConfig};
use crate::head::run::{TrainRequest, write_head};
use crate::head::{CurvePoint, HeadOptions};
use crate::jobs::JobError;
use crate::model::BackendKind;

/// The dialog.
pub struct TrainDialog {
    /// Validation fraction.
    pub val: f64,
    /// Seed.
    pub seed: u64,
    /// Keep the dataset's own split.
    pub keep_splits: bool,
    /// Inverse L2 strength.
    pub c: f64,
    /// Balanced class weights.
    pub balanced: bool,
    /// Also train on the original labels.
    pub compare: bool,
    /// Where to write the model.
    pub out: String,
    /// Losses so far: [cleaned, original].
    pub curve: Arc<Mutex<[Vec<CurvePoint>; 2]>>,
    /// The last result.
    pub done: Option<TrainDone>,
    /// The last error, or what was written.
    pub message: Option<Result<String, String>>,
}

impl TrainDialog {
    /// A dialog with the export's defaults (10% validation, seed 42) and an output folder
    /// beside the dataset.
    pub fn new(s: &Session, split: Option<&SplitConfig>, keep_splits: bool) -> Self {
        let split = split.cloned().unwrap_or_default();
        let name =
            s.ws.dataset
                .root
                .file_name()
                .map_or("dataset".into(), |n| n.to_string_lossy().to_string());
        let out =
            s.ws.dataset
                .root
                .parent()
                .unwrap_or(&s.ws.dataset.root)
                .join(format!("{name}-head"));
        Self {
            val: split.val,
            seed: split.seed,
            keep_splits,
            c: HeadOptions::default().c,
            balanced: false,
            compare: true,
            out: out.display().to_string(),
            curve: Arc::default(),
            done: None,
            message: None,
        }
    }

    fn request(&self) -> TrainRequest {
        TrainRequest {
            head: HeadOptions {
                c: self.c,
                balanced: self.balanced,
                ..HeadOptions::default()
            },
            plan: PlanOptions {
                split: SplitConfig {
                    val: self.val,
                    test: 0.0,
                    seed: self.seed,
                },
                keep_splits: self.keep_splits,
                ..PlanOptions::default()
            },
            compare_original_labels: self.compare,
        }
    }

    /// Starts training on the session's model and current edits.
    pub fn start(&mut self, s: &mut Session, backend: BackendKind) {
        let Some(model) = s.predictions.model.clone() else {
            self.message = Some(Err(
                "training a head needs a model (File > Open model…)".into()
            ));
            return;
        };
        if s.predictions.set.is_none() {
            self.message = Some(Err("run the model first".into()));
            return;
        }
        let (ws, edits, req) = (s.ws.clone(), s.curation.state().clone(), self.request());
        let curve = self.curve.clone();
        if let Ok(mut c) = curve.lock() {
            *c = Default::default();
        }
        self.done = None;
        self.message = None;
        let started = s.jobs.start(JobKind::Train, move |job| {
            Finished::Train((|| -> Result<TrainDone, JobError> {
                let ds = &*ws.dataset;
                job.begin_stage("reading the embeddings", ds.samples.len());
                let b = crate::model::resolve_backend(backend, &model)?;
                let opts = crate::model::PredictOptions {
                    embeddings: true,
                    ..crate::model::PredictOptions::default()
                };
                let run = ws.run_model(&model, &b, &opts, job, None)?;
                let value = run.embedding.clone().map_err(|why| {
                    JobError::Failed(format!("the model gives no embedding: {why}"))
                })?;
                let outcome = ws.train_head(&run, &edits, &req, job, |k, p| {
                    if let Ok(mut c) = curve.lock() {
                        c[k].push(p.clone());
                    }
                    job.wake();
                })?;
                Ok(TrainDone {
                    outcome,
                    model,
                    value,
                    req,
                })
            })())
        });
        if let Err(e) = started {
            self.message = Some(Err(e));
        }
    }

    /// Shows the finished training.
    pub fn finish(&mut self, result: Result<TrainDone, JobError>) {
        match result {
            Ok(done) => self.done = Some(done),
            Err(JobError::Cancelled) => self.message = Some(Err("cancelled".into())),
            Err(e) => self.message = Some(Err(e.to_string())),
        }
    }

    /// Writes the trained head as a model into the chosen folder.
    pub fn write(&mut self, s: &Session) {
        let Some(done) = &self.done else { return };
        let out = std::path::PathBuf::from(self.out.trim());
        self.message = Some(
            write_head(
                &out,
                &s.inputs(),
                &s.ws.dataset,
                &done.model,
                &done.value,
                &done.outcome,
                &done.req,
            )
            .map(|p| format!("wrote {} (+ head.json, report.json)", p.display()))
            .map_err(|e| e.to_string()),
        );
    }
}
