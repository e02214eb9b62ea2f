//! Curation in the window: relabel, exclude, include, tag and undo/redo on the marked samples
//! (or the selected one), each journaled (flushed and synced) before the gallery and metrics
//! show it, with auto-advance.

use std::path::PathBuf;

use super::Session;
use super::parts::edits::ReadOnly;
use crate::curation::{Action, CurationError, CurationState, short_id};

impl Session {
    /// Opens the dataset's edit journal (replaying earlier edits). Failure (another instance
    /// has it open, read-only folder) leaves editing off with the reason shown.
    pub fn open_curation(&mut self) {
        match self.ws.curator() {
            Ok((curator, warnings)) => {
                self.messages.notes.extend(warnings);
                self.curation.set_curator(&self.ws.dataset, curator);
                self.changed();
                self.refresh();
            }
            Err(CurationError::Locked {
                pid,
                host,
                since,
                path,
            }) => self.open_read_only(pid, host, since, path),
            Err(e) => self.messages.error = Some(format!("editing is off: {e}")),
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
        let state = match self.ws.read_edits_unlocked() {
            Ok((state, warnings)) => {
                self.messages.notes.extend(warnings);
                state
            }
            Err(e) => {
                self.messages.error = Some(format!("cannot read the edits: {e}"));
                CurationState::default()
            }
        };
        let read_only = ReadOnly {
            state,
            banner,
            other_host,
            lock,
        };
        self.curation.set_read_only(&self.ws.dataset, read_only);
        self.changed();
        self.refresh();
    }

    /// Takes over the edit lock of a labelscope on another machine (after the user said that
    /// window is closed) and opens the dataset for editing.
    pub fn take_over_lock(&mut self) {
        if let Some(r) = self.curation.take_read_only()
            && r.other_host
        {
            let _ = std::fs::remove_file(&r.lock);
        }
        self.open_curation();
    }

    /// Applies `action` to the edit targets. With a single selected sample and `advance`, moves
    /// to the next sample of the filter; a bulk edit clears the marks.
    pub fn edit_targets_now(&mut self, action: Action, advance: bool) {
        let targets = self.view.edit_targets();
        if targets.is_empty() {
            return;
        }
        let before = match (&action, targets.as_slice()) {
            (Action::Relabel { .. }, [one]) => Some(self.ws.dataset.class_name(
                crate::app::sample_query::label_of(&self.ws.dataset, self.curation.truth(), *one),
            )),
            _ => None,
        }
        .map(str::to_string);
        match self.curation.edit(&self.ws.dataset, &targets, action) {
            Ok(true) => {}
            Ok(false) => {
                self.messages.error = Some("editing is off for this dataset".into());
                return;
            }
            Err(e) => {
                self.messages.error = Some(format!("edit not saved: {e}"));
                return;
            }
        }
        let notice = match (self.curation.state().next_undo(), before) {
            (Some(e), Some(old)) => match &e.action {
                Action::Relabel { label: Some(new) } => {
                    format!("Relabeled {}: {old} -> {new}", short_id(&e.ids[0]))
                }
                _ => capitalised(&e.describe_done()),
            },
            (Some(e), None) => capitalised(&e.describe_done()),
            (None, _) => String::new(),
        };
        self.messages.notify(format!("{notice}. Ctrl+Z undoes"));
        let bulk = !self.view.marked.is_empty();
        self.view.marked.clear();
        let (i, pos) = (self.view.selected(), self.view.cursor);
        self.after_edit(i, pos, advance && !bulk);
    }

    /// Tags `samples` with `tag` in one journaled edit (the device logs' "To label"), leaving
    /// the marks and the selection as they are.
    pub fn tag_samples(&mut self, samples: &[usize], tag: &str) {
        if samples.is_empty() {
            return;
        }
        let action = Action::AddTag {
            tag: tag.to_string(),
        };
        match self.curation.edit(&self.ws.dataset, samples, action) {
            Ok(true) => {
                self.messages.notify(format!(
                    "Tagged {} images \"{tag}\". Ctrl+Z undoes",
                    samples.len()
                ));
                let (i, pos) = (self.view.selected(), self.view.cursor);
                self.after_edit(i, pos, false);
            }
            Ok(false) => self.messages.error = Some("editing is off for this dataset".into()),
            Err(e) => self.messages.error = Some(format!("edit not saved: {e}")),
        }
    }

    /// Undoes (or redoes) the last edit.
    pub fn undo_redo(&mut self, redo: bool) {
        let state = self.curation.state();
        let next = if redo {
            state.next_redo()
        } else {
            state.next_undo()
        };
        let (what, first) = next.map_or((String::new(), None), |e| {
            (e.describe(), e.ids.first().cloned())
        });
        match self.curation.undo_redo(&self.ws.dataset, redo) {
            Ok(true) => {
                let (i, pos) = (self.view.selected(), self.view.cursor);
                self.after_edit(i, pos, false);
                // Show the sample the undo (or redo) changed, and say what it was.
                if let Some(i) = first.and_then(|id| self.ws.dataset.index_of(&id)) {
                    self.show_sample(i);
                }
                self.messages.notify(if redo {
                    format!("Redid: {what}. Ctrl+Z undoes")
                } else {
                    format!("Undid: {what}. Ctrl+Y redoes")
                });
            }
            Ok(false) => {}
            Err(e) => self.messages.error = Some(format!("undo not saved: {e}")),
        }
    }

    /// Keeps the selection on sample `i` (or its old position when it left the filter) after
    /// the labels changed, moving one on when `advance` is set.
    fn after_edit(&mut self, i: Option<usize>, pos: Option<usize>, advance: bool) {
        self.changed();
        self.refresh();
        // `refresh` throttles the order while a job streams in, and computes it apart past a
        // size; an edit shows at once, the selection placed in the new order (and the order is
        // not sorted a second time when `refresh` already did it here).
        if self.view.dirty || self.view.is_ordering() {
            self.refresh_order();
        }
        let (Some(i), Some(pos)) = (i, pos) else {
            return;
        };
        let n = self.view.order.len();
        self.view.cursor = match self.view.order.iter().position(|&k| k == i) {
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
