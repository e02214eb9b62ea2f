//! Curation of one dataset: the journal plus the state, with the dataset at hand to validate
//! labels and compute each sample's effective label (edited, or excluded).

use super::edit::{Action, Edit};
use super::history::CurationState;
use super::journal::{CurationError, Journal};
use crate::dataset::{ClassId, Dataset};

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
}

/// The open curation of a dataset.
#[derive(Debug)]
pub struct Curator {
    journal: Journal,
    state: CurationState,
}

impl Curator {
    /// Opens the journal of `dataset` (in its state folder) and replays it. Returns warnings
    /// about skipped journal lines.
    pub fn open(dataset: &Dataset) -> Result<(Self, Vec<String>), CurationError> {
        let dir = crate::state::state_dir(&dataset.root).map_err(|e| CurationError::Io {
            what: "no state folder",
            source: std::io::Error::other(e),
            path: dataset.root.clone(),
        })?;
        let (journal, state, warnings) = Journal::open(&dir)?;
        Ok((Self { journal, state }, warnings))
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
        self.record(dataset, indices, action)
    }

    fn record(
        &mut self,
        dataset: &Dataset,
        indices: &[usize],
        action: Action,
    ) -> Result<(), EditError> {
        let ids = indices.iter().map(|&i| dataset.samples[i].id.0.clone());
        let edit: Edit = self.state.make_edit(ids, action);
        if edit.ids.is_empty() {
            return Ok(());
        }
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

/// The current edits of `dataset` without taking the edit lock (read-only commands).
pub fn read_edits(dataset: &Dataset) -> Result<(CurationState, Vec<String>), CurationError> {
    let dir = dataset.root.join(crate::state::STATE_DIR_NAME);
    let dir = if dir.is_dir() {
        dir
    } else {
        crate::state::state_dir(&dataset.root).unwrap_or(dir)
    };
    Journal::read_state(&dir)
}
