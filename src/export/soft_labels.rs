//! Soft labels for distillation: a teacher model's probabilities over the dataset's classes,
//! written beside the hard labels so a smaller student can be trained on them (`prob_<label>`
//! columns in the CSV and Parquet manifests, a `soft_labels` list in the Parquet manifest and
//! the VLM JSONL, the teacher and temperatures in the report).

use crate::eval::PredictionSet;
use crate::eval::temperature::scaled_set;
use crate::model::LoadedModel;

/// A teacher's probabilities, at the distillation temperature, and where they came from.
#[derive(Clone, Debug)]
pub struct SoftLabels {
    /// The teacher's predictions, already at the distillation temperature.
    pub set: PredictionSet,
    /// Which model made them, for the report: name, file, temperatures.
    pub note: serde_json::Value,
}

impl SoftLabels {
    /// The soft labels of `teacher`'s run `set`, scaled by the distillation `temperature` (on
    /// top of the temperature the teacher's spec already applied).
    pub fn new(set: PredictionSet, teacher: &LoadedModel, temperature: f64) -> Self {
        let spec_temperature = teacher.spec.output.temperature.unwrap_or(1.0);
        let set = if temperature == 1.0 {
            set
        } else {
            scaled_set(&set, temperature)
        };
        Self {
            set,
            note: serde_json::json!({
                "model": teacher.spec.name,
                "file": teacher.onnx_path.display().to_string(),
                "spec": teacher.spec_path.as_ref().map(|p| p.display().to_string()),
                "spec_temperature": spec_temperature,
                "distillation_temperature": temperature,
                "temperature": spec_temperature * temperature,
            }),
        }
    }

    /// Sample `i`'s soft labels over the dataset's `num_classes` classes, or `None` when the
    /// teacher has no probabilities for it. A teacher with an `other` column (classes outside
    /// the dataset's) has that mass left out and the rest renormalised: a student over these
    /// classes learns a distribution over them.
    pub fn of(&self, i: usize, num_classes: usize) -> Option<Vec<f32>> {
        let p = self.set.prediction(i)?.probs.as_ref()?;
        let kept = &p[..num_classes.min(p.len())];
        let total: f32 = kept.iter().sum();
        if kept.len() == p.len() || total <= 0.0 {
            return Some(kept.to_vec());
        }
        Some(kept.iter().map(|v| v / total).collect())
    }
}

/// The probabilities written beside sample `i`'s label: the teacher's soft labels when the
/// export has a teacher, else the predictions' own (`--probs`).
pub(crate) fn written_probs<'a>(
    opts: &super::ExportOptions,
    preds: Option<&'a PredictionSet>,
    i: usize,
    num_classes: usize,
) -> Option<std::borrow::Cow<'a, [f32]>> {
    match &opts.soft_labels {
        Some(s) => s.of(i, num_classes).map(std::borrow::Cow::Owned),
        None => {
            let p = preds?.prediction(i)?.probs.as_deref()?;
            Some(std::borrow::Cow::Borrowed(&p[..num_classes.min(p.len())]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Entry, predictions_from_probs};

    #[test]
    fn other_mass_is_left_out_and_the_rest_renormalised() {
        let mut set = PredictionSet::empty("teacher", "", 2);
        set.entries[0] = Entry::Predicted(predictions_from_probs(&[0.5, 0.3, 0.2], 2, None));
        let soft = SoftLabels {
            set,
            note: serde_json::Value::Null,
        };
        let p = soft.of(0, 2).unwrap();
        assert!(
            (p[0] - 0.625).abs() < 1e-6 && (p[1] - 0.375).abs() < 1e-6,
            "{p:?}"
        );
        assert_eq!(soft.of(1, 2), None, "no prediction, no soft labels");
    }
}
