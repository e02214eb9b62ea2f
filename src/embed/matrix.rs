//! Where an [`super::EmbeddingSet`]'s rows live: in memory as normalised f32, or, past a size,
//! out of core in an unnamed temporary file in the dataset's state folder (deleted when the
//! last clone of the set is dropped), read back in blocks.
//!
//! The file holds each row as the model gave it, in f16 (the embedding cache's own form, so
//! nothing is lost), and memory keeps one f32 norm per row; a row read back is `value / norm`,
//! the same arithmetic [`super::set`] does in memory, so a set on disk answers bit for bit like
//! the same set in memory. Reads are positioned (`pread`), so threads share the file, and the
//! operating system's page cache (not the process's resident memory) keeps what was read.
//! `unsafe` is denied in this crate, so the file is read, not memory-mapped.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use half::f16;
use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};

/// When a set goes to disk: built with a folder, once its rows as f32 would pass `past_bytes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spill {
    /// The folder the temporary file is made in (the state folder: never a dataset folder).
    pub dir: PathBuf,
    /// Rows x dimension x 4 past which the rows go to disk.
    pub past_bytes: usize,
}

impl Spill {
    /// Rows past 256 MiB as f32 (a million 64-value rows, 52,000 of 1,280) go to disk.
    pub const DEFAULT_PAST_BYTES: usize = 256 << 20;

    /// Spills to `dir` past [`Spill::DEFAULT_PAST_BYTES`].
    pub fn to(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            past_bytes: Self::DEFAULT_PAST_BYTES,
        }
    }

    /// Whether `rows` rows of `dim` values go to disk.
    pub fn applies(&self, rows: usize, dim: usize) -> bool {
        rows.saturating_mul(dim).saturating_mul(4) > self.past_bytes
    }
}

/// Rows on disk: the raw f16 values row after row, and each row's norm.
pub struct DiskRows {
    file: File,
    dir: PathBuf,
    dim: usize,
    norms: Vec<f32>,
    /// The first read that failed (the folder and the error), kept so every result built on
    /// the rows can say it is wrong instead of showing what zero rows matched.
    read_error: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for DiskRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DiskRows({} x {} in {})",
            self.norms.len(),
            self.dim,
            self.dir.display()
        )
    }
}

#[cfg(unix)]
/// Writes `buf` into `file` at `offset` (a positioned write: threads share the file).
pub(crate) fn write_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
/// Writes `buf` into `file` at `offset` (a positioned write: threads share the file).
pub(crate) fn write_at(file: &File, mut buf: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(unix)]
/// Fills `buf` from `file` at `offset` (a positioned read: threads share the file).
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
/// Fills `buf` from `file` at `offset` (a positioned read: threads share the file).
pub(crate) fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(file, buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Builds a [`DiskRows`] row by row.
pub struct DiskWriter {
    out: BufWriter<File>,
    dir: PathBuf,
    dim: usize,
    norms: Vec<f32>,
}

impl DiskWriter {
    /// Starts an unnamed file in `dir` (made if missing) for rows of `dim` values.
    pub fn new(dir: &Path, dim: usize) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = tempfile::tempfile_in(dir)?;
        Ok(Self {
            out: BufWriter::with_capacity(1 << 20, file),
            dir: dir.to_path_buf(),
            dim,
            norms: Vec::new(),
        })
    }

    /// Appends a row (the raw values, `dim` of them) and its norm.
    pub fn push(&mut self, raw: &[f16], norm: f32) -> std::io::Result<()> {
        debug_assert_eq!(raw.len(), self.dim);
        let bits: &[u16] = raw.reinterpret_cast();
        if cfg!(target_endian = "big") {
            for b in bits {
                self.out.write_all(&b.to_le_bytes())?;
            }
        } else {
            self.out.write_all(bytemuck::cast_slice(bits))?;
        }
        self.norms.push(norm);
        Ok(())
    }

    /// The finished rows.
    pub fn finish(self) -> std::io::Result<DiskRows> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(DiskRows {
            file,
            dir: self.dir,
            dim: self.dim,
            norms: self.norms,
            read_error: std::sync::OnceLock::new(),
        })
    }
}

impl DiskRows {
    /// The f16 bit patterns of rows `lo..hi`.
    fn raw_bits(&self, lo: usize, hi: usize) -> std::io::Result<Vec<u16>> {
        let mut bits = vec![0u16; (hi - lo) * self.dim];
        if let Err(e) = read_at(
            &self.file,
            bytemuck::cast_slice_mut(&mut bits),
            (lo * self.dim * 2) as u64,
        ) {
            let _ = self.read_error.set(format!(
                "rows {lo}..{hi} of the embeddings in {}: {e}",
                self.dir.display()
            ));
            return Err(e);
        }
        if cfg!(target_endian = "big") {
            bits.iter_mut().for_each(|b| *b = u16::from_le(*b));
        }
        Ok(bits)
    }

    /// Rows `lo..hi` normalised, row-major. A read that fails (the state folder's disk went
    /// away under the set) gives zero rows, which match nothing, and is kept for
    /// [`DiskRows::read_error`]. The half floats are widened
    /// by the slice conversion (the CPU's F16C instructions where it has them: exact, like
    /// one value at a time, and ~20x faster).
    pub fn normalised(&self, lo: usize, hi: usize) -> Vec<f32> {
        let mut out = vec![0f32; (hi - lo) * self.dim];
        let Ok(bits) = self.raw_bits(lo, hi) else {
            return out;
        };
        bits.reinterpret_cast::<f16>()
            .convert_to_f32_slice(&mut out);
        for (row, &norm) in out
            .chunks_exact_mut(self.dim.max(1))
            .zip(&self.norms[lo..hi])
        {
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v /= norm);
            }
        }
        out
    }

    /// Row `r` as the model gave it.
    pub fn raw(&self, r: usize) -> Option<Vec<f16>> {
        let bits = self.raw_bits(r, r + 1).ok()?;
        Some(bits.reinterpret_cast::<f16>().to_vec())
    }

    /// A new file of rows `rows` of this one (in that order).
    pub fn select(&self, rows: &[usize]) -> std::io::Result<DiskRows> {
        let mut w = DiskWriter::new(&self.dir, self.dim)?;
        for &r in rows {
            let raw = self
                .raw(r)
                .ok_or_else(|| std::io::Error::other("a row could not be read back"))?;
            w.push(&raw, self.norms[r])?;
        }
        w.finish()
    }

    /// The first read of these rows that failed, if any (where, which rows, why).
    pub fn read_error(&self) -> Option<&str> {
        self.read_error.get().map(String::as_str)
    }

    /// Cuts the file after `rows` rows, as a disk that lost the rest (tests of what a failed
    /// read does).
    #[cfg(test)]
    pub(crate) fn lose_rows_after(&self, rows: usize) {
        self.file
            .set_len((rows * self.dim * 2) as u64)
            .expect("the temporary file can be cut");
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.norms.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.norms.is_empty()
    }

    /// The folder the file lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The rows of a set.
#[derive(Clone, Debug)]
pub enum Matrix {
    /// Row-major normalised values.
    Memory(Vec<f32>),
    /// On disk, read in blocks.
    Disk(Arc<DiskRows>),
}

impl Default for Matrix {
    fn default() -> Self {
        Self::Memory(Vec::new())
    }
}

impl Matrix {
    /// Rows `lo..hi` (normalised, row-major) of rows of `dim` values: borrowed in memory, read
    /// from disk otherwise.
    pub fn block(&self, dim: usize, lo: usize, hi: usize) -> Cow<'_, [f32]> {
        match self {
            Self::Memory(data) => Cow::Borrowed(&data[lo * dim..hi * dim]),
            Self::Disk(d) => Cow::Owned(d.normalised(lo, hi)),
        }
    }

    /// Whether the rows are on disk.
    pub fn on_disk(&self) -> bool {
        matches!(self, Self::Disk(_))
    }

    /// The first read from disk that failed, if any: whatever was computed from the rows
    /// since is wrong (the rows read as zeros).
    pub fn read_error(&self) -> Option<&str> {
        match self {
            Self::Memory(_) => None,
            Self::Disk(d) => d.read_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_written_and_a_selection_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = DiskWriter::new(&dir.path().join("sub"), 3).unwrap();
        let rows = [[3.0f32, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 2.0]];
        for r in &rows {
            let raw: Vec<f16> = r.iter().map(|&v| f16::from_f32(v)).collect();
            let norm = r.iter().map(|v| v * v).sum::<f32>().sqrt();
            w.push(&raw, norm).unwrap();
        }
        let d = w.finish().unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d.normalised(0, 1), [0.6, 0.8, 0.0]);
        assert_eq!(
            d.normalised(1, 3),
            [0.0, 0.0, 0.0, 1.0 / 3.0, -2.0 / 3.0, 2.0 / 3.0]
        );
        assert_eq!(d.raw(2).unwrap()[1].to_f32(), -2.0);
        assert_eq!(d.read_error(), None);
        let s = d.select(&[2, 0]).unwrap();
        assert_eq!(
            s.normalised(0, 2),
            [1.0 / 3.0, -2.0 / 3.0, 2.0 / 3.0, 0.6, 0.8, 0.0]
        );
        // The files are unnamed: nothing is left in the folder.
        assert_eq!(
            std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
            0
        );
        // A read that fails reads zeros and is kept, naming the rows and the folder.
        d.lose_rows_after(1);
        assert_eq!(d.normalised(0, 1), [0.6, 0.8, 0.0]);
        assert_eq!(d.read_error(), None);
        assert_eq!(d.normalised(1, 3), [0.0; 6]);
        let why = d.read_error().unwrap();
        assert!(why.starts_with("rows 1..3 of the embeddings in "), "{why}");
        assert!(why.contains("sub"), "{why}");
    }
}
