//! Writing embeddings for other tools: Parquet (`path` + `embedding` as a list of float32, one
//! row per sample, null where a sample has none) or NumPy `.npy` (a float32 matrix in dataset
//! order, a row of NaN where a sample has none). The values are the model's, not normalised.

use std::path::Path;

use crate::dataset::Dataset;
use crate::embedding_store::Embedding;
use crate::table::{OutColumn, write_table};

/// Why embeddings could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file name's extension is neither `.parquet` nor `.npy`.
    #[error("write embeddings to a .parquet or .npy file, not {0}")]
    Format(std::path::PathBuf),
    /// Writing the Parquet file failed.
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    /// Writing the `.npy` file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Formats embeddings are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbeddingFormat {
    /// Parquet with `path` and `embedding` columns.
    Parquet,
    /// A NumPy float32 matrix.
    Npy,
}

impl EmbeddingFormat {
    /// The format of `path`, from its extension.
    pub fn of(path: &Path) -> Result<Self, WriteError> {
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("parquet") => Ok(Self::Parquet),
            Some("npy") => Ok(Self::Npy),
            _ => Err(WriteError::Format(path.to_path_buf())),
        }
    }
}

/// The bytes of a `.npy` file holding `rows` x `dim` float32 values, row-major.
pub fn npy_bytes(values: &[f32], rows: usize, dim: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}");
    // Magic (6) + version (2) + header length (2) + dict + padding + newline: a multiple of 64.
    let unpadded = 10 + dict.len() + 1;
    let header_len = dict.len() + 1 + (64 - unpadded % 64) % 64;
    let mut out = Vec::with_capacity(10 + header_len + values.len() * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(10 + header_len - 1, b' ');
    out.push(b'\n');
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Writes the embeddings of `ds`'s samples (`per_sample`, in dataset order) to `path`, whose
/// extension picks the format. The caller checks `path` against the inputs and writes through
/// a temporary sibling.
pub fn write_embeddings(
    path: &Path,
    ds: &Dataset,
    per_sample: &[Option<&Embedding>],
) -> Result<(), WriteError> {
    let dim = per_sample
        .iter()
        .flatten()
        .map(|e| e.len())
        .max()
        .unwrap_or(0);
    let as_f32 = |e: &Embedding| e.iter().map(|v| v.to_f32()).collect::<Vec<f32>>();
    match EmbeddingFormat::of(path)? {
        EmbeddingFormat::Parquet => write_table(
            path,
            vec![
                OutColumn::Str(
                    "path".into(),
                    ds.samples.iter().map(|s| Some(s.id.0.clone())).collect(),
                ),
                OutColumn::F32List(
                    "embedding".into(),
                    per_sample.iter().map(|e| e.map(as_f32)).collect(),
                ),
            ],
        )
        .map_err(WriteError::from),
        EmbeddingFormat::Npy => {
            let mut values = Vec::with_capacity(per_sample.len() * dim);
            for e in per_sample {
                match e.filter(|e| e.len() == dim) {
                    Some(e) => values.extend(as_f32(e)),
                    None => values.extend(std::iter::repeat_n(f32::NAN, dim)),
                }
            }
            std::fs::write(path, npy_bytes(&values, per_sample.len(), dim)).map_err(|source| {
                WriteError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_describes_the_matrix() {
        let bytes = npy_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 3)") && header.ends_with('\n'));
        assert_eq!(bytes.len(), 10 + header_len + 24);
        let last = &bytes[bytes.len() - 4..];
        assert_eq!(f32::from_le_bytes(last.try_into().unwrap()), 6.0);
    }
}
