//! Calibrating a model's confidences on the workspace's labelled samples: which samples (a
//! validation split when the dataset has one), the fit and its figures. The verb behind
//! `labelscope calibrate` and the window's Calibrate.

use serde::Serialize;

use super::Workspace;
use crate::dataset::ClassId;
use crate::eval::PredictionSet;
use crate::eval::temperature::{CalibrateError, Calibration, calibrate};

/// Split names taken as the validation split when none is asked for, in order.
pub const VALIDATION_SPLITS: [&str; 3] = ["val", "validation", "valid"];

/// A calibration with the samples it was fitted on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationOutcome {
    /// The fit and the figures before and after.
    #[serde(flatten)]
    pub calibration: Calibration,
    /// The split fitted on, or `None` for every labelled sample.
    pub split: Option<String>,
    /// Whether the figures are measured on the samples the temperature was fitted on with no
    /// split held out (`split` is `None`): the "after" figures are then optimistic.
    pub in_sample: bool,
}

/// Why a calibration could not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalibrationError {
    /// The split asked for is not in the dataset.
    #[error("the dataset has no split `{asked}` (it has: {have})")]
    UnknownSplit {
        /// The split asked for.
        asked: String,
        /// The splits it has, or "none".
        have: String,
    },
    /// Nothing to fit.
    #[error(transparent)]
    Fit(#[from] CalibrateError),
}

impl Workspace {
    /// The split a calibration uses: `asked` (which must exist), else the first of
    /// [`VALIDATION_SPLITS`] the dataset has, else `None` (every sample).
    pub fn calibration_split(
        &self,
        asked: Option<&str>,
    ) -> Result<Option<String>, CalibrationError> {
        let mut have: Vec<&str> = self
            .dataset
            .samples
            .iter()
            .filter_map(|s| s.split.as_deref())
            .collect();
        have.sort_unstable();
        have.dedup();
        match asked {
            Some(a) if have.contains(&a) => Ok(Some(a.to_string())),
            Some(a) => Err(CalibrationError::UnknownSplit {
                asked: a.to_string(),
                have: if have.is_empty() {
                    "none".into()
                } else {
                    have.join(", ")
                },
            }),
            None => Ok(VALIDATION_SPLITS
                .iter()
                .find(|v| have.contains(v))
                .map(|v| v.to_string())),
        }
    }

    /// Fits a temperature to `set` (made with temperature `previous`) against `truth` on the
    /// split [`Workspace::calibration_split`] chooses, with the figures before and after.
    pub fn calibrate(
        &self,
        set: &PredictionSet,
        truth: &[Option<ClassId>],
        split: Option<&str>,
        previous: f64,
    ) -> Result<CalibrationOutcome, CalibrationError> {
        let split = self.calibration_split(split)?;
        let samples = &self.dataset.samples;
        let keep = |i: usize| {
            split
                .as_deref()
                .is_none_or(|s| samples.get(i).and_then(|x| x.split.as_deref()) == Some(s))
        };
        let context = split
            .as_deref()
            .map_or(String::new(), |s| format!(" in the split `{s}`"));
        let calibration = calibrate(set, truth, &keep, previous, &context)?;
        Ok(CalibrationOutcome {
            calibration,
            in_sample: split.is_none(),
            split,
        })
    }
}
