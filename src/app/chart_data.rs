//! Figures the metrics panel draws that need a pass over every sample (confidence histogram,
//! reliability bins, edit counts). Computed with the metrics when something changed, never per frame.

use super::sample_query::label_of;
use crate::curation::{CurationState, is_relabeled};
use crate::dataset::{ClassId, Dataset};
use crate::eval::{ECE_BINS, Predicted, PredictionSet, ReliabilityBin, reliability_bins};

/// Bins of the confidence histogram.
pub const HISTOGRAM_BINS: usize = 20;

/// Precomputed chart inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    /// (correct, wrong) counts per confidence bin.
    pub histogram: Vec<(u32, u32)>,
    /// Reliability-diagram bins.
    pub reliability: Vec<ReliabilityBin>,
    /// Samples whose label was changed by an edit.
    pub num_relabeled: usize,
    /// Excluded samples.
    pub num_excluded: usize,
}

impl ChartData {
    /// Computes the chart inputs for `preds` against the effective labels `truth`.
    pub fn compute(
        ds: &Dataset,
        truth: &[Option<ClassId>],
        preds: &PredictionSet,
        edits: &CurationState,
    ) -> Self {
        let pairs: Vec<(f32, bool)> = (0..ds.samples.len())
            .filter(|&i| truth[i].is_some())
            .filter_map(|i| {
                let p = preds.prediction(i)?;
                p.confidence
                    .map(|c| (c, p.predicted == Predicted::Class(label_of(ds, truth, i))))
            })
            .collect();
        let mut histogram = vec![(0u32, 0u32); HISTOGRAM_BINS];
        for &(c, ok) in &pairs {
            let b = ((c * HISTOGRAM_BINS as f32) as usize).min(HISTOGRAM_BINS - 1);
            if ok {
                histogram[b].0 += 1;
            } else {
                histogram[b].1 += 1;
            }
        }
        Self {
            histogram,
            reliability: reliability_bins(&pairs, ECE_BINS),
            num_relabeled: (0..ds.samples.len())
                .filter(|&i| is_relabeled(ds, edits, i))
                .count(),
            num_excluded: truth.iter().filter(|t| t.is_none()).count(),
        }
    }
}
