//! Device logs in the window: read and judged as a background job (the same core as
//! `labelscope monitor`), against the open dataset and the current predictions as the
//! reference.

use std::path::PathBuf;

use super::Session;
use crate::app::jobs::{Finished, JobKind, MonitorDone};
use crate::dataset::Dataset;
use crate::monitor::{LogRow, MonitorOptions, Reference, monitor, read_logs};

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

impl Session {
    /// Reads `logs` and judges them day by day against the current predictions on this dataset.
    pub fn start_monitor(&mut self, logs: Vec<PathBuf>) {
        let Some(preds) = self.predictions.set.clone() else {
            self.messages.error = Some(
                "run the model on this dataset first: its predictions are the reference".into(),
            );
            return;
        };
        let (ws, truth) = (self.ws.clone(), self.curation.truth().to_vec());
        let started = self.jobs.start(JobKind::Monitor, move |job| {
            job.begin_stage("reading the device logs", 1);
            let classes = &ws.dataset.classes;
            let reference = Reference::new(classes, &preds, &truth);
            let done = read_logs(&logs, classes)
                .map_err(|e| e.to_string())
                .map(|log| {
                    let windows = monitor(&log.rows, &reference, &MonitorOptions::default());
                    let of_row = samples_of(&ws.dataset, &log.rows);
                    let samples = windows
                        .iter()
                        .map(|w| {
                            let mut s: Vec<usize> =
                                w.rows.iter().filter_map(|&r| of_row[r]).collect();
                            s.sort_unstable();
                            s.dedup();
                            s
                        })
                        .collect();
                    MonitorDone {
                        windows,
                        reference,
                        skipped: log.problems,
                        rows: log.rows.len(),
                        files: log.files,
                        samples,
                    }
                });
            Finished::Monitor(done)
        });
        if let Err(e) = started {
            self.messages.error = Some(e);
        }
    }

    /// Keeps the judged logs (or shows why they could not be read).
    pub(crate) fn finish_monitor(&mut self, done: Result<MonitorDone, String>) {
        match done {
            Ok(d) => {
                self.messages
                    .notes
                    .extend(d.skipped.iter().take(5).cloned());
                self.monitor = Some(d);
            }
            Err(e) => self.messages.error = Some(format!("cannot read the device logs: {e}")),
        }
    }
}
