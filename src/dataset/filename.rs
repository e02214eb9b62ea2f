//! Labels in file names, e.g. Kaggle dogs-vs-cats `cat.123.jpg` with `^([a-z]+)\.`.

use std::path::Path;

use regex::Regex;

use super::folder::{image_files, split_of_dir};
use super::report::{ScanIssueKind, ScanReport};
use super::{RawSample, relative_id};

/// Scans every image under `root`; the label is the regex's first capture group applied to the
/// file name. A split is taken from the first path component when it is a split folder name.
pub fn scan_filename_labels(root: &Path, regex: &Regex, report: &mut ScanReport) -> Vec<RawSample> {
    let mut out = Vec::new();
    for (path, link) in image_files(root, root, report) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let label = regex
            .captures(&name)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string());
        let Some(label) = label.filter(|l| !l.is_empty()) else {
            report.push(
                ScanIssueKind::MissingLabel,
                &path,
                "file name does not match the label pattern; skipped",
            );
            continue;
        };
        let id = relative_id(root, &path);
        let split = id
            .split('/')
            .next()
            .filter(|_| id.contains('/'))
            .and_then(split_of_dir)
            .map(str::to_string);
        out.push(RawSample {
            id,
            path,
            label,
            split,
            link: Some(link),
        });
    }
    out
}
