//! Curation of one dataset: the journal plus the state, with the dataset at hand to validate
//! labels and compute each sample's effective label (edited, or excluded).

use super::edit::{Action, Edit};
use super::history::CurationState;
use super::journal::{CurationError, JOURNAL_FILE, Journal, JournalFiles};
use crate::dataset::{ClassId, Dataset};
use std::path::Path;

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The journal could not be written: the edit was not applied.
    #[error(transparent)]
    Journal(#[from] CurationError),
    /// The label is not one of the dataset's classes.
    #[error("`{label}` is not a label of this dataset (labels: {known})")]
    UnknownLabel {
        /// The label asked for.
        label: String,
        /// The dataset's labels, comma separated.
        known: String,
    },
    /// A sample id is not in the dataset.
    #[error("no sample with path `{id}` in the dataset")]
    UnknownSample {
        /// The id asked for.
        id: String,
    },
    /// A file cannot be added to the dataset.
    #[error("cannot add {}: {why}", path.display())]
    CannotAdd {
        /// The file.
        path: std::path::PathBuf,
        /// Why not.
        why: String,
    },
}

/// The open curation of a dataset.
#[derive(Debug)]
pub struct Curator {
    journal: Journal,
    state: CurationState,
}

impl Curator {
    /// The edits of `dataset` as its journal has them, read without the lock (for a window
    /// that opens a dataset another labelscope is editing: it shows the edited labels,
    /// read-only).
    pub fn read_only(
        dataset: &Dataset,
        dir: &Path,
    ) -> Result<(CurationState, Vec<String>), CurationError> {
        let (state, mut notes) = Journal::read_state_files(dir, &journal_files(dataset))?;
        let (state, moved) = super::identity::resolve(dataset, state);
        notes.extend(moved);
        notes.extend(stale_edits(dataset, &state));
        Ok((state, notes))
    }

    /// Opens the journal of `dataset` in its state folder `dir` and replays it. Returns
    /// warnings about skipped journal lines.
    pub fn open(dataset: &Dataset, dir: &Path) -> Result<(Self, Vec<String>), CurationError> {
        let files = journal_files(dataset);
        let mut notes = Vec::new();
        let own = dir.join(&files.journal);
        if files != JournalFiles::default() && !own.exists() {
            match legacy_edits(dir, dataset) {
                Some(Legacy::Applies(_)) => {
                    let legacy = dir.join(JOURNAL_FILE);
                    let bytes = std::fs::read(&legacy).map_err(|source| CurationError::Io {
                        what: "cannot read journal",
                        source,
                        path: legacy.clone(),
                    })?;
                    crate::state::write_atomic(&own, &bytes).map_err(|source| {
                        CurationError::Io {
                            what: "cannot write journal",
                            source,
                            path: own.clone(),
                        }
                    })?;
                    notes.push(format!(
                        "this manifest now has its own edit journal, started from the folder's shared one (every edit in it names this dataset): {}",
                        own.display()
                    ));
                }
                Some(Legacy::Foreign(n)) => notes.push(foreign_note(dir, n)),
                None => {}
            }
        }
        let (journal, state, warnings) = Journal::open_files(dir, &files)?;
        notes.extend(warnings);
        let (state, moved) = super::identity::resolve(dataset, state);
        notes.extend(moved);
        notes.extend(stale_edits(dataset, &state));
        Ok((Self { journal, state }, notes))
    }

    /// The current state.
    pub fn state(&self) -> &CurationState {
        &self.state
    }

    /// The journal file.
    pub fn journal_path(&self) -> &std::path::Path {
        self.journal.path()
    }

    /// Applies `action` to the samples at `indices` of `dataset`: validated, written to the
    /// journal and synced, then applied. A relabel to a sample's original label is kept as an
    /// edit but counts as unchanged (see [`is_relabeled`]).
    pub fn edit(
        &mut self,
        dataset: &Dataset,
        indices: &[usize],
        action: Action,
    ) -> Result<(), EditError> {
        if let Action::Relabel { label: Some(l) } = &action
            && dataset.class_id(l).is_none()
        {
            return Err(EditError::UnknownLabel {
                label: l.clone(),
                known: dataset.classes.join(", "),
            });
        }
        if let Action::Add { .. } = action {
            let ids = indices
                .iter()
                .map(|&i| dataset.samples[i].id.0.clone())
                .collect();
            return self.edit_batch_ids(dataset, vec![(ids, action)]);
        }
        self.record(dataset, indices, action)
    }

    fn record(
        &mut self,
        dataset: &Dataset,
        indices: &[usize],
        action: Action,
    ) -> Result<(), EditError> {
        let ids = indices.iter().map(|&i| dataset.samples[i].id.0.clone());
        let mut edit: Edit = self.state.make_edit(ids, action);
        if edit.ids.is_empty() {
            return Ok(());
        }
        super::identity::fill_prints(&mut edit, dataset);
        self.journal.record_edit(&edit)?;
        self.state.apply(edit);
        Ok(())
    }

    /// Applies several actions as one undo step, all or nothing: every label is checked
    /// before anything is written, and the step is one journal record.
    pub fn edit_batch(
        &mut self,
        dataset: &Dataset,
        parts: Vec<(Vec<usize>, Action)>,
    ) -> Result<(), EditError> {
        let parts = parts
            .into_iter()
            .map(|(indices, action)| {
                let ids = indices
                    .iter()
                    .map(|&i| dataset.samples[i].id.0.clone())
                    .collect();
                (ids, action)
            })
            .collect();
        self.edit_batch_ids(dataset, parts)
    }

    /// Adds the image files `paths` from outside the dataset, by reference, with `label`
    /// (`None`: as negatives), as one undo step; all or nothing (see [`super::added`]).
    pub fn add(
        &mut self,
        dataset: &Dataset,
        paths: &[std::path::PathBuf],
        label: Option<String>,
    ) -> Result<(), EditError> {
        let ids = paths
            .iter()
            .map(|p| {
                super::added::added_id(dataset, p).map_err(|why| EditError::CannotAdd {
                    path: p.clone(),
                    why,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.edit_batch_ids(dataset, vec![(ids, Action::Add { label })])
    }

    /// [`Curator::edit_batch`] with the samples named by id (an added file's id is its
    /// canonical path, as [`super::added::added_id`] gives it).
    pub fn edit_batch_ids(
        &mut self,
        dataset: &Dataset,
        parts: Vec<(Vec<String>, Action)>,
    ) -> Result<(), EditError> {
        for (ids, action) in &parts {
            if let Action::Relabel { label: Some(l) } | Action::Add { label: Some(l) } = action
                && dataset.class_id(l).is_none()
            {
                return Err(EditError::UnknownLabel {
                    label: l.clone(),
                    known: dataset.classes.join(", "),
                });
            }
            if let Action::Add { .. } = action {
                for id in ids {
                    let path = std::path::PathBuf::from(id);
                    match super::added::added_id(dataset, &path) {
                        Ok(canonical) if &canonical == id => {}
                        Ok(_) => {
                            return Err(EditError::CannotAdd {
                                path,
                                why: "not an absolute canonical path".into(),
                            });
                        }
                        Err(why) => return Err(EditError::CannotAdd { path, why }),
                    }
                }
            }
        }
        let Some(mut edit) = self.state.make_batch(parts) else {
            return Ok(());
        };
        super::identity::fill_prints(&mut edit, dataset);
        self.journal.record_edit(&edit)?;
        self.state.apply(edit);
        Ok(())
    }

    /// Applies `action` to samples named by id (the CLI's paths).
    pub fn edit_ids(
        &mut self,
        dataset: &Dataset,
        ids: &[String],
        action: Action,
    ) -> Result<(), EditError> {
        let indices = ids
            .iter()
            .map(|id| {
                dataset
                    .index_of(&id.replace('\\', "/"))
                    .ok_or_else(|| EditError::UnknownSample { id: id.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.edit(dataset, &indices, action)
    }

    /// Undoes the last edit (journaled). Returns whether there was one.
    pub fn undo(&mut self) -> Result<bool, EditError> {
        if !self.state.can_undo() {
            return Ok(false);
        }
        self.journal.record_undo()?;
        self.state.undo();
        Ok(true)
    }

    /// Redoes the last undone edit (journaled). Returns whether there was one.
    pub fn redo(&mut self) -> Result<bool, EditError> {
        if !self.state.can_redo() {
            return Ok(false);
        }
        self.journal.record_redo()?;
        self.state.redo();
        Ok(true)
    }
}

/// The effective label of sample `i`: its edited label, or `None` when excluded.
pub fn effective_label(dataset: &Dataset, state: &CurationState, i: usize) -> Option<ClassId> {
    let s = &dataset.samples[i];
    match state.get(&s.id.0) {
        None => Some(s.label),
        Some(e) if e.excluded.is_some() => None,
        Some(e) => e
            .label
            .as_deref()
            .and_then(|l| dataset.class_id(l))
            .or(Some(s.label)),
    }
}

/// Effective labels of every sample (`None` = excluded), for metrics.
pub fn effective_labels(dataset: &Dataset, state: &CurationState) -> Vec<Option<ClassId>> {
    (0..dataset.samples.len())
        .map(|i| effective_label(dataset, state, i))
        .collect()
}

/// Whether sample `i` carries a label different from its original one.
pub fn is_relabeled(dataset: &Dataset, state: &CurationState, i: usize) -> bool {
    let s = &dataset.samples[i];
    state
        .get(&s.id.0)
        .and_then(|e| e.label.as_deref())
        .is_some_and(|l| l != dataset.class_name(s.label))
}

/// The current edits of `dataset` without taking the edit lock or writing anything (read-only
/// commands). The warnings include torn journal lines and edits that no longer apply.
pub fn read_edits(dataset: &Dataset) -> Result<(CurationState, Vec<String>), CurationError> {
    let (state, mut warnings) = journal_state(dataset)?;
    if state.samples().is_empty() {
        return Ok((state, warnings));
    }
    let (state, moved) = super::identity::resolve(dataset, state);
    warnings.extend(moved);
    warnings.extend(stale_edits(dataset, &state));
    Ok((state, warnings))
}

/// The edits as the journal has them (the folder's shared journal of an older labelscope
/// where that is this dataset's), read without the lock and without creating anything, before
/// the table rows' fingerprints are checked.
pub(crate) fn journal_state(
    dataset: &Dataset,
) -> Result<(CurationState, Vec<String>), CurationError> {
    let Some(dir) = crate::state::existing_state_dir(&dataset.root) else {
        return Ok((CurationState::default(), Vec::new()));
    };
    let files = journal_files(dataset);
    if files != JournalFiles::default() && !dir.join(&files.journal).exists() {
        match legacy_edits(&dir, dataset) {
            Some(Legacy::Applies(state)) => return Ok((state, Vec::new())),
            Some(Legacy::Foreign(n)) => {
                return Ok((CurationState::default(), vec![foreign_note(&dir, n)]));
            }
            None => {}
        }
    }
    Journal::read_state_files(&dir, &files)
}

/// The journal files of `dataset`: a manifest's own, or the folder's.
pub fn journal_files(dataset: &Dataset) -> JournalFiles {
    let key = (dataset.layout == crate::dataset::Layout::Manifest)
        .then(|| dataset.source.file_name())
        .flatten()
        .map(|n| n.to_string_lossy().into_owned());
    JournalFiles::keyed(key.as_deref())
}

/// What the folder's shared journal (written by labelscope before journals were kept per
/// manifest) holds for a manifest dataset.
enum Legacy {
    /// Every edit names a sample and a label of this dataset: it is this dataset's.
    Applies(CurationState),
    /// This many edited samples do not fit: it belongs to another dataset in the folder.
    Foreign(usize),
}

fn legacy_edits(dir: &std::path::Path, dataset: &Dataset) -> Option<Legacy> {
    if !dir.join(JOURNAL_FILE).is_file() {
        return None;
    }
    let (state, _) = Journal::read_state(dir).ok()?;
    if state.samples().is_empty() {
        return None;
    }
    let stale = stale_edits(dataset, &state).len();
    Some(if stale == 0 {
        Legacy::Applies(state)
    } else {
        Legacy::Foreign(stale)
    })
}

fn foreign_note(dir: &std::path::Path, n: usize) -> String {
    format!(
        "the folder's shared edit journal (from an older labelscope) was not applied to this manifest: {n} of its edits name samples or labels this dataset does not have; it is left as it was: {}",
        dir.join(JOURNAL_FILE).display()
    )
}

/// One warning per edit that no longer applies to `dataset`: a sample id it does not have, or
/// a relabel to a label that is not one of its classes. Such edits are kept in the journal but
/// have no effect.
pub fn stale_edits(dataset: &Dataset, state: &CurationState) -> Vec<String> {
    let mut out = Vec::new();
    for (id, e) in state.samples() {
        if e.added {
            // An added file is the scan's to report (gone, or a label that is not a class).
            continue;
        }
        if dataset.index_of(id).is_none() {
            out.push(format!(
                "an edit names `{id}`, which is not a sample of this dataset; it has no effect"
            ));
        } else if let Some(l) = e.label.as_deref()
            && dataset.class_id(l).is_none()
        {
            out.push(format!(
                "an edit relabels `{id}` to `{l}`, which is not a label of this dataset; the sample keeps its own label"
            ));
        }
    }
    out
}
