//! Writing a file the user asked for without touching anything they gave: the output is checked
//! against every input (the dataset's manifest and samples, prediction files, the model, its
//! spec and labels, the edit journal) by resolved path, and written to a temporary sibling that
//! is renamed over the output only when complete, so an interrupted write leaves the old file.

use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::dataset::locations::resolve_path;

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
    /// Writing failed (the old file, if any, is untouched).
    #[error("cannot write {path}: {source}")]
    Io {
        /// The output.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The inputs of one command, named for the refusal message.
#[derive(Debug, Default)]
pub struct Inputs {
    files: Vec<(PathBuf, String)>,
    folders: Vec<(PathBuf, String)>,
    dataset: Option<Dataset>,
}

impl Inputs {
    /// No inputs yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an input file (`what` names it: "model", "predictions file", ...).
    pub fn file(mut self, path: &Path, what: &str) -> Self {
        self.files.push((resolve_path(path), what.to_string()));
        self
    }

    /// Adds the dataset: its manifest, its edit journal and every sample file.
    pub fn dataset(mut self, ds: &Dataset) -> Self {
        if ds.source.is_file() {
            self.files
                .push((resolve_path(&ds.source), "dataset manifest".into()));
        }
        let state = ds.root.join(crate::state::STATE_DIR_NAME);
        self.folders
            .push((resolve_path(&state), "dataset's state folder".into()));
        self.dataset = Some(ds.clone());
        self
    }

    /// Adds a model's files (its ONNX file, spec and labels file).
    pub fn model(mut self, model: &crate::model::load::ModelFiles) -> Self {
        self.files.push((resolve_path(&model.onnx), "model".into()));
        if let Some(spec) = &model.spec {
            self.files.push((resolve_path(spec), "model spec".into()));
        }
        if let Some(labels) = &model.labels {
            self.files
                .push((resolve_path(labels), "model's labels file".into()));
        }
        self
    }

    /// Checks that `out` is none of the inputs, lies in none of the input folders (the state
    /// folder) and is not a folder.
    pub fn check(&self, out: &Path) -> Result<PathBuf, OutputError> {
        let resolved = resolve_path(out);
        if resolved.is_dir() {
            return Err(OutputError::IsFolder(resolved));
        }
        let hit = self
            .files
            .iter()
            .find(|(p, _)| resolved == *p)
            .or_else(|| self.folders.iter().find(|(p, _)| resolved.starts_with(p)));
        if let Some((_, what)) = hit {
            return Err(OutputError::IsInput {
                out: resolved,
                what: what.clone(),
            });
        }
        if let Some(ds) = &self.dataset {
            let root = resolve_path(&ds.root);
            if let Ok(rel) = resolved.strip_prefix(&root) {
                let id = crate::dataset::relative_id(Path::new(""), rel);
                if ds.index_of(&id).is_some() {
                    return Err(OutputError::IsInput {
                        out: resolved,
                        what: "image of a sample".into(),
                    });
                }
            }
            // A sample reached through a symlink or a `../` row: only same-named files can be it.
            let name = resolved.file_name();
            if resolved.exists()
                && ds
                    .samples
                    .iter()
                    .filter(|s| s.path.file_name() == name)
                    .any(|s| resolve_path(&s.path) == resolved)
            {
                return Err(OutputError::IsInput {
                    out: resolved,
                    what: "image of a sample".into(),
                });
            }
        }
        Ok(resolved)
    }
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
