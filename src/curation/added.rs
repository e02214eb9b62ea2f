//! Images added to a dataset from outside it, by reference: an `Add` edit in the journal names
//! the file by its absolute path (nothing is copied, neither into the dataset's folder nor out
//! of the pool), and every opening of the dataset lists the added files as samples with the
//! label the edit gave. A file that has gone is reported by the scan, with its path, and left
//! out; the rest opens as usual.
//!
//! An image of none of the classes is a *negative*: added with no label, or a sample of the
//! dataset excluded with [`NEGATIVE_REASON`]. Negatives are not samples of any class; `export
//! --negatives NAME` writes them as a class of their own (see [`negatives`]).

use std::path::{Path, PathBuf};

use super::edit::Action;
use super::history::CurationState;
use crate::dataset::{Dataset, is_image_path};

/// The exclusion reason that marks a sample of the dataset as a negative (none of the classes).
pub const NEGATIVE_REASON: &str = "negative: none of the classes";

/// The id an added file gets (its canonical absolute path), or why it cannot be added: it is
/// not an image file, or `ds` already has it as a sample.
pub fn added_id(ds: &Dataset, path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    if !is_image_path(path) {
        return Err("not an image file (by its extension)".into());
    }
    let abs = std::fs::canonicalize(path).map_err(|e| format!("cannot resolve it: {e}"))?;
    let id = abs.to_string_lossy().into_owned();
    if let Some(i) = sample_at(ds, &abs) {
        let s = &ds.samples[i];
        if ds.index_of(&id) == Some(i) {
            return Ok(id);
        }
        return Err(format!(
            "it is already the dataset's sample `{}` ({}): relabel it instead",
            s.id,
            ds.class_name(s.label)
        ));
    }
    Ok(id)
}

/// The sample whose file is `abs` (canonical), if any: only samples with the same file name
/// are resolved, so this stays cheap on large datasets.
pub(super) fn sample_at(ds: &Dataset, abs: &Path) -> Option<usize> {
    let name = abs.file_name()?;
    ds.samples.iter().position(|s| {
        s.path.file_name() == Some(name) && std::fs::canonicalize(&s.path).is_ok_and(|p| p == abs)
    })
}

/// Where a negative comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegativeSource {
    /// Added from outside with no label.
    Added,
    /// A sample of the dataset excluded as a negative (its index).
    Sample(usize),
}

/// One image of none of the classes.
#[derive(Clone, Debug, PartialEq)]
pub struct Negative {
    /// Its id: the dataset's sample id, or the added file's path.
    pub id: String,
    /// The image file.
    pub path: PathBuf,
    /// Where it comes from.
    pub source: NegativeSource,
}

/// Every negative of `ds` under `state`, sorted by id: added files with no label (those whose
/// file is gone are left out) and samples excluded with [`NEGATIVE_REASON`].
pub fn negatives(ds: &Dataset, state: &CurationState) -> Vec<Negative> {
    let mut out: Vec<Negative> = state
        .samples()
        .iter()
        .filter_map(|(id, e)| {
            if e.is_added_negative() {
                let path = PathBuf::from(id);
                return path.is_file().then(|| Negative {
                    id: id.clone(),
                    path,
                    source: NegativeSource::Added,
                });
            }
            let i = ds.index_of(id)?;
            (e.excluded.as_deref() == Some(NEGATIVE_REASON)).then(|| Negative {
                id: id.clone(),
                path: ds.samples[i].path.clone(),
                source: NegativeSource::Sample(i),
            })
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The action that marks a sample of the dataset as a negative.
pub fn negative_exclusion() -> Action {
    Action::Exclude {
        reason: NEGATIVE_REASON.to_string(),
    }
}
