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

/// Why an image could not be read or decoded, before the path is known to say so (it becomes a
/// [`DecodeError`]'s reason).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unreadable {
    #[error("{0}")]
    Row(String),
    #[error("empty image (0 bytes)")]
    EmptyRow,
    #[error("empty file (0 bytes)")]
    EmptyFile,
    #[error("{0}, not an image file")]
    NotAFile(&'static str),
    #[error("cannot read file ({0})")]
    ReadFile(std::io::Error),
    #[error("cannot open ({0})")]
    Open(std::io::Error),
    #[error("cannot read ({0})")]
    Format(std::io::Error),
    #[error("cannot decode ({0})")]
    Jpeg(String),
    #[error("cannot decode header ({0})")]
    Header(image::ImageError),
    #[error("image too large ({w}x{h} pixels, limit {limit})")]
    TooLarge { w: u32, h: u32, limit: u64 },
    #[error("cannot decode ({0})")]
    Decode(image::ImageError),
    #[error("not an image (its content is no image format labelscope reads)")]
    NotAnImage,
    #[error("not a readable image ({0})")]
    BadHeader(image::ImageError),
    #[error(
        "image too large ({w}x{h} = {pixels} pixels, limit {limit}; Pillow and `datasets` refuse such files as decompression bombs)"
    )]
    Bomb {
        w: u32,
        h: u32,
        pixels: u64,
        limit: u64,
    },
}

impl Unreadable {
    /// The error naming `path`.
    pub(crate) fn at(self, path: &std::path::Path) -> DecodeError {
        DecodeError {
            reason: self.to_string(),
            path: path.to_path_buf(),
        }
    }
}
