//! A per-sample result cache in the dataset's state folder: one JSON file mapping sample id to
//! (file size + mtime, result). A result is reused only while the file keeps its stamp; a
//! corrupt or older-version file is discarded. Predictions, image facts and text detections use it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

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
struct Entry<T> {
    stamp: FileStamp,
    value: T,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile<T> {
    version: u32,
    what: String,
    entries: HashMap<String, Entry<T>>,
}

/// Cached per-sample results of one kind.
#[derive(Debug)]
pub struct StampCache<T> {
    path: PathBuf,
    file: CacheFile<T>,
}

impl<T: Serialize + DeserializeOwned + Clone> StampCache<T> {
    /// Opens (or starts) the cache at `path`; `version` and `what` must match what was saved.
    pub fn open(path: PathBuf, version: u32, what: &str) -> Self {
        let file = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<CacheFile<T>>(&b).ok())
            .filter(|f| f.version == version && f.what == what)
            .unwrap_or_else(|| CacheFile {
                version,
                what: what.to_string(),
                entries: HashMap::new(),
            });
        Self { path, file }
    }

    /// Where the cache lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached value for `id` if the file still has `stamp`.
    pub fn get(&self, id: &str, stamp: Option<FileStamp>) -> Option<&T> {
        let e = self.file.entries.get(id)?;
        (Some(e.stamp) == stamp).then_some(&e.value)
    }

    /// Records a value.
    pub fn insert(&mut self, id: String, stamp: FileStamp, value: T) {
        self.file.entries.insert(id, Entry { stamp, value });
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
