//! The prediction cache: per (model file hash, spec, model labels, dataset classes), one
//! [`StampCache`] file in the dataset's state folder holding each sample's outcome keyed by id,
//! file size and mtime. Reopening a dataset with the same model runs zero inferences for
//! unchanged files.

use std::path::Path;

use super::load::LoadedModel;
use super::predict::SampleOutcome;
use crate::stamp_cache::StampCache;

const CACHE_VERSION: u32 = 3;

/// The cached outcomes of one model on one dataset.
pub type PredictionCache = StampCache<SampleOutcome>;

/// The cache key of `model` for a dataset with `classes`.
fn key(model: &LoadedModel, classes: &[String]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(model.model_hash.as_bytes());
    h.update(
        serde_json::to_string(&model.spec)
            .unwrap_or_default()
            .as_bytes(),
    );
    h.update(model.model_labels.join("\n").as_bytes());
    h.update(classes.join("\n").as_bytes());
    h.finalize().to_hex()[..24].to_string()
}

/// Opens (or starts) the prediction cache of `model` in `state_dir`. A cache that does not
/// verify is discarded with a notice (see [`StampCache::notice`]).
pub fn open_prediction_cache(
    state_dir: &Path,
    model: &LoadedModel,
    classes: &[String],
) -> PredictionCache {
    let path = state_dir
        .join("predictions")
        .join(format!("{}.json", key(model, classes)));
    StampCache::open(path, CACHE_VERSION, &model.spec.name)
}
