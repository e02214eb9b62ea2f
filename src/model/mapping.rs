//! Mapping a model's classes onto a dataset's labels.
//!
//! With a `label_map` in the spec, each dataset label sums the probabilities of the model
//! classes listed for it. Without one, model class names are matched to dataset labels by name
//! (exactly, then ignoring case, spaces, `_` and `-`). Model classes that map to no dataset label
//! go to one extra `other` column, so predictions outside the label set are counted, never dropped.

use std::collections::BTreeMap;

use super::spec::IndexOrRange;

/// Where each model class goes among the dataset's labels.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelMapping {
    /// For each model class: the dataset class index it feeds, or `None` for `other`.
    pub targets: Vec<Option<usize>>,
    /// Number of dataset classes.
    pub num_classes: usize,
    /// Whether any model class feeds `other`.
    pub has_other: bool,
    /// Notes for the user (dataset labels no model class feeds, map entries naming unknown labels).
    pub notes: Vec<String>,
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why a spec's `label_map` cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// An entry is not an index or range.
    #[error(transparent)]
    Spec(#[from] crate::model::spec::SpecError),
    /// An index past the model's classes.
    #[error("label_map index {index} for `{label}` is past the model's {classes} classes")]
    PastEnd {
        /// The index.
        index: usize,
        /// The dataset label it maps to.
        label: String,
        /// How many classes the model has.
        classes: usize,
    },
}

impl LabelMapping {
    /// Builds the mapping of `model_labels` onto `dataset_classes`.
    pub fn new(
        model_labels: &[String],
        label_map: Option<&BTreeMap<String, Vec<IndexOrRange>>>,
        dataset_classes: &[String],
    ) -> Result<Self, MappingError> {
        let mut targets = vec![None; model_labels.len()];
        let mut notes = Vec::new();
        match label_map {
            Some(map) => {
                for (label, entries) in map {
                    let Some(ci) = dataset_classes.iter().position(|c| c == label) else {
                        notes.push(format!(
                            "label_map names `{label}`, which is not a dataset label; ignored"
                        ));
                        continue;
                    };
                    for entry in entries {
                        for mi in entry.indices()? {
                            let slot =
                                targets.get_mut(mi).ok_or_else(|| MappingError::PastEnd {
                                    index: mi,
                                    label: label.clone(),
                                    classes: model_labels.len(),
                                })?;
                            *slot = Some(ci);
                        }
                    }
                }
            }
            None => {
                for (mi, name) in model_labels.iter().enumerate() {
                    targets[mi] = dataset_classes.iter().position(|c| c == name).or_else(|| {
                        dataset_classes
                            .iter()
                            .position(|c| normalise(c) == normalise(name))
                    });
                }
            }
        }
        for (ci, c) in dataset_classes.iter().enumerate() {
            if !targets.contains(&Some(ci)) {
                notes.push(format!("no model class maps to the dataset label `{c}`"));
            }
        }
        let has_other = targets.iter().any(Option::is_none);
        Ok(Self {
            targets,
            num_classes: dataset_classes.len(),
            has_other,
            notes,
        })
    }

    /// Number of mapped columns: dataset classes plus one `other` column when needed.
    pub fn num_columns(&self) -> usize {
        self.num_classes + usize::from(self.has_other)
    }

    /// Sums model probabilities into dataset-label probabilities (`other` last, if present).
    pub fn map_probs(&self, model_probs: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; self.num_columns()];
        for (p, t) in model_probs.iter().zip(&self.targets) {
            out[t.unwrap_or(self.num_classes)] += p;
        }
        out
    }
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&x| (x - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn label_map_sums_ranges_and_sends_the_rest_to_other() {
        let model = strings(&["tabby", "siamese", "beagle", "pug", "car"]);
        let map: BTreeMap<String, Vec<IndexOrRange>> =
            serde_json::from_str(r#"{"cat": ["0-1"], "dog": [2, "3"]}"#).unwrap();
        let m = LabelMapping::new(&model, Some(&map), &strings(&["cat", "dog"])).unwrap();
        assert!(m.has_other);
        let p = m.map_probs(&[0.1, 0.2, 0.3, 0.1, 0.3]);
        assert!(
            (p[0] - 0.3).abs() < 1e-6 && (p[1] - 0.4).abs() < 1e-6 && (p[2] - 0.3).abs() < 1e-6
        );
        let bad: BTreeMap<String, Vec<IndexOrRange>> =
            serde_json::from_str(r#"{"cat": [9]}"#).unwrap();
        assert!(LabelMapping::new(&model, Some(&bad), &strings(&["cat"])).is_err());
    }

    #[test]
    fn names_match_loosely_without_a_map() {
        let m = LabelMapping::new(
            &strings(&["T-shirt/top", "ankle_boot", "ufo"]),
            None,
            &strings(&["Ankle boot", "T-shirt/top"]),
        )
        .unwrap();
        assert_eq!(m.targets, vec![Some(1), Some(0), None]);
        assert_eq!(m.num_columns(), 3);
    }

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        let p = softmax(&[1000.0, 1000.0, -1000.0]);
        assert!((p[0] - 0.5).abs() < 1e-6 && p[2] < 1e-6);
    }
}
