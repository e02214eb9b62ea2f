//! The prediction sets compared with the main one, and what was computed from them.

use crate::eval::compare::PairReport;
use crate::eval::{Metrics, PredictionSet};
use crate::model::footprint::Footprint;

/// What one compared set is besides its predictions.
#[derive(Clone, Debug, Default)]
pub struct ComparedInfo {
    /// Its metrics on the current labels.
    pub metrics: Option<Metrics>,
    /// The runtime that ran it, or the file it came from.
    pub source: String,
    /// File size and session memory, for a model run here.
    pub footprint: Option<Footprint>,
    /// Worker threads of the run, for a model run here.
    pub threads: Option<usize>,
}

/// The sets compared with the main one, and what was computed from them.
#[derive(Default)]
pub struct CompareState {
    /// The compared sets, in the order they were added.
    pub sets: Vec<PredictionSet>,
    /// Beside each set: metrics, source, cost.
    pub info: Vec<ComparedInfo>,
    /// Every pair of [main, sets...], main first.
    pub pairs: Vec<PairReport>,
    /// Names that tell main and the sets apart, main first.
    pub names: Vec<String>,
    /// The main model's size and memory, measured when a model is first added beside it.
    pub main_footprint: Option<Footprint>,
}
