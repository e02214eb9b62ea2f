//! The prediction job of a session: a model or VLM run on a background thread, streaming each
//! sample's entry to the window, with what it replaced kept to put back if it fails.

use std::sync::Arc;

use crate::app::background::BackgroundJob;
use crate::eval::{Entry, PredictionSet};
use crate::jobs::{JobControl, JobError};
use crate::model::{LoadedModel, PredictReport};

/// What a finished prediction job hands back.
pub enum JobOutcome {
    /// An ONNX model ran (its results streamed in): the report, a backend hint and the
    /// embeddings read in the same pass (gathered on the job's thread).
    Model(PredictReport, String, super::embeddings::Gathered),
    /// A VLM endpoint answered: the complete set and the endpoint's description.
    Set(PredictionSet, String),
}

/// A prediction job running on a background thread.
pub struct RunningPredict {
    /// The job: progress, cancel and its outcome.
    pub work: BackgroundJob<Result<JobOutcome, JobError>>,
    /// Every sample's entry as it arrives (model and VLM runs alike).
    pub(crate) results: crossbeam_channel::Receiver<(usize, Entry)>,
    /// What the run replaced, put back if it fails.
    pub(crate) previous: Option<Previous>,
    /// The run's own set, filled behind the previous results (shown until then) and taken in
    /// their place when the first answer arrives.
    pub(crate) fresh: Option<crate::eval::PredictionSet>,
}

impl RunningPredict {
    /// Runs `run` on a thread named `name`: it streams each sample's entry through the sender
    /// it is given and returns the outcome; `previous` is put back if it fails.
    pub(crate) fn spawn(
        name: &str,
        wake: Arc<dyn Fn() + Send + Sync>,
        previous: Option<Previous>,
        run: impl FnOnce(
            &crossbeam_channel::Sender<(usize, Entry)>,
            &JobControl,
        ) -> Result<JobOutcome, JobError>
        + Send
        + 'static,
    ) -> std::io::Result<Self> {
        let (tx, results) = crossbeam_channel::bounded(8192);
        let work = BackgroundJob::spawn(name, wake, move |job| run(&tx, job))?;
        Ok(Self {
            work,
            results,
            previous,
            fresh: None,
        })
    }
}

/// The predictions (and where they came from) that a run replaced.
pub(crate) struct Previous {
    pub(crate) preds: Option<PredictionSet>,
    pub(crate) model: Option<Arc<LoadedModel>>,
    pub(crate) vlm: Option<crate::vlm::VlmConfig>,
    pub(crate) backend: Option<String>,
}
