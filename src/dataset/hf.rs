//! Hugging Face `imagefolder` datasets described by `metadata.jsonl` or `metadata.csv`
//! (columns `file_name` and `label`), at the root or inside split folders.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::folder::{split_of_dir, sub_dirs};
use super::manifest::scan_manifest;
use super::report::{ScanIssueKind, ScanReport};
use super::{RawSample, relative_id};

/// The metadata files of an HF imagefolder rooted at `root`, with the split of each.
pub fn metadata_files(root: &Path) -> Vec<(PathBuf, Option<&'static str>)> {
    let mut found = Vec::new();
    let mut scratch = ScanReport::default();
    let mut dirs: Vec<(PathBuf, Option<&'static str>)> = vec![(root.to_path_buf(), None)];
    for d in sub_dirs(root, root, &mut scratch) {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(split) = split_of_dir(&name) {
            dirs.push((d, Some(split)));
        }
    }
    for (dir, split) in dirs {
        for name in ["metadata.jsonl", "metadata.csv"] {
            let p = dir.join(name);
            if p.is_file() {
                found.push((p, split));
                break;
            }
        }
    }
    found
}

/// Scans all metadata files of an HF imagefolder.
pub fn scan_hf(root: &Path, report: &mut ScanReport) -> Vec<RawSample> {
    let mut out = Vec::new();
    for (file, split) in metadata_files(root) {
        let base = file.parent().unwrap_or(root).to_path_buf();
        if file.extension().is_some_and(|e| e == "csv") {
            match scan_manifest(&file, &base, root, "file_name", "label", split, report) {
                Ok(rows) => out.extend(rows),
                Err(e) => report.push(ScanIssueKind::BadRow, &file, &e.to_string()),
            }
        } else {
            out.extend(scan_jsonl(&file, &base, root, split, report));
        }
    }
    out
}

fn scan_jsonl(
    file: &Path,
    base: &Path,
    root: &Path,
    split: Option<&str>,
    report: &mut ScanReport,
) -> Vec<RawSample> {
    let mut out = Vec::new();
    let reader = match std::fs::File::open(file) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => {
            report.push(ScanIssueKind::Unreadable, file, &e.to_string());
            return out;
        }
    };
    for (n, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) if l.trim().is_empty() => continue,
            Ok(l) => l,
            Err(e) => {
                report.push(
                    ScanIssueKind::Unreadable,
                    file,
                    &format!("line {}: {e}", n + 1),
                );
                break;
            }
        };
        let value: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                report.push(ScanIssueKind::BadRow, file, &format!("line {}: {e}", n + 1));
                continue;
            }
        };
        let Some(name) = value.get("file_name").and_then(|v| v.as_str()) else {
            report.push(
                ScanIssueKind::BadRow,
                file,
                &format!("line {}: no `file_name`", n + 1),
            );
            continue;
        };
        let path = base.join(name);
        let label = match value.get("label") {
            Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
            Some(serde_json::Value::Number(num)) => num.to_string(),
            _ => {
                report.push(
                    ScanIssueKind::MissingLabel,
                    &path,
                    &format!("line {} of {}: no label; skipped", n + 1, file.display()),
                );
                continue;
            }
        };
        if !path.is_file() {
            report.push(
                ScanIssueKind::MissingFile,
                &path,
                &format!(
                    "line {} of {}: file not found; skipped",
                    n + 1,
                    file.display()
                ),
            );
            continue;
        }
        out.push(RawSample {
            id: relative_id(root, &path),
            path,
            label,
            split: split.map(str::to_string),
            link: None,
        });
    }
    out
}
