//! The current curation state plus undo/redo stacks (undo moves a cursor; a new edit drops the
//! redo tail).

use std::collections::BTreeMap;

use super::edit::{Action, Edit, SampleEdits};

/// Effective edits per sample, with undo and redo stacks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CurationState {
    samples: BTreeMap<String, SampleEdits>,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
}

impl CurationState {
    /// An edit of `ids` (deduplicated, sorted) doing `action`, capturing their current state.
    pub fn make_edit(&self, ids: impl IntoIterator<Item = String>, action: Action) -> Edit {
        edit_on(&self.samples, ids, action)
    }

    /// One undo step doing each `(ids, action)` part in order; `None` when no part has a
    /// sample.
    pub fn make_batch(&self, parts: Vec<(Vec<String>, Action)>) -> Option<Edit> {
        let mut scratch: BTreeMap<String, SampleEdits> = BTreeMap::new();
        for (ids, _) in &parts {
            for id in ids {
                if let Some(e) = self.samples.get(id) {
                    scratch.insert(id.clone(), e.clone());
                }
            }
        }
        let mut edits: Vec<Edit> = Vec::new();
        for (ids, action) in parts {
            let e = edit_on(&scratch, ids, action);
            if e.ids.is_empty() {
                continue;
            }
            e.apply(&mut scratch);
            edits.push(e);
        }
        let mut iter = edits.into_iter();
        let mut first = iter.next()?;
        first.then = iter.collect();
        Some(first)
    }

    /// Applies a new edit (clears the redo stack).
    pub fn apply(&mut self, edit: Edit) {
        edit.apply(&mut self.samples);
        self.undo.push(edit);
        self.redo.clear();
    }

    /// Undoes the last edit; returns it.
    pub fn undo(&mut self) -> Option<&Edit> {
        let edit = self.undo.pop()?;
        edit.invert(&mut self.samples);
        self.redo.push(edit);
        self.redo.last()
    }

    /// Redoes the last undone edit; returns it.
    pub fn redo(&mut self) -> Option<&Edit> {
        let edit = self.redo.pop()?;
        edit.apply(&mut self.samples);
        self.undo.push(edit);
        self.undo.last()
    }

    /// The edit an undo would take back.
    pub fn next_undo(&self) -> Option<&Edit> {
        self.undo.last()
    }

    /// The edit a redo would apply again.
    pub fn next_redo(&self) -> Option<&Edit> {
        self.redo.last()
    }

    /// Whether there is something to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// The edits of sample `id`, if it was touched.
    pub fn get(&self, id: &str) -> Option<&SampleEdits> {
        self.samples.get(id)
    }

    /// Every touched sample, sorted by id.
    pub fn samples(&self) -> &BTreeMap<String, SampleEdits> {
        &self.samples
    }

    /// Every `(id, print)` pair an edit (applied or undone) recorded a fingerprint for.
    pub fn printed_ids(&self) -> Vec<(&str, &str)> {
        self.undo
            .iter()
            .chain(&self.redo)
            .flat_map(Edit::printed_ids)
            .collect()
    }

    /// The same history with every `(id, print)` renamed by `rename` (`None` drops it), and
    /// the current state made again from the applied edits.
    pub fn rekeyed(&self, rename: &impl Fn(&str, &str) -> Option<String>) -> Self {
        let undo: Vec<Edit> = self.undo.iter().map(|e| e.rekeyed(rename)).collect();
        let redo: Vec<Edit> = self.redo.iter().map(|e| e.rekeyed(rename)).collect();
        let mut samples = BTreeMap::new();
        for e in &undo {
            e.apply(&mut samples);
        }
        Self {
            samples,
            undo,
            redo,
        }
    }

    /// The applied edits (oldest first) that touched `id`.
    pub fn history_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edit> + 'a {
        self.undo.iter().filter(move |e| e.touches(id))
    }
}

fn edit_on(
    samples: &BTreeMap<String, SampleEdits>,
    ids: impl IntoIterator<Item = String>,
    action: Action,
) -> Edit {
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    let before = ids
        .iter()
        .map(|id| samples.get(id).cloned().unwrap_or_default())
        .collect();
    Edit {
        ids,
        action,
        before,
        prints: Vec::new(),
        then: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relabel(l: &str) -> Action {
        Action::Relabel {
            label: Some(l.into()),
        }
    }

    #[test]
    fn the_next_undo_and_redo_say_what_they_do() {
        let mut s = CurationState::default();
        s.apply(s.make_edit(["Shirt/test_00474.png".to_string()], relabel("T-shirt/top")));
        s.apply(s.make_edit(
            ["a.png".to_string(), "b.png".to_string()],
            Action::Exclude {
                reason: "duplicate".into(),
            },
        ));
        assert_eq!(
            s.next_undo().map(Edit::describe).as_deref(),
            Some("exclude 2 samples (duplicate)")
        );
        assert_eq!(
            s.next_undo().map(Edit::describe_done).as_deref(),
            Some("excluded 2 samples (duplicate)"),
            "the notice after an edit says it in the past, as a relabel's does"
        );
        s.undo();
        assert_eq!(
            s.next_undo().map(Edit::describe).as_deref(),
            Some("relabel test_00474 to T-shirt/top")
        );
        assert_eq!(
            s.next_redo().map(Edit::describe).as_deref(),
            Some("exclude 2 samples (duplicate)")
        );
    }

    #[test]
    fn apply_then_invert_is_the_identity() {
        let mut s = CurationState::default();
        s.apply(s.make_edit(
            ["a".to_string()],
            Action::AddTag {
                tag: "blurry".into(),
            },
        ));
        let snapshot = s.samples().clone();
        for action in [
            relabel("dog"),
            Action::Exclude {
                reason: "watermark/text".into(),
            },
            Action::Include,
            Action::RemoveTag {
                tag: "blurry".into(),
            },
        ] {
            let edit = s.make_edit(["a".to_string(), "b".to_string()], action);
            let mut m = s.samples().clone();
            edit.apply(&mut m);
            edit.invert(&mut m);
            assert_eq!(m, snapshot);
        }
    }

    #[test]
    fn undo_redo_and_a_new_edit_drops_the_redo_tail() {
        let mut s = CurationState::default();
        s.apply(s.make_edit(["x".to_string()], relabel("cat")));
        s.apply(s.make_edit(["x".to_string()], relabel("dog")));
        assert_eq!(s.get("x").unwrap().label.as_deref(), Some("dog"));
        s.undo();
        assert_eq!(s.get("x").unwrap().label.as_deref(), Some("cat"));
        s.redo();
        assert_eq!(s.get("x").unwrap().label.as_deref(), Some("dog"));
        s.undo();
        s.undo();
        assert!(s.get("x").is_none());
        s.apply(s.make_edit(
            ["y".to_string()],
            Action::Exclude {
                reason: "blurry".into(),
            },
        ));
        assert!(!s.can_redo());
        assert_eq!(s.history_of("y").count(), 1);
    }

    #[test]
    fn a_batch_of_actions_is_one_undo_step_and_inverts_exactly() {
        let mut s = CurationState::default();
        s.apply(s.make_edit(["a".to_string()], relabel("cat")));
        let snapshot = s.samples().clone();
        let batch = s
            .make_batch(vec![
                (vec!["a".into(), "b".into()], relabel("dog")),
                (
                    vec!["a".into(), "c".into()],
                    Action::Exclude {
                        reason: "duplicate".into(),
                    },
                ),
            ])
            .unwrap();
        s.apply(batch);
        assert_eq!(s.get("a").unwrap().label.as_deref(), Some("dog"));
        assert!(s.get("a").unwrap().excluded.is_some() && s.get("c").is_some());
        assert!(matches!(
            s.history_of("c").last().unwrap().action_on("c"),
            Action::Exclude { .. }
        ));
        s.undo();
        assert_eq!(s.samples(), &snapshot);
        assert!(s.make_batch(Vec::new()).is_none());
    }

    #[test]
    fn a_bulk_edit_of_1000_samples_is_one_undo_step() {
        let mut s = CurationState::default();
        let ids: Vec<String> = (0..1000).map(|i| format!("img/{i:04}.png")).collect();
        s.apply(s.make_edit(ids, relabel("cat")));
        assert_eq!(s.samples().len(), 1000);
        s.undo();
        assert!(s.samples().is_empty());
        assert!(!s.can_undo());
    }
}
