//! Evaluation: prediction sets, the confusion matrix (with `other`/`unparsed` columns when any
//! prediction falls outside the label set), scikit-learn-compatible metrics, calibration.

mod calibration;
pub mod compare;
mod confusion;
pub mod intervals;
mod metrics;
pub mod parts;
mod predictions;
mod predictions_file;
pub mod temperature;

pub use calibration::{ECE_BINS, ReliabilityBin, expected_calibration_error, reliability_bins};
pub use confusion::ConfusionMatrix;
pub use metrics::{ClassMetrics, LatencySummary, Metrics, compute_metrics};
pub use predictions::{
    Entry, Predicted, Prediction, PredictionSet, from_probs as predictions_from_probs,
};
pub use predictions_file::read::{import_predictions, read_prediction_table};
pub use predictions_file::write::prediction_columns;
