//! The labelling batch in the window: opened from a selection file (`labelscope select`'s CSV)
//! or from the samples tagged `to-label`; each decision is one journaled edit (a pool image is
//! added to the dataset by reference, a sample is relabeled; a negative is added with no label
//! or excluded as a negative); skips are not edits. The hints (the model's top 3, the nearest
//! labelled samples) come from a background job.

use std::path::PathBuf;
use std::sync::Arc;

use super::Session;
use super::parts::batch::{BatchItem, Decision, LabelBatch, TO_LABEL_TAG};
use crate::app::jobs::{Finished, JobKind};
use crate::curation::Action;
use crate::model::BackendKind;
use crate::select::labelling::{Hints, Labelled, Selected, hints, read_selection};

impl Session {
    /// Opens the images a selection CSV lists as the labelling batch (images that are samples
    /// of this dataset are labelled as samples).
    pub fn open_selection(&mut self, csv: &std::path::Path, backend: BackendKind) {
        match read_selection(csv) {
            Ok((selected, problems)) => {
                self.messages.notes.extend(problems.into_iter().take(5));
                if selected.is_empty() {
                    self.messages.error = Some(format!("{}: no images to label", csv.display()));
                    return;
                }
                let items = self.batch_items(selected);
                let name = csv.file_name().map_or_else(
                    || csv.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                self.start_batch(LabelBatch::new(name, items), backend);
            }
            Err(e) => self.messages.error = Some(format!("cannot read the selection: {e}")),
        }
    }

    /// Opens the image files window `k` of the device logs names outside the dataset as the
    /// labelling batch: each label adds the file by reference.
    pub fn open_logged_batch(&mut self, k: usize, backend: BackendKind) {
        let Some(selected) = self
            .monitor
            .as_ref()
            .and_then(|m| m.outside.get(k))
            .filter(|o| !o.is_empty())
            .cloned()
        else {
            self.messages.error =
                Some("this window's logs name no image outside the dataset".into());
            return;
        };
        let items = self.batch_items(selected);
        let n = items.len();
        self.start_batch(
            LabelBatch::new(format!("{n} logged images outside the dataset"), items),
            backend,
        );
    }

    /// Opens the samples tagged `to-label` as the labelling batch.
    pub fn open_tagged_batch(&mut self, backend: BackendKind) {
        let ds = &self.ws.dataset;
        let state = self.curation.state();
        let tagged: Vec<usize> = (0..ds.samples.len())
            .filter(|&i| {
                state
                    .get(&ds.samples[i].id.0)
                    .is_some_and(|e| e.tags.contains(TO_LABEL_TAG))
            })
            .collect();
        if tagged.is_empty() {
            self.messages.error = Some(format!(
                "no samples are tagged \"{TO_LABEL_TAG}\" (Monitor > To label, or T on marked samples)"
            ));
            return;
        }
        self.open_samples_batch(tagged, format!("samples tagged {TO_LABEL_TAG}"), backend);
    }

    /// Opens the marked samples, in the gallery's order, as the labelling batch.
    pub fn open_marked_batch(&mut self, backend: BackendKind) {
        let mut marked: Vec<usize> = self
            .view
            .order
            .iter()
            .copied()
            .filter(|i| self.view.marked.contains(i))
            .collect();
        // Marked samples the filter hides now come last.
        let mut rest: Vec<usize> = self
            .view
            .marked
            .iter()
            .copied()
            .filter(|i| !marked.contains(i))
            .collect();
        rest.sort_unstable();
        marked.extend(rest);
        if marked.is_empty() {
            self.messages.error = Some("mark samples first (Ctrl+click, Space)".into());
            return;
        }
        let source = format!("{} marked samples", marked.len());
        self.open_samples_batch(marked, source, backend);
    }

    /// Opens dataset samples as the labelling batch.
    fn open_samples_batch(&mut self, samples: Vec<usize>, source: String, backend: BackendKind) {
        let ds = &self.ws.dataset;
        let items: Vec<BatchItem> = samples
            .into_iter()
            .map(|i| BatchItem {
                path: ds.samples[i].path.clone(),
                sample: Some(i),
                id: Some(ds.samples[i].id.0.clone()),
                reason: None,
            })
            .collect();
        self.start_batch(LabelBatch::new(source, items), backend);
    }

    /// Batch items for `selected`: the dataset's sample when a path is one, else a pool file.
    fn batch_items(&self, selected: Vec<Selected>) -> Vec<BatchItem> {
        let ds = &self.ws.dataset;
        let paths: Vec<&PathBuf> = selected.iter().map(|s| &s.path).collect();
        let canonical: std::collections::HashMap<PathBuf, usize> = {
            let wanted: std::collections::HashSet<std::ffi::OsString> = paths
                .iter()
                .filter_map(|p| p.file_name().map(ToOwned::to_owned))
                .collect();
            ds.samples
                .iter()
                .enumerate()
                .filter(|(_, s)| s.path.file_name().is_some_and(|n| wanted.contains(n)))
                .filter_map(|(i, s)| Some((std::fs::canonicalize(&s.path).ok()?, i)))
                .collect()
        };
        selected
            .into_iter()
            .map(|Selected { path, reason }| {
                let abs = std::fs::canonicalize(&path).ok();
                let sample = abs.as_ref().and_then(|a| canonical.get(a).copied());
                BatchItem {
                    id: match sample {
                        Some(i) => Some(ds.samples[i].id.0.clone()),
                        None => abs.map(|a| a.to_string_lossy().into_owned()),
                    },
                    path,
                    sample,
                    reason,
                }
            })
            .collect()
    }

    /// Shows `batch` and starts its hints job (with the main model, when there is one).
    fn start_batch(&mut self, batch: LabelBatch, backend: BackendKind) {
        let paths: Vec<PathBuf> = batch.items.iter().map(|i| i.path.clone()).collect();
        self.batch = Some(batch);
        self.messages.error = None;
        let Some(model) = self.predictions.model.clone() else {
            if let Some(b) = &mut self.batch {
                b.hints_note = Some("no model: open one to see its top labels here".into());
            }
            return;
        };
        let same_model = self.embeddings.embedder.is_none();
        let set = self.embeddings.set.clone().filter(|_| same_model);
        let truth = self.curation.truth().to_vec();
        let classes = self.ws.dataset.classes.clone();
        let started = self.jobs.start(JobKind::Hints, move |job| {
            job.begin_stage("reading the batch's images", paths.len());
            let result = crate::model::resolve_backend(backend, &model)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    let labelled = set.as_deref().map(|set| Labelled { set, truth: &truth });
                    hints(&paths, &classes, &model, &b, labelled, job).map_err(|e| e.to_string())
                });
            Finished::Hints(paths, result)
        });
        if let Err(e) = started
            && let Some(b) = &mut self.batch
        {
            b.hints_note = Some(e);
        }
    }

    /// Keeps the hints of the batch they were made for.
    pub(crate) fn finish_hints(&mut self, paths: Vec<PathBuf>, result: Result<Vec<Hints>, String>) {
        let Some(b) = &mut self.batch else { return };
        if b.items.iter().map(|i| &i.path).ne(paths.iter()) {
            return;
        }
        match result {
            Ok(h) => {
                b.hints = h.into_iter().map(Some).collect();
                if self.embeddings.set.is_none() {
                    b.hints_note = Some(
                        "no nearest labelled samples: the dataset has no embeddings yet".into(),
                    );
                }
            }
            Err(e) => b.hints_note = Some(format!("no hints: {e}")),
        }
    }

    /// Decides the shown item: a label, a negative or a skip; a label or a negative is one
    /// journaled edit.
    pub fn batch_decide(&mut self, decision: Decision) {
        let Some(b) = &self.batch else { return };
        let Some(item) = b.items.get(b.cursor).cloned() else {
            return;
        };
        let ds = self.ws.dataset.clone();
        let result = match (&decision, item.sample) {
            (Decision::Skip, _) => Ok(None),
            (Decision::Label(l), Some(i)) => self
                .curation
                .edit(
                    &ds,
                    &[i],
                    Action::Relabel {
                        label: Some(l.clone()),
                    },
                )
                .map(Some),
            (Decision::Negative, Some(i)) => self
                .curation
                .edit(&ds, &[i], crate::curation::added::negative_exclusion())
                .map(Some),
            (Decision::Label(l), None) => self
                .curation
                .add(&ds, std::slice::from_ref(&item.path), Some(l.clone()))
                .map(Some),
            (Decision::Negative, None) => self
                .curation
                .add(&ds, std::slice::from_ref(&item.path), None)
                .map(Some),
        };
        let journaled = match result {
            Ok(None) => false,
            Ok(Some(true)) => true,
            Ok(Some(false)) => {
                self.messages.error = Some("editing is off for this dataset".into());
                return;
            }
            Err(e) => {
                self.messages.error = Some(format!("not saved: {e}"));
                return;
            }
        };
        if let Some(b) = &mut self.batch {
            if journaled && item.sample.is_none() && matches!(decision, Decision::Label(_)) {
                b.added += 1;
            }
            b.record(decision, journaled);
        }
        if journaled {
            self.changed();
            self.refresh();
        }
    }

    /// Takes back the batch's latest decision (undoing its edit).
    pub fn batch_undo(&mut self) {
        let Some(b) = &mut self.batch else { return };
        let added = b.history.last().is_some_and(|&(k, _)| {
            b.items[k].sample.is_none() && matches!(b.decided[k], Some(Decision::Label(_)))
        });
        let Some(journaled) = b.take_back() else {
            self.messages.error = Some("nothing to undo in this batch".into());
            return;
        };
        if added {
            b.added = b.added.saturating_sub(1);
        }
        if journaled {
            self.undo_redo(false);
        }
    }

    /// Shows another item of the batch (`delta` items on, wrapping).
    pub fn batch_step(&mut self, delta: isize) {
        if let Some(b) = &mut self.batch {
            let n = b.items.len() as isize;
            if n > 0 {
                b.cursor = (b.cursor as isize + delta).rem_euclid(n) as usize;
            }
        }
    }

    /// The model that gave this session's predictions (kept when the dataset is opened again).
    pub fn model(&self) -> Option<Arc<crate::model::LoadedModel>> {
        self.predictions.model.clone()
    }
}
