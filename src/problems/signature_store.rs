//! Every sample's 32x32 signature, kept for the pixel check of near copies: in memory for a
//! small dataset, out of core past a size. At a million images they are a gigabyte, the
//! largest thing the window still held for every sample; past [`Spill::past_bytes`] they go to
//! an unnamed temporary file in the state folder (gone when the store is dropped, even after a
//! crash) and are read back one at a time with positioned reads, so the page cache, not the
//! process's resident memory, keeps what was read. The same bytes come back: a store on disk
//! answers like the same store in memory.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::facts::ImageFacts;
use super::signature::{SIDE, Signature};
use crate::embed::matrix::{Spill, read_at};

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
    Disk(DiskSignatures),
}

/// Signatures in an unnamed file: sample `i`'s bytes at `i * BYTES` (zeros when unknown).
struct DiskSignatures {
    file: File,
    dir: PathBuf,
    known: Vec<bool>,
    /// The first read that failed, kept so the analysis can say its pixel check is wrong.
    read_error: OnceLock<String>,
}

impl std::fmt::Debug for DiskSignatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DiskSignatures({} in {})",
            self.known.len(),
            self.dir.display()
        )
    }
}

impl Signatures {
    /// Signatures held in memory.
    pub fn in_memory(signatures: Vec<Option<Signature>>) -> Self {
        Self {
            store: Store::Memory(signatures),
        }
    }

    /// Takes every sample's signature out of `facts` (the other checks read only the hashes,
    /// sizes and colours). With `spill` and past its size they are written to an unnamed file
    /// in its folder; when that file cannot be written they stay in memory and the second
    /// value says why.
    pub fn take_from(
        facts: &mut [Option<ImageFacts>],
        spill: Option<&Spill>,
    ) -> (Self, Option<String>) {
        let mut note = None;
        if let Some(spill) = spill.filter(|s| facts.len().saturating_mul(BYTES) > s.past_bytes) {
            let sigs = facts
                .iter()
                .map(|f| f.as_ref().and_then(|f| f.signature.as_ref()));
            match DiskSignatures::write(&spill.dir, sigs) {
                Ok(disk) => {
                    facts.iter_mut().flatten().for_each(|f| f.signature = None);
                    return (
                        Self {
                            store: Store::Disk(disk),
                        },
                        None,
                    );
                }
                Err(e) => {
                    note = Some(format!(
                        "the image signatures stay in memory: they could not be written to {}: {e}",
                        spill.dir.display()
                    ));
                }
            }
        }
        let sigs = facts
            .iter_mut()
            .map(|f| f.as_mut().and_then(|f| f.signature.take()))
            .collect();
        (Self::in_memory(sigs), note)
    }

    /// How many samples there are.
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Memory(v) => v.len(),
            Store::Disk(d) => d.known.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the signatures are out of core.
    pub fn on_disk(&self) -> bool {
        matches!(self.store, Store::Disk(_))
    }

    /// Sample `i`'s signature, if its image was read. A read that fails gives `None` and is
    /// kept for [`Signatures::read_error`].
    pub fn get(&self, i: usize) -> Option<Cow<'_, Signature>> {
        match &self.store {
            Store::Memory(v) => v.get(i)?.as_ref().map(Cow::Borrowed),
            Store::Disk(d) => d.get(i).map(Cow::Owned),
        }
    }

    /// The first read of the file that failed, if any (where and why).
    pub fn read_error(&self) -> Option<&str> {
        match &self.store {
            Store::Memory(_) => None,
            Store::Disk(d) => d.read_error.get().map(String::as_str),
        }
    }
}

impl DiskSignatures {
    fn write<'a>(
        dir: &Path,
        sigs: impl Iterator<Item = Option<&'a Signature>>,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut out = BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir)?);
        let zeros = [0u8; BYTES];
        let mut known = Vec::new();
        for sig in sigs {
            // A signature of another size (none is made) is left out, as if unknown.
            let sig = sig.filter(|s| s.0.len() == BYTES);
            out.write_all(sig.map_or(&zeros[..], |s| &s.0[..]))?;
            known.push(sig.is_some());
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        Ok(Self {
            file,
            dir: dir.to_path_buf(),
            known,
            read_error: OnceLock::new(),
        })
    }

    fn get(&self, i: usize) -> Option<Signature> {
        if !*self.known.get(i)? {
            return None;
        }
        let mut bytes = vec![0u8; BYTES];
        if let Err(e) = read_at(&self.file, &mut bytes, (i * BYTES) as u64) {
            let _ = self.read_error.set(format!(
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

    fn facts(sig: Option<u8>) -> Option<ImageFacts> {
        Some(ImageFacts {
            bytes: 1,
            content_hash: String::new(),
            width: 1,
            height: 1,
            color: "L8".into(),
            phash: None,
            signature: sig.map(|b| Signature((0..BYTES).map(|k| b ^ k as u8).collect())),
            error: None,
        })
    }

    fn some_facts() -> Vec<Option<ImageFacts>> {
        vec![
            facts(Some(1)),
            None,
            facts(None),
            facts(Some(7)),
            facts(Some(0)),
        ]
    }

    #[test]
    fn signatures_on_disk_answer_like_the_same_signatures_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = some_facts();
        let mut b = some_facts();
        let (memory, note) = Signatures::take_from(&mut a, None);
        assert!(note.is_none() && !memory.on_disk());
        let spill = Spill {
            dir: dir.path().join("problems"),
            past_bytes: 0,
        };
        let (disk, note) = Signatures::take_from(&mut b, Some(&spill));
        assert!(note.is_none());
        assert!(disk.on_disk());
        assert_eq!(disk.len(), 5);
        for i in 0..6 {
            assert_eq!(disk.get(i), memory.get(i), "sample {i}");
        }
        assert!(memory.get(0).is_some() && memory.get(1).is_none() && memory.get(2).is_none());
        assert_eq!(disk.read_error(), None);
        // Taken out of the facts either way.
        assert!(a.iter().chain(&b).flatten().all(|f| f.signature.is_none()));
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
        let (s, note) = Signatures::take_from(&mut some_facts(), Some(&big));
        assert!(!s.on_disk() && note.is_none());
        // A folder that cannot be made (a file is in its way).
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, b"x").unwrap();
        let spill = Spill {
            dir: blocked.join("problems"),
            past_bytes: 0,
        };
        let (s, note) = Signatures::take_from(&mut some_facts(), Some(&spill));
        assert!(!s.on_disk());
        assert!(note.unwrap().contains("stay in memory"));
        assert_eq!(s.get(3).unwrap().0[0], 7);
    }
}
