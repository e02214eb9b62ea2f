//! Why an image could not be decoded: the reason and the file (or table row).

use std::path::PathBuf;

/// Why an image could not be decoded.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{reason}: {path}")]
pub struct DecodeError {
    /// What went wrong.
    pub reason: String,
    /// The file.
    pub path: PathBuf,
}
