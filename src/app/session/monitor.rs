//! Device logs in the window: read and judged as a background job (the same core as
//! `labelscope monitor`), against the open dataset and the current predictions as the
//! reference.

use std::path::PathBuf;

use super::Session;
use crate::app::jobs::{Finished, JobKind, MonitorDone};
use crate::monitor::{MonitorOptions, Reference, monitor, read_logs};

impl Session {
    /// Reads `logs` and judges them day by day against the current predictions on this dataset.
    pub fn start_monitor(&mut self, logs: Vec<PathBuf>) {
        let Some(preds) = self.predictions.set.clone() else {
            self.messages.error = Some(
                "run the model on this dataset first: its predictions are the reference".into(),
            );
            return;
        };
        let (classes, truth) = (
            self.ws.dataset.classes.clone(),
            self.curation.truth().to_vec(),
        );
        let started = self.jobs.start(JobKind::Monitor, move |job| {
            job.begin_stage("reading the device logs", 1);
            let reference = Reference::new(&classes, &preds, &truth);
            let done = read_logs(&logs, &classes)
                .map_err(|e| e.to_string())
                .map(|log| MonitorDone {
                    windows: monitor(&log.rows, &reference, &MonitorOptions::default()),
                    reference,
                    skipped: log.problems,
                    rows: log.rows.len(),
                    files: log.files,
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
