//! Prediction cache: per (model file hash, spec, dataset classes), one JSON file in the dataset's
//! state folder holding each sample's mapped probabilities keyed by id, file size and mtime.
//! Reopening a dataset with the same model runs zero inferences for unchanged files.

use std::path::Path;

use super::load::LoadedModel;
use super::predict::SampleOutcome;

pub use crate::stamp_cache::FileStamp;
use crate::stamp_cache::StampCache;

const CACHE_VERSION: u32 = 3;

/// The cache of one model on one dataset.
#[derive(Debug)]
pub struct PredictionCache {
    inner: StampCache<SampleOutcome>,
}

impl PredictionCache {
    /// The cache key of `model` for a dataset with `classes`.
    pub fn key(model: &LoadedModel, classes: &[String]) -> String {
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

    /// Opens (or starts) the cache file for `model` in `state_dir`. A corrupt cache is discarded.
    pub fn open(state_dir: &Path, model: &LoadedModel, classes: &[String]) -> Self {
        let path = state_dir
            .join("predictions")
            .join(format!("{}.json", Self::key(model, classes)));
        Self {
            inner: StampCache::open(path, CACHE_VERSION, &model.spec.name),
        }
    }

    /// Why the cache file on disk was discarded (it did not verify), if it was.
    pub fn notice(&self) -> Option<&str> {
        self.inner.notice()
    }

    /// Where the cache lives.
    pub fn path(&self) -> &Path {
        self.inner.path()
    }

    /// The cached outcome for `id` if the file still has `stamp`.
    pub fn get(&self, id: &str, stamp: Option<FileStamp>) -> Option<&SampleOutcome> {
        self.inner.get(id, stamp)
    }

    /// Records an outcome.
    pub fn insert(&mut self, id: String, stamp: FileStamp, outcome: SampleOutcome) {
        self.inner.insert(id, stamp, outcome);
    }

    /// Number of cached samples.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Writes the cache atomically.
    pub fn save(&self) -> Result<(), String> {
        self.inner.save()
    }
}
