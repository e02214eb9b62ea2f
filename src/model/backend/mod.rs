//! Inference backends behind one trait: tract (pure Rust, always available) and ONNX Runtime
//! (loaded at run time from wherever the user has it; about 3x faster per core).

mod onnxruntime;
mod ort_library;
mod tract;

use std::sync::Arc;

pub use ort_library::{OrtRuntime, find_onnxruntime_candidates, load_onnxruntime};

use super::load::LoadedModel;

listed_enum! {
/// Which backend to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// ONNX Runtime when it can be found, else tract.
    Auto,
    /// tract-onnx, pure Rust.
    Tract,
    /// ONNX Runtime through `ort` (dynamically loaded).
    #[serde(rename = "onnxruntime")]
    OnnxRuntime,
}
}

impl BackendKind {
    /// Name on the command line, in specs and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Tract => "tract",
            Self::OnnxRuntime => "onnxruntime",
        }
    }

    /// What it is, in a few words (the command line's help).
    pub fn describe(self) -> &'static str {
        match self {
            Self::Auto => "ONNX Runtime when it can be found, else tract",
            Self::Tract => "tract-onnx, pure Rust",
            Self::OnnxRuntime => "ONNX Runtime (loaded at run time)",
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What one inference produced for one image.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawOutput {
    /// The classifier output, flattened.
    pub logits: Vec<f32>,
    /// The embedding (flattened), when the backend reads one.
    pub embedding: Option<Vec<f32>>,
}

/// Why a backend could not be set up, or could not run.
#[derive(Clone, Debug, thiserror::Error)]
pub enum BackendError {
    /// No ONNX Runtime library could be loaded; why each candidate failed.
    #[error("ONNX Runtime not found ({})", .tried.join("; "))]
    OrtNotFound {
        /// One reason per library tried.
        tried: Vec<String>,
    },
    /// The model file could not be read.
    #[error("cannot read {path}: {reason}")]
    ReadModel {
        /// The model file.
        path: std::path::PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The runtime could not load or optimise the model, or create a session.
    #[error("{0}")]
    Load(String),
    /// The model lacks an input or output the spec names or the run needs.
    #[error("{0}")]
    Graph(String),
    /// Inference itself failed.
    #[error("{0}")]
    Inference(String),
}

/// One inference instance, used by one worker thread at a time.
pub trait Backend: Send {
    /// Runs `n` images whose tensors are concatenated in `input`; returns one output each.
    fn run(&mut self, input: &[f32], n: usize) -> Result<Vec<RawOutput>, BackendError>;
}

/// Creates backend instances for worker threads; holds whatever can be shared between them.
pub trait BackendFactory: Send + Sync {
    /// A new instance for one worker.
    fn create(&self) -> Result<Box<dyn Backend>, BackendError>;
    /// The backend that runs.
    fn kind(&self) -> BackendKind;
    /// A line for the user: which runtime, which version, from where.
    fn describe(&self) -> String;
    /// The embedding value the instances read, or why they read none.
    fn embedding(&self) -> Result<&str, &str>;
}

/// A chosen backend plus what to tell the user about it.
#[derive(Clone)]
pub struct ResolvedBackend {
    /// Creates per-worker instances.
    pub factory: Arc<dyn BackendFactory>,
    /// Advice, e.g. how to get the faster backend.
    pub hint: Option<String>,
}

impl std::fmt::Debug for ResolvedBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedBackend")
            .field("backend", &self.factory.describe())
            .finish()
    }
}

/// Advice printed when tract runs.
pub const ORT_HINT: &str = "using tract (pure Rust); for ~3x faster inference install ONNX Runtime: `pip install onnxruntime` (or set ORT_DYLIB_PATH)";

/// Resolves `kind` for `model`: `Auto` tries ONNX Runtime first and falls back to tract.
pub fn resolve_backend(
    kind: BackendKind,
    model: &LoadedModel,
) -> Result<ResolvedBackend, BackendError> {
    match kind {
        BackendKind::Tract => Ok(ResolvedBackend {
            factory: Arc::new(tract::TractFactory::new(model)?),
            hint: Some(ORT_HINT.into()),
        }),
        BackendKind::OnnxRuntime => {
            let lib = load_onnxruntime()?;
            Ok(ResolvedBackend {
                factory: Arc::new(onnxruntime::OrtFactory::new(model, lib)?),
                hint: None,
            })
        }
        BackendKind::Auto => {
            match load_onnxruntime().and_then(|lib| onnxruntime::OrtFactory::new(model, lib)) {
                Ok(f) => Ok(ResolvedBackend {
                    factory: Arc::new(f),
                    hint: None,
                }),
                Err(why) => Ok(ResolvedBackend {
                    factory: Arc::new(tract::TractFactory::new(model)?),
                    hint: Some(format!("{ORT_HINT}. {why}")),
                }),
            }
        }
    }
}
