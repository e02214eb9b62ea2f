//! Why a prediction failed: one sample ([`InferError`], kept as its message in
//! [`super::SampleOutcome::Failed`] and the cache), or the whole run ([`PredictError`]).

use std::path::PathBuf;

use super::BackendError;
use super::mapping::MappingError;
use super::preprocess::PreprocessError;
use crate::dataset::image_io::DecodeError;
use crate::jobs::pool::PoolError;

/// Why a model run computed nothing: no worker could start its backend, or a thread.
pub type WorkerError = PoolError<BackendError>;

crate::jobs::fails_jobs!(BackendError, PredictError, WorkerError);

/// The model's output has another size than its label list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the model produced {got} values but has {labels} labels")]
pub struct OutputSizeError {
    /// Values the model produced.
    pub got: usize,
    /// Labels the model's spec names.
    pub labels: usize,
}

/// Why one sample could not be predicted; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// The image could not be read or decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The decoded image could not be turned into the model's input.
    #[error("{source}: {}", path.display())]
    Preprocess {
        /// Why.
        source: PreprocessError,
        /// The image file.
        path: PathBuf,
    },
    /// The backend failed on this image.
    #[error("{source}: {}", path.display())]
    Backend {
        /// Why.
        source: BackendError,
        /// The image file.
        path: PathBuf,
    },
    /// The backend returned no output for the image.
    #[error("no output: {}", path.display())]
    NoOutput {
        /// The image file.
        path: PathBuf,
    },
    /// The output does not fit the model's labels (every sample fails the same way).
    #[error("{source}: {}", path.display())]
    OutputSize {
        /// The sizes.
        source: OutputSizeError,
        /// The image file.
        path: PathBuf,
    },
}

/// Why a prediction run stopped without a report.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// The model's labels cannot be mapped onto the dataset's classes.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// No worker could start (no backend session, no thread).
    #[error(transparent)]
    Workers(#[from] WorkerError),
    /// The runtime could not take the model at another input size.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The model's output does not fit its labels; the run stopped at the first sample.
    #[error("{message} (the model file: {})", model.display())]
    WrongModel {
        /// The first sample's error.
        message: String,
        /// The model file.
        model: PathBuf,
    },
}
