//! Image files of an export: deterministic names (`<split>/<class folder>/<file>`, collisions
//! resolved), copied, hard-linked (falling back to a copy across file systems) or symlinked,
//! in parallel with progress and cancel, then verified (count and sizes).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::ExportError;
use super::plan::{ExportPlan, PlannedRow};
use crate::dataset::Dataset;
use crate::jobs::JobControl;

/// How images get into the export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkMode {
    /// Copy the bytes.
    #[default]
    Copy,
    /// Hard link (a copy when the export is on another file system).
    Hardlink,
    /// Symbolic link to the absolute source path.
    Symlink,
}

/// One file to place: source and path relative to the export root.
#[derive(Clone, Debug)]
pub struct Placement {
    /// Source image.
    pub source: PathBuf,
    /// Path inside the export, with `/` separators.
    pub rel: String,
}

/// Relative paths for `plan.rows` under `dir_of(row)`: the source file name, `__copyN` before
/// the extension for oversampled repeats, `-2`, `-3`... on collisions (case-insensitive).
pub fn place_rows(
    ds: &Dataset,
    plan: &ExportPlan,
    dir_of: impl Fn(&PlannedRow) -> String,
) -> Vec<Placement> {
    let mut used: HashSet<String> = HashSet::new();
    plan.rows
        .iter()
        .map(|r| {
            let source = ds.samples[r.sample].path.clone();
            let file = crate::dataset::embedded::file_name(&source)
                .or_else(|| source.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "image".into());
            let file = crate::dataset::names::safe_file_name(&file);
            let (stem, ext) = match file.rfind('.') {
                Some(k) if k > 0 => (file[..k].to_string(), file[k..].to_string()),
                _ => (file.clone(), String::new()),
            };
            let stem = if r.copy > 0 {
                format!("{stem}__copy{}", r.copy)
            } else {
                stem
            };
            let dir = dir_of(r);
            let mut rel = format!("{dir}/{stem}{ext}");
            let mut n = 2;
            while !used.insert(rel.to_lowercase()) {
                rel = format!("{dir}/{stem}-{n}{ext}");
                n += 1;
            }
            Placement { source, rel }
        })
        .collect()
}

/// The planned samples whose file is not a readable image (index, why): not a regular file
/// (a FIFO, a device, a folder), unreadable, or not an image by its content, whatever its
/// name says. Only the header is read; a FIFO is never opened.
pub fn unreadable_sources(ds: &Dataset, plan: &ExportPlan) -> Vec<(usize, String)> {
    let mut samples: Vec<usize> = plan.rows.iter().map(|r| r.sample).collect();
    samples.sort_unstable();
    samples.dedup();
    let mut bad: Vec<(usize, String)> = samples
        .par_iter()
        .filter_map(|&i| {
            crate::dataset::image_io::check_image_file(&ds.samples[i].path)
                .err()
                .map(|why| (i, why.reason))
        })
        .collect();
    bad.sort();
    bad
}

/// What writing the images did.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// Files placed.
    pub files: usize,
    /// Bytes of the sources.
    pub bytes: u64,
    /// Hard links that fell back to copies.
    pub link_fallbacks: usize,
}

/// Writes `placements` under `root` with `mode`; checks `control` for cancel between files.
pub fn write_files(
    root: &Path,
    placements: &[Placement],
    mode: LinkMode,
    control: &JobControl,
    pace: Option<std::time::Duration>,
) -> Result<Written, ExportError> {
    let mut dirs: Vec<PathBuf> = placements
        .iter()
        .filter_map(|p| root.join(&p.rel).parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    for d in &dirs {
        std::fs::create_dir_all(d).map_err(|source| ExportError::Io {
            path: d.clone(),
            source,
        })?;
    }
    let fallbacks = AtomicUsize::new(0);
    let bytes = std::sync::atomic::AtomicU64::new(0);
    placements.par_iter().try_for_each(|p| {
        if control.is_cancelled() {
            return Err(ExportError::Cancelled);
        }
        if let Some(d) = pace {
            std::thread::sleep(d);
        }
        let dst = root.join(&p.rel);
        let len = place_one(&p.source, &dst, mode, &fallbacks)?;
        bytes.fetch_add(len, Ordering::Relaxed);
        control.add_done(false);
        Ok(())
    })?;
    Ok(Written {
        files: placements.len(),
        bytes: bytes.into_inner(),
        link_fallbacks: fallbacks.into_inner(),
    })
}

fn place_one(
    src: &Path,
    dst: &Path,
    mode: LinkMode,
    fallbacks: &AtomicUsize,
) -> Result<u64, ExportError> {
    let src_err = |source| ExportError::Io {
        path: src.to_path_buf(),
        source,
    };
    let dst_err = |source| ExportError::Io {
        path: dst.to_path_buf(),
        source,
    };
    if let Some(bytes) = crate::dataset::embedded::read_image_bytes(src) {
        // An image inside a table file: its bytes are written out, whatever the mode.
        let bytes = bytes.map_err(|e| src_err(std::io::Error::other(e.reason)))?;
        if mode != LinkMode::Copy {
            fallbacks.fetch_add(1, Ordering::Relaxed);
        }
        std::fs::write(dst, &bytes).map_err(dst_err)?;
        return Ok(bytes.len() as u64);
    }
    let len = std::fs::metadata(src).map_err(src_err)?.len();
    match mode {
        LinkMode::Copy => {
            std::fs::copy(src, dst).map_err(dst_err)?;
        }
        LinkMode::Hardlink => {
            if std::fs::hard_link(src, dst).is_err() {
                fallbacks.fetch_add(1, Ordering::Relaxed);
                std::fs::copy(src, dst).map_err(dst_err)?;
            }
        }
        LinkMode::Symlink => {
            let abs = std::fs::canonicalize(src).map_err(src_err)?;
            symlink(&abs, dst).map_err(dst_err)?;
        }
    }
    Ok(len)
}

#[cfg(unix)]
fn symlink(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(src, dst)
}

#[cfg(windows)]
fn symlink(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(src, dst)
}

/// Checks that every placement exists under `root` with its source's size, and that each
/// folder holding images has no file the export did not place.
pub fn verify(root: &Path, placements: &[Placement]) -> Result<(), ExportError> {
    let mut expected_per_dir: std::collections::BTreeMap<PathBuf, usize> = Default::default();
    for p in placements {
        let dst = root.join(&p.rel);
        // An image inside a table: its bytes' length (read from the row group, not copied;
        // a row with a path only is read from its file).
        let want = if crate::dataset::embedded::is_embedded(&p.source) {
            crate::dataset::embedded::embedded_len(&p.source).or_else(|| {
                crate::dataset::image_io::read_image_bytes(&p.source)
                    .ok()
                    .map(|b| b.len() as u64)
            })
        } else {
            std::fs::metadata(&p.source).map(|m| m.len()).ok()
        };
        let got = std::fs::metadata(&dst).map(|m| m.len()).ok();
        if got.is_none() || got != want {
            return Err(ExportError::Verify(format!(
                "{}: expected {} bytes, found {}",
                dst.display(),
                want.map_or("?".into(), |w| w.to_string()),
                got.map_or("nothing".into(), |g| g.to_string())
            )));
        }
        if let Some(d) = dst.parent() {
            *expected_per_dir.entry(d.to_path_buf()).or_default() += 1;
        }
    }
    for (dir, want) in expected_per_dir {
        let found = std::fs::read_dir(&dir)
            .map_err(|source| ExportError::Io {
                path: dir.clone(),
                source,
            })?
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().ends_with(".jsonl"))
            .count();
        if found != want {
            return Err(ExportError::Verify(format!(
                "{}: expected {want} files, found {found}",
                dir.display()
            )));
        }
    }
    Ok(())
}
