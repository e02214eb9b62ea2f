//! Device logs in the window: read and judged as a background job (the same core as
//! `labelscope monitor`), against the open dataset and the current predictions as the
//! reference; with the dataset's embeddings, the logged images are embedded with the same
//! model and tested too, and each window's images can be sorted by how novel they are.

use std::path::PathBuf;
use std::sync::Arc;

use super::Session;
use crate::app::jobs::{Finished, JobKind, MonitorDone};
use crate::dataset::Dataset;
use crate::embed::EmbeddingSet;
use crate::jobs::JobControl;
use crate::model::{BackendKind, LoadedModel};
use crate::monitor::{
    DeviceLog, EmbeddingSide, LogRow, MonitorOptions, Reference, embedding_side, monitor, read_logs,
};

/// The dataset sample each log row's image is, when it is one (paths compared after resolving
/// links and `..`).
fn samples_of(ds: &Dataset, rows: &[LogRow]) -> Vec<Option<usize>> {
    let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    let index: std::collections::HashMap<PathBuf, usize> = ds
        .samples
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((canonical(&s.path)?, i)))
        .collect();
    rows.iter()
        .map(|r| index.get(&canonical(r.path.as_deref()?)?).copied())
        .collect()
}

/// The image files `rows` (indices into `all`) name that are not dataset samples (`of_row`
/// is `None`), each once in log order, with what the log says of the first row naming it.
/// Images inside a log file (no file of their own) cannot be added by reference and are left
/// out.
fn outside_dataset(
    rows: &[usize],
    of_row: &[Option<usize>],
    all: &[LogRow],
) -> Vec<crate::select::labelling::Selected> {
    let mut seen = std::collections::HashSet::new();
    rows.iter()
        .filter(|&&r| of_row.get(r).is_some_and(Option::is_none))
        .filter_map(|&r| {
            let row = &all[r];
            let path = row.path.as_ref()?;
            if !path.is_file() || !seen.insert(path.clone()) {
                return None;
            }
            let when = chrono::DateTime::from_timestamp(row.time as i64, 0)
                .map_or_else(String::new, |d| d.format("%m-%d %H:%M").to_string());
            let device = row
                .device
                .as_deref()
                .map_or_else(String::new, |d| format!(" on {d}"));
            let confidence = row
                .confidence
                .map_or_else(String::new, |c| format!(" {c:.2}"));
            Some(crate::select::labelling::Selected {
                path: path.clone(),
                reason: Some(format!(
                    "logged {when}{device}: predicted {}{confidence}",
                    row.pred
                )),
            })
        })
        .collect()
}

/// What the embedding test needs from the session: the dataset's embeddings and the model
/// that read them.
struct EmbeddingInputs {
    set: Arc<EmbeddingSet>,
    model: Arc<LoadedModel>,
    backend: BackendKind,
}

/// The embedding side, or why there is none.
fn side_of(
    inputs: Option<EmbeddingInputs>,
    log: &DeviceLog,
    classes: &[String],
    job: &JobControl,
) -> Result<EmbeddingSide, String> {
    let inputs = inputs.ok_or_else(|| {
        "no embedding test: the dataset has no embeddings yet (run a model that gives them)"
            .to_string()
    })?;
    if !log.rows.iter().any(|r| r.path.is_some()) {
        return Err("no embedding test: the logs name no images".into());
    }
    let backend = crate::model::resolve_backend(inputs.backend, &inputs.model)
        .map_err(|e| format!("no embedding test: {e}"))?;
    job.begin_stage("embedding the logged images", 1);
    embedding_side(
        &inputs.set,
        &log.rows,
        classes,
        &inputs.model,
        &backend,
        job,
    )
    .map_err(|e| format!("no embedding test: {e}"))
}

/// Per window, its samples' novelty (the largest over their rows) and lowest confidence.
fn per_sample(
    windows: &[crate::monitor::WindowReport],
    samples: &[Vec<usize>],
    of_row: &[Option<usize>],
    rows: &[LogRow],
    side: Option<&EmbeddingSide>,
) -> (Vec<Vec<f32>>, Vec<Vec<Option<f32>>>) {
    let mut novelty = Vec::new();
    let mut confidence = Vec::new();
    for (w, s) in windows.iter().zip(samples) {
        let position = |r: usize| of_row[r].and_then(|i| s.binary_search(&i).ok());
        let mut conf: Vec<Option<f32>> = vec![None; s.len()];
        for &r in &w.rows {
            if let (Some(k), Some(c)) = (position(r), rows[r].confidence) {
                conf[k] = Some(conf[k].map_or(c, |x: f32| x.min(c)));
            }
        }
        confidence.push(conf);
        let Some(side) = side else {
            novelty.push(Vec::new());
            continue;
        };
        let with_embedding: Vec<usize> = w
            .rows
            .iter()
            .copied()
            .filter(|&r| side.log.of_row[r].is_some() && position(r).is_some())
            .collect();
        let distances = side
            .reference
            .novelty(side.log.matrix(&with_embedding).view());
        let mut n = vec![f32::NEG_INFINITY; s.len()];
        for (&r, d) in with_embedding.iter().zip(distances) {
            if let Some(k) = position(r) {
                n[k] = n[k].max(d);
            }
        }
        novelty.push(n);
    }
    (novelty, confidence)
}

impl Session {
    /// Reads `logs` and judges them day by day against the current predictions on this dataset.
    pub fn start_monitor(&mut self, logs: Vec<PathBuf>, backend: BackendKind) {
        let Some(preds) = self.predictions.set.clone() else {
            self.messages.error = Some(
                "run the model on this dataset first: its predictions are the reference".into(),
            );
            return;
        };
        // The embeddings come from the embedding model when one was chosen, else the main one.
        let model = match &self.embeddings.embedder {
            Some(path) => crate::model::load_model(path).ok().map(Arc::new),
            None => self.predictions.model.clone(),
        };
        let inputs = self
            .embeddings
            .set
            .clone()
            .zip(model)
            .map(|(set, model)| EmbeddingInputs {
                set,
                model,
                backend,
            });
        let (ws, truth) = (self.ws.clone(), self.curation.truth().to_vec());
        self.monitor_logs = logs.clone();
        let options = self.monitor_options.clone();
        let started = self.jobs.start(JobKind::Monitor, move |job| {
            job.begin_stage("reading the device logs", 1);
            let classes = &ws.dataset.classes;
            let reference = Reference::new(classes, &preds, &truth);
            let done = read_logs(&logs, classes)
                .map_err(|e| e.to_string())
                .map(|log| {
                    let side = side_of(inputs, &log, classes, job);
                    let windows = monitor(
                        &log.rows,
                        &reference,
                        &options,
                        side.as_ref().ok().map(|s| s.view()),
                    );
                    let of_row = samples_of(&ws.dataset, &log.rows);
                    let samples: Vec<Vec<usize>> = windows
                        .iter()
                        .map(|w| {
                            let mut s: Vec<usize> =
                                w.rows.iter().filter_map(|&r| of_row[r]).collect();
                            s.sort_unstable();
                            s.dedup();
                            s
                        })
                        .collect();
                    let (novelty, confidence) =
                        per_sample(&windows, &samples, &of_row, &log.rows, side.as_ref().ok());
                    let outside = windows
                        .iter()
                        .map(|w| outside_dataset(&w.rows, &of_row, &log.rows))
                        .collect();
                    MonitorDone {
                        windows,
                        reference,
                        skipped: log.problems,
                        rows: log.rows.len(),
                        files: log.files,
                        samples,
                        novelty,
                        confidence,
                        outside,
                        embedding_note: side.err(),
                    }
                });
            Finished::Monitor(done)
        });
        if let Err(e) = started {
            self.messages.error = Some(e);
        }
    }

    /// Cuts the last opened logs again with `options` (window length, split).
    pub fn set_monitor_options(&mut self, options: MonitorOptions, backend: BackendKind) {
        if options == self.monitor_options {
            return;
        }
        self.monitor_options = options;
        if !self.monitor_logs.is_empty() {
            self.start_monitor(self.monitor_logs.clone(), backend);
        }
    }

    /// Keeps the judged logs (or shows why they could not be read).
    pub(crate) fn finish_monitor(&mut self, done: Result<MonitorDone, String>) {
        match done {
            Ok(d) => {
                self.messages
                    .notes
                    .extend(d.skipped.iter().take(5).cloned());
                self.messages.notes.extend(d.embedding_note.clone());
                self.monitor = Some(d);
            }
            Err(e) => self.messages.error = Some(format!("cannot read the device logs: {e}")),
        }
    }
}
