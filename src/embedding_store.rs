//! Per-image embeddings cached in the dataset's state folder, as f16, keyed like every other
//! per-sample result by sample id and the file's size and mtime (see [`crate::stamp_cache`]).
//!
//! The file is binary (1,280 f16 values are 2.5 KB an image; as JSON they would be five times
//! that): a JSON header line (`version`, `what`, `key` = the file name, `count`, BLAKE3 and
//! length of the body), then per sample: id length (u32 LE), the id in UTF-8, size (u64 LE),
//! mtime in ns (i128 LE), dimension (u32 LE) and the values (u16 LE bit patterns of f16). A file
//! that does not verify is discarded with a notice and rebuilt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use half::f16;

use crate::stamp_cache::{CacheError, FileStamp};

/// One image's embedding, as the model produced it (not normalised), in f16.
pub type Embedding = Arc<[f16]>;

/// Converts a model's f32 output row to an [`Embedding`].
pub fn to_embedding(values: &[f32]) -> Embedding {
    values.iter().map(|&v| f16::from_f32(v)).collect()
}

const VERSION: u32 = 1;
const WHAT: &str = "embeddings";

/// Cached embeddings of one embedding source (a model and its preprocessing) on one dataset.
#[derive(Debug)]
pub struct EmbeddingStore {
    path: PathBuf,
    entries: HashMap<String, (FileStamp, Embedding)>,
    notice: Option<String>,
}

/// Bytes of an entry before its id and values (id length, size, mtime, dimension).
const ENTRY_FIXED_BYTES: usize = 4 + 8 + 16 + 4;

/// The longest sample id or embedding a body may claim (a damaged length is refused before
/// anything that large is allocated).
const MAX_PART_BYTES: usize = 1 << 24;

/// A little-endian reader over the body as it is read.
struct Reader<'a>(&'a mut dyn std::io::Read);

impl Reader<'_> {
    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, CacheError> {
        if n > MAX_PART_BYTES {
            return Err(CacheError::Body(format!("an entry claims {n} bytes")));
        }
        let mut buf = vec![0u8; n];
        self.fill(&mut buf)?;
        Ok(buf)
    }
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CacheError> {
        self.0.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => CacheError::Body("its body ends early".into()),
            _ => CacheError::Read(e),
        })
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CacheError> {
        let mut a = [0u8; N];
        self.fill(&mut a)?;
        Ok(a)
    }
}

/// The entries of the file at `path`, decoded as it is read (at a million 1,280-value
/// embeddings the body is 2.6 GB: it is never held beside what it decodes to).
fn parse(path: &Path) -> Result<HashMap<String, (FileStamp, Embedding)>, CacheError> {
    let found = crate::stamp_cache::read_checked_with(path, VERSION, WHAT, |header, body| {
        let count = header.count.unwrap_or(0);
        let mut r = Reader(body);
        let mut entries = HashMap::with_capacity(count.min(header.len / ENTRY_FIXED_BYTES));
        for _ in 0..count {
            let id_len = u32::from_le_bytes(r.array()?) as usize;
            let id = String::from_utf8(r.bytes(id_len)?)
                .map_err(|_| CacheError::Body("a bad sample id".into()))?;
            let size = u64::from_le_bytes(r.array()?);
            let mtime_ns = i128::from_le_bytes(r.array()?);
            let dim = u32::from_le_bytes(r.array()?) as usize;
            let values: Embedding = r
                .bytes(dim.saturating_mul(2))?
                .chunks_exact(2)
                .map(|b| f16::from_bits(u16::from_le_bytes([b[0], b[1]])))
                .collect();
            entries.insert(id, (FileStamp { size, mtime_ns }, values));
        }
        Ok(entries)
    })?;
    Ok(found.map(|(_, entries)| entries).unwrap_or_default())
}

impl EmbeddingStore {
    /// Opens (or starts) the store at `path`; a file that does not verify is ignored (and
    /// replaced at the next save), see [`EmbeddingStore::notice`].
    pub fn open(path: PathBuf) -> Self {
        let (entries, notice) =
            crate::stamp_cache::entries_or_notice(parse(&path), "embedding", &path);
        Self {
            path,
            entries,
            notice,
        }
    }

    /// Why the file on disk was discarded, if it was.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The embedding of `id` if its file still has `stamp`.
    pub fn get(&self, id: &str, stamp: Option<FileStamp>) -> Option<&Embedding> {
        let (s, e) = self.entries.get(id)?;
        (Some(*s) == stamp).then_some(e)
    }

    /// Records an embedding.
    pub fn insert(&mut self, id: String, stamp: FileStamp, embedding: Embedding) {
        self.entries.insert(id, (stamp, embedding));
    }

    /// Number of stored embeddings.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the store atomically, each entry encoded straight into the file.
    pub fn save(&self) -> Result<(), CacheError> {
        let mut ids: Vec<&String> = self.entries.keys().collect();
        ids.sort();
        crate::stamp_cache::write_checked_streamed(
            &self.path,
            VERSION,
            WHAT,
            Some(self.entries.len()),
            None,
            |out| {
                let mut entry = Vec::new();
                for id in ids {
                    let (stamp, values) = &self.entries[id];
                    entry.clear();
                    entry.extend_from_slice(&(id.len() as u32).to_le_bytes());
                    entry.extend_from_slice(id.as_bytes());
                    entry.extend_from_slice(&stamp.size.to_le_bytes());
                    entry.extend_from_slice(&stamp.mtime_ns.to_le_bytes());
                    entry.extend_from_slice(&(values.len() as u32).to_le_bytes());
                    for v in values.iter() {
                        entry.extend_from_slice(&v.to_bits().to_le_bytes());
                    }
                    out.write_all(&entry).map_err(|source| CacheError::Write {
                        path: self.path.clone(),
                        source,
                    })?;
                }
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_survive_a_save_and_a_damaged_file_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("emb").join("k.bin");
        let stamp = FileStamp {
            size: 10,
            mtime_ns: -5,
        };
        let mut store = EmbeddingStore::open(path.clone());
        assert!(store.notice().is_none() && store.is_empty());
        store.insert("a/1.png".into(), stamp, to_embedding(&[0.5, -1.25, 3.0]));
        store.insert("b".into(), stamp, to_embedding(&[]));
        store.save().unwrap();
        let back = EmbeddingStore::open(path.clone());
        assert_eq!(back.len(), 2);
        let e = back.get("a/1.png", Some(stamp)).unwrap();
        assert_eq!(
            e.iter().map(|v| v.to_f32()).collect::<Vec<_>>(),
            [0.5, -1.25, 3.0]
        );
        let other = FileStamp { size: 11, ..stamp };
        assert!(back.get("a/1.png", Some(other)).is_none());
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let damaged = EmbeddingStore::open(path);
        assert!(damaged.is_empty());
        assert!(
            damaged.notice().unwrap().contains("checksum"),
            "{:?}",
            damaged.notice()
        );
    }

    #[test]
    fn a_body_that_claims_too_much_is_refused_before_it_is_allocated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.bin");
        // A count no body of this length can hold, then an id of 4 GB.
        let mut body = Vec::new();
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        body.extend_from_slice(&[0u8; 40]);
        crate::stamp_cache::write_checked_streamed(
            &path,
            VERSION,
            WHAT,
            Some(usize::MAX / 64),
            None,
            |out| out.write_all(&body).map_err(CacheError::Read),
        )
        .unwrap();
        let store = EmbeddingStore::open(path);
        assert!(store.is_empty());
        let why = store.notice().unwrap();
        assert!(why.contains("claims 4294967295 bytes"), "{why}");
    }
}
