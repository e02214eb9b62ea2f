//! Reading an input file safely: only a regular file is opened (never a FIFO, which would wait
//! for a writer, a device such as `/dev/zero`, or a folder), and never more than a size suited
//! to what the file is. Every model, spec, labels, prompt, predictions, manifest and edit file
//! is read through [`read_input`], or checked with [`check_input`] before a library opens it.

use std::io::Read;
use std::path::{Path, PathBuf};

/// What an input file is, which sets how large it may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// An ONNX model.
    Model,
    /// A model spec (JSON).
    Spec,
    /// A labels file, one label per line.
    Labels,
    /// A table: predictions, a manifest or an edit file (CSV, Parquet, JSON Lines).
    Table,
    /// A VLM prompt file.
    Prompt,
}

impl InputKind {
    /// The largest file of this kind that is read.
    pub fn limit(self) -> u64 {
        match self {
            Self::Model => 4 << 30,
            Self::Spec => 16 << 20,
            Self::Labels => 64 << 20,
            Self::Table => 16 << 30,
            Self::Prompt => 1 << 20,
        }
    }

    /// The kind in words.
    pub fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Spec => "model spec",
            Self::Labels => "labels file",
            Self::Table => "table",
            Self::Prompt => "prompt file",
        }
    }
}

/// Why an input file is not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Not a regular file (a FIFO, a device, a folder): never opened.
    #[error("{path} is {what}, not a regular file: give the {kind} as a file")]
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is.
        what: &'static str,
        /// What it was read as.
        kind: &'static str,
    },
    /// Larger than a file of its kind can be.
    #[error(
        "{path} is {size} bytes, more than a {kind} may be ({limit} bytes); refusing to read it"
    )]
    TooLarge {
        /// The path given.
        path: PathBuf,
        /// Its size (at least).
        size: u64,
        /// The limit.
        limit: u64,
        /// What it was read as.
        kind: &'static str,
    },
    /// It could not be read.
    #[error("cannot read {path} ({source})")]
    Io {
        /// The path given.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Checks that `path` is a regular file no larger than `kind` allows (following symlinks,
/// without opening it); returns its size.
pub fn check_input(path: &Path, kind: InputKind) -> Result<u64, InputError> {
    let meta = std::fs::metadata(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(what) = not_a_file(&meta) {
        return Err(InputError::NotAFile {
            path: path.to_path_buf(),
            what,
            kind: kind.name(),
        });
    }
    if meta.len() > kind.limit() {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: kind.limit(),
            kind: kind.name(),
        });
    }
    Ok(meta.len())
}

/// Reads `path` after [`check_input`], never more than `kind`'s limit (a file that grows while
/// it is read is refused too).
pub fn read_input(path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
    let size = check_input(path, kind)?;
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(kind.limit() + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > kind.limit() {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: kind.limit(),
            kind: kind.name(),
        });
    }
    Ok(bytes)
}

/// [`read_input`] as UTF-8 text.
pub fn read_input_text(path: &Path, kind: InputKind) -> Result<String, InputError> {
    let bytes = read_input(path, kind)?;
    String::from_utf8(bytes).map_err(|e| InputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// What `meta` is when it is not a regular file (`"a FIFO"`, `"a character device"`, ...);
/// such a file is never opened (opening a FIFO would wait for a writer).
pub fn not_a_file(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn devices_fifos_and_folders_are_never_read_and_sizes_are_limited() {
        let tmp = tempfile::tempdir().unwrap();
        let err = read_input(Path::new("/dev/zero"), InputKind::Model).unwrap_err();
        assert!(matches!(err, InputError::NotAFile { .. }), "{err}");
        let err = read_input(tmp.path(), InputKind::Spec).unwrap_err();
        assert!(err.to_string().contains("folder"), "{err}");
        #[cfg(unix)]
        {
            let link = tmp.path().join("zero.json");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            assert!(matches!(
                read_input(&link, InputKind::Spec),
                Err(InputError::NotAFile { .. })
            ));
        }
        let big = tmp.path().join("prompt.txt");
        std::fs::write(&big, vec![b'a'; (InputKind::Prompt.limit() + 1) as usize]).unwrap();
        let err = read_input(&big, InputKind::Prompt).unwrap_err();
        assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
        std::fs::write(&big, "hello").unwrap();
        assert_eq!(read_input_text(&big, InputKind::Prompt).unwrap(), "hello");
    }
}
