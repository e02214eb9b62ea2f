//! Every sample's 32x32 signature, kept for the pixel check of near copies: in memory for a
//! small dataset, out of core past a size. At a million images they are a gigabyte, the
//! largest thing the window still held for every sample; past [`Spill::past_bytes`] they go to
//! an unnamed temporary file in the state folder (gone when the store is dropped, even after a
//! crash) and are read back one at a time with positioned reads, so the page cache, not the
//! process's resident memory, keeps what was read. The same bytes come back: a store on disk
//! answers like the same store in memory.
//!
//! A [`SignatureSink`] fills the store as the image checks read each signature, from the facts
//! cache as it is decoded or from the image, so the million are never in memory together.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::signature::{SIDE, Signature};
use crate::embed::matrix::{Spill, read_at, write_at};

/// Bytes of one signature.
const BYTES: usize = SIDE * SIDE;

/// Every sample's signature, when its image was read (indexed by dataset sample).
#[derive(Debug)]
pub struct Signatures {
    store: Store,
}

#[derive(Debug)]
enum Store {
    Memory(Vec<Option<Signature>>),
    Disk(DiskSignatures, Vec<bool>),
}

/// Signatures in an unnamed file: sample `i`'s bytes at `i * BYTES` (a hole where unknown).
struct DiskSignatures {
    file: File,
    dir: PathBuf,
    /// The first write or read that failed, kept so the analysis can say its pixel check is
    /// wrong.
    error: OnceLock<String>,
}

impl std::fmt::Debug for DiskSignatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DiskSignatures(in {})", self.dir.display())
    }
}

/// Gathers every sample's signature into where [`Signatures`] will keep it, from any thread:
/// [`SignatureSink::put`] as each is read, [`SignatureSink::finish`] once all are in.
#[derive(Debug)]
pub struct SignatureSink {
    store: SinkStore,
    note: Option<String>,
}

#[derive(Debug)]
enum SinkStore {
    Memory(Mutex<Vec<Option<Signature>>>),
    Disk(DiskSignatures, Vec<AtomicBool>),
}

impl SignatureSink {
    /// Room for `n` samples' signatures: with `spill` and past its size in an unnamed file in
    /// its folder; in memory otherwise, or when that file cannot be made (the note says why).
    pub fn new(n: usize, spill: Option<&Spill>) -> Self {
        let mut note = None;
        if let Some(spill) = spill.filter(|s| n.saturating_mul(BYTES) > s.past_bytes) {
            match DiskSignatures::create(&spill.dir, n) {
                Ok(disk) => {
                    let known = (0..n).map(|_| AtomicBool::new(false)).collect();
                    return Self {
                        store: SinkStore::Disk(disk, known),
                        note: None,
                    };
                }
                Err(e) => {
                    note = Some(format!(
                        "the image signatures stay in memory: they could not be written to {}: {e}",
                        spill.dir.display()
                    ));
                }
            }
        }
        Self {
            store: SinkStore::Memory(Mutex::new(vec![None; n])),
            note,
        }
    }

    /// Sets sample `i`'s signature (`None`: its image was not read). A signature of another
    /// size (none is made) is left out, as if unknown.
    pub fn put(&self, i: usize, sig: Option<Signature>) {
        let sig = sig.filter(|s| s.0.len() == BYTES);
        match &self.store {
            SinkStore::Memory(v) => {
                if let Some(slot) = v.lock().unwrap_or_else(PoisonError::into_inner).get_mut(i) {
                    *slot = sig;
                }
            }
            SinkStore::Disk(disk, known) => {
                let Some(known) = known.get(i) else { return };
                let written = sig.is_some_and(|s| disk.put(i, &s));
                known.store(written, Ordering::Relaxed);
            }
        }
    }

    /// Sample `i`'s signature as put so far (to save it back into the facts cache).
    pub fn get(&self, i: usize) -> Option<Signature> {
        match &self.store {
            SinkStore::Memory(v) => v
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(i)?
                .clone(),
            SinkStore::Disk(disk, known) => {
                if !known.get(i)?.load(Ordering::Relaxed) {
                    return None;
                }
                disk.get(i)
            }
        }
    }

    /// The store, and why it is in memory when it was meant for disk.
    pub fn finish(self) -> (Signatures, Option<String>) {
        let store = match self.store {
            SinkStore::Memory(v) => {
                Store::Memory(v.into_inner().unwrap_or_else(PoisonError::into_inner))
            }
            SinkStore::Disk(disk, known) => Store::Disk(
                disk,
                known.into_iter().map(AtomicBool::into_inner).collect(),
            ),
        };
        (Signatures { store }, self.note)
    }
}

impl Signatures {
    /// Signatures held in memory.
    pub fn in_memory(signatures: Vec<Option<Signature>>) -> Self {
        Self {
            store: Store::Memory(signatures),
        }
    }

    /// How many samples there are.
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Memory(v) => v.len(),
            Store::Disk(_, known) => known.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the signatures are out of core.
    pub fn on_disk(&self) -> bool {
        matches!(self.store, Store::Disk(..))
    }

    /// Sample `i`'s signature, if its image was read. A read that fails gives `None` and is
    /// kept for [`Signatures::read_error`].
    pub fn get(&self, i: usize) -> Option<Cow<'_, Signature>> {
        match &self.store {
            Store::Memory(v) => v.get(i)?.as_ref().map(Cow::Borrowed),
            Store::Disk(disk, known) => {
                if !*known.get(i)? {
                    return None;
                }
                disk.get(i).map(Cow::Owned)
            }
        }
    }

    /// The first write or read of the file that failed, if any (where and why).
    pub fn read_error(&self) -> Option<&str> {
        match &self.store {
            Store::Memory(_) => None,
            Store::Disk(disk, _) => disk.error.get().map(String::as_str),
        }
    }
}

impl DiskSignatures {
    /// An unnamed file in `dir` with room for `n` signatures (a sparse file: holes until
    /// written).
    fn create(dir: &Path, n: usize) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = tempfile::tempfile_in(dir)?;
        file.set_len((n * BYTES) as u64)?;
        Ok(Self {
            file,
            dir: dir.to_path_buf(),
            error: OnceLock::new(),
        })
    }

    /// Writes sample `i`'s signature; a failed write is kept and the signature is unknown.
    fn put(&self, i: usize, sig: &Signature) -> bool {
        match write_at(&self.file, &sig.0, (i * BYTES) as u64) {
            Ok(()) => true,
            Err(e) => {
                let _ = self.error.set(format!(
                    "writing the signature of sample {i} in {}: {e}",
                    self.dir.display()
                ));
                false
            }
        }
    }

    fn get(&self, i: usize) -> Option<Signature> {
        let mut bytes = vec![0u8; BYTES];
        if let Err(e) = read_at(&self.file, &mut bytes, (i * BYTES) as u64) {
            let _ = self.error.set(format!(
                "the signature of sample {i} in {}: {e}",
                self.dir.display()
            ));
            return None;
        }
        Some(Signature(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(b: u8) -> Signature {
        Signature((0..BYTES).map(|k| b ^ k as u8).collect())
    }

    /// Five samples: signatures 1, none, none, 7, 0 (put out of order, one twice).
    fn fill(sink: &SignatureSink) {
        sink.put(3, Some(sig(7)));
        sink.put(0, Some(sig(9)));
        sink.put(0, Some(sig(1)));
        sink.put(2, Some(sig(5)));
        sink.put(2, None);
        sink.put(4, Some(sig(0)));
        sink.put(9, Some(sig(3)));
        sink.put(1, Some(Signature(vec![1; 3])));
    }

    #[test]
    fn signatures_on_disk_answer_like_the_same_signatures_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let memory = SignatureSink::new(5, None);
        fill(&memory);
        let spill = Spill {
            dir: dir.path().join("problems"),
            past_bytes: 0,
        };
        let disk = SignatureSink::new(5, Some(&spill));
        fill(&disk);
        for i in 0..6 {
            assert_eq!(disk.get(i), memory.get(i), "sample {i} while filling");
        }
        let (memory, note) = memory.finish();
        assert!(note.is_none() && !memory.on_disk());
        let (disk, note) = disk.finish();
        assert!(note.is_none());
        assert!(disk.on_disk());
        assert_eq!(disk.len(), 5);
        for i in 0..6 {
            assert_eq!(disk.get(i), memory.get(i), "sample {i}");
        }
        assert_eq!(memory.get(0).unwrap().0, sig(1).0);
        assert_eq!(memory.get(4).unwrap().0, sig(0).0);
        assert!(memory.get(1).is_none() && memory.get(2).is_none());
        assert_eq!(disk.read_error(), None);
        // The file has no name: nothing is left in the folder.
        let left: Vec<_> = std::fs::read_dir(&spill.dir).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn below_the_size_or_without_a_writable_folder_they_stay_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let big = Spill {
            dir: dir.path().to_path_buf(),
            past_bytes: 5 * BYTES,
        };
        let sink = SignatureSink::new(5, Some(&big));
        fill(&sink);
        let (s, note) = sink.finish();
        assert!(!s.on_disk() && note.is_none());
        // A folder that cannot be made (a file is in its way).
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, b"x").unwrap();
        let spill = Spill {
            dir: blocked.join("problems"),
            past_bytes: 0,
        };
        let sink = SignatureSink::new(5, Some(&spill));
        fill(&sink);
        let (s, note) = sink.finish();
        assert!(!s.on_disk());
        assert!(note.unwrap().contains("stay in memory"));
        assert_eq!(s.get(3).unwrap().0[0], 7);
    }
}
