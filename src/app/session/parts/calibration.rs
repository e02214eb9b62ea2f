//! A temperature fitted in the window (Metrics > Calibrate) and whether the shown predictions
//! use it.

use std::sync::Arc;

use crate::eval::PredictionSet;
use crate::model::LoadedModel;
use crate::workspace::CalibrationOutcome;

/// The window's calibration of the main predictions.
#[derive(Default)]
pub struct CalibrationState {
    /// The last fit on the current predictions, or why it failed.
    pub outcome: Option<Result<CalibrationOutcome, String>>,
    /// While the shown predictions are the calibrated ones: what they were before.
    pub applied: Option<Applied>,
    /// Where "Save calibrated spec" writes by default (beside the model; the last path used).
    pub save_to: String,
    /// What the last save did.
    pub saved: Option<Result<String, String>>,
}

/// The predictions and model from before the calibration was applied.
pub struct Applied {
    /// The predictions as the model gave them.
    pub set: Arc<PredictionSet>,
    /// The model with its own temperature.
    pub model: Option<Arc<LoadedModel>>,
}
