//! One open dataset in the window: its [`Workspace`] (the dataset, its state folder and the core
//! verbs every job calls) and its owned parts (`parts/`: edits, predictions
//! and metrics, the gallery's view, problems, comparison, embeddings, messages). The `impl
//! Session` files beside this one are the actions that touch several parts; derived state is
//! made in [`Session::refresh`]. No drawing here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod calibrate;
mod compare;
mod edits;
mod embed;
mod inputs;
mod labelling;
mod map;
mod monitor;
pub mod parts;
mod predict;
mod problems;
mod vlm;

pub use parts::batch::{BatchItem, Decision, LabelBatch, TO_LABEL_TAG};
pub use parts::compare::{CompareState, ComparedInfo};
pub use parts::edits::{CONFIRM_ABOVE, EditState, ReadOnly};
pub use parts::embeddings::EmbeddingState;
pub use parts::log::SessionLog;
pub use parts::map::MapState;
pub use parts::messages::Messages;
pub use parts::predict_job::PredictStream;
pub use parts::predictions::PredictionState;
pub use parts::problems::ProblemState;
pub use parts::view::ViewState;

use super::sample_query::{Filter, OrderInputs, SortKey, ViewInputs, can_order_apart, reads_edits};
use crate::app::chart_data::ChartData;
use crate::app::jobs::{JobKind, Jobs, PredictDone};
use crate::curation::CurationState;
use crate::dataset::{Dataset, OpenOptions};
use crate::eval::compute_metrics;
use crate::workspace::Workspace;

/// The state of one open dataset: the dataset and its owned parts. Derived state (labels
/// from edits in [`EditState`]; metrics, charts and the gallery order in [`Session::refresh`])
/// is computed in one place each.
pub struct Session {
    /// The dataset and the verbs over it (runs, problem stages, edits, export), shared with
    /// the CLI.
    pub ws: Workspace,
    /// The edits and the labels they give.
    pub curation: EditState,
    /// The main predictions, their run and their metrics.
    pub predictions: PredictionState,
    /// The gallery's filter, sort, order and selection.
    pub view: ViewState,
    /// Problems found (image checks and label issues).
    pub problems: ProblemState,
    /// Other prediction sets (models, files) compared with the main one.
    pub compare: CompareState,
    /// The embeddings of the last model run (find similar, the map).
    pub embeddings: EmbeddingState,
    /// Notes, errors and notices, and their log.
    pub messages: Messages,
    /// Bumped whenever labels, edits or predictions change (for views that cache derived data).
    pub revision: u64,
    /// Device logs judged against this dataset (File > Open device logs).
    pub monitor: Option<crate::app::jobs::MonitorDone>,
    /// How the device logs are cut (window length, split), for the next monitor run.
    pub monitor_options: crate::monitor::MonitorOptions,
    /// The device logs last opened (run again when the options change).
    pub monitor_logs: Vec<std::path::PathBuf>,
    /// The work running off the UI thread for this dataset (dropped with it: a new dataset
    /// never receives the old one's results).
    pub jobs: Jobs,
    /// The labelling batch, when one is open (the Label view).
    pub batch: Option<LabelBatch>,
}

impl Session {
    /// Opens the dataset at `path`.
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<Self, String> {
        let ws = Workspace::open(path, opts).map_err(|e| e.to_string())?;
        let mut session = Self::from_workspace(ws);
        let file = session.ws.state_dir().map(|d| d.join(parts::log::LOG_FILE));
        session.messages.log = SessionLog::new(file);
        session.open_curation();
        Ok(session)
    }

    /// A session on an already opened dataset.
    pub fn from_dataset(dataset: Dataset) -> Self {
        Self::from_workspace(Workspace::new(dataset))
    }

    /// A session on a workspace.
    pub fn from_workspace(ws: Workspace) -> Self {
        let dataset = &ws.dataset;
        Self {
            curation: EditState::new(dataset),
            predictions: PredictionState::default(),
            view: ViewState::new(dataset.samples.len()),
            problems: Default::default(),
            compare: Default::default(),
            embeddings: Default::default(),
            messages: Default::default(),
            revision: 0,
            jobs: Jobs::default(),
            monitor: None,
            monitor_options: Default::default(),
            monitor_logs: Vec::new(),
            batch: None,
            ws,
        }
    }

    /// Per frame: drains streamed results for at most `budget`, refreshes the gallery order
    /// and (throttled) the metrics. Returns whether anything changed. (Finished jobs are
    /// collected by the app, which applies each where it belongs.)
    pub fn poll(&mut self, budget: Duration) -> bool {
        let changed = self.drain_stream(Some(Instant::now() + budget));
        if changed {
            self.changed();
        }
        self.refresh();
        self.messages.collect();
        changed
    }

    /// The jobs that finished since the last call; the prediction job only once every entry
    /// it streamed is shown.
    pub fn finished_jobs(&mut self) -> Vec<crate::app::jobs::Done> {
        let streaming = self
            .predictions
            .stream
            .as_ref()
            .is_some_and(|s| !s.results.is_empty());
        self.jobs.finished(|k| k == JobKind::Predict && streaming)
    }

    /// Moves streamed entries of the running prediction job into the shown set, until
    /// `deadline` (all of them when `None`). Returns whether any arrived.
    fn drain_stream(&mut self, deadline: Option<Instant>) -> bool {
        let (Some(stream), Some(preds)) = (&mut self.predictions.stream, &mut self.predictions.set)
        else {
            return false;
        };
        let mut changed = stream.write_held(preds, false);
        while let Ok((i, entry)) = stream.results.try_recv() {
            // Until its first answer the run fills its own set behind the last results.
            changed |= match stream.fresh.as_mut() {
                Some(fresh) => {
                    let answered = matches!(entry, crate::eval::Entry::Predicted(_));
                    fresh.entries[i] = entry;
                    if answered && let Some(f) = stream.fresh.take() {
                        *preds = Arc::new(f);
                    }
                    true
                }
                None => stream.write(preds, i, entry),
            };
            if deadline.is_some_and(|d| Instant::now() > d) {
                break;
            }
        }
        changed
    }

    /// Applies the end of the prediction job: the run's details, or the predictions from
    /// before it when it failed.
    pub(crate) fn finish_prediction(&mut self, done: Result<PredictDone, crate::jobs::JobError>) {
        self.drain_stream(None);
        let Some(mut stream) = self.predictions.stream.take() else {
            return;
        };
        let Some(preds) = &mut self.predictions.set else {
            return;
        };
        stream.write_held(preds, true);
        match done {
            Ok(PredictDone::Set(set, backend)) => {
                *preds = Arc::new(set);
                self.predictions.backend = Some(backend);
                self.predictions.backend_hint = None;
            }
            Ok(PredictDone::Model(report, hint, gathered)) => {
                if self.embeddings.embedder.is_none() {
                    self.embeddings.install(gathered);
                }
                let preds = Arc::make_mut(preds);
                preds.source = report.backend.clone();
                preds.elapsed_secs = Some(report.elapsed_secs);
                preds.num_cached = report.num_cached;
                preds.num_inferred = report.num_inferred;
                self.predictions.backend = Some(report.backend.clone());
                self.predictions.backend_hint = (!hint.is_empty()).then_some(hint);
                self.messages
                    .notes
                    .extend(report.mapping.notes.iter().cloned());
            }
            Err(e) => {
                if let Some(before) = stream.previous.take() {
                    *preds = before.preds.unwrap_or_else(|| preds.clone());
                    self.predictions.model = before.model;
                    self.predictions.vlm = before.vlm;
                    self.predictions.backend = before.backend;
                    self.messages
                        .notes
                        .push("the run failed: the predictions from before it are kept".into());
                }
                self.messages.error = Some(e.to_string());
            }
        }
        self.predictions.revision += 1;
        self.predictions.last_metrics = Instant::now() - Duration::from_secs(1);
        self.changed();
    }

    /// Marks the gallery order as stale.
    pub fn mark_order_dirty(&mut self) {
        self.view.dirty = true;
    }

    /// Marks order and metrics as stale.
    pub fn changed(&mut self) {
        self.revision += 1;
        self.view.dirty = true;
        self.predictions.dirty = true;
    }

    /// Recomputes what is stale, the one place derived state is made. With no job running,
    /// everything at once. While results stream in, the order at most 4 times a second and the
    /// metrics at most every 250 ms or 10x their own cost (so a 100k-sample dataset spends under
    /// a tenth of the UI thread on them); label issues only when the job is done (they are
    /// meaningless on a partial set).
    pub fn refresh(&mut self) {
        let running = self.predictions.stream.is_some();
        if self.predictions.metrics_due() {
            let started = Instant::now();
            let truth = self.curation.truth();
            let p = &mut self.predictions;
            if let Some(preds) = &p.set {
                let classes = &self.ws.dataset.classes;
                p.metrics = Some(compute_metrics(classes, truth, preds));
                p.charts = Some(ChartData::compute(
                    &self.ws.dataset,
                    truth,
                    preds,
                    self.curation.state(),
                ));
                p.metrics_before = self.curation.is_edited().then(|| {
                    let original: Vec<_> = self
                        .ws
                        .dataset
                        .samples
                        .iter()
                        .map(|s| Some(s.label))
                        .collect();
                    compute_metrics(classes, &original, preds)
                });
            }
            if !running {
                self.recompute_label_issues();
            }
            self.recompute_comparison();
            self.predictions.dirty = false;
            self.predictions.last_metrics = Instant::now();
            self.predictions.metrics_cost = started.elapsed();
        }
        let order_due = !running || self.view.last_refresh.elapsed() > Duration::from_millis(250);
        if self.view.dirty && order_due {
            self.request_order(false);
        }
        self.view.poll();
    }

    /// Recomputes the gallery order (filter and sort), keeping the selected sample: past
    /// [`ViewState::apart_above`] samples on a thread of its own (the old order stays shown
    /// until the new one is in, so no frame waits for a million samples to be sorted), else
    /// now. `keep_first`: the first sample is selected when the selected one leaves the order.
    pub(crate) fn request_order(&mut self, keep_first: bool) {
        let apart = self.ws.dataset.samples.len() > self.view.apart_above
            && can_order_apart(&self.view.filter);
        if apart {
            let edits = if reads_edits(&self.view.filter, self.view.sort) {
                self.curation.state().clone()
            } else {
                CurationState::default()
            };
            let inputs = OrderInputs {
                ds: self.ws.dataset.clone(),
                truth: self.curation.shared_truth(),
                preds: self.predictions.set.clone(),
                edits,
                problems: self.problems.index.clone(),
            };
            if self
                .view
                .start(inputs, keep_first, self.jobs.wake())
                .is_ok()
            {
                return;
            }
        }
        let had = self.view.selected().is_some();
        self.refresh_order();
        if keep_first && had && self.view.cursor.is_none() && !self.view.order.is_empty() {
            self.view.cursor = Some(0);
        }
    }

    /// Recomputes the gallery order now (filter and sort), keeping the selected sample (for
    /// an edit or a jump to a sample, which place the selection in the new order at once).
    pub(crate) fn refresh_order(&mut self) {
        self.view.refresh(ViewInputs {
            ds: &self.ws.dataset,
            truth: self.curation.truth(),
            preds: self.predictions.set.as_deref(),
            edits: self.curation.state(),
            problems: Some(&self.problems.index),
            compare: &self.compare.sets,
            embeddings: self.embeddings.set.as_deref(),
        });
    }

    /// Sets the filter (recomputing the order, at once). The first sample is selected when
    /// the selected one leaves the order.
    pub fn set_filter(&mut self, filter: Filter) {
        if filter != self.view.filter {
            self.view.filter = filter;
            self.request_order(true);
        }
    }

    /// Sets the sort key (in its own direction).
    pub fn set_sort(&mut self, sort: SortKey) {
        if sort != self.view.sort || self.view.sort_reversed {
            self.view.sort = sort;
            self.view.sort_reversed = false;
            self.request_order(false);
        }
    }

    /// Sorts by a table column: its key, or the same key turned round when it is the current
    /// one.
    pub fn sort_by_column(&mut self, sort: SortKey) {
        if sort == self.view.sort {
            self.view.sort_reversed = !self.view.sort_reversed;
        } else {
            self.view.sort = sort;
            self.view.sort_reversed = false;
        }
        self.request_order(false);
    }
}

/// The bundled sample: dataset and model paths, looked up from the working folder, then the
/// source tree the binary was built from.
pub fn bundled_sample() -> Option<(PathBuf, PathBuf)> {
    let candidates = [
        PathBuf::from("."),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    ];
    candidates.iter().find_map(|base| {
        let data = base.join("sample_data/fashion");
        let model = base.join("assets/models/fashion_cnn.onnx");
        (data.is_dir() && model.is_file()).then_some((data, model))
    })
}
