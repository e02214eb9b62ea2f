//! Where an export goes, safely: never where [`Inputs::check_folder_output`] refuses (inside
//! or around a source folder, a folder holding one of the command's inputs), never over a
//! non-empty folder without `force`, and with `force` only over an earlier export whose every
//! file labelscope wrote (listed in its [`MARKER`]); always through a hidden staging sibling that
//! is renamed into place only when complete; a failed or cancelled export removes its staging
//! folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::ExportError;
use crate::inputs::Inputs;

const STAGING_TAG: &str = ".labelscope-partial-";

/// The file in every export listing the files the export wrote (relative, `/`-separated):
/// `--force` replaces a folder only when everything in it is listed there.
pub const MARKER: &str = ".labelscope-export.json";

/// A staging folder next to the target; removed on drop unless committed.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Every file and link under `dir` (not following links), relative and `/`-separated.
fn files_under(dir: &Path) -> Result<BTreeSet<String>, ExportError> {
    let mut out = BTreeSet::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.map_err(|e| ExportError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(dir) {
            out.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(out)
}

/// Writes the [`MARKER`] of a finished export in `dir`, listing every file in it.
pub fn write_marker(dir: &Path) -> Result<(), ExportError> {
    let files = files_under(dir)?;
    let v = serde_json::json!({"written_by": "labelscope export", "files": files});
    let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
    text.push('\n');
    std::fs::write(dir.join(MARKER), text).map_err(io(&dir.join(MARKER)))
}

/// The first file in the existing folder `target` that an earlier export did not write (by its
/// [`MARKER`]), if any.
fn foreign_file(target: &Path) -> Result<Option<String>, ExportError> {
    let listed: BTreeSet<String> = std::fs::read(target.join(MARKER))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| serde_json::from_value(v["files"].clone()).ok())
        .unwrap_or_default();
    Ok(files_under(target)?
        .into_iter()
        .find(|f| f != MARKER && !listed.contains(f)))
}

/// Checks that `target` is a safe place for an export reading `inputs`: where
/// [`Inputs::check_folder_output`] allows, not a file, not a non-empty folder unless `force`,
/// and with `force` only a folder holding nothing but an earlier export's files.
pub fn check_target(inputs: &Inputs, target: &Path, force: bool) -> Result<PathBuf, ExportError> {
    let target = inputs.check_folder_output(target)?;
    if target.is_dir() {
        let non_empty = std::fs::read_dir(&target)
            .map_err(io(&target))?
            .next()
            .is_some();
        if non_empty && !force {
            return Err(ExportError::NotEmpty(target));
        }
        if non_empty && let Some(file) = foreign_file(&target)? {
            return Err(ExportError::NotOurs { target, file });
        }
    }
    Ok(target)
}

impl Staging {
    /// Creates a fresh staging folder beside `target` (removing stale ones left by a killed
    /// export to the same target).
    pub fn create(target: &Path) -> Result<Self, ExportError> {
        let parent = target.parent().ok_or_else(|| {
            ExportError::Target(crate::outputs::OutputError::NotAFolder(
                target.to_path_buf(),
            ))
        })?;
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into());
        let prefix = format!(".{name}{STAGING_TAG}");
        if let Ok(entries) = std::fs::read_dir(parent) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = parent.join(format!("{prefix}{}", std::process::id()));
        std::fs::create_dir(&dir).map_err(io(&dir))?;
        Ok(Self {
            dir,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// The staging folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves the finished export into place, replacing an existing target (checked by
    /// [`check_target`]) only now that the new one is complete.
    /// The target is checked again right before an old one is moved away and deleted.
    pub fn commit(mut self, inputs: &Inputs) -> Result<PathBuf, ExportError> {
        let old = self.target.with_file_name(format!(
            ".{}.labelscope-old-{}",
            self.target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let had_old = std::fs::symlink_metadata(&self.target).is_ok();
        if had_old {
            // The target may have changed while the export ran (a symlink swapped in, a file
            // added): the folder about to be deleted must still hold no input and nothing
            // labelscope did not write.
            check_target(inputs, &self.target, true)?;
        }
        if had_old {
            std::fs::rename(&self.target, &old).map_err(io(&self.target))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(io(&self.target)(e));
        }
        self.committed = true;
        if had_old {
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
