//! Where an export goes, safely: never inside (or around) the source dataset, never over a
//! non-empty folder without `force`, always through a hidden staging sibling that is renamed
//! into place only when complete; a failed or cancelled export removes its staging folder.

use std::path::{Path, PathBuf};

use super::ExportError;
use crate::dataset::locations::{Conflict, SourceLocations, resolve_path};

const STAGING_TAG: &str = ".labelscope-partial-";

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

/// Checks that `target` is a safe place to export a dataset whose sources are at `sources`:
/// never a source folder, inside one or around one (so replacing it cannot delete a source
/// file), never a file, never a non-empty folder without `force`.
pub fn check_target(
    sources: &SourceLocations,
    target: &Path,
    force: bool,
) -> Result<PathBuf, ExportError> {
    let target = resolve_path(target);
    match sources.conflict(&target) {
        Some(Conflict::Inside(source_root)) => {
            return Err(ExportError::InsideSource {
                target,
                source_root,
            });
        }
        Some(Conflict::Contains(source_root)) => {
            return Err(ExportError::ContainsSource {
                target,
                source_root,
            });
        }
        None => {}
    }
    if target.is_file() {
        return Err(ExportError::NotADirectory(target));
    }
    if target.is_dir() {
        let non_empty = std::fs::read_dir(&target)
            .map_err(io(&target))?
            .next()
            .is_some();
        if non_empty && !force {
            return Err(ExportError::NotEmpty(target));
        }
    }
    Ok(target)
}

impl Staging {
    /// Creates a fresh staging folder beside `target` (removing stale ones left by a killed
    /// export to the same target).
    pub fn create(target: &Path) -> Result<Self, ExportError> {
        let parent = target
            .parent()
            .ok_or_else(|| ExportError::NotADirectory(target.to_path_buf()))?;
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
    /// `sources` is checked again right before an old target is moved away and deleted.
    pub fn commit(mut self, sources: &SourceLocations) -> Result<PathBuf, ExportError> {
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
            // The target may have changed while the export ran (a symlink swapped in): the
            // folder about to be deleted must still hold no source.
            check_target(sources, &self.target, true)?;
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
