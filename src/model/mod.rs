//! Models: the spec format, preprocessing, label mapping, inference backends, the parallel
//! prediction job and its cache.

pub mod backend;
pub mod cache;
pub mod calibrated_spec;
pub mod cv_area;
pub mod cv_resize;
pub mod downsize;
pub mod embedding_value;
pub mod footprint;
pub mod load;
pub mod mapping;
pub mod multi;
pub mod outcome;
pub mod pil_crop;
pub mod pil_resize;
pub mod pixels;
pub mod predict;
pub mod predict_error;
pub mod preprocess;
pub mod spec;
pub mod temperature;

pub use backend::{BackendError, BackendKind, ResolvedBackend, resolve_backend};
pub use cache::{PredictionCache, open_prediction_cache};
pub use load::{LoadedModel, ModelError, load_model};
pub use outcome::{PredictOptions, PredictReport, SampleOutcome, SamplePrediction};
pub use predict::predict_dataset;
pub use predict_error::{InferError, PredictError, WorkerError};
