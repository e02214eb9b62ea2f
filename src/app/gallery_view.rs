//! Which samples the gallery shows, in which order: filters and sort keys as plain data, and the
//! function that computes the visible order (run only when something changed, never per frame).

use crate::dataset::{ClassId, Dataset};
use crate::eval::{Entry, Predicted, PredictionSet};

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
}

impl SortKey {
    /// All keys, for combo boxes.
    pub const ALL: [SortKey; 4] = [
        SortKey::FileName,
        SortKey::LossDesc,
        SortKey::ConfidenceAsc,
        SortKey::ConfidenceDesc,
    ];

    /// Label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::FileName => "File name",
            Self::LossDesc => "Loss (highest first)",
            Self::ConfidenceAsc => "Confidence (lowest first)",
            Self::ConfidenceDesc => "Confidence (highest first)",
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
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            true_class: None,
            predicted: None,
            correctness: Correctness::All,
            confidence: (0.0, 1.0),
            excluded: ExcludedView::Hide,
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

/// Whether sample `i` passes `f`; `truth` holds effective labels (`None` = excluded).
pub fn passes(
    ds: &Dataset,
    truth: &[Option<ClassId>],
    preds: Option<&PredictionSet>,
    f: &Filter,
    i: usize,
) -> bool {
    let excluded = truth.get(i).is_some_and(Option::is_none);
    let shown = match f.excluded {
        ExcludedView::Hide => !excluded,
        ExcludedView::Only => excluded,
        ExcludedView::All => true,
    };
    if !shown {
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

/// Indices of the samples passing `filter`, sorted by `sort` (ties by file name).
pub fn visible_order(
    ds: &Dataset,
    truth: &[Option<ClassId>],
    preds: Option<&PredictionSet>,
    filter: &Filter,
    sort: SortKey,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ds.samples.len())
        .filter(|&i| passes(ds, truth, preds, filter, i))
        .collect();
    let conf = |i: usize| {
        preds
            .and_then(|p| p.prediction(i))
            .and_then(|p| p.confidence)
    };
    match (sort, preds) {
        (SortKey::FileName, _) | (_, None) => {}
        (SortKey::LossDesc, Some(p)) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| loss(ds, truth, p, i).unwrap_or(f32::NEG_INFINITY))
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::ConfidenceAsc, Some(_)) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| -conf(i).unwrap_or(f32::INFINITY))
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::ConfidenceDesc, Some(_)) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| conf(i).unwrap_or(f32::NEG_INFINITY))
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
    }
    order
}

fn sort_by_key_desc(order: &mut Vec<usize>, keys: &[f32]) {
    let mut pairs: Vec<(f32, usize)> = keys.iter().copied().zip(order.iter().copied()).collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    *order = pairs.into_iter().map(|(_, i)| i).collect();
}

/// Whether sample `i` has a failed prediction, and the message.
pub fn failure(preds: Option<&PredictionSet>, i: usize) -> Option<&str> {
    match preds?.entries.get(i)? {
        Entry::Failed(e) => Some(e),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Layout, Sample, SampleId, ScanReport};
    use crate::eval::Prediction;

    fn fixture() -> (Dataset, PredictionSet) {
        let labels = [0, 0, 1, 1];
        let samples = labels
            .iter()
            .enumerate()
            .map(|(i, &l)| Sample {
                id: SampleId(format!("{i}.png")),
                path: format!("/x/{i}.png").into(),
                label: ClassId(l),
                split: None,
            })
            .collect();
        let ds = Dataset {
            root: "/x".into(),
            source: "/x".into(),
            layout: Layout::ImageFolder,
            classes: vec!["a".into(), "b".into()],
            samples,
            report: ScanReport::default(),
        };
        let p = |probs: Vec<f32>| {
            Entry::Predicted(crate::eval::predictions_from_probs(&probs, 2, None))
        };
        let set = PredictionSet {
            name: "m".into(),
            source: "t".into(),
            entries: vec![
                p(vec![0.9, 0.1]),
                p(vec![0.4, 0.6]),
                p(vec![0.2, 0.8]),
                Entry::Failed("bad: /x/3.png".into()),
            ],
            elapsed_secs: None,
            num_cached: 0,
            num_inferred: 0,
        };
        let _: Option<Prediction> = None;
        (ds, set)
    }

    #[test]
    fn filters_by_cell_correctness_and_confidence() {
        let (ds, set) = fixture();
        let truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
        let wrong = Filter {
            correctness: Correctness::Wrong,
            ..Default::default()
        };
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &wrong, SortKey::FileName),
            vec![1]
        );
        let cell = Filter {
            true_class: Some(ClassId(0)),
            predicted: Some(Predicted::Class(ClassId(1))),
            ..Default::default()
        };
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &cell, SortKey::FileName),
            vec![1]
        );
        let confident = Filter {
            confidence: (0.85, 1.0),
            ..Default::default()
        };
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &confident, SortKey::FileName),
            vec![0]
        );
        let none = Filter {
            correctness: Correctness::NoPrediction,
            ..Default::default()
        };
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &none, SortKey::FileName),
            vec![3]
        );
        assert_eq!(failure(Some(&set), 3), Some("bad: /x/3.png"));
    }

    #[test]
    fn sorts_by_loss_and_confidence() {
        let (ds, set) = fixture();
        let mut truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
        let all = Filter::default();
        // Loss: sample 1 (p(a)=0.4) > sample 2 (p(b)=0.8) > sample 0 (p(a)=0.9); failed last.
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &all, SortKey::LossDesc),
            vec![1, 2, 0, 3]
        );
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &all, SortKey::ConfidenceAsc),
            vec![1, 2, 0, 3]
        );
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &all, SortKey::ConfidenceDesc),
            vec![0, 2, 1, 3]
        );
        assert_eq!(
            visible_order(&ds, &truth, None, &all, SortKey::LossDesc),
            vec![0, 1, 2, 3]
        );
        // Relabelling sample 1 to `b` (p = 0.6) makes it correct; excluding sample 0 hides it.
        truth[1] = Some(ClassId(1));
        truth[0] = None;
        let wrong = Filter {
            correctness: Correctness::Wrong,
            ..Default::default()
        };
        assert!(visible_order(&ds, &truth, Some(&set), &wrong, SortKey::FileName).is_empty());
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &all, SortKey::FileName),
            vec![1, 2, 3]
        );
        let only = Filter {
            excluded: ExcludedView::Only,
            ..Default::default()
        };
        assert_eq!(
            visible_order(&ds, &truth, Some(&set), &only, SortKey::FileName),
            vec![0]
        );
    }
}
