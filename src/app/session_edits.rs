//! Curation in the window: relabel, exclude, include, tag and undo/redo on the marked samples
//! (or the selected one), each journaled (flushed and synced) before the gallery and metrics
//! show it, with auto-advance; and the multi-selection itself.

use std::path::PathBuf;

use super::session::Session;
use crate::curation::{Action, CurationError, CurationState, Curator, effective_labels, short_id};

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
                self.read_only = None;
                self.changed();
                self.refresh();
            }
            Err(CurationError::Locked {
                pid,
                host,
                since,
                path,
            }) => self.open_read_only(pid, host, since, path),
            Err(e) => self.error = Some(format!("editing is off: {e}")),
        }
    }

    /// Shows the edits of the labelscope that holds the lock, read-only, with a banner saying
    /// who holds it and since when.
    fn open_read_only(
        &mut self,
        pid: u32,
        host: Option<String>,
        since: Option<std::time::SystemTime>,
        lock: PathBuf,
    ) {
        let other_host = host.is_some() && host != crate::curation::hostname();
        let since = since
            .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
            .map(|d| format!(", for {}", ago(d.as_secs())))
            .unwrap_or_default();
        let on = host
            .as_deref()
            .map(|h| format!(" on {h}"))
            .unwrap_or_default();
        let banner = format!(
            "Read-only: another labelscope (pid {pid}{on}{since}) is editing this dataset. Its edits are shown; yours are off until it closes."
        );
        let state = match Curator::read_only(&self.dataset) {
            Ok((state, warnings)) => {
                self.notes.extend(warnings);
                state
            }
            Err(e) => {
                self.error = Some(format!("cannot read the edits: {e}"));
                CurationState::default()
            }
        };
        self.truth = effective_labels(&self.dataset, &state);
        self.edits_revision += 1;
        self.read_only = Some(ReadOnly {
            state,
            banner,
            other_host,
            lock,
        });
        self.changed();
        self.refresh();
    }

    /// Takes over the edit lock of a labelscope on another machine (after the user said that
    /// window is closed) and opens the dataset for editing.
    pub fn take_over_lock(&mut self) {
        if let Some(r) = self.read_only.take()
            && r.other_host
        {
            let _ = std::fs::remove_file(&r.lock);
        }
        self.open_curation();
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
        let before = match (&action, targets.as_slice()) {
            (Action::Relabel { .. }, [one]) => Some(self.dataset.class_name(
                super::gallery_view::label_of(&self.dataset, &self.truth, *one),
            )),
            _ => None,
        }
        .map(str::to_string);
        let Some(curator) = &mut self.curator else {
            self.error = Some("editing is off for this dataset".into());
            return;
        };
        if let Err(e) = curator.edit(&self.dataset, &targets, action) {
            self.error = Some(format!("edit not saved: {e}"));
            return;
        }
        let notice = match (curator.state().next_undo(), before) {
            (Some(e), Some(old)) => match &e.action {
                Action::Relabel { label: Some(new) } => {
                    format!("Relabeled {}: {old} -> {new}", short_id(&e.ids[0]))
                }
                _ => capitalised(&e.describe()),
            },
            (Some(e), None) => capitalised(&e.describe()),
            (None, _) => String::new(),
        };
        self.notify(format!("{notice}. Ctrl+Z undoes"));
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
        let state = curator.state();
        let next = if redo {
            state.next_redo()
        } else {
            state.next_undo()
        };
        let (what, first) = next.map_or((String::new(), None), |e| {
            (e.describe(), e.ids.first().cloned())
        });
        let result = if redo { curator.redo() } else { curator.undo() };
        match result {
            Ok(true) => {
                let (i, pos) = (self.selected(), self.cursor);
                self.after_edit(i, pos, false);
                // Show the sample the undo (or redo) changed, and say what it was.
                if let Some(i) = first.and_then(|id| self.dataset.index_of(&id)) {
                    self.show_sample(i);
                }
                self.notify(if redo {
                    format!("Redid: {what}. Ctrl+Z undoes")
                } else {
                    format!("Undid: {what}. Ctrl+Y redoes")
                });
            }
            Ok(false) => {}
            Err(e) => self.error = Some(format!("undo not saved: {e}")),
        }
    }

    /// The current edits (empty when editing is off).
    pub fn edits(&self) -> &crate::curation::CurationState {
        static EMPTY: std::sync::OnceLock<crate::curation::CurationState> =
            std::sync::OnceLock::new();
        match (&self.curator, &self.read_only) {
            (Some(c), _) => c.state(),
            (None, Some(r)) => &r.state,
            (None, None) => EMPTY.get_or_init(Default::default),
        }
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

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// "3 min", "2 h", "5 days".
fn ago(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86400 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86400),
    }
}
