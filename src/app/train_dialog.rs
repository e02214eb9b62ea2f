//! The "Train a head" dialog's state: options, the background job (cached embeddings read
//! again, then training with every step's loss streamed for the live curve), the before/after
//! table, and writing the deployable model.

use std::sync::{Arc, Mutex};

use super::background::BackgroundJob;
use super::session::Session;
use crate::export::{PlanOptions, SplitConfig};
use crate::head::run::{TrainOutcome, TrainRequest, train_and_compare, write_head};
use crate::head::{CurvePoint, HeadOptions, raw_embeddings};
use crate::jobs::JobError;
use crate::model::{BackendKind, LoadedModel};

/// A finished training and what it needs to be written.
pub struct TrainDone {
    /// The table, the heads and the split.
    pub outcome: TrainOutcome,
    /// The model it was trained on.
    pub model: Arc<LoadedModel>,
    /// The embedding value the head reads.
    pub value: String,
    /// The request.
    pub req: TrainRequest,
}

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
    /// The running job.
    pub job: Option<BackgroundJob<Result<TrainDone, JobError>>>,
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
        let name = s
            .dataset
            .root
            .file_name()
            .map_or("dataset".into(), |n| n.to_string_lossy().to_string());
        let out = s
            .dataset
            .root
            .parent()
            .unwrap_or(&s.dataset.root)
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
            job: None,
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
    pub fn start(&mut self, s: &Session, backend: BackendKind, wake: Arc<dyn Fn() + Send + Sync>) {
        let Some(model) = s.predictions.model.clone() else {
            self.message = Some(Err(
                "training a head needs a model (File > Open model…)".into()
            ));
            return;
        };
        let Some(preds) = s.predictions.set.clone() else {
            self.message = Some(Err("run the model first".into()));
            return;
        };
        let (ds, edits, req) = (
            s.dataset.clone(),
            s.curation.state().clone(),
            self.request(),
        );
        let curve = self.curve.clone();
        if let Ok(mut c) = curve.lock() {
            *c = Default::default();
        }
        self.done = None;
        self.message = None;
        let waker = wake.clone();
        let spawned = BackgroundJob::spawn("train-head", wake, move |job| {
            job.begin_stage("reading the embeddings", ds.samples.len());
            let (report, b) = super::session::parts::embeddings::run_keeping_embeddings(
                &ds, &model, backend, true, job, None,
            )?;
            let value = b
                .factory
                .embedding()
                .map_err(|why| JobError::Failed(format!("the model gives no embedding: {why}")))?
                .to_string();
            let embeddings = raw_embeddings(&report.outcomes);
            let outcome =
                train_and_compare(&ds, &edits, &embeddings, &preds, &req, job, |k, p| {
                    if let Ok(mut c) = curve.lock() {
                        c[k].push(p.clone());
                    }
                    waker();
                })?;
            Ok(TrainDone {
                outcome,
                model,
                value,
                req,
            })
        });
        match spawned {
            Ok(job) => self.job = Some(job),
            Err(e) => self.message = Some(Err(format!("cannot start training: {e}"))),
        }
    }

    /// Collects the job when it finishes.
    pub fn poll(&mut self) {
        let Some(result) = self.job.as_ref().and_then(BackgroundJob::poll) else {
            return;
        };
        self.job = None;
        match result {
            Ok(done) => self.done = Some(done),
            Err(JobError::Cancelled) => self.message = Some(Err("cancelled".into())),
            Err(e) => self.message = Some(Err(e.to_string())),
        }
    }

    /// Stops the running job.
    pub fn cancel(&self) {
        if let Some(job) = &self.job {
            job.control.cancel();
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
                &s.dataset,
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
