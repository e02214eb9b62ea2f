//! Writing a file the user asked for without touching anything they gave: the output is checked
//! against every input (the `Inputs` of the `inputs` module) by resolved path, and written to a temporary
//! sibling that is renamed over the output only when complete, so an interrupted write leaves
//! the old file.

use std::path::{Path, PathBuf};

/// Why an output was refused.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output is one of the command's inputs.
    #[error(
        "refusing to write {out}: it is (or is inside) the {what}, which this command reads; choose another --out"
    )]
    IsInput {
        /// The output as resolved.
        out: PathBuf,
        /// Which input it is.
        what: String,
    },
    /// The output is a folder.
    #[error("refusing to write {0}: it is a folder (give a file name)")]
    IsFolder(PathBuf),
    /// The output folder is a file.
    #[error("refusing to write into {0}: it is a file, not a folder")]
    NotAFolder(PathBuf),
    /// The output file would lie beside the dataset's images.
    #[error(
        "refusing to write {out}: {dir} holds the dataset's images (an output there could be taken for one); choose a folder outside the dataset"
    )]
    BesideSamples {
        /// The output as resolved.
        out: PathBuf,
        /// The folder holding samples.
        dir: PathBuf,
    },
    /// The output folder is, or lies inside, a folder of the source dataset.
    #[error(
        "refusing to write into {target}: it is inside {source_root}, a folder of the source dataset"
    )]
    InsideSource {
        /// The output folder.
        target: PathBuf,
        /// The source folder.
        source_root: PathBuf,
    },
    /// The output folder contains a folder of the source dataset (replacing it would delete
    /// the source).
    #[error("refusing to write to {target}: it contains the source dataset's folder {source_root}")]
    ContainsSource {
        /// The output folder.
        target: PathBuf,
        /// The source folder.
        source_root: PathBuf,
    },
    /// The output folder holds one of the command's inputs.
    #[error(
        "refusing to write to {target}: it holds {input}, the {what}, which this command reads; choose another --out"
    )]
    ContainsInput {
        /// The output folder.
        target: PathBuf,
        /// The input inside it.
        input: PathBuf,
        /// Which input it is.
        what: String,
    },
    /// Writing failed (the old file, if any, is untouched).
    #[error("cannot write {path}: {source}")]
    Io {
        /// The output.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Writes `out` through `write` (called with a temporary sibling path), then renames the
/// temporary over `out`; on failure the temporary is removed and `out` is untouched.
pub fn write_via_temp<E: std::fmt::Display>(
    out: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), OutputError> {
    let name = out
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let ext = out
        .extension()
        .map_or("tmp".into(), |e| e.to_string_lossy().into_owned());
    let tmp = out.with_file_name(format!(".{name}.tmp-{}.{ext}", std::process::id()));
    let fail = |source: std::io::Error| OutputError::Io {
        path: out.to_path_buf(),
        source,
    };
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(std::io::Error::other(e.to_string())));
    }
    if let Err(e) = std::fs::File::open(&tmp).and_then(|f| f.sync_all()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    std::fs::rename(&tmp, out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}
