//! Where a dataset's files really are: every sample's file resolved through symlinks, and the
//! folders holding them. Outputs are checked against these so that nothing labelscope writes or
//! replaces can be, contain or lie inside the location of a source file, wherever a manifest
//! row, a `../` path or a symlinked class folder points.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::Dataset;

/// The resolved locations of a dataset's sources.
#[derive(Clone, Debug, Default)]
pub struct SourceLocations {
    /// Resolved folders holding a source file (or the dataset root, or the manifest), sorted.
    dirs: BTreeSet<PathBuf>,
    /// Resolved source files (samples, the manifest): hashed, a million of them are inserted
    /// in a second where a sorted set took several.
    files: HashSet<PathBuf>,
    /// Resolved folders holding a sample's file.
    sample_dirs: BTreeSet<PathBuf>,
}

/// `p` made absolute with the longest existing prefix resolved through symlinks (the rest kept
/// as written), so a path that does not exist yet compares like one that does.
pub fn resolve_path(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
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

/// The distinct folders of `samples`, resolved through symlinks (in parallel).
fn resolved_parents(samples: &[super::Sample]) -> HashMap<&Path, PathBuf> {
    // Samples come sorted by id, so a folder's files mostly follow each other: runs first.
    let mut distinct: Vec<&Path> = Vec::new();
    for s in samples {
        let dir = s.path.parent().unwrap_or(Path::new("."));
        if distinct
            .last()
            .is_none_or(|l| l.as_os_str() != dir.as_os_str())
        {
            distinct.push(dir);
        }
    }
    distinct.sort_unstable();
    distinct.dedup();
    distinct
        .into_par_iter()
        .map(|d| (d, resolve_path(d)))
        .collect()
}

/// Whether `s` is a symlink itself (one `lstat`).
fn is_link(s: &super::Sample) -> bool {
    std::fs::symlink_metadata(&s.path).is_ok_and(|m| m.is_symlink())
}

/// `s`'s file resolved through symlinks, given its resolved folder.
fn resolve_one(s: &super::Sample, parents: &HashMap<&Path, PathBuf>) -> PathBuf {
    if is_link(s) {
        return resolve_path(&s.path);
    }
    let parent = s.path.parent().unwrap_or(Path::new("."));
    let dir = parents
        .get(parent)
        .cloned()
        .unwrap_or_else(|| resolve_path(parent));
    match s.path.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    }
}

/// How many of `samples` resolve outside `root`: one `realpath` per distinct folder and per
/// symlinked file, in parallel, and one `lstat` per file whose `links` entry (aligned with
/// `samples`; missing = not known) does not already say whether it is a symlink.
pub fn count_outside(root: &Path, samples: &[super::Sample], links: &[Option<bool>]) -> usize {
    let root = resolve_path(root);
    let parents = resolved_parents(samples);
    samples
        .par_iter()
        .enumerate()
        .filter(|&(i, s)| {
            let link = links.get(i).copied().flatten();
            if link.unwrap_or_else(|| is_link(s)) {
                !resolve_path(&s.path).starts_with(&root)
            } else {
                let parent = s.path.parent().unwrap_or(Path::new("."));
                parents
                    .get(parent)
                    .is_none_or(|dir| !dir.starts_with(&root))
            }
        })
        .count()
}

impl SourceLocations {
    /// Resolves every sample of `ds` (one `lstat` per file, one `realpath` per folder and per
    /// symlinked file), plus the dataset root and the file the user named.
    pub fn of(ds: &Dataset) -> Self {
        let mut out = Self::default();
        let parents = resolved_parents(&ds.samples);
        let resolved: Vec<PathBuf> = ds
            .samples
            .par_iter()
            .map(|s| resolve_one(s, &parents))
            .collect();
        out.files.reserve(resolved.len());
        // Samples come by folder: a folder is inserted when it changes from the last one.
        let mut last_dir: Option<PathBuf> = None;
        for (s, real) in ds.samples.iter().zip(resolved) {
            if let Some(dir) = real.parent()
                && last_dir.as_deref() != Some(dir)
            {
                last_dir = Some(dir.to_path_buf());
                out.dirs.insert(dir.to_path_buf());
                // A table row's folder is its table file; the folder holding the table is
                // where an output could pass for another shard.
                let holder = if super::embedded::is_embedded(&s.path) {
                    dir.parent().unwrap_or(dir)
                } else {
                    dir
                };
                out.sample_dirs.insert(holder.to_path_buf());
            }
            out.files.insert(real);
        }
        out.dirs.insert(resolve_path(&ds.root));
        let source = resolve_path(&ds.source);
        if source.is_file() {
            out.files.insert(source);
        }
        out
    }

    /// A source folder that `target` is, lies inside or contains, if any.
    pub fn conflict(&self, target: &Path) -> Option<Conflict> {
        let target = resolve_path(target);
        for d in &self.dirs {
            if target.starts_with(d) {
                return Some(Conflict::Inside(d.clone()));
            }
            if d.starts_with(&target) {
                return Some(Conflict::Contains(d.clone()));
            }
        }
        None
    }

    /// Whether `path` resolves to one of the source files.
    pub fn is_source_file(&self, path: &Path) -> bool {
        self.files.contains(&resolve_path(path))
    }

    /// Whether `dir` holds a sample's file.
    pub fn holds_samples(&self, dir: &Path) -> bool {
        self.sample_dirs.contains(&resolve_path(dir))
    }

    /// Number of resolved source folders.
    pub fn num_dirs(&self) -> usize {
        self.dirs.len()
    }
}

/// How a target collides with the sources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// The target is, or lies inside, this source folder.
    Inside(PathBuf),
    /// The target contains this source folder.
    Contains(PathBuf),
}
