//! Label quality: every sample ranked by how likely its label is wrong, a review queue with the
//! suggested label and the evidence. Three sources of probabilities for the true class:
//!
//! - **model**: the classifier's own probabilities, used when they look out of sample (a model
//!   trained on these images is nearly always right and confident on them, which says nothing);
//! - **probe**: a linear probe on the embeddings, cross-validated so that every sample's
//!   probability comes from a model that never saw it ([`probe`]);
//! - **neighbours**: the labels of the nearest neighbours in embedding space ([`vote`]).
//!
//! The combined probability is a weighted logarithmic opinion pool of the sources a sample has
//! (see [`queue::WEIGHTS_WITH_MODEL`]); its score is the combined probability of its given
//! label (self-confidence, lower = more suspicious), and confident learning with pruning by
//! noise rate on the combined probabilities marks the flagged ones.

pub mod confident;
pub mod probe;
pub mod queue;
pub mod vote;

pub use probe::{ProbeOptions, ProbeState};
pub use queue::{
    LabelInputs, LabelQuality, NeighbourEvidence, QueueEntry, SourceEvidence, label_quality,
};

/// A source of evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The model's probabilities.
    Model,
    /// The cross-validated linear probe on the embeddings.
    Probe,
    /// The nearest neighbours' labels.
    Neighbours,
}

impl Source {
    /// Every source.
    pub const ALL: [Self; 3] = [Self::Model, Self::Probe, Self::Neighbours];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Probe => "probe",
            Self::Neighbours => "neighbours",
        }
    }

    /// Parses a name (`neighbors` too).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "model" => Some(Self::Model),
            "probe" => Some(Self::Probe),
            "neighbours" | "neighbors" | "knn" => Some(Self::Neighbours),
            _ => None,
        }
    }
}

/// Settings of the label-quality ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelQualityOptions {
    /// Sources to use (those without inputs are skipped with a note).
    pub sources: Vec<Source>,
    /// The probe.
    pub probe: ProbeOptions,
    /// Neighbours that vote.
    pub k: usize,
    /// Pseudo-votes per class smoothing the neighbour vote.
    pub alpha: f32,
    /// Whether the model's probabilities are in sample; `None` guesses from them.
    pub model_in_sample: Option<bool>,
}

impl Default for LabelQualityOptions {
    fn default() -> Self {
        Self {
            sources: Source::ALL.to_vec(),
            probe: ProbeOptions::default(),
            k: 10,
            alpha: 0.5,
            model_in_sample: None,
        }
    }
}
