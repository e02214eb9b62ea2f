//! Hugging Face datasets as downloaded, images inside: Parquet shards (one file, or a folder
//! such as `data/train-00000-of-00004.parquet`) and Arrow streams (`save_to_disk` folders, the
//! `datasets` cache). Opening reads footers and the label column only; images are read row group
//! by row group when needed (see [`super::embedded`]).
//!
//! A sample's id is its table file (relative to the root) and row, `data/train-00000-of-00002.
//! parquet/000005`, or the value of a unique `id` / `image_id` column when there is one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::embedded::{self, Container};
use super::folder::{ordered_labels, split_of_dir};
use super::hf_names::class_names;
use super::report::{ScanIssueKind, ScanReport};
use super::{RawSample, relative_id};
use crate::table::columns::{ColumnKind, LabelValues};
use crate::table::hf::ImageTable;

/// Image columns looked for, in order, when none is named.
const IMAGE_COLUMNS: &[&str] = &["image", "img", "images", "picture", "photo"];
/// Label columns looked for, in order, when none is named.
const LABEL_COLUMNS: &[&str] = &[
    "label",
    "labels",
    "fine_label",
    "coarse_label",
    "class",
    "category",
];
/// Columns used as sample ids when their values are unique.
const ID_COLUMNS: &[&str] = &["id", "image_id"];

/// Which columns to read (`None`: detect).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableColumns {
    /// The image column.
    pub image: Option<String>,
    /// The label column.
    pub label: Option<String>,
}

fn is_table_file(p: &Path) -> bool {
    let ext = p
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    (ext == "parquet" || ext == "arrow") && !name.starts_with("cache-") && !name.starts_with('.')
}

/// The table files in `dir` and in its folders down to `levels` more levels (symlinks not
/// followed), unsorted. Only the listings are read: an entry's name and type, with no `stat`
/// and no path built for the other files, and the folders of a level in parallel, so a
/// million-image class folder tree is passed over in a fraction of a second.
fn tables_under(dir: &Path, levels: usize) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut tables = Vec::new();
    let mut folders = Vec::new();
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if levels > 0 {
                folders.push(entry.path());
            }
        } else if kind.is_file() && is_table_file(Path::new(&entry.file_name())) {
            tables.push(entry.path());
        }
    }
    tables.extend(
        folders
            .par_iter()
            .flat_map_iter(|d| tables_under(d, levels - 1))
            .collect::<Vec<_>>(),
    );
    tables
}

/// The table files of `path` (itself, or every `.parquet` / `.arrow` file up to four folders
/// down, `datasets`' `cache-*` files excepted), sorted.
pub fn table_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = tables_under(path, 3);
    out.sort();
    out
}

/// Whether `path` (a table file, or a folder whose first table file in path order) has a
/// column of `datasets` images (struct of `bytes` and `path`).
pub fn holds_image_tables(path: &Path) -> bool {
    let first = table_files(path).into_iter().next();
    first.is_some_and(|f| {
        ImageTable::open(&f).is_ok_and(|t| {
            t.columns()
                .iter()
                .any(|c| c.kind == ColumnKind::ImageStruct)
        })
    })
}

/// The split of a table file: from names like `train-00000-of-00004.parquet`,
/// `mnist-train.arrow` or `test.parquet`, else from its folders (`saved/train/data-...arrow`).
pub fn split_of_table(file: &Path, root: &Path) -> Option<&'static str> {
    let stem = file.file_stem()?.to_string_lossy().to_ascii_lowercase();
    let base = match stem.find("-of-") {
        Some(i) => stem[..i].rsplit_once('-').map_or(&stem[..i], |(b, _)| b),
        None => stem.as_str(),
    };
    let from_name = split_of_dir(base).or_else(|| base.rsplit(['-', '_']).find_map(split_of_dir));
    from_name.or_else(|| {
        file.parent()?
            .strip_prefix(root)
            .ok()?
            .components()
            .rev()
            .find_map(|c| split_of_dir(&c.as_os_str().to_string_lossy()))
    })
}

fn pick(
    t: &ImageTable,
    named: &Option<String>,
    wanted: &[&str],
    ok: impl Fn(ColumnKind) -> bool,
) -> Option<String> {
    if let Some(n) = named {
        return t.kind(n).filter(|k| ok(*k)).map(|_| n.clone());
    }
    wanted
        .iter()
        .find(|w| t.kind(w).is_some_and(&ok))
        .map(|w| w.to_string())
        .or_else(|| {
            t.columns()
                .iter()
                .find(|c| c.kind == ColumnKind::ImageStruct && wanted == IMAGE_COLUMNS)
                .map(|c| c.name.clone())
        })
}

fn columns_of(t: &ImageTable) -> String {
    t.columns()
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One table's rows before class names are known.
struct TableRows {
    file: PathBuf,
    split: Option<&'static str>,
    labels: LabelValues,
    ids: Option<Vec<Option<String>>>,
}

/// Scans the tables at `source` (a file or folder; `root` is the dataset root): returns the
/// class names and the rows, registering each table for reading its images. A table that
/// cannot be read, lacks the columns or has another schema is reported and skipped; so is a
/// row whose label is null or outside the class names.
pub(crate) fn scan_hf_tables(
    source: &Path,
    root: &Path,
    columns: &TableColumns,
    report: &mut ScanReport,
) -> (Vec<String>, Vec<RawSample>) {
    let mut tables: Vec<TableRows> = Vec::new();
    let mut names: Option<Vec<String>> = None;
    let mut first_schema: Option<String> = None;
    for file in table_files(source) {
        let table = match ImageTable::open(&file) {
            Ok(t) => t,
            Err(e) => {
                report.push(ScanIssueKind::Unreadable, &file, &e.to_string());
                continue;
            }
        };
        let image = pick(&table, &columns.image, IMAGE_COLUMNS, |k| {
            matches!(k, ColumnKind::ImageStruct | ColumnKind::Binary)
        });
        let label = pick(&table, &columns.label, LABEL_COLUMNS, |k| {
            matches!(k, ColumnKind::Integer | ColumnKind::Text)
        });
        let (Some(image), Some(label)) = (image, label) else {
            report.push(
                ScanIssueKind::BadRow,
                &file,
                &format!(
                    "no image and label columns (found: {}); use --image-column / --label-column; skipped",
                    columns_of(&table)
                ),
            );
            continue;
        };
        let schema = columns_of(&table);
        if first_schema.as_ref().is_some_and(|s| s != &schema) {
            report.push(
                ScanIssueKind::BadRow,
                &file,
                &format!(
                    "another schema than the first table ({schema} vs {}); read its `{image}` and `{label}` columns",
                    first_schema.as_deref().unwrap_or("")
                ),
            );
        }
        first_schema.get_or_insert(schema);
        if names.is_none() {
            names = class_names(&table, &label, &file, root);
        }
        let labels = match table.read_labels(&label) {
            Ok(l) => l,
            Err(e) => {
                report.push(ScanIssueKind::Unreadable, &file, &e.to_string());
                continue;
            }
        };
        let ids = ID_COLUMNS
            .iter()
            .find(|c| table.kind(c).is_some_and(|k| k != ColumnKind::Other))
            .and_then(|c| table.read_text(c).ok());
        let base_dirs = vec![
            file.parent().unwrap_or(root).to_path_buf(),
            root.to_path_buf(),
        ];
        let split = split_of_table(&file, root);
        embedded::register(Container::new(table, &image, base_dirs));
        tables.push(TableRows {
            file,
            split,
            labels,
            ids,
        });
    }
    let names = names.unwrap_or_else(|| {
        let found = tables.iter().flat_map(|t| match &t.labels {
            LabelValues::Text(v) => v.iter().flatten().cloned().collect::<Vec<_>>(),
            LabelValues::Integer(v) => v.iter().flatten().map(|i| i.to_string()).collect(),
        });
        ordered_labels(found, &None)
    });
    let use_ids = unique_ids(&tables);
    let mut rows = Vec::new();
    for t in &tables {
        let n = match &t.labels {
            LabelValues::Integer(v) => v.len(),
            LabelValues::Text(v) => v.len(),
        };
        for row in 0..n {
            let path = embedded::row_path(&t.file, row);
            let label = match &t.labels {
                LabelValues::Integer(v) => match v[row] {
                    Some(i) if i >= 0 && (i as usize) < names.len() => {
                        Some(names[i as usize].clone())
                    }
                    Some(i) if names.iter().any(|n| n == &i.to_string()) => Some(i.to_string()),
                    Some(i) if i < 0 => {
                        // `datasets` writes -1 for an unlabelled row (e.g. a hidden test split).
                        report.push(
                            ScanIssueKind::MissingLabel,
                            &path,
                            &format!("no label ({i}); skipped"),
                        );
                        None
                    }
                    Some(i) => {
                        report.push(
                            ScanIssueKind::UnknownLabel,
                            &path,
                            &format!(
                                "label index {i} is outside the {} class names; skipped",
                                names.len()
                            ),
                        );
                        None
                    }
                    None => None,
                },
                LabelValues::Text(v) => v[row].clone(),
            };
            let Some(label) = label else {
                if report.issues.last().is_none_or(|i| i.path != path) {
                    report.push(ScanIssueKind::MissingLabel, &path, "no label; skipped");
                }
                continue;
            };
            let id = match (&t.ids, use_ids) {
                (Some(ids), true) => ids[row].clone().unwrap_or_default(),
                _ => relative_id(root, &path),
            };
            rows.push(RawSample {
                id,
                path,
                label,
                split: t.split.map(str::to_string),
                link: None,
            });
        }
    }
    (names, rows)
}

/// Whether every table has an id column and its values are unique and present everywhere.
fn unique_ids(tables: &[TableRows]) -> bool {
    let mut seen = HashSet::new();
    !tables.is_empty()
        && tables.iter().all(|t| {
            t.ids.as_ref().is_some_and(|ids| {
                ids.iter()
                    .all(|v| v.as_ref().is_some_and(|v| seen.insert(v.clone())))
            })
        })
}
