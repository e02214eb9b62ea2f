//! Writing a calibrated copy of a model's spec: the same model, preprocessing and label map
//! with `output.temperature` set, in a new file the user names. The model's own spec is an
//! input and is never written over.

use std::path::{Path, PathBuf};

use super::load::LoadedModel;
use super::spec::{LabelsSpec, ModelSpec};
use crate::outputs::{OutputError, write_via_temp};

/// The spec to write at `out`: `model`'s, with `temperature`, the ONNX file named relative to
/// `out`'s folder when it lies there (else by its absolute path), and the labels inline (so the
/// copy reads nothing but the ONNX file).
pub fn calibrated_spec(model: &LoadedModel, temperature: f64, out: &Path) -> ModelSpec {
    let mut spec = model.spec.clone();
    if !spec.name.ends_with("(calibrated)") {
        spec.name = format!("{} (calibrated)", spec.name);
    }
    let onnx = std::fs::canonicalize(&model.onnx_path).unwrap_or(model.onnx_path.clone());
    let out_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let same_folder = std::fs::canonicalize(out_dir)
        .ok()
        .is_some_and(|d| onnx.parent() == Some(d.as_path()));
    spec.model = Some(match (same_folder, onnx.file_name()) {
        (true, Some(name)) => name.to_string_lossy().into_owned(),
        _ => onnx.display().to_string(),
    });
    spec.labels = LabelsSpec::List(model.model_labels.clone());
    spec.output.temperature = Some(temperature);
    spec
}

/// Writes [`calibrated_spec`] to `out` (a temporary sibling, then a rename). The caller has
/// checked `out` against every input.
pub fn write_calibrated_spec(
    model: &LoadedModel,
    temperature: f64,
    out: &Path,
) -> Result<ModelSpec, OutputError> {
    let spec = calibrated_spec(model, temperature, out);
    let text = serde_json::to_string_pretty(&spec).unwrap_or_default();
    write_via_temp(out, |tmp| std::fs::write(tmp, format!("{text}\n")))?;
    Ok(spec)
}
