//! `export --negatives NAME`: the images of none of the classes (see
//! [`crate::curation::added`]) written as a class of their own, so a fine-tuned model learns to
//! answer "none" (the training advice: add representative negative samples).
//!
//! The export is planned on a copy of the dataset with that class added (last, so every other
//! class keeps its id): negatives added from outside become its samples, samples excluded as
//! negatives are taken back in with it as their label, and the predictions follow their
//! samples (a probability of 0 for the new class). A teacher's soft labels follow their
//! samples too; a negative's soft label is all on the negatives' class (the teacher was never
//! asked about "none of the classes", so its probabilities say nothing about them).

use super::SoftLabels;
use crate::curation::{Action, CurationState, NegativeSource, negatives};
use crate::dataset::{ClassId, Dataset, Sample, SampleId};
use crate::eval::{Entry, PredictionSet, predictions_from_probs};

/// The dataset, edits and predictions an export with negatives plans on.
#[derive(Clone, Debug)]
pub struct WithNegatives {
    /// The dataset with the negatives' class and the added negatives.
    pub dataset: Dataset,
    /// The edits, with the samples excluded as negatives taken back in.
    pub edits: CurationState,
    /// The predictions in the new sample order.
    pub preds: Option<PredictionSet>,
    /// Where each sample of the original dataset is in the new one.
    pub index: Vec<usize>,
    /// For each sample of the new dataset, its index in the original one (`None` for an added
    /// negative).
    pub old: Vec<Option<usize>>,
    /// The negatives' rows in the new dataset.
    pub negative_rows: Vec<usize>,
    /// The negatives' class.
    pub class: ClassId,
    /// Whether the negatives' class was added (it is the last class).
    pub new_class: bool,
    /// Classes of the original dataset.
    pub old_classes: usize,
    /// How many negatives there are.
    pub count: usize,
    /// What was done, for the report: `{"class", "added", "from_samples", "paths"}`.
    pub note: serde_json::Value,
}

/// `ds` with its negatives as the class `name` (an existing class of that name takes them).
pub fn with_negatives(
    ds: &Dataset,
    edits: &CurationState,
    preds: Option<&PredictionSet>,
    name: &str,
) -> WithNegatives {
    let found = negatives(ds, edits);
    let mut out = ds.clone();
    let class = match ds.class_id(name) {
        Some(c) => c,
        None => {
            out.classes.push(name.to_string());
            ClassId((out.classes.len() - 1) as u32)
        }
    };
    let new_class = out.classes.len() != ds.classes.len();
    let split = ds
        .samples
        .iter()
        .any(|s| s.split.is_some())
        .then(|| "train".to_string());
    let mut back_in = Vec::new();
    let mut added = 0;
    for n in &found {
        match n.source {
            NegativeSource::Sample(i) => {
                out.samples[i].label = class;
                back_in.push(n.id.clone());
            }
            NegativeSource::Added => {
                added += 1;
                out.samples.push(Sample {
                    id: SampleId(n.id.clone()),
                    path: n.path.clone(),
                    label: class,
                    split: split.clone(),
                });
            }
        }
    }
    // Old index of each sample (None for an added negative), in the sorted order.
    let mut order: Vec<(SampleId, Option<usize>)> = out
        .samples
        .iter()
        .enumerate()
        .map(|(k, s)| (s.id.clone(), (k < ds.samples.len()).then_some(k)))
        .collect();
    order.sort_by(|a, b| a.0.cmp(&b.0));
    out.samples.sort_by(|a, b| a.id.cmp(&b.id));
    let mut index = vec![0; ds.samples.len()];
    for (new, (_, old)) in order.iter().enumerate() {
        if let Some(k) = old {
            index[*k] = new;
        }
    }
    let mut edits = edits.clone();
    if let Some(step) = edits.make_batch(vec![
        (back_in.clone(), Action::Include),
        (back_in.clone(), Action::Relabel { label: None }),
    ]) {
        edits.apply(step);
    }
    let ids: std::collections::HashSet<&str> = found.iter().map(|n| n.id.as_str()).collect();
    let negative_rows = out
        .samples
        .iter()
        .enumerate()
        .filter(|(_, s)| ids.contains(s.id.0.as_str()))
        .map(|(k, _)| k)
        .collect();
    let note = serde_json::json!({
        "class": name,
        "added": added,
        "from_samples": back_in.len(),
        "paths": found.iter().map(|n| n.path.display().to_string()).collect::<Vec<_>>(),
    });
    let mut wn = WithNegatives {
        dataset: out,
        edits,
        preds: None,
        index,
        old: order.into_iter().map(|(_, old)| old).collect(),
        negative_rows,
        class,
        new_class,
        old_classes: ds.classes.len(),
        count: found.len(),
        note,
    };
    wn.preds = preds.map(|p| wn.follow(p));
    wn
}

impl WithNegatives {
    /// `set` (over the original samples) in the new sample order: an added negative has no
    /// entry, and the negatives' class, when added, has probability 0.
    pub fn follow(&self, set: &PredictionSet) -> PredictionSet {
        let widen = |mut e: Entry| {
            if let Entry::Predicted(pred) = &mut e
                && self.new_class
                && let Some(probs) = &mut pred.probs
            {
                // Probabilities are over the classes, then `other`: the new class goes before it.
                let at = self.old_classes.min(probs.len());
                probs.insert(at, 0.0);
            }
            e
        };
        PredictionSet {
            entries: self
                .old
                .iter()
                .map(|old| old.map_or(Entry::Missing, |k| widen(set.entries[k].clone())))
                .collect(),
            ..set.clone()
        }
    }

    /// A teacher's soft labels in the new sample order, each negative's all on the negatives'
    /// class; the report's note says so.
    pub fn follow_soft_labels(&self, soft: SoftLabels) -> SoftLabels {
        let mut set = self.follow(&soft.set);
        let classes = self.dataset.classes.len();
        let mut one_hot = vec![0.0; classes];
        one_hot[self.class.index()] = 1.0;
        for &row in &self.negative_rows {
            set.entries[row] = Entry::Predicted(predictions_from_probs(&one_hot, classes, None));
        }
        let mut note = soft.note;
        note["negatives"] = serde_json::json!({
            "class": self.dataset.class_name(self.class),
            "rows": self.negative_rows.len(),
            "soft_label": "all on the negatives' class",
        });
        SoftLabels { set, note }
    }
}
