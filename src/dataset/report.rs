//! The scan report: everything odd found while opening a dataset, each with its path.

use std::path::{Path, PathBuf};

/// What kind of problem a scan found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanIssueKind {
    /// A file or folder could not be read (permissions, I/O error).
    Unreadable,
    /// An image file of zero bytes (kept as a sample; it will fail to decode).
    EmptyFile,
    /// A manifest row names a file that does not exist.
    MissingFile,
    /// The same path was listed twice.
    DuplicatePath,
    /// A class folder with no images.
    EmptyClass,
    /// A label not in the class list.
    UnknownLabel,
    /// A row or file with no label (empty cell, no regex match, image outside class folders).
    MissingLabel,
    /// A manifest row or metadata line that could not be parsed.
    BadRow,
    /// A path that is not a regular file (a FIFO, a device, a socket, a folder).
    NotAFile,
    /// A folder symlink that leads back to the dataset root or one of its parents (not followed:
    /// it would list every image again).
    SymlinkLoop,
    /// A folder symlink to another folder of the dataset (not followed: its images would be
    /// counted twice, under two labels).
    SymlinkInside,
    /// A file without an extension (not read: images are recognised by their extension).
    NoExtension,
}

/// One problem found while scanning.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScanIssue {
    /// The kind of problem.
    pub kind: ScanIssueKind,
    /// Human-readable detail.
    pub detail: String,
    /// The file or folder concerned.
    pub path: PathBuf,
}

impl std::fmt::Display for ScanIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?}: {}: {}",
            self.kind,
            self.detail,
            self.path.display()
        )
    }
}

/// All problems found while scanning, in the order found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ScanReport {
    /// The problems.
    pub issues: Vec<ScanIssue>,
    /// Samples whose file resolves outside the dataset root (absolute or `../` manifest rows,
    /// symlinks): allowed, since manifests point at image stores, but counted.
    pub outside_root: usize,
    /// Samples added from outside the dataset by edits (listed by reference; see
    /// `curation::added`).
    pub added: usize,
}

impl ScanReport {
    /// Records a problem.
    pub fn push(&mut self, kind: ScanIssueKind, path: &Path, detail: &str) {
        self.issues.push(ScanIssue {
            kind,
            detail: detail.to_string(),
            path: path.to_path_buf(),
        });
    }

    /// Number of problems of `kind`.
    pub fn count(&self, kind: ScanIssueKind) -> usize {
        self.issues.iter().filter(|i| i.kind == kind).count()
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }
}
