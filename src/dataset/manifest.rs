//! CSV/Parquet manifests with columns `path,label[,split]`, and Hugging Face `metadata.csv`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::RawSample;
use super::file_check::{FileCheck, check_all};
use super::report::{ScanIssueKind, ScanReport};
use crate::table::{TableError, read_table_columns};

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
    let table = read_table_columns(file, Some(&[path_col, label_col, "split"]))?;
    for p in &table.problems {
        report.push(ScanIssueKind::BadRow, file, p);
    }
    let paths = table.require(path_col, file)?;
    let labels = table.require(label_col, file)?;
    let splits = table.column("split");
    let resolved: Vec<Option<PathBuf>> = (0..table.num_rows)
        .into_par_iter()
        .map(|r| {
            paths[r]
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|rel| resolve(base, rel))
        })
        .collect();
    // One `lstat` per row, in parallel: cold caches make this I/O-bound.
    let stats = check_all(&resolved.iter().map(Option::as_deref).collect::<Vec<_>>());
    let rows: Vec<Row> = resolved
        .into_par_iter()
        .zip(stats)
        .enumerate()
        .map(|(r, (path, stat))| {
            let row = table.row_number(r);
            let (Some(path), Some(stat)) = (path, stat) else {
                return Row::Issue(
                    ScanIssueKind::BadRow,
                    file.to_path_buf(),
                    format!("row {row}: empty `{path_col}`"),
                );
            };
            let at = || format!("row {row} of {}", file.display());
            let Some(label) = labels[r]
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
            else {
                return Row::Issue(
                    ScanIssueKind::MissingLabel,
                    path,
                    format!("{}: empty label; skipped", at()),
                );
            };
            // Missing, not a regular file (a FIFO would hang a reader) or empty.
            let (len, link) = match stat {
                FileCheck::File { len, link } => (len, link),
                FileCheck::NotAFile(kind) => {
                    return Row::Issue(
                        ScanIssueKind::NotAFile,
                        path,
                        format!("{}: {kind}, not an image file; skipped", at()),
                    );
                }
                FileCheck::Missing(why) => {
                    return Row::Issue(
                        ScanIssueKind::MissingFile,
                        path,
                        format!("{}: {why}; skipped", at()),
                    );
                }
            };
            let split = splits
                .and_then(|s| s[r].as_deref())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .or_else(|| default_split.map(str::to_string));
            Row::Sample {
                empty: len == 0,
                sample: RawSample {
                    id: super::relative_id(root, &normalize(&path)),
                    path,
                    label: label.to_string(),
                    split,
                    link: Some(link),
                },
            }
        })
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        match row {
            Row::Issue(kind, path, detail) => report.push(kind, &path, &detail),
            Row::Sample { empty, sample } => {
                if empty {
                    report.push(
                        ScanIssueKind::EmptyFile,
                        &sample.path,
                        "zero-byte image file",
                    );
                }
                out.push(sample);
            }
        }
    }
    Ok(out)
}

/// One manifest row: a sample (and whether its file is empty, reported but kept) or a problem.
enum Row {
    Sample { empty: bool, sample: RawSample },
    Issue(ScanIssueKind, PathBuf, String),
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
