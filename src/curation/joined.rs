//! Opening a dataset with the images its journal added from outside (see [`super::added`]):
//! the one way every command and the window open a dataset.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::dataset::{Dataset, OpenError, OpenOptions, Sample, SampleId, ScanIssueKind};

/// Opens the dataset at `path` (see [`crate::dataset::open_dataset`]) and lists the files its
/// edits added as samples ([`join_added`]).
pub fn open_dataset(path: &Path, opts: &OpenOptions) -> Result<Dataset, OpenError> {
    let mut ds = crate::dataset::open_dataset(path, opts)?;
    join_added(&mut ds);
    Ok(ds)
}

/// Lists the files added by the journal's `Add` edits as samples of `ds` (called once, when
/// the dataset is opened): nothing is written, and a dataset with no journal is left as it is.
/// A file that is gone, a label that is not a class, or a file the dataset already lists is
/// reported in `ds.report` with its path and left out.
pub fn join_added(ds: &mut Dataset) {
    let Ok((state, _)) = super::curator::journal_state(ds) else {
        return;
    };
    let added: Vec<(&String, &String)> = state
        .samples()
        .iter()
        .filter(|(_, e)| e.added)
        .filter_map(|(id, e)| Some((id, e.label.as_ref()?)))
        .collect();
    if added.is_empty() {
        return;
    }
    let split = ds
        .samples
        .iter()
        .any(|s| s.split.is_some())
        .then(|| "train".to_string());
    // The dataset's own files with an added file's name, resolved once (one pass over the
    // samples, however many files were added).
    let names: HashSet<&OsStr> = added
        .iter()
        .filter_map(|(id, _)| Path::new(id.as_str()).file_name())
        .collect();
    let own: HashSet<PathBuf> = ds
        .samples
        .iter()
        .filter(|s| s.path.file_name().is_some_and(|n| names.contains(n)))
        .filter_map(|s| std::fs::canonicalize(&s.path).ok())
        .collect();
    let mut joined: Vec<Sample> = Vec::new();
    for (id, label) in added {
        let path = PathBuf::from(id);
        if !path.is_file() {
            ds.report.push(
                ScanIssueKind::MissingFile,
                &path,
                "added to the dataset by an edit, but the file is gone; left out",
            );
            continue;
        }
        let Some(class) = ds.class_id(label) else {
            ds.report.push(
                ScanIssueKind::UnknownLabel,
                &path,
                &format!("added as `{label}`, which is not a label of this dataset; left out"),
            );
            continue;
        };
        if ds.index_of(id).is_some() || own.contains(&path) {
            ds.report.push(
                ScanIssueKind::DuplicatePath,
                &path,
                "added by an edit but already a sample of the dataset; kept once",
            );
            continue;
        }
        joined.push(Sample {
            id: SampleId(id.clone()),
            path,
            label: class,
            split: split.clone(),
        });
    }
    ds.report.added = joined.len();
    ds.report.outside_root += crate::dataset::locations::count_outside(&ds.root, &joined, &[]);
    ds.samples.extend(joined);
    ds.samples.sort_by(|a, b| a.id.cmp(&b.id));
}
