//! CSV/Parquet manifests with columns `path,label[,split]`, and Hugging Face `metadata.csv`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::RawSample;
use super::report::{ScanIssueKind, ScanReport};
use crate::table::{TableError, read_table};

/// Reads a manifest: `path_col` and `label_col` required, `split` optional. Paths are relative
/// to `base` unless absolute. Rows with missing files or empty labels are reported and skipped.
pub fn scan_manifest(
    file: &Path,
    base: &Path,
    root: &Path,
    path_col: &str,
    label_col: &str,
    default_split: Option<&str>,
    report: &mut ScanReport,
) -> Result<Vec<RawSample>, TableError> {
    let table = read_table(file)?;
    for p in &table.problems {
        report.push(ScanIssueKind::BadRow, file, p);
    }
    let paths = table.require(path_col, file)?;
    let labels = table.require(label_col, file)?;
    let splits = table.column("split");
    // One `stat` per row, in parallel (cold caches make this I/O-bound).
    let stats: Vec<Option<FileCheck>> = (0..table.num_rows)
        .into_par_iter()
        .map(|r| {
            paths[r]
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|rel| FileCheck::of(&resolve(base, rel)))
        })
        .collect();
    let mut out = Vec::with_capacity(table.num_rows);
    for r in 0..table.num_rows {
        let row = table.row_number(r) - 1;
        let Some(rel) = paths[r].as_deref().filter(|p| !p.trim().is_empty()) else {
            report.push(
                ScanIssueKind::BadRow,
                file,
                &format!("row {}: empty `{path_col}`", row + 1),
            );
            continue;
        };
        let path = resolve(base, rel);
        let Some(label) = labels[r]
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        else {
            report.push(
                ScanIssueKind::MissingLabel,
                &path,
                &format!(
                    "row {} of {}: empty label; skipped",
                    row + 1,
                    file.display()
                ),
            );
            continue;
        };
        // Missing, not a regular file (a FIFO would hang a reader) or empty.
        match &stats[r] {
            None | Some(FileCheck::Missing(_)) => {
                let why = match &stats[r] {
                    Some(FileCheck::Missing(why)) => why.as_str(),
                    _ => "file not found",
                };
                report.push(
                    ScanIssueKind::MissingFile,
                    &path,
                    &format!("row {} of {}: {why}; skipped", row + 1, file.display()),
                );
                continue;
            }
            Some(FileCheck::NotAFile(kind)) => {
                report.push(
                    ScanIssueKind::NotAFile,
                    &path,
                    &format!(
                        "row {} of {}: {kind}, not an image file; skipped",
                        row + 1,
                        file.display()
                    ),
                );
                continue;
            }
            Some(FileCheck::File { len: 0 }) => {
                report.push(ScanIssueKind::EmptyFile, &path, "zero-byte image file");
            }
            Some(FileCheck::File { .. }) => {}
        }
        let split = splits
            .and_then(|s| s[r].as_deref())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .or_else(|| default_split.map(str::to_string));
        out.push(RawSample {
            id: super::relative_id(root, &normalize(&path)),
            path,
            label: label.to_string(),
            split,
        });
    }
    Ok(out)
}

/// What one `stat` of a manifest row's file says.
enum FileCheck {
    /// Not there, or not readable (why).
    Missing(String),
    /// Not a regular file (what it is).
    NotAFile(&'static str),
    /// A regular file of `len` bytes.
    File { len: u64 },
}

impl FileCheck {
    fn of(path: &Path) -> Self {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Self::Missing("file not found".into())
            }
            Err(e) => Self::Missing(format!("cannot read ({e})")),
            Ok(meta) => match super::image_io::not_a_file(&meta) {
                Some(kind) => Self::NotAFile(kind),
                None => Self::File { len: meta.len() },
            },
        }
    }
}

/// Joins a relative manifest path onto `base`; absolute paths are kept.
fn resolve(base: &Path, rel: &str) -> PathBuf {
    let p = Path::new(rel);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Removes `.` components and resolves `..` lexically, so ids are canonical.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
