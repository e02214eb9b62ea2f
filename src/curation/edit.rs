//! One edit: what it does to which samples, and what they were before (so it can be inverted).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// What an edit does to each of its samples.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Give the samples this label; `None` restores the dataset's own label.
    Relabel {
        /// The new label name.
        label: Option<String>,
    },
    /// Leave the samples out of metrics and exports, for this reason.
    Exclude {
        /// Why (`watermark/text`, `duplicate`, free text...).
        reason: String,
    },
    /// Take the samples back in.
    Include,
    /// Add a free-form tag.
    AddTag {
        /// The tag.
        tag: String,
    },
    /// Remove a tag.
    RemoveTag {
        /// The tag.
        tag: String,
    },
    /// Add image files from outside the dataset (a pool, a device's images) as samples, by
    /// reference: the ids are the files' absolute paths, nothing is copied, and the dataset
    /// lists them from its next opening (see [`super::added`]). `None` adds them as negatives:
    /// images of none of the classes, written only by `export --negatives`.
    Add {
        /// The label, or `None` for a negative.
        label: Option<String>,
    },
}

/// The curation state of one sample (default: untouched).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleEdits {
    /// The label given by an edit, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Exclusion reason, if excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub tags: BTreeSet<String>,
    /// Added from outside the dataset (the id is the file's path); with no label, a negative.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub added: bool,
}

impl SampleEdits {
    /// Whether nothing was changed.
    pub fn is_untouched(&self) -> bool {
        self.label.is_none() && self.excluded.is_none() && self.tags.is_empty() && !self.added
    }

    /// Whether this is a negative added from outside: an image of none of the classes.
    pub fn is_added_negative(&self) -> bool {
        self.added && self.label.is_none()
    }

    /// This state with `action` applied.
    pub fn with(&self, action: &Action) -> Self {
        let mut s = self.clone();
        match action {
            Action::Relabel { label } => s.label = label.clone(),
            Action::Exclude { reason } => s.excluded = Some(reason.clone()),
            Action::Include => s.excluded = None,
            Action::AddTag { tag } => {
                s.tags.insert(tag.clone());
            }
            Action::RemoveTag { tag } => {
                s.tags.remove(tag);
            }
            Action::Add { label } => {
                s.added = true;
                s.label = label.clone();
            }
        }
        s
    }
}

/// One user action on one or more samples (a bulk edit is one undo step).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// Sample ids, sorted.
    pub ids: Vec<String>,
    /// What was done.
    pub action: Action,
    /// Each sample's state before the edit (parallel to `ids`).
    pub before: Vec<SampleEdits>,
    /// A fingerprint of each sample's image bytes when it was edited (parallel to `ids`; empty
    /// for a sample whose path alone names it, and for journals written before fingerprints):
    /// a table row's edit stays with its image when the table is rewritten
    /// (see the `identity` module).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prints: Vec<String>,
    /// Further parts of the same step, applied after this one in order (an edit file with
    /// several actions is one undo step).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<Edit>,
}

/// A sample id as people say it: its file name without the extension ("test_00474").
pub fn short_id(id: &str) -> String {
    std::path::Path::new(id)
        .file_stem()
        .map_or_else(|| id.to_string(), |s| s.to_string_lossy().into_owned())
}

impl Edit {
    /// The edit in words, as the Edit menu and the undo notice say it: "relabel test_00474 to
    /// Shirt", "exclude 3 samples (duplicate)".
    pub fn describe(&self) -> String {
        self.words(false)
    }

    /// The edit as done, as the notice after it says it: "excluded test_00474 (duplicate)".
    pub fn describe_done(&self) -> String {
        self.words(true)
    }

    fn words(&self, done: bool) -> String {
        let target = match self.ids.as_slice() {
            [one] => short_id(one),
            ids => format!("{} samples", ids.len()),
        };
        let verb = |now: &'static str, past: &'static str| if done { past } else { now };
        let what = match &self.action {
            Action::Relabel { label: Some(l) } => {
                format!("{} {target} to {l}", verb("relabel", "relabeled"))
            }
            Action::Relabel { label: None } => {
                format!("{} the label of {target}", verb("restore", "restored"))
            }
            Action::Exclude { reason } => {
                format!("{} {target} ({reason})", verb("exclude", "excluded"))
            }
            Action::Include => format!("{} {target}", verb("include", "included")),
            Action::AddTag { tag } => format!("{} {target} #{tag}", verb("tag", "tagged")),
            Action::RemoveTag { tag } => format!("{} {target} #{tag}", verb("untag", "untagged")),
            Action::Add { label: Some(l) } => format!("{} {target} as {l}", verb("add", "added")),
            Action::Add { label: None } => {
                format!("{} {target} as a negative", verb("add", "added"))
            }
        };
        match self.then.len() {
            0 => what,
            n => format!("{what} and {n} more changes"),
        }
    }

    /// Applies the edit (and its further parts) to `state`.
    pub fn apply(&self, state: &mut BTreeMap<String, SampleEdits>) {
        for id in &self.ids {
            let next = state
                .get(id)
                .cloned()
                .unwrap_or_default()
                .with(&self.action);
            set(state, id, next);
        }
        for part in &self.then {
            part.apply(state);
        }
    }

    /// Undoes the edit on `state` (the further parts last to first, then every sample's
    /// `before`).
    pub fn invert(&self, state: &mut BTreeMap<String, SampleEdits>) {
        for part in self.then.iter().rev() {
            part.invert(state);
        }
        for (id, before) in self.ids.iter().zip(&self.before) {
            set(state, id, before.clone());
        }
    }

    /// The fingerprint recorded for `ids[k]` (empty when none was).
    pub fn print_at(&self, k: usize) -> &str {
        self.prints.get(k).map_or("", String::as_str)
    }

    /// This edit with every `(id, print)` renamed by `rename` (`None` drops the sample: its
    /// image is gone), ids sorted again; its parts too.
    pub fn rekeyed(&self, rename: &impl Fn(&str, &str) -> Option<String>) -> Edit {
        let mut rows: Vec<(String, SampleEdits, String)> = self
            .ids
            .iter()
            .enumerate()
            .filter_map(|(k, id)| {
                let print = self.print_at(k);
                rename(id, print).map(|new| {
                    let before = self.before.get(k).cloned().unwrap_or_default();
                    (new, before, print.to_string())
                })
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.dedup_by(|a, b| a.0 == b.0);
        let with_prints = !self.prints.is_empty();
        Edit {
            ids: rows.iter().map(|r| r.0.clone()).collect(),
            before: rows.iter().map(|r| r.1.clone()).collect(),
            prints: if with_prints {
                rows.into_iter().map(|r| r.2).collect()
            } else {
                Vec::new()
            },
            action: self.action.clone(),
            then: self.then.iter().map(|p| p.rekeyed(rename)).collect(),
        }
    }

    /// Every `(id, print)` pair with a fingerprint, its parts' too.
    pub fn printed_ids(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .ids
            .iter()
            .enumerate()
            .map(|(k, id)| (id.as_str(), self.print_at(k)))
            .filter(|(_, p)| !p.is_empty())
            .collect();
        for part in &self.then {
            out.extend(part.printed_ids());
        }
        out
    }

    /// Whether the edit (or one of its parts) touches `id`.
    pub fn touches(&self, id: &str) -> bool {
        self.ids.binary_search_by(|x| x.as_str().cmp(id)).is_ok()
            || self.then.iter().any(|p| p.touches(id))
    }

    /// The action applied to `id` by this step (the last part touching it).
    pub fn action_on(&self, id: &str) -> &Action {
        self.then
            .iter()
            .rev()
            .find(|p| p.touches(id))
            .map_or(&self.action, |p| p.action_on(id))
    }
}

fn set(state: &mut BTreeMap<String, SampleEdits>, id: &str, value: SampleEdits) {
    if value.is_untouched() {
        state.remove(id);
    } else {
        state.insert(id.to_string(), value);
    }
}
