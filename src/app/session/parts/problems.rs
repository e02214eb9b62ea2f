//! Problems of the open dataset: the image checks, label issues, embedding findings and the index over them.

use crate::embed::Neighbourhood;
use crate::label_quality::{LabelQuality, ProbeState};
use crate::problems::{Finding, ProblemIndex, Problems};
use std::sync::Arc;

/// Problems of the open dataset.
#[derive(Default)]
pub struct ProblemState {
    /// What the image checks found (no label issues).
    pub images: Option<Problems>,
    /// Label issues (flagged) of the current labels and evidence.
    pub labels: Vec<Finding>,
    /// Every labelled sample ranked by label quality.
    pub quality: Option<Arc<LabelQuality>>,
    /// Notes about label issues (in-sample probabilities, no probabilities).
    pub label_notes: Vec<String>,
    /// Outliers and near duplicates by embedding.
    pub embedding: Vec<Finding>,
    /// The (embedding set, edits revision, predictions revision, signatures known) it was made
    /// for.
    pub(crate) embedding_key: Option<(u64, u64, u64, bool)>,
    /// The last neighbourhood, reused while no exclusion changes.
    pub(crate) hood: Option<Arc<Neighbourhood>>,
    /// The last probe, a warm start after a relabel.
    pub(crate) probe: Option<ProbeState>,
    /// The content key (embeddings, predictions, every label) of the running analysis.
    pub(crate) analysis_key: Option<u64>,
    /// The last few analyses by content key: an undo brings back the labels of one of them,
    /// and with it exactly its findings and queue (a warm-started probe would rank a little
    /// differently).
    pub(crate) recent: Vec<(u64, Vec<Finding>, LabelQuality)>,
    /// Everything, by sample (shared with the gallery order's thread).
    pub index: std::sync::Arc<ProblemIndex>,
}
