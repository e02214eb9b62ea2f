//! What the window starts with: the command line's start-up arguments and the preferences kept
//! between runs.

use std::path::PathBuf;

use crate::dataset::OpenOptions;
use crate::model::BackendKind;

/// What to open at start-up.
#[derive(Clone, Debug, Default)]
pub struct StartupArgs {
    /// Dataset folder or manifest.
    pub dataset: Option<PathBuf>,
    /// Model (`.onnx` or spec `.json`), run at once.
    pub model: Option<PathBuf>,
    /// Predictions file, loaded instead of running a model.
    pub predictions: Option<PathBuf>,
    /// A predictions file to compare with.
    pub compare: Option<PathBuf>,
    /// Models to run in the background and compare with the first.
    pub compare_models: Vec<PathBuf>,
    /// Classify with a VLM endpoint at start-up: (endpoint URL, model name).
    pub vlm: Option<(String, String)>,
    /// A separate model to read embeddings from (any ONNX image model).
    pub embedder: Option<PathBuf>,
    /// Backend for runs.
    pub backend: Option<BackendKind>,
    /// Dataset open options.
    pub open: OpenOptions,
}

/// Preferences kept between runs (UI only; dataset state lives in the dataset's state folder).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Recently opened datasets, newest first.
    pub recent: Vec<PathBuf>,
    /// Thumbnail size in points.
    pub thumb_size: f32,
    /// Last VLM endpoint and model name used.
    pub vlm: Option<(String, String)>,
}

/// Where the preferences are kept in eframe's storage.
pub(super) const PREFS_KEY: &str = "labelscope-prefs";
