//! Datasets as they lie on disk: samples with stable ids, class names, splits, and a report of
//! everything odd found while scanning (never fatal).
//!
//! Supported layouts (see [`Layout`]): ImageFolder, split-aware ImageFolder, CSV/Parquet
//! manifest, labels in file names, Hugging Face `imagefolder` with `metadata.jsonl/csv`, and
//! Hugging Face Parquet/Arrow tables with the images inside.

mod classes;
mod decode_error;
pub mod embedded;
pub(crate) mod file_check;
mod filename;
mod folder;
mod hf;
mod hf_names;
pub mod hf_tables;
pub mod image_io;
pub mod jpeg;
mod layout;
pub mod locations;
mod manifest;
pub mod names;
mod report;
pub mod thumbnail;

use std::path::{Path, PathBuf};

pub use folder::image_paths_under;
pub use layout::{Layout, OpenError, OpenOptions, detect_layout, open_dataset};
pub use report::{ScanIssue, ScanIssueKind, ScanReport};

/// File extensions (lower case) treated as images.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "bmp", "gif", "webp", "tiff", "tif"];

/// Whether `path` has an image file extension.
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Stable identifier of a sample: its path relative to the dataset root, with `/` separators
/// (or the absolute path for manifest rows outside the root).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct SampleId(pub String);

impl std::fmt::Display for SampleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Index of a class in [`Dataset::classes`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct ClassId(pub u32);

impl ClassId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One labelled image.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Stable id (relative path).
    pub id: SampleId,
    /// Absolute (or root-joined) path of the image file.
    pub path: PathBuf,
    /// The label given by the dataset.
    pub label: ClassId,
    /// Split name (`train`, `val`, `test`, ...) when the dataset has one.
    pub split: Option<String>,
}

/// A scanned dataset.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// The folder the dataset was opened from (a manifest's folder for manifests).
    pub root: PathBuf,
    /// The file or folder the user named.
    pub source: PathBuf,
    /// Which layout was read.
    pub layout: Layout,
    /// Class names in class-id order.
    pub classes: Vec<String>,
    /// Samples sorted by id.
    pub samples: Vec<Sample>,
    /// What was odd or wrong while scanning.
    pub report: ScanReport,
}

impl Dataset {
    /// Images without labels (a pool to choose from, a device log's images): each of `paths`
    /// once, in the order given, with the id its full path and the class 0 of `classes`.
    pub fn unlabelled(paths: Vec<PathBuf>, classes: &[String]) -> Self {
        let samples = paths
            .into_iter()
            .map(|path| Sample {
                id: SampleId(path.to_string_lossy().into_owned()),
                path,
                label: ClassId(0),
                split: None,
            })
            .collect();
        Self {
            root: PathBuf::from("/"),
            source: PathBuf::from("/"),
            layout: Layout::ImageFolder,
            classes: classes.to_vec(),
            samples,
            report: ScanReport::default(),
        }
    }

    /// A dataset that exists only in memory (unit tests, benchmarks): sample `i` is
    /// `/x/<i padded to digits>.png` with class `labels[i]` of `classes` and split `split(i)`.
    pub fn in_memory(
        classes: &[&str],
        labels: &[u32],
        digits: usize,
        split: impl Fn(usize) -> Option<String>,
    ) -> Self {
        let samples = labels
            .iter()
            .enumerate()
            .map(|(i, &l)| Sample {
                id: SampleId(format!("{i:0digits$}.png")),
                path: format!("/x/{i}.png").into(),
                label: ClassId(l),
                split: split(i),
            })
            .collect();
        Self {
            root: "/x".into(),
            source: "/x".into(),
            layout: Layout::ImageFolder,
            classes: classes.iter().map(|c| c.to_string()).collect(),
            samples,
            report: ScanReport::default(),
        }
    }

    /// The class name of `id`.
    pub fn class_name(&self, id: ClassId) -> &str {
        self.classes
            .get(id.index())
            .map(String::as_str)
            .unwrap_or("?")
    }

    /// The id of the class called `name`.
    pub fn class_id(&self, name: &str) -> Option<ClassId> {
        self.classes
            .iter()
            .position(|c| c == name)
            .map(|i| ClassId(i as u32))
    }

    /// Number of samples per class, in class-id order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for s in &self.samples {
            counts[s.label.index()] += 1;
        }
        counts
    }

    /// Index of the sample with `id`, if present (samples are sorted by id).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.samples
            .binary_search_by(|s| s.id.0.as_str().cmp(id))
            .ok()
    }
}

/// Collects samples from a layout scanner before class ids are assigned.
#[derive(Debug, Default)]
pub(crate) struct RawSample {
    pub id: String,
    pub path: PathBuf,
    pub label: String,
    pub split: Option<String>,
    /// Whether the file is a symlink, when the scan learnt it for free (`None`: not known, so
    /// [`locations::count_outside`] asks the file system).
    pub link: Option<bool>,
}

/// Sorts raw samples, drops duplicate ids (reported), assigns class ids against `classes`
/// (labels not in `classes` are reported and skipped) and returns the samples with what the scan
/// knew of each being a symlink.
pub(crate) fn finish_samples(
    mut raw: Vec<RawSample>,
    classes: &[String],
    report: &mut ScanReport,
) -> (Vec<Sample>, Vec<Option<bool>>) {
    raw.sort_by(|a, b| a.id.cmp(&b.id));
    let index: std::collections::HashMap<&str, u32> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u32))
        .collect();
    let mut out: Vec<Sample> = Vec::with_capacity(raw.len());
    let mut links = Vec::with_capacity(raw.len());
    for r in raw {
        if out.last().is_some_and(|s| s.id.0 == r.id) {
            report.push(
                ScanIssueKind::DuplicatePath,
                &r.path,
                "listed more than once; kept the first",
            );
            continue;
        }
        match index.get(r.label.as_str()) {
            Some(&c) => {
                links.push(r.link);
                out.push(Sample {
                    id: SampleId(r.id),
                    path: r.path,
                    label: ClassId(c),
                    split: r.split,
                });
            }
            None => report.push(
                ScanIssueKind::UnknownLabel,
                &r.path,
                &format!("label `{}` is not in the class list; skipped", r.label),
            ),
        }
    }
    (out, links)
}

/// The id of `path` relative to `root` with `/` separators, or the full path if outside.
pub fn relative_id(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if rel.is_absolute() {
        rel.to_string_lossy().into_owned()
    } else {
        parts.join("/")
    }
}
