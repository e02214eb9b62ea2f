//! Calibrating the main predictions in the window: the fit runs as a job on the shown
//! predictions and the current labels; "Use" swaps in the scaled predictions (and gives the
//! model the temperature, so later runs keep it); "Save" writes a calibrated copy of the spec,
//! checked against every file the session read.

use std::sync::Arc;

use super::Session;
use super::parts::calibration::{Applied, CalibrationState};
use crate::app::jobs::{Finished, JobKind};
use crate::eval::temperature::scaled_set;
use crate::model::calibrated_spec::write_calibrated_spec;
use crate::workspace::CalibrationOutcome;

impl Session {
    /// Fits a temperature to the shown predictions off the UI thread (the validation split
    /// when the dataset has one, else every labelled sample).
    pub fn start_calibration(&mut self) {
        let Some(set) = self.predictions.set.clone() else {
            self.messages.error = Some("calibrating needs predictions: run a model first".into());
            return;
        };
        let truth = self.curation.truth().to_vec();
        let previous = self
            .predictions
            .model
            .as_ref()
            .and_then(|m| m.spec.output.temperature)
            .unwrap_or(1.0);
        let ws = self.ws.clone();
        let started = self.jobs.start(JobKind::Calibrate, move |_job| {
            Finished::Calibrate(
                ws.calibrate(&set, &truth, None, previous)
                    .map_err(|e| e.to_string()),
            )
        });
        if let Err(e) = started {
            self.messages.error = Some(e);
        }
    }

    /// Keeps a finished fit, with a default place to save the calibrated spec.
    pub fn finish_calibration(&mut self, r: Result<CalibrationOutcome, String>) {
        let c = &mut self.predictions.calibration;
        if c.save_to.is_empty()
            && let Some(m) = &self.predictions.model
        {
            let stem = m
                .onnx_path
                .file_stem()
                .map_or("model".into(), |s| s.to_string_lossy().into_owned());
            c.save_to = m
                .onnx_path
                .with_file_name(format!("{stem}.calibrated.json"))
                .display()
                .to_string();
        }
        c.saved = None;
        c.outcome = Some(r);
    }

    /// Shows the calibrated predictions (`on`) or the model's own again.
    pub fn use_calibration(&mut self, on: bool) {
        let p = &mut self.predictions;
        match (on, p.calibration.applied.take()) {
            (true, None) => {
                let (Some(Ok(o)), Some(set)) = (&p.calibration.outcome, &p.set) else {
                    return;
                };
                let scaled = scaled_set(set, o.calibration.fit.temperature);
                let model = p.model.clone();
                if let Some(m) = &model {
                    let mut calibrated = (**m).clone();
                    calibrated.spec.output.temperature = Some(o.calibration.temperature);
                    p.model = Some(Arc::new(calibrated));
                }
                if let Some(original) = p.set.replace(Arc::new(scaled)) {
                    p.calibration.applied = Some(Applied {
                        set: original,
                        model,
                    });
                }
            }
            (false, Some(before)) => {
                p.set = Some(before.set);
                p.model = before.model;
            }
            (_, kept) => {
                p.calibration.applied = kept;
                return;
            }
        }
        self.changed();
    }

    /// Writes the calibrated copy of the model's spec to `path`.
    pub fn save_calibrated_spec(&mut self, path: &std::path::Path) {
        self.predictions.calibration.save_to = path.display().to_string();
        let c = &self.predictions.calibration;
        let result = (|| -> Result<String, String> {
            let Some(Ok(o)) = &c.outcome else {
                return Err("calibrate first".into());
            };
            let model = match &c.applied {
                Some(a) => a.model.clone(),
                None => self.predictions.model.clone(),
            }
            .ok_or("a spec needs a model: these predictions were imported")?;
            let out = self
                .inputs()
                .dataset(&self.ws.dataset)
                .check_file_output(path)
                .map_err(|e| e.to_string())?;
            write_calibrated_spec(&model, o.calibration.temperature, &out)
                .map_err(|e| e.to_string())?;
            Ok(out.display().to_string())
        })();
        if let Ok(p) = &result {
            self.messages.notify(format!(
                "wrote {p}: open it as the model (or --model it) to use the calibrated confidences"
            ));
        }
        self.predictions.calibration.saved = Some(result);
    }

    /// Forgets the fit (new predictions arrived).
    pub(super) fn reset_calibration(&mut self) {
        self.predictions.calibration = CalibrationState {
            save_to: std::mem::take(&mut self.predictions.calibration.save_to),
            ..CalibrationState::default()
        };
    }
}
