//! The dataset's curation in the window: the edit journal (or another window's edits, shown
//! read-only) and the effective labels derived from it. The labels are recomputed here, and only
//! here, whenever the edits change, so they can never fall out of step with the journal.

use std::path::PathBuf;

use crate::curation::{Action, CurationState, Curator, EditError, effective_labels};
use crate::dataset::{ClassId, Dataset};

/// Edits touching more samples than this ask for confirmation first.
pub const CONFIRM_ABOVE: usize = 50;

/// The dataset is being edited by another labelscope: its edits, read-only.
pub struct ReadOnly {
    /// The journal's edits as they were when the dataset was opened (shown, not editable).
    pub state: CurationState,
    /// What the banner says: who holds the lock and since when.
    pub banner: String,
    /// Whether the holder is on another machine (it cannot be checked from here, so the user
    /// may take the lock over once they know that window is closed).
    pub other_host: bool,
    /// The lock file.
    pub lock: PathBuf,
}

/// The edits of the open dataset and the labels they give.
pub struct EditState {
    curator: Option<Curator>,
    read_only: Option<ReadOnly>,
    truth: std::sync::Arc<Vec<Option<ClassId>>>,
    revision: u64,
    /// Exclusion reason remembered for this session (`X` asks once).
    pub exclude_reason: Option<String>,
}

impl EditState {
    /// No edits: every sample keeps its own label; editing is off until a journal is opened.
    pub fn new(ds: &Dataset) -> Self {
        Self {
            curator: None,
            read_only: None,
            truth: std::sync::Arc::new(ds.samples.iter().map(|s| Some(s.label)).collect()),
            revision: 0,
            exclude_reason: None,
        }
    }

    /// Effective label per sample (`None` = excluded).
    pub fn truth(&self) -> &[Option<ClassId>] {
        &self.truth
    }

    /// The effective labels, shared (for work off the UI thread; a new edit makes new ones).
    pub fn shared_truth(&self) -> std::sync::Arc<Vec<Option<ClassId>>> {
        self.truth.clone()
    }

    /// The edit journal, when the dataset could be opened for editing.
    pub fn curator(&self) -> Option<&Curator> {
        self.curator.as_ref()
    }

    /// When another labelscope holds the edit lock: its edits, shown read-only, and why.
    pub fn read_only(&self) -> Option<&ReadOnly> {
        self.read_only.as_ref()
    }

    /// Bumped whenever the edits change (labels, exclusions, tags), not predictions.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The current edits (empty when there are none to show).
    pub fn state(&self) -> &CurationState {
        static EMPTY: std::sync::OnceLock<CurationState> = std::sync::OnceLock::new();
        match (&self.curator, &self.read_only) {
            (Some(c), _) => c.state(),
            (None, Some(r)) => &r.state,
            (None, None) => EMPTY.get_or_init(Default::default),
        }
    }

    /// Whether any sample has an edit.
    pub fn is_edited(&self) -> bool {
        !self.state().samples().is_empty()
    }

    /// Edits through `curator` from now on.
    pub fn set_curator(&mut self, ds: &Dataset, curator: Curator) {
        self.curator = Some(curator);
        self.read_only = None;
        self.derive(ds);
    }

    /// Shows another window's edits, read-only.
    pub fn set_read_only(&mut self, ds: &Dataset, read_only: ReadOnly) {
        self.curator = None;
        self.read_only = Some(read_only);
        self.derive(ds);
    }

    /// Stops showing another window's edits; returns them (to take its lock over).
    pub fn take_read_only(&mut self) -> Option<ReadOnly> {
        self.read_only.take()
    }

    /// Applies `action` to samples `targets` through the journal. `Ok(false)` when editing is
    /// off.
    pub fn edit(
        &mut self,
        ds: &Dataset,
        targets: &[usize],
        action: Action,
    ) -> Result<bool, EditError> {
        let Some(curator) = &mut self.curator else {
            return Ok(false);
        };
        curator.edit(ds, targets, action)?;
        self.derive(ds);
        Ok(true)
    }

    /// Adds the image files `paths` from outside the dataset by reference (`label` `None`: as
    /// negatives) through the journal. `Ok(false)` when editing is off.
    pub fn add(
        &mut self,
        ds: &Dataset,
        paths: &[std::path::PathBuf],
        label: Option<String>,
    ) -> Result<bool, EditError> {
        let Some(curator) = &mut self.curator else {
            return Ok(false);
        };
        curator.add(ds, paths, label)?;
        self.derive(ds);
        Ok(true)
    }

    /// Undoes (or redoes) the last edit; whether there was one.
    pub fn undo_redo(&mut self, ds: &Dataset, redo: bool) -> Result<bool, EditError> {
        let Some(curator) = &mut self.curator else {
            return Ok(false);
        };
        let changed = if redo {
            curator.redo()?
        } else {
            curator.undo()?
        };
        if changed {
            self.derive(ds);
        }
        Ok(changed)
    }

    /// Every tag and every exclusion reason in use, sorted (for the filter and tag prompts).
    pub fn tags_and_reasons(&self) -> (Vec<String>, Vec<String>) {
        let mut tags = std::collections::BTreeSet::new();
        let mut reasons = std::collections::BTreeSet::new();
        for e in self.state().samples().values() {
            tags.extend(e.tags.iter().cloned());
            reasons.extend(e.excluded.iter().cloned());
        }
        (tags.into_iter().collect(), reasons.into_iter().collect())
    }

    /// The one place the labels follow the edits.
    fn derive(&mut self, ds: &Dataset) {
        self.truth = std::sync::Arc::new(effective_labels(ds, self.state()));
        self.revision += 1;
    }
}
