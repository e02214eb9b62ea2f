//! What a prediction run gives: each sample's outcome (the dataset-class probabilities, the
//! model's own top classes, the embedding) and the run's report. Types only, shared by the run,
//! its cache and everything that reads predictions.

use serde::{Deserialize, Serialize};

use super::mapping::LabelMapping;
use crate::embedding_store::Embedding;

/// How many raw model classes are kept per sample (for the detail view).
pub const TOP_K: usize = 5;

/// A successful prediction for one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplePrediction {
    /// Probabilities over the dataset's classes, then `other` when the mapping has it.
    pub probs: Vec<f32>,
    /// The model's own top classes: (model class index, probability).
    pub top_model: Vec<(u32, f32)>,
    /// The largest probability of a single model class that maps to no dataset label (0 when
    /// every class maps): `other` is predicted only when this beats every dataset label.
    #[serde(default)]
    pub other_top: f32,
    /// Inference time of this sample in milliseconds (excluding decode and preprocess).
    pub latency_ms: f32,
    /// The model's embedding of the image, when the run keeps them (stored apart from the
    /// prediction cache, in a binary embedding store).
    #[serde(skip)]
    pub embedding: Option<Embedding>,
}

/// What happened to one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleOutcome {
    /// The model ran.
    Predicted(SamplePrediction),
    /// Decoding, preprocessing or inference failed; the message names the file.
    Failed(String),
    /// The model's output does not fit its labels: a fact about the model, not the image. The
    /// run stops with the error, and a cache never answers with this outcome.
    WrongModel(String),
}

impl SampleOutcome {
    /// Why the sample has no prediction, when it has none.
    pub fn failure(&self) -> Option<&str> {
        match self {
            Self::Predicted(_) => None,
            Self::Failed(m) | Self::WrongModel(m) => Some(m),
        }
    }
}

/// Options of a prediction run.
#[derive(Clone, Debug)]
pub struct PredictOptions {
    /// Worker threads (each decodes and infers).
    pub threads: usize,
    /// Read and write the prediction cache.
    pub use_cache: bool,
    /// Keep each image's embedding (read in the same inference) in the outcomes and the cache.
    pub embeddings: bool,
}

impl Default for PredictOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            use_cache: true,
            embeddings: false,
        }
    }
}

/// Result of a prediction run.
#[derive(Clone, Debug)]
pub struct PredictReport {
    /// Per dataset sample (same order): the outcome, or `None` if the run was cancelled first.
    pub outcomes: Vec<Option<SampleOutcome>>,
    /// Whether the run was cancelled.
    pub cancelled: bool,
    /// The backend that ran (or would have run, when everything was cached).
    pub backend: String,
    /// Samples answered from the cache.
    pub num_cached: usize,
    /// Samples the model actually ran on (or failed on) in this run.
    pub num_inferred: usize,
    /// Wall-clock seconds of the run.
    pub elapsed_secs: f64,
    /// How model classes map to dataset labels.
    pub mapping: LabelMapping,
}

impl PredictReport {
    /// Drops every outcome's embedding (once they are gathered into a set elsewhere, which
    /// may keep them out of core: the window holds the set, not a second copy here).
    pub fn drop_embeddings(&mut self) {
        for o in self.outcomes.iter_mut().flatten() {
            if let SampleOutcome::Predicted(p) = o {
                p.embedding = None;
            }
        }
    }
}
