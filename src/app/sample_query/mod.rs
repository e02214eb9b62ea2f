//! Which samples the gallery shows, in which order: filters and sort keys as plain data, and the
//! function that computes the visible order (run only when something changed, never per frame).

use crate::curation::{CurationState, is_relabeled};
use crate::dataset::{ClassId, Dataset};
use crate::embed::EmbeddingSet;
use crate::eval::{Entry, Predicted, PredictionSet};
use crate::problems::{FindingKind, ProblemIndex};

mod apart;
mod order;
mod region;
mod similar;

pub use apart::{ORDER_APART_ABOVE, OrderInputs, can_order_apart, reads_edits};
pub use order::visible_order;
pub use region::Region;
pub use similar::{SIMILAR_LIMIT, SimilarTo, similar_distance};

listed_enum! {
/// Correct / wrong filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Correctness {
    /// Everything.
    #[default]
    All,
    /// Prediction equals the label.
    Correct,
    /// Prediction differs from the label (including `other` and `unparsed`).
    Wrong,
    /// No prediction (failed or not yet run).
    NoPrediction,
}
}

impl Correctness {
    /// Its name in the window.
    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Correct => "Correct",
            Self::Wrong => "Wrong",
            Self::NoPrediction => "No prediction",
        }
    }
}

listed_enum! {
/// Sort order of the gallery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    /// By file name (sample id).
    #[default]
    FileName,
    /// Highest loss first: −log p(label).
    LossDesc,
    /// Least confident first.
    ConfidenceAsc,
    /// Most confident first.
    ConfidenceDesc,
    /// The label-quality review queue: most suspicious label first.
    LabelIssue,
    /// By label name (then file name).
    Label,
    /// By predicted name (then file name); samples without a prediction last.
    Prediction,
    /// Most problems first.
    Problems,
    /// Edited samples first (relabeled, excluded or tagged).
    EditedFirst,
    /// The region's own ranking first (a device-log window: most novel first).
    RegionRank,
}
}

impl SortKey {
    /// Label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::FileName => "File name",
            Self::LossDesc => "Loss (highest first)",
            Self::ConfidenceAsc => "Confidence (lowest first)",
            Self::ConfidenceDesc => "Confidence (highest first)",
            Self::LabelIssue => "Most suspicious first",
            Self::Label => "Label",
            Self::Prediction => "Prediction",
            Self::Problems => "Most problems first",
            Self::EditedFirst => "Edited first",
            Self::RegionRank => "Most novel first (device logs)",
        }
    }
}

/// Whether excluded samples are shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExcludedView {
    /// Hide excluded samples (the default: they are out of the dataset).
    #[default]
    Hide,
    /// Only excluded samples.
    Only,
    /// Everything.
    All,
}

/// Filter on the curation state of a sample.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum EditFilter {
    /// No condition.
    #[default]
    Any,
    /// Touched by any edit (relabel, exclusion or tag).
    Edited,
    /// Carries a label different from its original one.
    Relabeled,
    /// Never edited.
    Unedited,
    /// Carries this tag.
    Tag(String),
    /// Excluded for this reason (shown even when excluded samples are hidden).
    Reason(String),
}

impl EditFilter {
    /// Label for the UI.
    pub fn label(&self) -> String {
        match self {
            Self::Any => "All".into(),
            Self::Edited => "Edited".into(),
            Self::Relabeled => "Relabeled".into(),
            Self::Unedited => "Not edited".into(),
            Self::Tag(t) => format!("tag: {t}"),
            Self::Reason(r) => format!("excluded: {r}"),
        }
    }

    fn passes(&self, ds: &Dataset, edits: &CurationState, i: usize) -> bool {
        if *self == Self::Any {
            // No lookup by name: this runs for every sample on every filter or sort change.
            return true;
        }
        let e = edits.get(&ds.samples[i].id.0);
        match self {
            Self::Any => true,
            Self::Edited => e.is_some(),
            Self::Unedited => e.is_none(),
            Self::Relabeled => e.is_some() && is_relabeled(ds, edits, i),
            Self::Tag(t) => e.is_some_and(|e| e.tags.contains(t)),
            Self::Reason(r) => e.is_some_and(|e| e.excluded.as_deref() == Some(r.as_str())),
        }
    }
}

/// The gallery's filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// Only samples with this label.
    pub true_class: Option<ClassId>,
    /// Only samples with this prediction.
    pub predicted: Option<Predicted>,
    /// Correct / wrong.
    pub correctness: Correctness,
    /// Confidence range (inclusive); samples without a confidence pass only the full range.
    pub confidence: (f32, f32),
    /// Excluded samples.
    pub excluded: ExcludedView,
    /// Curation state (edited, tag, exclusion reason).
    pub edits: EditFilter,
    /// Only samples with a finding of this kind.
    pub problem: Option<FindingKind>,
    /// Only samples on which a compared set answers differently from the main one.
    pub disagree: bool,
    /// Only the samples nearest to these (by embedding), nearest first.
    pub similar: Option<SimilarTo>,
    /// Only these samples: a selection on the map, the images of a monitored day.
    pub region: Option<Region>,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            true_class: None,
            predicted: None,
            correctness: Correctness::All,
            confidence: (0.0, 1.0),
            excluded: ExcludedView::Hide,
            edits: EditFilter::Any,
            problem: None,
            disagree: false,
            similar: None,
            region: None,
        }
    }
}

impl Filter {
    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The label of sample `i` in effect: from `truth` (edited) or, for excluded samples, the dataset's.
pub fn label_of(ds: &Dataset, truth: &[Option<ClassId>], i: usize) -> ClassId {
    truth
        .get(i)
        .copied()
        .flatten()
        .unwrap_or(ds.samples[i].label)
}

/// −log p(label) of sample `i`, when probabilities are known.
pub fn loss(
    ds: &Dataset,
    truth: &[Option<ClassId>],
    preds: &PredictionSet,
    i: usize,
) -> Option<f32> {
    let p = preds.prediction(i)?;
    let label = label_of(ds, truth, i);
    let prob = match &p.probs {
        Some(v) => v.get(label.index()).copied()?,
        None if p.predicted == Predicted::Class(label) => p.confidence?,
        None => return None,
    };
    Some(-prob.max(1e-7).ln())
}

/// What the gallery is computed from: the dataset, effective labels (`None` = excluded), the
/// predictions and the edits.
#[derive(Clone, Copy)]
pub struct ViewInputs<'a> {
    /// The dataset.
    pub ds: &'a Dataset,
    /// Effective labels.
    pub truth: &'a [Option<ClassId>],
    /// Predictions, if any.
    pub preds: Option<&'a PredictionSet>,
    /// Curation state.
    pub edits: &'a CurationState,
    /// Findings by sample, when known.
    pub problems: Option<&'a ProblemIndex>,
    /// The prediction sets compared with `preds` (none when nothing is compared).
    pub compare: &'a [PredictionSet],
    /// The embeddings, when a model run gave them.
    pub embeddings: Option<&'a EmbeddingSet>,
}

/// Whether sample `i` passes `f`.
pub fn passes(v: ViewInputs<'_>, f: &Filter, i: usize) -> bool {
    let ViewInputs {
        ds, truth, preds, ..
    } = v;
    let excluded = truth.get(i).is_some_and(Option::is_none);
    let shown = match f.excluded {
        _ if matches!(f.edits, EditFilter::Reason(_)) => true,
        ExcludedView::Hide => !excluded,
        ExcludedView::Only => excluded,
        ExcludedView::All => true,
    };
    if !shown || !f.edits.passes(ds, v.edits, i) {
        return false;
    }
    if f.region
        .as_ref()
        .is_some_and(|r| r.samples.binary_search(&i).is_err())
    {
        return false;
    }
    if let Some(kind) = f.problem
        && !v.problems.is_some_and(|p| p.has(i, kind))
    {
        return false;
    }
    if f.disagree
        && !preds.is_some_and(|a| {
            v.compare
                .iter()
                .any(|b| crate::eval::compare::disagree(a, b, i))
        })
    {
        return false;
    }
    let label = label_of(ds, truth, i);
    if f.true_class.is_some_and(|c| c != label) {
        return false;
    }
    let pred = preds.and_then(|p| p.prediction(i));
    if let Some(want) = f.predicted
        && pred.map(|p| p.predicted) != Some(want)
    {
        return false;
    }
    let ok = match f.correctness {
        Correctness::All => true,
        Correctness::Correct => pred.is_some_and(|p| p.predicted == Predicted::Class(label)),
        Correctness::Wrong => pred.is_some_and(|p| p.predicted != Predicted::Class(label)),
        Correctness::NoPrediction => pred.is_none(),
    };
    if !ok {
        return false;
    }
    if f.confidence != (0.0, 1.0) {
        match pred.and_then(|p| p.confidence) {
            Some(c) if c >= f.confidence.0 && c <= f.confidence.1 => {}
            _ => return false,
        }
    }
    true
}

/// Whether sample `i` has a failed prediction, and the message.
pub fn failure(preds: Option<&PredictionSet>, i: usize) -> Option<&str> {
    match preds?.entries.get(i)? {
        Entry::Failed(e) => Some(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
