//! Export of cleaned splits for fine-tuning: a [`plan::ExportPlan`] (edited labels, exclusions
//! left out, stratified group-aware seeded split) written as ImageFolder, manifest CSV/Parquet,
//! Hugging Face `imagefolder`, VLM chat JSONL and a cleaning report, into a staging folder that
//! is verified and then renamed into place. Nothing is ever written inside the source dataset.

mod files;
mod formats;
pub mod hf_parquet;
mod negatives;
mod plan;
mod report;
mod soft_labels;
mod split;
mod summary;
mod target;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use files::LinkMode;
pub use formats::VlmOptions;
pub use negatives::{WithNegatives, with_negatives};
pub use plan::{Balance, ExportPlan, PlanOptions, PlannedRow, balanced_class_weights, plan_export};
pub use soft_labels::SoftLabels;
pub use split::{Split, SplitConfig, keyed_rank};
pub use summary::ExportSummary;
pub use target::{MARKER, check_target};

use crate::curation::CurationState;
use crate::dataset::Dataset;
use crate::eval::PredictionSet;
use crate::inputs::Inputs;
use crate::jobs::JobControl;

listed_enum! {
/// One output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExportFormat {
    /// `<split>/<class>/<file>` plus `classes.json`.
    ImageFolder,
    /// `manifest.csv`.
    Csv,
    /// `manifest.parquet`.
    Parquet,
    /// `hf/<split>/<file>` with `metadata.jsonl` (Hugging Face `imagefolder`).
    Hf,
    /// `vlm_<split>.jsonl` chats for TRL's SFT trainer.
    VlmJsonl,
    /// `data/<split>-NNNNN-of-NNNNN.parquet` with the images inside and a `README.md` card, as
    /// the Hugging Face Hub stores datasets.
    HfParquet,
}
}

impl ExportFormat {
    /// Command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ImageFolder => "imagefolder",
            Self::Csv => "csv",
            Self::Parquet => "parquet",
            Self::Hf => "hf",
            Self::VlmJsonl => "vlm-jsonl",
            Self::HfParquet => "hf-parquet",
        }
    }

    /// What it writes, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ImageFolder => "<split>/<class>/<file> and classes.json",
            Self::Csv => "manifest.csv: path, label, split, edits, predictions",
            Self::Parquet => "manifest.parquet: path, label, split, edits, predictions",
            Self::Hf => "hf/<split>/ with metadata.jsonl (Hugging Face imagefolder)",
            Self::VlmJsonl => "vlm_<split>.jsonl chats for TRL's SFT trainer",
            Self::HfParquet => {
                "data/<split>-NNNNN-of-NNNNN.parquet with the images inside and a README.md card, as the Hugging Face Hub stores datasets"
            }
        }
    }

    /// Whether the window's export dialog ticks it at first (the folder, CSV and Parquet).
    pub fn selected_by_default(self) -> bool {
        matches!(self, Self::ImageFolder | Self::Csv | Self::Parquet)
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == s.trim())
    }
}

/// Everything about an export but the plan.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Target folder (created; must be empty or absent unless `force`).
    pub out: PathBuf,
    /// Formats to write (the report is always written).
    pub formats: Vec<ExportFormat>,
    /// How images are materialised.
    pub link: LinkMode,
    /// Replace a non-empty target that holds an earlier export (only once the new export is
    /// complete).
    pub force: bool,
    /// The files the caller read besides the dataset (the model, its spec, predictions...):
    /// the target may hold none of them.
    pub inputs: Inputs,
    /// Add `prob_<label>` columns (soft labels) to the manifest.
    pub probs: bool,
    /// Export images that failed to decode in a prediction run or the image checks (or are
    /// over the pixel limit) instead of leaving them out; files that are no image at all are
    /// left out regardless.
    pub keep_unreadable: bool,
    /// VLM JSONL prompts.
    pub vlm: VlmOptions,
    /// Sleep this long per image (tests that kill an export half-way).
    pub pace: Option<Duration>,
    /// Groups of semantic near duplicates (by embedding) kept in one split, beside the pHash
    /// groups [`run_export`] finds itself.
    pub semantic_groups: Vec<Vec<usize>>,
    /// What `--negatives` added (see [`with_negatives`]), for the report.
    pub negatives: Option<serde_json::Value>,
    /// A teacher's probabilities to write as soft labels (distillation).
    pub soft_labels: Option<SoftLabels>,
}

impl ExportOptions {
    /// Whether rows carry probabilities (`prob_<label>`, `soft_labels`): a teacher's soft
    /// labels, or with `probs` the predictions' when there are predictions.
    pub fn writes_probs(&self, have_predictions: bool) -> bool {
        self.soft_labels.is_some() || (self.probs && have_predictions)
    }

    /// Defaults for `out`: ImageFolder, CSV and Parquet, copies.
    pub fn new(out: PathBuf) -> Self {
        Self {
            out,
            formats: vec![
                ExportFormat::ImageFolder,
                ExportFormat::Csv,
                ExportFormat::Parquet,
            ],
            link: LinkMode::Copy,
            force: false,
            inputs: Inputs::new(),
            probs: false,
            keep_unreadable: false,
            vlm: VlmOptions::default(),
            pace: None,
            semantic_groups: Vec::new(),
            negatives: None,
            soft_labels: None,
        }
    }
}

/// Why an export failed (no partial export is left behind).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The target is not a place an export may be written (an input or source folder is
    /// there, or it is a file).
    #[error(transparent)]
    Target(#[from] crate::outputs::OutputError),
    /// The target exists and is not empty.
    #[error(
        "{0} exists and is not empty: replace it with --force (in the window: tick \"Replace an earlier export in this folder\"), which replaces only an earlier export; the old folder goes only once the new export is complete"
    )]
    NotEmpty(PathBuf),
    /// `force` was given but the target holds a file no export wrote.
    #[error(
        "refusing to replace {target}: it holds {file}, which labelscope did not write (--force replaces only an earlier export, whose files are listed in its .labelscope-export.json); move it away or choose another folder"
    )]
    NotOurs {
        /// The target.
        target: PathBuf,
        /// A file in it that no export wrote (relative).
        file: String,
    },
    /// Nothing to export.
    #[error("nothing to export: every sample is excluded or unreadable")]
    Empty,
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A table could not be written.
    #[error("{0}")]
    Table(String),
    /// The written files do not match the plan.
    #[error("verification failed: {0}")]
    Verify(String),
    /// Cancelled by the user.
    #[error("export cancelled; nothing was written")]
    Cancelled,
}

/// Writes the export of `plan`. Progress counts image files; `control` cancels.
pub fn export(
    ds: &Dataset,
    edits: &CurationState,
    plan: &ExportPlan,
    preds: Option<&PredictionSet>,
    opts: &ExportOptions,
    control: &JobControl,
) -> Result<ExportSummary, ExportError> {
    let inputs = opts.inputs.clone().dataset(ds);
    export_to(ds, edits, plan, preds, opts, &inputs, Vec::new(), control)
}

/// [`export`] with the dataset's resolved source locations at hand.
#[allow(clippy::too_many_arguments)]
fn export_to(
    ds: &Dataset,
    edits: &CurationState,
    plan: &ExportPlan,
    preds: Option<&PredictionSet>,
    opts: &ExportOptions,
    inputs: &Inputs,
    mut known_bad: Vec<(usize, String)>,
    control: &JobControl,
) -> Result<ExportSummary, ExportError> {
    let start = Instant::now();
    if plan.rows.is_empty() {
        control.finish();
        return Err(ExportError::Empty);
    }
    let out = target::check_target(inputs, &opts.out, opts.force)?;
    control.begin_stage("checking the source files", 0);
    let mut checked = plan.clone();
    checked.leave_out(files::unreadable_sources(ds, plan));
    if !opts.keep_unreadable {
        // What a prediction run or the image checks found unreadable (a truncated file whose
        // header is fine, an image over the pixel limit) stays out too, once per sample.
        if let Some(p) = preds {
            known_bad.extend(p.entries.iter().enumerate().filter_map(|(i, e)| match e {
                crate::eval::Entry::Failed(m) => Some((i, format!("failed when predicted: {m}"))),
                _ => None,
            }));
        }
        let planned: std::collections::HashSet<usize> =
            checked.rows.iter().map(|r| r.sample).collect();
        known_bad.retain(|(i, _)| planned.contains(i));
        known_bad.sort_by_key(|(i, _)| *i);
        known_bad.dedup_by_key(|(i, _)| *i);
        checked.leave_out(known_bad);
    }
    let plan = &checked;
    if plan.rows.is_empty() {
        control.finish();
        return Err(ExportError::Empty);
    }
    let staging = target::Staging::create(&out)?;
    let root = staging.dir().to_path_buf();
    let class_dirs = crate::dataset::names::safe_file_names(&ds.classes);
    let has = |f| opts.formats.contains(&f);
    let folder = has(ExportFormat::ImageFolder).then(|| {
        files::place_rows(ds, plan, |r| {
            format!("{}/{}", r.split.name(), class_dirs[r.label.index()])
        })
    });
    let hf = has(ExportFormat::Hf)
        .then(|| files::place_rows(ds, plan, |r| format!("hf/{}", r.split.name())));
    let total = folder.as_ref().map_or(0, Vec::len)
        + hf.as_ref().map_or(0, Vec::len)
        + if has(ExportFormat::HfParquet) {
            plan.rows.len()
        } else {
            0
        };
    control.begin_stage("writing", total);
    let mut written = files::Written::default();
    for placements in folder.iter().chain(hf.iter()) {
        let w = files::write_files(&root, placements, opts.link, control, opts.pace)?;
        written.files += w.files;
        written.bytes += w.bytes;
        written.link_fallbacks += w.link_fallbacks;
    }
    let images = folder.as_deref();
    if has(ExportFormat::ImageFolder) {
        let list: Vec<serde_json::Value> = ds
            .classes
            .iter()
            .zip(&class_dirs)
            .map(|(l, d)| serde_json::json!({"folder": d, "label": l}))
            .collect();
        write_json(&root.join("classes.json"), &serde_json::Value::Array(list))?;
    }
    for (fmt, name) in [
        (ExportFormat::Csv, "manifest.csv"),
        (ExportFormat::Parquet, "manifest.parquet"),
    ] {
        if has(fmt) {
            formats::write_manifest(&root.join(name), ds, plan, images, preds, opts)?;
        }
    }
    if let Some(hf) = &hf {
        formats::write_hf_metadata(&root, ds, plan, hf)?;
    }
    if has(ExportFormat::VlmJsonl) {
        formats::write_vlm_jsonl(&root, ds, plan, images, opts)?;
    }
    if has(ExportFormat::HfParquet) {
        let summary = cleaning_summary(plan);
        for s in hf_parquet::write_hf_parquet(&root, ds, plan, preds, opts, &summary, control)? {
            written.files += s.rows;
            written.bytes += s.bytes;
        }
    }
    if plan.options.balance == Balance::Weights {
        let w: serde_json::Map<String, serde_json::Value> = ds
            .classes
            .iter()
            .zip(&plan.class_weights)
            .map(|(l, w)| (l.clone(), serde_json::json!(w)))
            .collect();
        write_json(
            &root.join("class_weights.json"),
            &serde_json::Value::Object(w),
        )?;
    }
    let report = report::report_json(ds, edits, plan, preds, opts, &class_dirs);
    write_json(&root.join("report.json"), &report)?;
    write_bytes(
        &root.join("report.md"),
        report::report_markdown(&report).as_bytes(),
    )?;
    if control.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    for placements in folder.iter().chain(hf.iter()) {
        files::verify(&root, placements)?;
    }
    target::write_marker(&root)?;
    let out = staging.commit(inputs)?;
    control.finish();
    Ok(ExportSummary {
        out,
        per_split: [
            plan.split_len(Split::Train),
            plan.split_len(Split::Val),
            plan.split_len(Split::Test),
        ],
        files: written.files,
        bytes: written.bytes,
        link_fallbacks: written.link_fallbacks,
        elapsed: start.elapsed(),
        report,
        not_exported: plan
            .not_exported
            .iter()
            .map(|(i, why)| (ds.samples[*i].path.clone(), why.clone()))
            .collect(),
    })
}

/// The whole export job behind the CLI and the window (through the workspace): checks every
/// image (decoded once, the facts cached in the dataset's state folder, which `state_dir` gives
/// only once the target is accepted, so a refused export creates nothing), finds duplicate
/// groups (when `near_distance` is given), plans the split and writes the export. Stages are
/// reported on `control`.
#[allow(clippy::too_many_arguments)]
pub fn run_export<'s>(
    ds: &Dataset,
    state_dir: impl FnOnce() -> Option<&'s std::path::Path>,
    edits: &CurationState,
    preds: Option<&PredictionSet>,
    plan_opts: &PlanOptions,
    opts: &ExportOptions,
    near_distance: Option<u32>,
    control: &JobControl,
) -> Result<(ExportPlan, ExportSummary), ExportError> {
    // Refuse a bad target before any work (or any cache write).
    let inputs = opts.inputs.clone().dataset(ds);
    target::check_target(&inputs, &opts.out, opts.force)?;
    // Every image is decoded once (the facts are cached in the state folder): what does not
    // decode is left out, and the same facts give the duplicate groups.
    control.begin_stage("checking the images", ds.samples.len());
    let facts = crate::problems::collect_facts(ds, state_dir(), &[], control).facts;
    if control.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    let known_bad: Vec<(usize, String)> = facts
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((i, f.as_ref()?.error.clone()?)))
        .collect();
    let mut groups: Vec<Vec<usize>> = match near_distance {
        Some(d) => crate::problems::find_duplicates(&facts, d)
            .into_iter()
            .map(|g| g.members)
            .collect(),
        None => Vec::new(),
    };
    // Semantic near duplicates (by embedding) join the pHash groups; overlapping groups merge.
    groups.extend(opts.semantic_groups.iter().cloned());
    let plan = plan_export(ds, edits, &groups, plan_opts);
    control.begin_stage("writing", 0);
    let summary = export_to(ds, edits, &plan, preds, opts, &inputs, known_bad, control)?;
    Ok((plan, summary))
}

/// A few lines on what the review changed and how the split was drawn (for dataset cards).
fn cleaning_summary(plan: &ExportPlan) -> String {
    let s = &plan.options.split;
    format!(
        "- {} samples excluded, {} relabeled in review; {} groups of duplicates kept within one split.\n\
         - Split drawn stratified by class with seed {} (validation {:.0}%, test {:.0}%){}.\n\
         - The full review report is `report.md` beside this card.",
        plan.excluded.len(),
        plan.relabeled.len(),
        plan.groups.len(),
        s.seed,
        s.val * 100.0,
        s.test * 100.0,
        if plan.options.keep_splits {
            "; the dataset's own splits kept"
        } else {
            ""
        }
    )
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    std::fs::write(path, bytes).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_json(path: &Path, v: &serde_json::Value) -> Result<(), ExportError> {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.push('\n');
    write_bytes(path, text.as_bytes())
}
