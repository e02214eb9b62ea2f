//! The prediction job of a session: a model or VLM run on a background thread, streaming each
//! sample's entry to the window, with what it replaced kept to put back if it fails.

use std::sync::Arc;

use crate::app::jobs::{Finished, JobKind, Jobs, PredictDone};
use crate::eval::{Entry, PredictionSet};
use crate::jobs::{JobControl, JobError};
use crate::model::LoadedModel;

/// What the window keeps of a running prediction job besides the job itself (which the
/// registry holds as [`JobKind::Predict`]): the entries streaming in and what to put back.
pub struct PredictStream {
    /// Every sample's entry as it arrives (model and VLM runs alike).
    pub(crate) results: crossbeam_channel::Receiver<(usize, Entry)>,
    /// What the run replaced, put back if it fails.
    pub(crate) previous: Option<Previous>,
    /// The run's own set, filled behind the previous results (shown until then) and taken in
    /// their place when the first answer arrives.
    pub(crate) fresh: Option<crate::eval::PredictionSet>,
}

impl PredictStream {
    /// Starts `run` as the registry's prediction job: it streams each sample's entry through
    /// the sender it is given and returns the outcome; `previous` is put back if it fails.
    pub(crate) fn start(
        jobs: &mut Jobs,
        previous: Option<Previous>,
        run: impl FnOnce(
            &crossbeam_channel::Sender<(usize, Entry)>,
            &JobControl,
        ) -> Result<PredictDone, JobError>
        + Send
        + 'static,
    ) -> Result<Self, String> {
        let (tx, results) = crossbeam_channel::bounded(8192);
        jobs.start(JobKind::Predict, move |job| {
            Finished::Predict(run(&tx, job))
        })?;
        Ok(Self {
            results,
            previous,
            fresh: None,
        })
    }
}

/// The predictions (and where they came from) that a run replaced.
pub(crate) struct Previous {
    pub(crate) preds: Option<Arc<PredictionSet>>,
    pub(crate) model: Option<Arc<LoadedModel>>,
    pub(crate) vlm: Option<crate::vlm::VlmConfig>,
    pub(crate) backend: Option<String>,
}
