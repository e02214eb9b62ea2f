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
//! body verified.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

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

/// The header line of a checked cache file (see the module docs).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Header {
    version: u32,
    what: String,
    key: String,
    blake3: String,
    len: usize,
    /// Entries in the body, for binary bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) count: Option<usize>,
    /// How a [`StampCache`] body is encoded: [`MSGPACK`], or JSON when absent (older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encoding: Option<String>,
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

fn key_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The longest header line read (a header is a few hundred bytes).
const MAX_HEADER: u64 = 64 * 1024;

/// Reads a checked cache file (a header line, then the body): its header and body, `Ok(None)`
/// when there is none, or why it does not verify (another version or kind, another key, a
/// checksum that does not match). The body is read once into its own buffer (a million
/// images' facts are 1.6 GB; reading the file whole and splitting it held that twice).
pub(crate) fn read_checked(
    path: &Path,
    version: u32,
    what: &str,
) -> Result<Option<(Header, Vec<u8>)>, CacheError> {
    read_checked_with(path, version, what, |header, body| {
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(header.len)
            .map_err(|_| CacheError::Checksum)?;
        body.read_to_end(&mut bytes).map_err(CacheError::Read)?;
        Ok(bytes)
    })
}

/// Hashes and counts the bytes read through it.
struct Verifying<R> {
    inner: R,
    hasher: blake3::Hasher,
    read: usize,
}

impl<R: std::io::Read> std::io::Read for Verifying<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n;
        Ok(n)
    }
}

/// [`read_checked`] with the body decoded as it is read by `decode` (given the header and the
/// body's bytes), so it is never held whole beside what it decodes to: a million images' facts
/// are 1.2 GB of MessagePack. What `decode` made is returned only once every byte of the body
/// has been read and verified (what it leaves unread is read and hashed after it).
pub(crate) fn read_checked_with<T>(
    path: &Path,
    version: u32,
    what: &str,
    decode: impl FnOnce(&Header, &mut dyn std::io::Read) -> Result<T, CacheError>,
) -> Result<Option<(Header, T)>, CacheError> {
    use std::io::{BufRead, Read};
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CacheError::Read(e)),
    };
    let file_len = file.metadata().map_err(CacheError::Read)?.len();
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    (&mut reader)
        .take(MAX_HEADER)
        .read_until(b'\n', &mut line)
        .map_err(CacheError::Read)?;
    if line.pop() != Some(b'\n') {
        return Err(CacheError::NoHeader);
    }
    let header: Header = serde_json::from_slice(&line).map_err(|_| CacheError::BadHeader)?;
    if header.version != version || header.what != what {
        return Err(CacheError::OtherKind {
            found: header.what,
            found_version: header.version,
            what: what.to_string(),
            version,
        });
    }
    if header.key != key_of(path) {
        return Err(CacheError::OtherKey {
            found: header.key,
            expected: key_of(path),
        });
    }
    if header.len as u64 > file_len {
        return Err(CacheError::Checksum);
    }
    // One byte past the body is asked for, so a longer file does not verify.
    let mut body = std::io::BufReader::with_capacity(
        1 << 20,
        Verifying {
            inner: reader.take(header.len as u64 + 1),
            hasher: blake3::Hasher::new(),
            read: 0,
        },
    );
    let decoded = decode(&header, &mut body);
    std::io::copy(&mut body, &mut std::io::sink()).map_err(CacheError::Read)?;
    let body = body.into_inner();
    if body.read != header.len || body.hasher.finalize().to_hex().as_str() != header.blake3 {
        return Err(CacheError::Checksum);
    }
    Ok(Some((header, decoded?)))
}

/// Writes a checked cache file atomically: the header line (keyed by the file name) and `body`.
pub(crate) fn write_checked(
    path: &Path,
    version: u32,
    what: &str,
    count: Option<usize>,
    body: &[u8],
) -> Result<(), CacheError> {
    write_checked_as(path, version, what, count, None, body)
}

/// [`write_checked`] with the body's `encoding` named in the header.
fn write_checked_as(
    path: &Path,
    version: u32,
    what: &str,
    count: Option<usize>,
    encoding: Option<&str>,
    body: &[u8],
) -> Result<(), CacheError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| CacheError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let header = Header {
        version,
        what: what.to_string(),
        key: key_of(path),
        blake3: blake3::hash(body).to_hex().to_string(),
        len: body.len(),
        count,
        encoding: encoding.map(str::to_string),
    };
    let mut line = serde_json::to_vec(&header).map_err(|e| CacheError::Encode(e.to_string()))?;
    line.push(b'\n');
    crate::state::write_atomic_parts(path, &[&line, body]).map_err(|source| CacheError::Write {
        path: path.to_path_buf(),
        source,
    })
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

/// Reads and verifies a cache file: `Ok(None)` when there is none.
fn read_verified<T: DeserializeOwned>(
    path: &Path,
    version: u32,
    what: &str,
) -> Result<Option<HashMap<String, Entry<T>>>, CacheError> {
    let found = read_checked_with(path, version, what, |header, body| {
        let body_error = |e: &dyn std::fmt::Display| CacheError::Body(e.to_string());
        match header.encoding.as_deref() {
            // Older files, read once and written again as MessagePack.
            None => {
                let mut bytes = Vec::new();
                body.read_to_end(&mut bytes).map_err(CacheError::Read)?;
                serde_json::from_slice(&bytes).map_err(|e| body_error(&e))
            }
            Some(MSGPACK) => rmp_serde::from_read(body).map_err(|e| body_error(&e)),
            Some(other) => Err(CacheError::Body(format!("unknown encoding {other:?}"))),
        }
    })?;
    Ok(found.map(|(_, entries)| entries))
}

impl<T: Serialize + DeserializeOwned + Clone> StampCache<T> {
    /// Opens (or starts) the cache at `path`; `version` and `what` must match what was saved.
    /// A file that does not verify is ignored (and replaced at the next save); see
    /// [`StampCache::notice`].
    pub fn open(path: PathBuf, version: u32, what: &str) -> Self {
        let found = read_verified(&path, version, what).map(Option::unwrap_or_default);
        let (entries, notice) = entries_or_notice(found, what, &path);
        Self {
            path,
            version,
            what: what.to_string(),
            entries,
            notice,
        }
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
        self.get(id, stamp)?;
        self.entries.remove(id).map(|e| e.value)
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
        let body = rmp_serde::to_vec_named(&self.entries)
            .map_err(|e| CacheError::Encode(e.to_string()))?;
        write_checked_as(
            &self.path,
            self.version,
            &self.what,
            None,
            Some(MSGPACK),
            &body,
        )
    }
}

#[cfg(test)]
mod tests;
