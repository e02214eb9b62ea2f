//! Prediction cache: per (model file hash, spec, dataset classes), one JSON file in the dataset's
//! state folder holding each sample's mapped probabilities keyed by id, file size and mtime.
//! Reopening a dataset with the same model runs zero inferences for unchanged files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::load::LoadedModel;
use super::predict::SampleOutcome;

const CACHE_VERSION: u32 = 1;

/// File identity used to tell whether a cached result still applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
}

impl FileStamp {
    /// Reads the stamp of `path`.
    pub fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        Some(Self {
            size: meta.len(),
            mtime_ns,
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    stamp: FileStamp,
    outcome: SampleOutcome,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    model: String,
    entries: HashMap<String, Entry>,
}

/// The cache of one model on one dataset.
#[derive(Debug)]
pub struct PredictionCache {
    path: PathBuf,
    file: CacheFile,
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
        let dir = state_dir.join("predictions");
        let path = dir.join(format!("{}.json", Self::key(model, classes)));
        let file = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
            .filter(|f| f.version == CACHE_VERSION)
            .unwrap_or_else(|| CacheFile {
                version: CACHE_VERSION,
                model: model.spec.name.clone(),
                entries: HashMap::new(),
            });
        Self { path, file }
    }

    /// Where the cache lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached outcome for `id` if the file still has `stamp`.
    pub fn get(&self, id: &str, stamp: Option<FileStamp>) -> Option<&SampleOutcome> {
        let e = self.file.entries.get(id)?;
        (Some(e.stamp) == stamp).then_some(&e.outcome)
    }

    /// Records an outcome.
    pub fn insert(&mut self, id: String, stamp: FileStamp, outcome: SampleOutcome) {
        self.file.entries.insert(id, Entry { stamp, outcome });
    }

    /// Number of cached samples.
    pub fn len(&self) -> usize {
        self.file.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.file.entries.is_empty()
    }

    /// Writes the cache atomically.
    pub fn save(&self) -> Result<(), String> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let bytes = serde_json::to_vec(&self.file).map_err(|e| e.to_string())?;
        crate::state::write_atomic(&self.path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}
