//! The predictions shown in the window: where they come from (a model or a VLM endpoint), the
//! run filling them in, and the metrics and charts derived from them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::predict_job::PredictStream;
use crate::app::chart_data::ChartData;
use crate::eval::{Metrics, PredictionSet};
use crate::model::LoadedModel;

/// The main predictions of the open dataset and what is derived from them.
pub struct PredictionState {
    /// The model, once chosen.
    pub model: Option<Arc<LoadedModel>>,
    /// The VLM endpoint the current predictions come from, when not a model.
    pub vlm: Option<crate::vlm::VlmConfig>,
    /// Predictions (filled in as they arrive). Shared: the jobs that read them and the gallery
    /// order's thread hold the same set; a change makes a copy only while one still does.
    pub set: Option<Arc<PredictionSet>>,
    /// The entries of the running prediction job streaming in (the job itself is in the
    /// registry).
    pub stream: Option<PredictStream>,
    /// Backend description of the last run ("tract-onnx ...", "onnxruntime ...").
    pub backend: Option<String>,
    /// Advice about the backend (how to get ONNX Runtime).
    pub backend_hint: Option<String>,
    /// Bumped whenever a prediction run finishes or predictions are imported (the embedding
    /// analysis runs again).
    pub revision: u64,
    /// Metrics of `set`, recomputed when they change (throttled while a job runs).
    pub metrics: Option<Metrics>,
    /// Metrics against the original labels, when there are edits.
    pub metrics_before: Option<Metrics>,
    /// Chart inputs, recomputed with the metrics.
    pub charts: Option<ChartData>,
    /// A temperature fitted to these predictions, and whether they use it.
    pub calibration: super::calibration::CalibrationState,
    /// The metrics are stale.
    pub(in crate::app::session) dirty: bool,
    /// When the metrics were last computed.
    pub(in crate::app::session) last_metrics: Instant,
    /// How long the last metrics recompute took (sets the interval while a job streams in).
    pub(in crate::app::session) metrics_cost: Duration,
}

impl Default for PredictionState {
    fn default() -> Self {
        Self {
            model: None,
            vlm: None,
            set: None,
            stream: None,
            backend: None,
            backend_hint: None,
            revision: 0,
            metrics: None,
            metrics_before: None,
            charts: None,
            calibration: Default::default(),
            dirty: false,
            last_metrics: Instant::now(),
            metrics_cost: Duration::ZERO,
        }
    }
}

impl PredictionState {
    /// Whether the metrics are due: stale, and (while a job streams results in) not computed
    /// in the last 250 ms or ten times their own cost.
    pub(in crate::app::session) fn metrics_due(&self) -> bool {
        let interval = Duration::from_millis(250).max(self.metrics_cost * 10);
        self.dirty && (self.stream.is_none() || self.last_metrics.elapsed() > interval)
    }
}
