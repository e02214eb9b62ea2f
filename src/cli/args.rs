//! Command-line arguments (the scripting contract: keep these names).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use super::bench::BenchArgs;
pub use super::shared_args::{DatasetArgs, ListFormat, ModelArgs};
use crate::model::BackendKind;

/// labelscope: inspect an image-classification dataset with a real ONNX model.
#[derive(Debug, Parser)]
#[command(name = "labelscope", version, about)]
pub struct Cli {
    /// What to do; without a subcommand the window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open a dataset and print its classes, splits and scan report.
    Scan(ScanArgs),
    /// Run a model over a dataset and write one row per sample (CSV or Parquet).
    Predict(PredictArgs),
    /// Print accuracy, per-class metrics, the confusion matrix, calibration and latency.
    Evaluate(EvaluateArgs),
    /// Open the window on a dataset (with a model or predictions).
    Open(OpenArgs),
    /// Change labels, exclude or include samples, undo/redo (journaled, never touches the images).
    Edit(EditArgs),
    /// List the current effective edits, one row per edited sample.
    Edits(EditsArgs),
    /// Export cleaned, stratified, seeded, leak-free splits (ImageFolder, manifests, HF, VLM JSONL).
    Export(ExportArgs),
    /// Write every sample's embedding (the model's classifier input) as Parquet or .npy.
    Embed(super::embed::EmbedArgs),
    /// The samples most similar to one (cosine distance between embeddings).
    Similar(super::embed::SimilarArgs),
    /// Find problems: label errors, text/watermarks, duplicates, unreadable and odd images.
    Issues(super::issues::IssuesArgs),
    /// Train a new classifier head on the model's embeddings with the cleaned labels, compare it
    /// on the held-out split, write it as one ONNX model.
    Train(super::train::TrainArgs),
    /// Fit a temperature to the model's confidences on labelled data: ECE, NLL and the
    /// reliability bins before and after; `--out` writes a calibrated copy of the spec.
    Calibrate(super::calibrate::CalibrateArgs),
    /// A deployed model's device logs against its reference set, window by window: class mix,
    /// confidence, accuracy without labels, latency, drift.
    Monitor(super::monitor::MonitorArgs),
    /// Which images of a pool (a folder, a dataset or a device log) to label next: uncertain,
    /// diverse, typical or random, never two near copies; writes `path,rank,score,reason`.
    Select(super::select::SelectArgs),
    /// Benchmarks: predict vs the inference bound, thumbnails, a 100k-sample dataset (prints
    /// tables, writes JSON).
    Bench(BenchArgs),
    /// Apply tag edits in a loop, printing `ack N` after each is durable (crash tests).
    #[command(hide = true)]
    EditStress(EditStressArgs),
    /// Load one model, run one blank image, print the peak memory it added in bytes (what
    /// `evaluate` runs in a child process to measure each model's session memory).
    #[command(hide = true)]
    InternalFootprint(FootprintArgs),
}

/// `labelscope internal-footprint` (hidden).
#[derive(Debug, Args)]
pub struct FootprintArgs {
    /// The model (`.onnx` or spec `.json`).
    #[arg(long)]
    pub model: PathBuf,
    /// Inference backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Auto)]
    pub backend: BackendKind,
}

/// `labelscope edit-stress` (hidden).
#[derive(Debug, Args)]
pub struct EditStressArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// First edit number (tags are `stress-<n>`).
    #[arg(long, default_value_t = 0)]
    pub start: u64,
    /// How many edits.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
}

/// `labelscope edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// What to do.
    #[command(subcommand)]
    pub action: EditCommand,
}

/// Edit actions.
#[derive(Debug, Subcommand)]
pub enum EditCommand {
    /// Give a sample another label.
    Relabel {
        /// Sample path (relative to the dataset root).
        path: String,
        /// The new label.
        label: String,
    },
    /// Exclude a sample from metrics and exports.
    Exclude {
        /// Sample path.
        path: String,
        /// Why: watermark/text, not a valid sample, ambiguous, duplicate, corrupt, or free text.
        #[arg(long, default_value = "not a valid sample")]
        reason: String,
    },
    /// Include an excluded sample again.
    Include {
        /// Sample path.
        path: String,
    },
    /// Add a free-form tag.
    Tag {
        /// Sample path.
        path: String,
        /// The tag.
        tag: String,
    },
    /// Add an image file from outside the dataset (a pool, a device's images) as a sample, by
    /// reference: nothing is copied; the journal names the file and every later command lists
    /// it with the dataset.
    Add {
        /// The image file.
        path: PathBuf,
        /// Its label (one of the dataset's); leave it out with `--negative`.
        #[arg(required_unless_present = "negative")]
        label: Option<String>,
        /// Add it as a negative: an image of none of the classes (written by `export
        /// --negatives NAME`).
        #[arg(long, conflicts_with = "label")]
        negative: bool,
    },
    /// Mark a sample of the dataset as a negative (none of the classes): it is excluded, and
    /// `export --negatives NAME` writes it as that class.
    Negative {
        /// Sample path.
        path: String,
    },
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Apply a CSV of edits with columns `path,action,label,reason` (action: relabel, exclude,
    /// include, add, negative); rows with the same action, label and reason form one undoable
    /// step. An `add` row's path is an image file outside the dataset (relative paths are
    /// read from the CSV's folder); `negative` marks a sample, or adds a file, as a negative.
    Apply {
        /// The CSV (or Parquet) file.
        file: PathBuf,
    },
}

/// `labelscope edits`.
#[derive(Debug, Args)]
pub struct EditsArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Csv)]
    pub format: ListFormat,
}

/// `labelscope open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// An `.onnx` file or spec `.json` to run at once.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Predictions made elsewhere, instead of a model.
    #[arg(long, conflicts_with = "model")]
    pub predictions: Option<PathBuf>,
    /// A predictions file to compare with (metrics side by side, the "models disagree" filter).
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// A model to run in the background and compare with the first (repeat for more).
    #[arg(long, value_name = "MODEL")]
    pub compare_model: Vec<PathBuf>,
    /// Any ONNX image model to read embeddings from (find similar, the map) instead of `--model`.
    #[arg(long, value_name = "MODEL")]
    pub embedder: Option<PathBuf>,
    /// Classify with a vision-language model behind an OpenAI-compatible endpoint instead.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with_all = ["model", "predictions"],
        requires = "vlm_model"
    )]
    pub vlm_endpoint: Option<String>,
    /// Model name sent to the endpoint.
    #[arg(long, value_name = "NAME")]
    pub vlm_model: Option<String>,
    /// Inference backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Auto)]
    pub backend: BackendKind,
}

impl ModelArgs {
    /// Whether a model or an endpoint was given.
    pub fn has_source(&self) -> bool {
        !self.model.is_empty() || self.vlm_endpoint.is_some()
    }

    /// The one model given; an error when `--model` was given more than once (only `evaluate`
    /// compares several).
    pub fn single_model(&self) -> anyhow::Result<Option<&PathBuf>> {
        match self.model.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => anyhow::bail!(
                "--model is given {} times: only `evaluate` compares several models",
                self.model.len()
            ),
        }
    }
}

/// Output format of reports (defined beside the shared flags, so every command can take it).
pub use super::shared_args::Format;

/// `labelscope scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `labelscope predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Output file, `.csv` or `.parquet`; with `--shard`, a directory that receives
    /// `part-I-of-N.parquet`.
    #[arg(long)]
    pub out: PathBuf,
    /// Ignore curation edits (report the dataset's own labels, include excluded samples).
    #[arg(long)]
    pub original_labels: bool,
    /// Predict only shard I of N (0-based; a deterministic 1/N of the samples by a hash of their
    /// path), e.g. `--shard $JOB_COMPLETION_INDEX/8`. Every command that takes `--predictions`
    /// reads a directory of parts as one set.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::eval::parts::Shard>,
}

/// `labelscope evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The model (or use --predictions).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Predictions made elsewhere (CSV/Parquet/JSONL with `path,pred[,confidence,prob_<label>...]`);
    /// give several (and mix them with `--model`s) to compare: metrics side by side with
    /// intervals, and per pair the agreement, McNemar's test and a paired bootstrap.
    #[arg(long)]
    pub predictions: Vec<PathBuf>,
    /// Ignore curation edits (score against the dataset's own labels, excluded samples included).
    #[arg(long)]
    pub original_labels: bool,
    /// Bootstrap resamples of the intervals (balanced accuracy, macro F1, ECE) and of the
    /// paired comparison.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub ci_seed: u64,
    /// The resolution trade-off: run the model with each image first lowered to each longest
    /// side (e.g. `64,96,128,full`), each image decoded once; compared like models (intervals,
    /// latency, McNemar against the others). Runs without the prediction cache.
    #[arg(long, value_delimiter = ',', value_name = "SIDES", value_parser = super::values::resolution)]
    pub resolutions: Vec<Option<u32>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `labelscope export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Target folder (must be absent or empty unless --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Fraction of each class for validation.
    #[arg(long, default_value_t = 0.1, value_parser = super::values::fraction)]
    pub val_fraction: f64,
    /// Fraction of each class for test.
    #[arg(long, default_value_t = 0.0, value_parser = super::values::fraction)]
    pub test_fraction: f64,
    /// Seed of the split.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Formats, comma separated: imagefolder, csv, parquet, hf, vlm-jsonl, hf-parquet (Hub-style
    /// Parquet shards with the images inside and a dataset card).
    #[arg(long, value_delimiter = ',', default_value = "imagefolder,csv,parquet")]
    pub format: Vec<String>,
    /// How images get into the export.
    #[arg(long, value_enum, default_value_t = LinkArg::Copy)]
    pub link: LinkArg,
    /// Keep the dataset's own split (samples without one are assigned).
    #[arg(long)]
    pub keep_splits: bool,
    /// Replace an earlier export at the target (a folder holding only files an export wrote,
    /// as listed in its .labelscope-export.json), once the new export is complete.
    #[arg(long)]
    pub force: bool,
    /// Class-imbalance handling in train.
    #[arg(long, value_enum, default_value_t = BalanceArg::None)]
    pub balance: BalanceArg,
    /// Write the negatives (images of none of the classes: added with `edit add --negative`,
    /// marked with `edit negative`, or N in the labelling window) as a class of this name.
    #[arg(long, value_name = "NAME")]
    pub negatives: Option<String>,
    /// Add the model's per-class probabilities (`prob_<label>`) to the manifests as soft labels.
    #[arg(long)]
    pub probs: bool,
    /// A teacher model (`.onnx` or spec `.json`) whose probabilities over the classes are
    /// written as soft labels for distillation: `prob_<label>` columns, and a `soft_labels`
    /// list in Parquet and the VLM JSONL; the report names the model and temperature.
    #[arg(long, value_name = "MODEL", conflicts_with = "probs")]
    pub soft_labels: Option<PathBuf>,
    /// The distillation temperature of the soft labels (on top of the teacher spec's own).
    #[arg(long, default_value_t = 1.0, requires = "soft_labels", value_parser = super::values::positive)]
    pub temperature: f64,
    /// Model whose predictions go into the manifests and report (or use --predictions).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Predictions made elsewhere, for the manifests and report.
    #[arg(long, conflicts_with = "model")]
    pub predictions: Option<PathBuf>,
    /// Perceptual-hash distance for near duplicates kept in one split (0: exact copies only).
    #[arg(long, default_value_t = crate::problems::DEFAULT_NEAR_DISTANCE)]
    pub near_duplicate_distance: u32,
    /// Export images that failed to decode when predicted or checked, or that are over the
    /// pixel limit (by default they are left out and listed in report.md).
    #[arg(long)]
    pub keep_unreadable: bool,
    /// Do not look for duplicates (a duplicate pair may then straddle train and val).
    #[arg(long)]
    pub no_duplicates: bool,
    /// VLM JSONL answer: JSON `{"label": ...}` or the plain label.
    #[arg(long, value_enum, default_value_t = VlmAnswerFormat::Json)]
    pub vlm_answer: VlmAnswerFormat,
    /// VLM JSONL system prompt template (`{labels}` is replaced by the label list).
    #[arg(long)]
    pub vlm_system: Option<String>,
    /// VLM JSONL user prompt template.
    #[arg(long)]
    pub vlm_user: Option<String>,
    /// Sleep this many milliseconds per image (tests that kill an export half-way).
    #[arg(long, hide = true)]
    pub pace_ms: Option<u64>,
}

/// `--link`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LinkArg {
    /// Copy the bytes.
    Copy,
    /// Hard link (falls back to a copy across file systems).
    Hardlink,
    /// Symbolic link to the source.
    Symlink,
}

/// `--balance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BalanceArg {
    /// Export as is.
    None,
    /// Repeat minority-class samples in train up to the largest class.
    Oversample,
    /// Write class_weights.json (inverse frequency in train).
    Weights,
}

/// `--vlm-answer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VlmAnswerFormat {
    /// `{"label": "<label>"}`.
    Json,
    /// The label alone.
    Plain,
}
