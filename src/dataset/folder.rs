//! ImageFolder layouts: `root/<class>/**/*.png` and `root/<split>/<class>/**/*.png`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::classes::{ClassEntry, read_classes_file};
use super::file_check::{FileCheck, check_all};
use super::report::{ScanIssueKind, ScanReport};
use super::{RawSample, is_image_path, relative_id};

/// Folder names recognised as splits (case-insensitive), with the split name they map to.
pub const SPLIT_DIRS: &[(&str, &str)] = &[
    ("train", "train"),
    ("val", "val"),
    ("valid", "val"),
    ("validation", "val"),
    ("test", "test"),
];

/// The canonical split name of a folder name, if it is one.
pub fn split_of_dir(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    SPLIT_DIRS
        .iter()
        .find(|(d, _)| *d == lower)
        .map(|(_, s)| *s)
}

/// Whether the folder symlink `link` is not followed, reported when so: it leads back to
/// `root` or one of its parents (a loop that lists every image again), or to another folder
/// inside the dataset (whose images would be counted twice, under two labels).
fn loops_to_root(root: &Path, link: &Path, report: &mut ScanReport) -> bool {
    let (Ok(target), Ok(root_real)) = (std::fs::canonicalize(link), std::fs::canonicalize(root))
    else {
        return false;
    };
    if root_real.starts_with(&target) {
        report.push(
            ScanIssueKind::SymlinkLoop,
            link,
            &format!(
                "folder symlink to {}, the dataset or a folder around it; not followed",
                target.display()
            ),
        );
        return true;
    }
    if target.starts_with(&root_real) {
        report.push(
            ScanIssueKind::SymlinkInside,
            link,
            &format!(
                "folder symlink to {}, a folder of this dataset already scanned; not followed (its images would count twice, under two labels)",
                target.display()
            ),
        );
        return true;
    }
    false
}

/// Sub-folders of `dir`, sorted, skipping hidden ones and folder symlinks that lead back to
/// `root` or around it. Unreadable entries are reported.
pub fn sub_dirs(root: &Path, dir: &Path, report: &mut ScanReport) -> Vec<PathBuf> {
    let mut out = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                match entry {
                    Ok(e) => {
                        let hidden = e.file_name().to_string_lossy().starts_with('.');
                        let path = e.path();
                        if hidden || !path.is_dir() {
                            continue;
                        }
                        let is_link = e.file_type().is_ok_and(|t| t.is_symlink());
                        if !(is_link && loops_to_root(root, &path, report)) {
                            out.push(path);
                        }
                    }
                    Err(err) => report.push(ScanIssueKind::Unreadable, dir, &err.to_string()),
                }
            }
        }
        Err(err) => report.push(ScanIssueKind::Unreadable, dir, &err.to_string()),
    }
    out.sort();
    out
}

/// Image files under `dir`, recursively, skipping hidden entries and folder symlinks that lead
/// back to `root` or around it; walk errors, zero-byte images (still returned, so they show up
/// as failed samples) and image-named entries that are not files (FIFOs, devices) are reported.
/// Each file comes with whether it is a symlink (known from the folder listing).
pub fn image_files(root: &Path, dir: &Path, report: &mut ScanReport) -> Vec<(PathBuf, bool)> {
    let mut out = Vec::new();
    let mut loops = ScanReport::default();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by(|a, b| name_bytes(a.path()).cmp(name_bytes(b.path())))
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            if e.file_name().to_string_lossy().starts_with('.') {
                return false;
            }
            !(e.path_is_symlink()
                && e.file_type().is_dir()
                && loops_to_root(root, e.path(), &mut loops))
        });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() && is_image_path(e.path()) => {
                let link = e.path_is_symlink();
                out.push((e.into_path(), link));
            }
            Ok(e) if !e.file_type().is_dir() && is_image_path(e.path()) => {
                let what = e
                    .metadata()
                    .ok()
                    .and_then(|m| super::image_io::not_a_file(&m))
                    .unwrap_or("not a regular file");
                report.push(
                    ScanIssueKind::NotAFile,
                    e.path(),
                    &format!("{what}, not an image file; skipped"),
                );
            }
            Ok(e) if e.file_type().is_file() && e.path().extension().is_none() => {
                report.push(
                    ScanIssueKind::NoExtension,
                    e.path(),
                    "no file extension, so not read as an image (rename it with its format's extension, e.g. .png or .jpg); skipped",
                );
            }
            Ok(_) => {}
            Err(err) => {
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_path_buf());
                match err.loop_ancestor() {
                    Some(a) => report.push(
                        ScanIssueKind::SymlinkLoop,
                        &path,
                        &format!(
                            "folder symlink to {}, a folder around it; not followed",
                            a.display()
                        ),
                    ),
                    None => report.push(ScanIssueKind::Unreadable, &path, &err.to_string()),
                }
            }
        }
    }
    report.issues.extend(loops.issues);
    // One `stat` per file, in parallel (the walk above reads only folder listings).
    let listed: Vec<Option<&Path>> = out.iter().map(|(p, _)| Some(p.as_path())).collect();
    let checks = check_all(&listed);
    for ((p, _), check) in out.iter().zip(checks) {
        if let Some(FileCheck::File { len: 0, .. }) = check {
            report.push(ScanIssueKind::EmptyFile, p, "zero-byte image file");
        }
    }
    out
}

/// Every image file under `dir` (as [`image_files`] walks: hidden entries skipped, folder
/// symlinks followed unless they loop), sorted: the images of a folder taken as unlabelled,
/// whatever its layout. The top folders are walked in parallel.
pub fn image_paths_under(dir: &Path) -> Vec<PathBuf> {
    let mut report = ScanReport::default();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .filter(|p| p.is_file() && is_image_path(p))
                .collect()
        })
        .unwrap_or_default();
    let nested: Vec<Vec<(PathBuf, bool)>> = sub_dirs(dir, dir, &mut report)
        .into_par_iter()
        .map(|sub| image_files(dir, &sub, &mut ScanReport::default()))
        .collect();
    paths.extend(nested.into_iter().flatten().map(|(p, _)| p));
    paths.sort();
    paths
}

/// A walked path's file name as bytes, for sorting siblings without parsing the path (walked
/// paths are a folder joined with one name, so the name is what follows the last `/`).
#[cfg(unix)]
fn name_bytes(p: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    let b = p.as_os_str().as_bytes();
    b.iter()
        .rposition(|&c| c == b'/')
        .map_or(b, |i| &b[i + 1..])
}

#[cfg(not(unix))]
fn name_bytes(p: &Path) -> &[u8] {
    p.file_name().unwrap_or(p.as_os_str()).as_encoded_bytes()
}

/// A class folder, its image files (each with whether it is a symlink) and what its walk
/// reported.
type WalkedClass = (PathBuf, Vec<(PathBuf, bool)>, ScanReport);

/// Scans the class folders of `dir` (an ImageFolder root or one split of it).
/// Returns the class entries found (folder name -> label) and the samples.
pub fn scan_class_folders(
    root: &Path,
    dir: &Path,
    split: Option<&str>,
    mapping: &Option<Vec<ClassEntry>>,
    report: &mut ScanReport,
) -> (Vec<ClassEntry>, Vec<RawSample>) {
    let mut classes = Vec::new();
    let mut samples = Vec::new();
    // The class folders are walked in parallel, each with its own report, merged in order.
    let walked: Vec<WalkedClass> = sub_dirs(root, dir, report)
        .into_par_iter()
        .map(|class_dir| {
            let mut own = ScanReport::default();
            let files = image_files(root, &class_dir, &mut own);
            (class_dir, files, own)
        })
        .collect();
    for (class_dir, files, own) in walked {
        report.issues.extend(own.issues);
        let folder = class_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let label = mapping
            .as_ref()
            .and_then(|m| m.iter().find(|e| e.folder == folder))
            .map(|e| e.label.clone())
            .unwrap_or_else(|| folder.clone());
        if files.is_empty() {
            report.push(
                ScanIssueKind::EmptyClass,
                &class_dir,
                "class folder has no images",
            );
        }
        for (path, link) in files {
            samples.push(RawSample {
                id: relative_id(root, &path),
                path,
                label: label.clone(),
                split: split.map(str::to_string),
                link: Some(link),
            });
        }
        classes.push(ClassEntry { folder, label });
    }
    // Images lying directly in `dir` have no class folder.
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut loose: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_image_path(p))
            .collect();
        loose.sort();
        for p in loose {
            report.push(
                ScanIssueKind::MissingLabel,
                &p,
                "image outside any class folder; skipped",
            );
        }
    }
    (classes, samples)
}

/// Orders class labels: the `classes.json` order first (when present), then any other label
/// found, sorted.
pub fn ordered_labels(
    found: impl IntoIterator<Item = String>,
    mapping: &Option<Vec<ClassEntry>>,
) -> Vec<String> {
    let mut labels: Vec<String> = mapping.iter().flatten().map(|e| e.label.clone()).collect();
    let mut extra: Vec<String> = found.into_iter().filter(|l| !labels.contains(l)).collect();
    extra.sort();
    extra.dedup();
    labels.extend(extra);
    labels
}

/// Scans a plain ImageFolder.
pub fn scan_image_folder(root: &Path, report: &mut ScanReport) -> (Vec<String>, Vec<RawSample>) {
    let mapping = read_classes_file(root, report);
    let (classes, samples) = scan_class_folders(root, root, None, &mapping, report);
    (
        ordered_labels(classes.into_iter().map(|c| c.label), &mapping),
        samples,
    )
}

/// Scans a split-aware ImageFolder (`root/<split>/<class>/...`).
pub fn scan_split_folder(root: &Path, report: &mut ScanReport) -> (Vec<String>, Vec<RawSample>) {
    let mapping = read_classes_file(root, report);
    let mut labels = Vec::new();
    let mut samples = Vec::new();
    for split_dir in sub_dirs(root, root, report) {
        let name = split_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(split) = split_of_dir(&name) else {
            report.push(
                ScanIssueKind::MissingLabel,
                &split_dir,
                "folder is not a split (train/val/test); skipped",
            );
            continue;
        };
        let (classes, s) = scan_class_folders(root, &split_dir, Some(split), &mapping, report);
        labels.extend(classes.into_iter().map(|c| c.label));
        samples.extend(s);
    }
    (ordered_labels(labels, &mapping), samples)
}
