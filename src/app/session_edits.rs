//! Curation in the window: relabel, exclude, include, tag and undo/redo on the marked samples
//! (or the selected one), each journaled (flushed and synced) before the gallery and metrics
//! show it, with auto-advance; and the multi-selection itself.

use super::session::Session;
use crate::curation::{Action, Curator, effective_labels};

/// Edits touching more samples than this ask for confirmation first.
pub const CONFIRM_ABOVE: usize = 50;

impl Session {
    /// Opens the dataset's edit journal (replaying earlier edits). Failure (another instance
    /// has it open, read-only folder) leaves editing off with the reason shown.
    pub fn open_curation(&mut self) {
        match Curator::open(&self.dataset) {
            Ok((curator, warnings)) => {
                self.notes.extend(warnings);
                self.truth = effective_labels(&self.dataset, curator.state());
                self.edits_revision += 1;
                self.curator = Some(curator);
                self.changed();
                self.refresh();
            }
            Err(e) => self.error = Some(format!("editing is off: {e}")),
        }
    }

    /// How many samples an edit would apply to, without copying them (drawn every frame).
    pub fn edit_target_count(&self) -> usize {
        if self.marked.is_empty() {
            usize::from(self.selected().is_some())
        } else {
            self.marked.len()
        }
    }

    /// The samples the next edit applies to: the marked ones, else the selected one.
    pub fn edit_targets(&self) -> Vec<usize> {
        if self.marked.is_empty() {
            self.selected().into_iter().collect()
        } else {
            self.marked.iter().copied().collect()
        }
    }

    /// Applies `action` to the edit targets. With a single selected sample and `advance`, moves
    /// to the next sample of the filter; a bulk edit clears the marks.
    pub fn edit_targets_now(&mut self, action: Action, advance: bool) {
        let targets = self.edit_targets();
        if targets.is_empty() {
            return;
        }
        let Some(curator) = &mut self.curator else {
            self.error = Some("editing is off for this dataset".into());
            return;
        };
        if let Err(e) = curator.edit(&self.dataset, &targets, action) {
            self.error = Some(format!("edit not saved: {e}"));
            return;
        }
        let bulk = !self.marked.is_empty();
        self.marked.clear();
        let (i, pos) = (self.selected(), self.cursor);
        self.after_edit(i, pos, advance && !bulk);
    }

    /// Undoes (or redoes) the last edit.
    pub fn undo_redo(&mut self, redo: bool) {
        let Some(curator) = &mut self.curator else {
            return;
        };
        let result = if redo { curator.redo() } else { curator.undo() };
        match result {
            Ok(true) => {
                let (i, pos) = (self.selected(), self.cursor);
                self.after_edit(i, pos, false);
            }
            Ok(false) => {}
            Err(e) => self.error = Some(format!("undo not saved: {e}")),
        }
    }

    /// The current edits (empty when editing is off).
    pub fn edits(&self) -> &crate::curation::CurationState {
        static EMPTY: std::sync::OnceLock<crate::curation::CurationState> =
            std::sync::OnceLock::new();
        self.curator
            .as_ref()
            .map_or_else(|| EMPTY.get_or_init(Default::default), |c| c.state())
    }

    /// Every tag and every exclusion reason in use, sorted (for the filter and tag prompts).
    pub fn tags_and_reasons(&self) -> (Vec<String>, Vec<String>) {
        let mut tags = std::collections::BTreeSet::new();
        let mut reasons = std::collections::BTreeSet::new();
        for e in self.edits().samples().values() {
            tags.extend(e.tags.iter().cloned());
            reasons.extend(e.excluded.iter().cloned());
        }
        (tags.into_iter().collect(), reasons.into_iter().collect())
    }

    /// Marks or unmarks the sample at gallery position `pos` (Ctrl-click, Space).
    pub fn toggle_mark(&mut self, pos: usize) {
        if let Some(&i) = self.order.get(pos)
            && !self.marked.remove(&i)
        {
            self.marked.insert(i);
        }
    }

    /// Marks every sample between the selection and `pos` (Shift-click).
    pub fn mark_range(&mut self, pos: usize) {
        let from = self.cursor.unwrap_or(pos);
        let (a, b) = (from.min(pos), from.max(pos));
        let end = (b + 1).min(self.order.len());
        self.marked
            .extend(self.order.get(a..end).unwrap_or_default());
    }

    /// Marks every sample of the current filter.
    pub fn mark_all(&mut self) {
        self.marked.extend(self.order.iter().copied());
    }

    /// Keeps the selection on sample `i` (or its old position when it left the filter) after
    /// the labels changed, moving one on when `advance` is set.
    fn after_edit(&mut self, i: Option<usize>, pos: Option<usize>, advance: bool) {
        self.truth = effective_labels(&self.dataset, self.edits());
        self.edits_revision += 1;
        self.changed();
        self.refresh();
        self.refresh_order();
        let (Some(i), Some(pos)) = (i, pos) else {
            return;
        };
        let n = self.order.len();
        self.cursor = match self.order.iter().position(|&k| k == i) {
            Some(p) if advance => Some((p + 1).min(n.saturating_sub(1))),
            Some(p) => Some(p),
            // The sample left the filter (e.g. excluded): the next one moved into its place.
            None => (n > 0).then(|| pos.min(n - 1)),
        };
    }
}
