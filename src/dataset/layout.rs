//! Layout detection and the one entry point that opens any dataset.

use std::path::{Path, PathBuf};

use regex::Regex;

use super::classes::read_classes_file;
use super::folder::{ordered_labels, scan_image_folder, scan_split_folder, split_of_dir, sub_dirs};
use super::hf_tables::{self, TableColumns};
use super::report::ScanReport;
use super::{Dataset, RawSample, filename, finish_samples, hf, manifest};

listed_enum! {
/// The on-disk layouts labelscope reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// `root/<class>/**/*.jpg`.
    ImageFolder,
    /// `root/{train,val,test}/<class>/**/*.jpg`.
    SplitFolder,
    /// A CSV or Parquet file with `path,label[,split]`.
    Manifest,
    /// Labels taken from file names with a regex.
    FileName,
    /// Hugging Face imagefolder with `metadata.jsonl` / `metadata.csv`.
    HfImageFolder,
    /// Hugging Face Parquet shards or Arrow files with the images inside.
    HfParquet,
}
}

impl Layout {
    /// Name on the command line (`--layout image-folder`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ImageFolder => "image-folder",
            Self::SplitFolder => "split-folder",
            Self::Manifest => "manifest",
            Self::FileName => "file-name",
            Self::HfImageFolder => "hf-image-folder",
            Self::HfParquet => "hf-parquet",
        }
    }

    /// The on-disk shape it reads, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ImageFolder => "root/<class>/**/*.jpg",
            Self::SplitFolder => "root/{train,val,test}/<class>/**/*.jpg",
            Self::Manifest => "a CSV or Parquet file with path,label[,split]",
            Self::FileName => "labels taken from file names with a regex",
            Self::HfImageFolder => "Hugging Face imagefolder with metadata.jsonl / metadata.csv",
            Self::HfParquet => {
                "Hugging Face Parquet shards (data/train-00000-of-00002.parquet) or Arrow files, images inside"
            }
        }
    }
}

/// How to open a dataset.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Force a layout instead of detecting it.
    pub layout: Option<Layout>,
    /// Regex with one capture group taking the label from a file name (implies [`Layout::FileName`]).
    pub label_from_filename: Option<String>,
    /// The image and label columns of Hugging Face tables (`None`: detected).
    pub columns: TableColumns,
}

/// Errors that stop a dataset from opening at all (everything else goes to the scan report).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The path does not exist.
    #[error("no such file or folder: {path}")]
    NotFound {
        /// What was asked for.
        path: PathBuf,
    },
    /// No known layout matched.
    #[error(
        "could not recognise a dataset layout (class folders, split folders, a CSV/Parquet manifest, metadata.jsonl, Hugging Face Parquet/Arrow files with images, or --label-from-filename): {path}"
    )]
    UnknownLayout {
        /// The folder.
        path: PathBuf,
    },
    /// The label regex is invalid or has no capture group.
    #[error("invalid --label-from-filename pattern `{pattern}`: {reason}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        reason: String,
    },
    /// The manifest could not be read.
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    /// The dataset has no samples at all.
    #[error("no labelled images found ({num_issues} problems in the scan report): {path}")]
    Empty {
        /// The dataset path.
        path: PathBuf,
        /// How many problems the scan reported.
        num_issues: usize,
        /// The scan report, for printing.
        report: ScanReport,
    },
}

/// Guesses the layout of `path`.
pub fn detect_layout(path: &Path, opts: &OpenOptions) -> Result<Layout, OpenError> {
    if let Some(layout) = opts.layout {
        return Ok(layout);
    }
    if opts.label_from_filename.is_some() {
        return Ok(Layout::FileName);
    }
    if !path.exists() {
        return Err(OpenError::NotFound {
            path: path.to_path_buf(),
        });
    }
    if path.is_file() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        return if name == "metadata.jsonl" {
            Ok(Layout::HfImageFolder)
        } else if name.ends_with(".arrow") || hf_tables::holds_image_tables(path) {
            Ok(Layout::HfParquet)
        } else if crate::table::TableFormat::from_path(path).is_ok() {
            Ok(Layout::Manifest)
        } else {
            Err(OpenError::UnknownLayout {
                path: path.to_path_buf(),
            })
        };
    }
    if !hf::metadata_files(path).is_empty() {
        return Ok(Layout::HfImageFolder);
    }
    if hf_tables::holds_image_tables(path) {
        return Ok(Layout::HfParquet);
    }
    let mut scratch = ScanReport::default();
    let dirs = sub_dirs(path, path, &mut scratch);
    let is_split = |d: &PathBuf| {
        d.file_name()
            .and_then(|n| n.to_str())
            .and_then(split_of_dir)
            .is_some()
    };
    if !dirs.is_empty()
        && dirs.iter().any(is_split)
        && dirs
            .iter()
            .filter(|d| is_split(d))
            .all(|d| !sub_dirs(path, d, &mut scratch).is_empty())
    {
        return Ok(Layout::SplitFolder);
    }
    if !dirs.is_empty() {
        return Ok(Layout::ImageFolder);
    }
    Err(OpenError::UnknownLayout {
        path: path.to_path_buf(),
    })
}

/// Opens the dataset at `path` (a folder, or a manifest file), never aborting on bad files:
/// problems go into [`Dataset::report`].
pub fn open_dataset(path: &Path, opts: &OpenOptions) -> Result<Dataset, OpenError> {
    if !path.exists() {
        return Err(OpenError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let layout = detect_layout(path, opts)?;
    let mut report = ScanReport::default();
    let is_file = path.is_file();
    let root = if is_file {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    };
    let (classes, raw) = match layout {
        Layout::ImageFolder => scan_image_folder(&root, &mut report),
        Layout::SplitFolder => scan_split_folder(&root, &mut report),
        Layout::Manifest => {
            let rows =
                manifest::scan_manifest(path, &root, &root, "path", "label", None, &mut report)?;
            (listed_labels(&rows, &root, &mut report), rows)
        }
        Layout::HfImageFolder => {
            let rows = hf::scan_hf(&root, &mut report);
            (listed_labels(&rows, &root, &mut report), rows)
        }
        Layout::HfParquet => hf_tables::scan_hf_tables(path, &root, &opts.columns, &mut report),
        Layout::FileName => {
            let pattern = opts
                .label_from_filename
                .clone()
                .unwrap_or_else(|| r"^([^._-]+)".to_string());
            let regex = Regex::new(&pattern).map_err(|e| OpenError::BadPattern {
                pattern: pattern.clone(),
                reason: e.to_string(),
            })?;
            if regex.captures_len() < 2 {
                return Err(OpenError::BadPattern {
                    pattern,
                    reason: "it needs one capture group, e.g. ^([a-z]+)\\.".into(),
                });
            }
            let rows = filename::scan_filename_labels(&root, &regex, &mut report);
            (listed_labels(&rows, &root, &mut report), rows)
        }
    };
    // A class list given by classes.json is authoritative for manifests: labels outside it are
    // reported by finish_samples. Folder layouts add every folder found to the list.
    let (samples, links) = finish_samples(raw, &classes, &mut report);
    report.outside_root = super::locations::count_outside(&root, &samples, &links);
    if samples.is_empty() {
        return Err(OpenError::Empty {
            path: path.to_path_buf(),
            num_issues: report.issues.len(),
            report,
        });
    }
    Ok(Dataset {
        root,
        source: path.to_path_buf(),
        layout,
        classes,
        samples,
        report,
    })
}

/// Class list of a manifest-like layout: `classes.json` when present (labels outside it are then
/// reported as unknown), else every label found, sorted.
fn listed_labels(rows: &[RawSample], root: &Path, report: &mut ScanReport) -> Vec<String> {
    match read_classes_file(root, report) {
        Some(entries) => entries.into_iter().map(|e| e.label).collect(),
        None => ordered_labels(rows.iter().map(|r| r.label.clone()), &None),
    }
}
