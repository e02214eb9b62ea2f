//! A second prediction set loaded for comparison (another model size, a quantised model, the
//! model after fine-tuning): its metrics beside the first, and which samples the two disagree on.

use std::path::Path;

use super::session::Session;
use crate::eval::compare::{Comparison, compare};
use crate::eval::{Metrics, compute_metrics, import_predictions};

/// The comparison set and what was computed from it.
#[derive(Default)]
pub struct CompareState {
    /// The second prediction set.
    pub set: Option<crate::eval::PredictionSet>,
    /// Its metrics on the current labels.
    pub metrics: Option<Metrics>,
    /// Disagreement counts with the main set.
    pub counts: Option<Comparison>,
}

impl Session {
    /// Loads a prediction file as the comparison set.
    pub fn import_comparison(&mut self, file: &Path) -> Result<(), String> {
        let (set, warnings) = import_predictions(file, &self.dataset).map_err(|e| e.to_string())?;
        // Added to the first set's warnings, never replacing them.
        self.notes.extend(warnings);
        self.compare.set = Some(set);
        self.changed();
        self.refresh();
        Ok(())
    }

    /// Recomputes the comparison set's metrics and the disagreement counts.
    pub fn recompute_comparison(&mut self) {
        let Some(b) = &self.compare.set else { return };
        self.compare.metrics = Some(compute_metrics(&self.dataset.classes, &self.truth, b));
        self.compare.counts = self.preds.as_ref().map(|a| compare(a, b, &self.truth));
    }
}
