//! The table and text formats of an export: the manifest (CSV/Parquet), Hugging Face
//! `imagefolder` metadata and the chat JSONL that TRL's SFT trainer reads for VLM fine-tuning.

use std::io::Write;
use std::path::Path;

use super::ExportError;
use super::files::Placement;
use super::plan::{Balance, ExportPlan};
use super::split::Split;
use crate::dataset::Dataset;
use crate::eval::PredictionSet;
use crate::table::{OutColumn, write_table};

/// Prompt templates and answer style of the VLM JSONL. `{labels}` is replaced by the allowed
/// labels, comma separated.
#[derive(Clone, Debug, PartialEq)]
pub struct VlmOptions {
    /// System prompt template (`None`: the default for the answer style).
    pub system: Option<String>,
    /// User prompt template.
    pub user: String,
    /// Answer as JSON `{"label": "<label>"}` (else the plain label).
    pub answer_json: bool,
}

impl Default for VlmOptions {
    fn default() -> Self {
        Self {
            system: None,
            user: "Classify this image. Allowed labels: {labels}.".into(),
            answer_json: true,
        }
    }
}

impl VlmOptions {
    /// The system prompt for `labels`.
    pub fn system_prompt(&self, labels: &[String]) -> String {
        let template = self.system.clone().unwrap_or_else(|| {
            if self.answer_json {
                "You are an image classifier. Answer only with JSON {\"label\": \"<label>\"} where <label> is exactly one of: {labels}.".into()
            } else {
                "You are an image classifier. Answer with exactly one label from this list and nothing else: {labels}.".into()
            }
        });
        template.replace("{labels}", &labels.join(", "))
    }

    /// The user prompt for `labels`.
    pub fn user_prompt(&self, labels: &[String]) -> String {
        self.user.replace("{labels}", &labels.join(", "))
    }

    /// The assistant's answer for `label`.
    pub fn answer(&self, label: &str) -> String {
        if self.answer_json {
            serde_json::json!({ "label": label }).to_string()
        } else {
            label.to_string()
        }
    }
}

/// Writes the manifest (`.csv` or `.parquet` by extension): `path,source,label,split,
/// original_label,edited,pred,confidence`; with `--balance weights`, `weight` (the class's
/// weight on train rows, empty on the others); with soft labels (a teacher's) or `probs` (the
/// predictions'), `prob_<label>` per class, and with soft labels in Parquet a `soft_labels` list.
/// `path` is the exported image when `images` is given, else the absolute source.
pub fn write_manifest(
    file: &Path,
    ds: &Dataset,
    plan: &ExportPlan,
    images: Option<&[Placement]>,
    preds: Option<&PredictionSet>,
    opts: &super::ExportOptions,
) -> Result<(), ExportError> {
    let n = plan.rows.len();
    let soft = opts.soft_labels.as_ref();
    let mut soft_list = Vec::with_capacity(n);
    let mut path = Vec::with_capacity(n);
    let mut source = Vec::with_capacity(n);
    let mut label = Vec::with_capacity(n);
    let mut split = Vec::with_capacity(n);
    let mut original = Vec::with_capacity(n);
    let mut edited = Vec::with_capacity(n);
    let mut pred = Vec::with_capacity(n);
    let mut conf = Vec::with_capacity(n);
    let mut prob_cols: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(n); ds.classes.len()];
    let mut weight = Vec::with_capacity(n);
    for (k, r) in plan.rows.iter().enumerate() {
        weight.push((r.split == Split::Train).then(|| plan.class_weights[r.label.index()]));
        let s = &ds.samples[r.sample];
        let src = crate::dataset::names::path_text(&s.path);
        path.push(Some(images.map_or(src.clone(), |p| p[k].rel.clone())));
        source.push(Some(src));
        label.push(Some(ds.class_name(r.label).to_string()));
        split.push(Some(r.split.name().to_string()));
        original.push(Some(ds.class_name(s.label).to_string()));
        edited.push(Some(r.label != s.label));
        let p = preds.and_then(|p| p.prediction(r.sample));
        pred.push(p.map(|p| p.predicted.name(&ds.classes)));
        conf.push(p.and_then(|p| p.confidence).map(f64::from));
        let row_probs = super::soft_labels::written_probs(opts, preds, r.sample, ds.classes.len());
        for (c, col) in prob_cols.iter_mut().enumerate() {
            let v = row_probs.as_ref().and_then(|v| v.get(c));
            col.push(v.map(|&x| f64::from(x)));
        }
        if soft.is_some() {
            soft_list.push(row_probs.map(std::borrow::Cow::into_owned));
        }
    }
    let mut cols = vec![
        OutColumn::Str("path".into(), path),
        OutColumn::Str("source".into(), source),
        OutColumn::Str("label".into(), label),
        OutColumn::Str("split".into(), split),
        OutColumn::Str("original_label".into(), original),
        OutColumn::Bool("edited".into(), edited),
        OutColumn::Str("pred".into(), pred),
        OutColumn::F64("confidence".into(), conf),
    ];
    if plan.options.balance == Balance::Weights {
        cols.push(OutColumn::F64("weight".into(), weight));
    }
    if opts.writes_probs(preds.is_some()) {
        for (c, col) in prob_cols.into_iter().enumerate() {
            cols.push(OutColumn::F64(format!("prob_{}", ds.classes[c]), col));
        }
    }
    let parquet = file.extension().is_some_and(|e| e == "parquet");
    if soft.is_some() && parquet {
        cols.push(OutColumn::F32List("soft_labels".into(), soft_list));
    }
    write_table(file, cols).map_err(|e| ExportError::Table(e.to_string()))
}

/// Indices of `plan.rows` in `split`, in order.
fn rows_in(plan: &ExportPlan, split: Split) -> Vec<usize> {
    (0..plan.rows.len())
        .filter(|&k| plan.rows[k].split == split)
        .collect()
}

/// For each split with rows: writes `file_of(split)` with one `line(row)` per row of that split.
fn write_split_files(
    plan: &ExportPlan,
    file_of: impl Fn(Split) -> std::path::PathBuf,
    line: impl Fn(usize) -> String,
) -> Result<(), ExportError> {
    for split in Split::ALL {
        let rows = rows_in(plan, split);
        if !rows.is_empty() {
            write_lines(&file_of(split), rows.iter().map(|&k| line(k)))?;
        }
    }
    Ok(())
}

fn write_lines(file: &Path, lines: impl Iterator<Item = String>) -> Result<(), ExportError> {
    let err = |source| ExportError::Io {
        path: file.to_path_buf(),
        source,
    };
    let mut w = std::io::BufWriter::new(std::fs::File::create(file).map_err(err)?);
    for line in lines {
        w.write_all(line.as_bytes()).map_err(err)?;
        w.write_all(b"\n").map_err(err)?;
    }
    w.flush().map_err(err)
}

/// Writes `metadata.jsonl` (`file_name`, `label`, `original_label`) in each split folder of the
/// Hugging Face layout (`hf/<split>/...`).
pub fn write_hf_metadata(
    root: &Path,
    ds: &Dataset,
    plan: &ExportPlan,
    hf: &[Placement],
) -> Result<(), ExportError> {
    write_split_files(
        plan,
        |split| root.join("hf").join(split.name()).join("metadata.jsonl"),
        |k| {
            let r = &plan.rows[k];
            let file = hf[k].rel.rsplit('/').next().unwrap_or_default();
            serde_json::json!({
                "file_name": file,
                "label": ds.class_name(r.label),
                "original_label": ds.class_name(ds.samples[r.sample].label),
            })
            .to_string()
        },
    )
}

/// Writes `vlm_<split>.jsonl`: one chat per sample (system, user with the image, assistant
/// with the label) plus `images` with the image path (relative to the export folder when the
/// images were exported, else absolute).
pub fn write_vlm_jsonl(
    root: &Path,
    ds: &Dataset,
    plan: &ExportPlan,
    images: Option<&[Placement]>,
    export: &super::ExportOptions,
) -> Result<(), ExportError> {
    let opts = &export.vlm;
    let system = opts.system_prompt(&ds.classes);
    let user = opts.user_prompt(&ds.classes);
    write_split_files(
        plan,
        |split| root.join(format!("vlm_{}.jsonl", split.name())),
        |k| {
            let r = &plan.rows[k];
            let image = images.map_or_else(
                || crate::dataset::names::path_text(&ds.samples[r.sample].path),
                |p| p[k].rel.clone(),
            );
            let mut line = serde_json::json!({
                "messages": [
                    {"role": "system", "content": [{"type": "text", "text": system}]},
                    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": user}]},
                    {"role": "assistant", "content": [{"type": "text", "text": opts.answer(ds.class_name(r.label))}]},
                ],
                "images": [image],
            });
            if let Some(s) = &export.soft_labels {
                line["soft_labels"] = s.of(r.sample, ds.classes.len()).into();
            }
            line.to_string()
        },
    )
}
