//! Evaluation: prediction sets, the confusion matrix (with `other`/`unparsed` columns when any
//! prediction falls outside the label set), scikit-learn-compatible metrics, calibration.

mod calibration;
pub mod compare;
mod confusion;
mod import;
mod metrics;
pub mod parts;
mod predictions;

pub use calibration::{ECE_BINS, ReliabilityBin, expected_calibration_error, reliability_bins};
pub use confusion::ConfusionMatrix;
pub use import::import_predictions;
pub use metrics::{ClassMetrics, LatencySummary, Metrics, compute_metrics};
pub use predictions::{
    Entry, Predicted, Prediction, PredictionSet, from_probs as predictions_from_probs,
    from_sample as prediction_from_sample,
};
