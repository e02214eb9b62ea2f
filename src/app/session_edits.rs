//! Curation in the window: relabel, exclude, include, undo/redo on the selected sample, each
//! journaled (flushed and synced) before the gallery and metrics show it, with auto-advance.

use super::session::Session;
use crate::curation::{Action, Curator, effective_labels};

impl Session {
    /// Opens the dataset's edit journal (replaying earlier edits). Failure (another instance
    /// has it open, read-only folder) leaves editing off with the reason shown.
    pub fn open_curation(&mut self) {
        match Curator::open(&self.dataset) {
            Ok((curator, warnings)) => {
                self.notes.extend(warnings);
                self.truth = effective_labels(&self.dataset, curator.state());
                self.curator = Some(curator);
                self.changed();
                self.refresh();
            }
            Err(e) => self.error = Some(format!("editing is off: {e}")),
        }
    }

    /// Applies `action` to the selected sample, then moves to the next sample of the filter
    /// when `advance` is set.
    pub fn edit_selected(&mut self, action: Action, advance: bool) {
        let (Some(i), Some(pos)) = (self.selected(), self.cursor) else {
            return;
        };
        let Some(curator) = &mut self.curator else {
            self.error = Some("editing is off for this dataset".into());
            return;
        };
        if let Err(e) = curator.edit(&self.dataset, &[i], action) {
            self.error = Some(format!("edit not saved: {e}"));
            return;
        }
        self.after_edit(i, pos, advance);
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
                self.truth = effective_labels(&self.dataset, self.edits());
                self.changed();
                self.refresh();
                if let (Some(i), Some(pos)) = (i, pos) {
                    self.cursor = self
                        .order
                        .iter()
                        .position(|&k| k == i)
                        .or(Some(pos.min(self.order.len().saturating_sub(1))));
                }
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

    fn after_edit(&mut self, i: usize, pos: usize, advance: bool) {
        self.truth = effective_labels(&self.dataset, self.edits());
        self.changed();
        self.refresh();
        let n = self.order.len();
        self.cursor = match self.order.iter().position(|&k| k == i) {
            Some(p) if advance => Some((p + 1).min(n.saturating_sub(1))),
            Some(p) => Some(p),
            // The sample left the filter (e.g. excluded): the next one moved into its place.
            None => (n > 0).then(|| pos.min(n - 1)),
        };
    }
}
