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

    /// Sample `i`'s soft labels over the dataset's `num_classes` classes (an `other` column is
    /// left out), or `None` when the teacher has no probabilities for it.
    pub fn of(&self, i: usize, num_classes: usize) -> Option<Vec<f32>> {
        let p = self.set.prediction(i)?.probs.as_ref()?;
        Some(p.iter().take(num_classes).copied().collect())
    }
}
