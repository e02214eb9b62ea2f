//! Where an export goes, safely: never inside (or around) the source dataset, never over a
//! non-empty folder without `force`, always through a hidden staging sibling that is renamed
//! into place only when complete; a failed or cancelled export removes its staging folder.

use std::path::{Path, PathBuf};

use super::ExportError;

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

/// The absolute form of `p`, resolving the longest existing prefix through symlinks.
fn absolute(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return abs,
        }
    }
    let mut out = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    out
}

/// Checks that `target` is a safe place to export `source_root` to.
pub fn check_target(
    source_root: &Path,
    target: &Path,
    force: bool,
) -> Result<PathBuf, ExportError> {
    let target = absolute(target);
    let root = absolute(source_root);
    if target.starts_with(&root) {
        return Err(ExportError::InsideSource {
            target,
            source_root: root,
        });
    }
    if root.starts_with(&target) {
        return Err(ExportError::ContainsSource {
            target,
            source_root: root,
        });
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
    pub fn commit(mut self) -> Result<PathBuf, ExportError> {
        let old = self.target.with_file_name(format!(
            ".{}.labelscope-old-{}",
            self.target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let had_old = self.target.exists();
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
