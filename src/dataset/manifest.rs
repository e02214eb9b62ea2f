//! CSV/Parquet manifests with columns `path,label[,split]`, and Hugging Face `metadata.csv`.

use std::path::{Path, PathBuf};

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
        // One `stat` per row: missing, not a regular file (a FIFO would hang a reader) or empty.
        match std::fs::metadata(&path) {
            Err(e) => {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "file not found".to_string()
                } else {
                    format!("cannot read ({e})")
                };
                report.push(
                    ScanIssueKind::MissingFile,
                    &path,
                    &format!("row {} of {}: {why}; skipped", row + 1, file.display()),
                );
                continue;
            }
            Ok(meta) => {
                if let Some(kind) = super::image_io::not_a_file(&meta) {
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
                if meta.len() == 0 {
                    report.push(ScanIssueKind::EmptyFile, &path, "zero-byte image file");
                }
            }
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
