//! The command-line flags several commands share: how to open the dataset, how to run the
//! model, how to list.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::dataset::{Layout, OpenOptions};
use crate::model::BackendKind;

/// How to open the dataset.
#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// Dataset folder, a CSV/Parquet manifest, or Hugging Face Parquet/Arrow files.
    pub dataset: PathBuf,
    /// Force a layout instead of detecting it.
    #[arg(long, value_enum)]
    pub layout: Option<Layout>,
    /// Take labels from file names with this regex (one capture group), e.g. `^([a-z]+)\.`.
    #[arg(long, value_name = "REGEX")]
    pub label_from_filename: Option<String>,
    /// The image column of Hugging Face Parquet/Arrow files (default: image, img, ...).
    #[arg(long, value_name = "NAME")]
    pub image_column: Option<String>,
    /// The label column of Hugging Face Parquet/Arrow files (default: label, labels,
    /// fine_label, ...).
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
}

impl DatasetArgs {
    /// Open options from the flags.
    pub fn open_options(&self) -> OpenOptions {
        OpenOptions {
            layout: self.layout,
            label_from_filename: self.label_from_filename.clone(),
            columns: crate::dataset::hf_tables::TableColumns {
                image: self.image_column.clone(),
                label: self.label_column.clone(),
            },
        }
    }
}

/// How to run the model.
#[derive(Clone, Debug, Args)]
pub struct ModelArgs {
    /// An `.onnx` file (its sidecar `.json` spec is used) or a spec `.json`. `evaluate` takes
    /// it several times to compare models (each image decoded once, fed to each model).
    #[arg(long, value_name = "MODEL")]
    pub model: Vec<PathBuf>,
    /// Inference backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Auto)]
    pub backend: BackendKind,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Ignore and do not update the prediction cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Any ONNX image model to read embeddings from (default: `--model`'s own).
    #[arg(long, value_name = "MODEL")]
    pub embedder: Option<PathBuf>,
    /// Classify with a vision-language model behind an OpenAI-compatible endpoint instead
    /// (e.g. `http://127.0.0.1:8080` for llama-server).
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "model",
        requires = "vlm_model"
    )]
    pub vlm_endpoint: Option<String>,
    /// Model name sent to the endpoint.
    #[arg(long, value_name = "NAME")]
    pub vlm_model: Option<String>,
    /// Prompt file: the system prompt, optionally a line `---`, then the user prompt
    /// (`{labels}` is replaced by the label list). `evaluate` takes it several times to compare
    /// prompts on the same images, as it compares models.
    #[arg(long, value_name = "FILE")]
    pub prompt_file: Vec<PathBuf>,
    /// Longest image side sent to the endpoint; `evaluate` takes several (`256,384,512`) to
    /// compare them on the same images, as it compares models (the resolution trade-off).
    #[arg(long, value_delimiter = ',', default_value = "512", value_parser = clap::value_parser!(u32).range(1..))]
    pub vlm_max_side: Vec<u32>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub vlm_concurrency: usize,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 120)]
    pub vlm_timeout: u64,
    /// How the VLM's label probabilities are scored: along the generated answer's
    /// `top_logprobs` (one request an image; llama-server, vLLM), or each label's whole answer
    /// as a continuation of the prompt from `prompt_logprobs` (one more request per label;
    /// vLLM).
    #[arg(long, value_enum, default_value_t = VlmScoringArg::Answer)]
    pub vlm_scoring: VlmScoringArg,
}

/// `--vlm-scoring`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VlmScoringArg {
    /// Along the generated answer.
    Answer,
    /// Each label as a continuation (vLLM's prompt log-probabilities).
    Continuation,
}

impl From<VlmScoringArg> for crate::vlm::VlmScoring {
    fn from(a: VlmScoringArg) -> Self {
        match a {
            VlmScoringArg::Answer => Self::Answer,
            VlmScoringArg::Continuation => Self::Continuation,
        }
    }
}

/// Format of listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// CSV on stdout.
    Csv,
    /// A JSON array on stdout.
    Json,
}

/// Output format of reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON object on stdout.
    Json,
}
