//! A per-sample result cache in the dataset's state folder: one file mapping sample id to
//! (file size + mtime, result). A result is reused only while the file keeps its stamp.
//!
//! The file is a header line (`version`, `what`, the cache's `key` = its file name, the BLAKE3
//! and length of the rest, and its `encoding`) followed by the entries in MessagePack (field
//! names kept, so `#[serde(default)]` and skipped fields read back as in JSON). A body written
//! as JSON by an older labelscope (no `encoding` in its header) is still read, and written
//! again in MessagePack at the next save. A file that does not verify (edited, truncated,
//! copied under another key, older version) is discarded with a one-line notice and rebuilt.
//! Predictions, image facts, text detections and VLM answers use it.
//!
//! Why MessagePack: at a million samples the predictions file was 376 MB of JSON, every
//! probability printed as decimal text and read back; as MessagePack it is 214 MB and reads a
//! second or two sooner (measured in `labelscope predict`; see docs/performance.md). The body
//! is decoded as it is read and hashed on the way, never held whole beside its entries (a
//! million images' facts: 1.2 GB less at the peak); the entries are kept only once the whole
//! body verified. It is encoded the same way, straight into the file: the header line, padded
//! with spaces, is written last into room left for it (see `checked_file`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

mod checked_file;

pub(crate) use checked_file::{read_checked_with, write_checked_streamed};

/// Why a checked cache file could not be used, or written.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The file exists but could not be read.
    #[error("cannot read it ({0})")]
    Read(std::io::Error),
    /// No header line.
    #[error("it has no header: written by an older labelscope, or damaged")]
    NoHeader,
    /// The header line is not the expected JSON.
    #[error("its header is unreadable")]
    BadHeader,
    /// Another kind of cache, or another version of this one.
    #[error("it holds {found} version {found_version} (expected {what} version {version})")]
    OtherKind {
        /// What the file holds.
        found: String,
        /// Its version.
        found_version: u32,
        /// What was expected.
        what: String,
        /// The version expected.
        version: u32,
    },
    /// Written under another file name (copied or renamed).
    #[error("it was written for another key ({found}), not {expected}")]
    OtherKey {
        /// The key in the header.
        found: String,
        /// The file's own name.
        expected: String,
    },
    /// The body's length or BLAKE3 checksum differs from the header's.
    #[error("its content does not match its checksum (edited or truncated)")]
    Checksum,
    /// The body verifies but does not parse.
    #[error("its entries are unreadable ({0})")]
    Body(String),
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The entries could not be encoded.
    #[error("cannot encode the cache ({0})")]
    Encode(String),
}

/// File identity used to tell whether a cached result still applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
}

impl FileStamp {
    /// Reads the stamp of `path` (for a row of a Hugging Face table, the table file's stamp).
    pub fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(crate::dataset::embedded::storage_file(path)).ok()?;
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

/// The `encoding` of a MessagePack body.
const MSGPACK: &str = "msgpack";

/// Cached per-sample results of one kind.
#[derive(Debug)]
pub struct StampCache<T> {
    path: PathBuf,
    version: u32,
    what: String,
    entries: HashMap<String, Entry<T>>,
    notice: Option<String>,
}

/// The entries a cache file held, or none and the notice that says why it was discarded (it is
/// replaced at the next save).
pub(crate) fn entries_or_notice<V>(
    found: Result<HashMap<String, V>, CacheError>,
    what: &str,
    path: &Path,
) -> (HashMap<String, V>, Option<String>) {
    match found {
        Ok(entries) => (entries, None),
        Err(why) => (
            HashMap::new(),
            Some(format!(
                "the {what} cache did not verify ({why}); it is rebuilt: {}",
                path.display()
            )),
        ),
    }
}

/// A cache body's entries decoded one at a time, each shown to `each` before it is kept.
struct EachEntry<'f, T, F> {
    each: &'f mut F,
    _value: std::marker::PhantomData<T>,
}

impl<'de, T: Deserialize<'de>, F: FnMut(&str, &mut T)> DeserializeSeed<'de>
    for EachEntry<'_, T, F>
{
    type Value = HashMap<String, Entry<T>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(&str, &mut T)> Visitor<'de> for EachEntry<'_, T, F> {
    type Value = HashMap<String, Entry<T>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map of cached entries")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = HashMap::with_capacity(map.size_hint().unwrap_or(0).min(1 << 24));
        while let Some((key, mut entry)) = map.next_entry::<String, Entry<T>>()? {
            (self.each)(&key, &mut entry.value);
            out.insert(key, entry);
        }
        Ok(out)
    }
}

/// Reads and verifies a cache file: `Ok(None)` when there is none. Each entry is shown to
/// `each` as it is decoded, before the body is verified.
fn read_verified<T: DeserializeOwned>(
    path: &Path,
    version: u32,
    what: &str,
    mut each: impl FnMut(&str, &mut T),
) -> Result<Option<HashMap<String, Entry<T>>>, CacheError> {
    let found = read_checked_with(path, version, what, |header, body| {
        let body_error = |e: &dyn std::fmt::Display| CacheError::Body(e.to_string());
        let seed = EachEntry {
            each: &mut each,
            _value: std::marker::PhantomData,
        };
        match header.encoding.as_deref() {
            // Older files, read once and written again as MessagePack.
            None => {
                let mut bytes = Vec::new();
                body.read_to_end(&mut bytes).map_err(CacheError::Read)?;
                let mut de = serde_json::Deserializer::from_slice(&bytes);
                let entries = seed.deserialize(&mut de).map_err(|e| body_error(&e))?;
                de.end().map_err(|e| body_error(&e))?;
                Ok(entries)
            }
            Some(MSGPACK) => seed
                .deserialize(&mut rmp_serde::Deserializer::new(body))
                .map_err(|e| body_error(&e)),
            Some(other) => Err(CacheError::Body(format!("unknown encoding {other:?}"))),
        }
    })?;
    Ok(found.map(|(_, entries)| entries))
}

/// A cache's entries as they are saved: each value as `prepare` gives it.
struct Prepared<'a, 'p, T, F> {
    entries: &'a HashMap<String, Entry<T>>,
    prepare: &'p F,
}

/// One saved entry (the same fields as [`Entry`]).
#[derive(Serialize)]
struct EntryOut<'a, T: Clone> {
    stamp: FileStamp,
    value: Cow<'a, T>,
}

impl<'a, T: Clone + Serialize, F: Fn(&str, &'a T) -> Cow<'a, T>> Serialize
    for Prepared<'a, '_, T, F>
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.entries.iter().map(|(key, e)| {
            let value = (self.prepare)(key, &e.value);
            (
                key,
                EntryOut {
                    stamp: e.stamp,
                    value,
                },
            )
        }))
    }
}

impl<T: Serialize + DeserializeOwned + Clone> StampCache<T> {
    /// Opens (or starts) the cache at `path`; `version` and `what` must match what was saved.
    /// A file that does not verify is ignored (and replaced at the next save); see
    /// [`StampCache::notice`].
    pub fn open(path: PathBuf, version: u32, what: &str) -> Self {
        Self::open_with(path, version, what, |_, _| {})
    }

    /// [`StampCache::open`], showing each entry's value to `each` as it is decoded (to move a
    /// large part of it elsewhere before the next is read, as the image checks do with each
    /// image's signature). `each` sees entries before the body is verified: when the file
    /// then does not verify, every entry is discarded and what `each` took must not be used
    /// (every sample is then computed again).
    pub fn open_with(
        path: PathBuf,
        version: u32,
        what: &str,
        each: impl FnMut(&str, &mut T),
    ) -> Self {
        let found = read_verified(&path, version, what, each).map(Option::unwrap_or_default);
        let (entries, notice) = entries_or_notice(found, what, &path);
        Self {
            path,
            version,
            what: what.to_string(),
            entries,
            notice,
        }
    }

    /// An empty cache to be saved at `path` (whatever a file there holds is replaced).
    pub fn fresh(path: PathBuf, version: u32, what: &str) -> Self {
        Self {
            path,
            version,
            what: what.to_string(),
            entries: HashMap::new(),
            notice: None,
        }
    }

    /// Adds every entry of `other` (a part made elsewhere), over any entry of the same id.
    pub fn absorb(&mut self, other: Self) {
        self.entries.extend(other.entries);
    }

    /// Why the cache file on disk was discarded, if it was.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Where the cache lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached value for `id` if the file still has `stamp`.
    pub fn get(&self, id: &str, stamp: Option<FileStamp>) -> Option<&T> {
        let e = self.entries.get(id)?;
        (Some(e.stamp) == stamp).then_some(&e.value)
    }

    /// Moves the value of `id` out if its file still has `stamp` (for a run that reads each
    /// cached value once: the value is then in memory once; it is stored back before a save).
    pub fn take(&mut self, id: &str, stamp: Option<FileStamp>) -> Option<T> {
        let (key, entry) = self.entries.remove_entry(id)?;
        if Some(entry.stamp) == stamp {
            return Some(entry.value);
        }
        self.entries.insert(key, entry);
        None
    }

    /// Records a value.
    pub fn insert(&mut self, id: String, stamp: FileStamp, value: T) {
        self.entries.insert(id, Entry { stamp, value });
    }

    /// Number of cached samples.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the cache atomically, in MessagePack.
    pub fn save(&self) -> Result<(), CacheError> {
        self.save_with(|_, value| Cow::Borrowed(value))
    }

    /// Writes the cache atomically, in MessagePack, each value as `prepare` gives it (put back
    /// together with what [`StampCache::open_with`] or the job kept apart). The body is
    /// encoded straight into the file, never whole in memory.
    pub fn save_with<'a>(
        &'a self,
        prepare: impl Fn(&str, &'a T) -> Cow<'a, T>,
    ) -> Result<(), CacheError> {
        checked_file::write_checked_streamed(
            &self.path,
            self.version,
            &self.what,
            None,
            Some(MSGPACK),
            |out| {
                let entries = Prepared {
                    entries: &self.entries,
                    prepare: &prepare,
                };
                let mut ser = rmp_serde::Serializer::new(out).with_struct_map();
                entries
                    .serialize(&mut ser)
                    .map_err(|e| CacheError::Encode(e.to_string()))
            },
        )
    }
}

#[cfg(test)]
mod tests;
