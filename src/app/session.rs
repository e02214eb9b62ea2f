//! One open dataset in the window: the dataset, the model, predictions as they stream in,
//! metrics, the gallery's filter/sort/order and the selection. No drawing here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::gallery_view::{Filter, SortKey, ViewInputs, visible_order};
pub(super) use super::predict_job::Previous;
pub use super::predict_job::{JobOutcome, RunningPredict};
use crate::dataset::{Dataset, OpenOptions, open_dataset};
use crate::eval::{Entry, Metrics, PredictionSet, compute_metrics, import_predictions};
use crate::jobs::JobControl;
use crate::model::{BackendKind, LoadedModel, SampleOutcome, load_model};

/// The state of one open dataset.
pub struct Session {
    /// The dataset.
    pub dataset: Arc<Dataset>,
    /// The model, once chosen.
    pub model: Option<Arc<LoadedModel>>,
    /// The VLM endpoint the current predictions come from, when not a model.
    pub vlm: Option<crate::vlm::VlmConfig>,
    /// Predictions (filled in as they arrive).
    pub preds: Option<PredictionSet>,
    /// Metrics of `preds`, recomputed when they change (throttled while a job runs).
    pub metrics: Option<Metrics>,
    /// The running prediction job.
    pub job: Option<RunningPredict>,
    /// Backend description of the last run ("tract-onnx ...", "onnxruntime ...").
    pub backend: Option<String>,
    /// Advice about the backend (how to get ONNX Runtime).
    pub backend_hint: Option<String>,
    /// Notes about the model or mapping (assumptions, unmapped labels).
    pub notes: Vec<String>,
    /// Last error of a background job, with the path.
    pub error: Option<String>,
    /// Gallery filter.
    pub filter: Filter,
    /// Gallery sort.
    pub sort: SortKey,
    /// The sort's order turned round (a second click on a table header).
    pub sort_reversed: bool,
    /// Visible sample indices in gallery order.
    pub order: Vec<usize>,
    /// Position of the selected sample in `order`.
    pub cursor: Option<usize>,
    /// The edit journal, when the dataset could be opened for editing.
    pub curator: Option<crate::curation::Curator>,
    /// When another labelscope holds the edit lock: its edits, shown read-only, and why.
    pub read_only: Option<super::session_edits::ReadOnly>,
    /// Effective label per sample (`None` = excluded).
    pub truth: Vec<Option<crate::dataset::ClassId>>,
    /// Metrics against the original labels, when there are edits.
    pub metrics_before: Option<Metrics>,
    /// Chart inputs, recomputed with the metrics.
    pub charts: Option<super::chart_data::ChartData>,
    /// Exclusion reason remembered for this session (`X` asks once).
    pub exclude_reason: Option<String>,
    /// Multi-selection (sample indices, kept across filter changes); edits apply to it when
    /// it is not empty, else to the selected sample.
    pub marked: std::collections::BTreeSet<usize>,
    /// Bumped whenever labels, edits or predictions change (for views that cache derived data).
    pub revision: u64,
    /// Bumped whenever the curation edits change (labels, exclusions, tags), not predictions.
    pub edits_revision: u64,
    /// Bumped whenever a prediction run finishes or predictions are imported (the embedding
    /// analysis runs again).
    pub preds_revision: u64,
    /// Problems found (image checks and label issues).
    pub problems: super::session_problems::ProblemState,
    /// Other prediction sets (models, files) compared with `preds`.
    pub compare: super::session_compare::CompareState,
    /// The embeddings of the last model run (find similar, the map).
    pub embeddings: super::session_embed::EmbeddingState,
    /// A short notice about the last edit or undo, and when it was given.
    pub toast: Option<(String, Instant)>,
    /// Every warning and error shown in this session (View > Log, `labelscope.log`).
    pub log: super::session_log::SessionLog,
    order_dirty: bool,
    metrics_dirty: bool,
    last_metrics: Instant,
    /// How long the last metrics recompute took (sets the interval while a job streams in).
    metrics_cost: Duration,
    last_order: Instant,
}

impl Session {
    /// Opens the dataset at `path`.
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<Self, String> {
        let dataset = open_dataset(path, opts).map_err(|e| e.to_string())?;
        let mut session = Self::from_dataset(dataset);
        let file = crate::state::state_dir(&session.dataset.root)
            .ok()
            .map(|d| d.join(super::session_log::LOG_FILE));
        session.log = super::session_log::SessionLog::new(file);
        session.open_curation();
        Ok(session)
    }

    /// A session on an already opened dataset.
    pub fn from_dataset(dataset: Dataset) -> Self {
        let order = (0..dataset.samples.len()).collect();
        let truth = dataset.samples.iter().map(|s| Some(s.label)).collect();
        Self {
            curator: None,
            read_only: None,
            truth,
            metrics_before: None,
            charts: None,
            exclude_reason: None,
            marked: Default::default(),
            revision: 0,
            edits_revision: 0,
            preds_revision: 0,
            problems: Default::default(),
            compare: Default::default(),
            embeddings: Default::default(),
            toast: None,
            log: Default::default(),
            dataset: Arc::new(dataset),
            model: None,
            vlm: None,
            preds: None,
            metrics: None,
            job: None,
            backend: None,
            backend_hint: None,
            notes: Vec::new(),
            error: None,
            filter: Filter::default(),
            sort: SortKey::default(),
            sort_reversed: false,
            order,
            cursor: None,
            order_dirty: false,
            metrics_dirty: false,
            last_metrics: Instant::now(),
            metrics_cost: Duration::ZERO,
            last_order: Instant::now(),
        }
    }

    /// Shows `text` briefly at the bottom of the window.
    pub fn notify(&mut self, text: String) {
        self.toast = Some((text, Instant::now()));
    }

    /// The selected sample index, if any.
    pub fn selected(&self) -> Option<usize> {
        self.cursor.and_then(|c| self.order.get(c).copied())
    }

    /// Loads the model at `path` (an `.onnx` or a spec `.json`).
    pub fn set_model(&mut self, path: &Path) -> Result<(), String> {
        let model = load_model(path).map_err(|e| e.to_string())?;
        self.notes = model.notes.clone();
        self.model = Some(Arc::new(model));
        self.vlm = None;
        Ok(())
    }

    /// Loads predictions made elsewhere.
    pub fn import(&mut self, file: &Path) -> Result<(), String> {
        let (set, warnings) = import_predictions(file, &self.dataset).map_err(|e| e.to_string())?;
        self.notes = warnings;
        self.backend = Some(format!("imported from {}", file.display()));
        self.vlm = None;
        self.preds = Some(set);
        self.preds_revision += 1;
        self.changed();
        Ok(())
    }

    /// Starts predicting with the current model on a background thread; `wake` requests a repaint.
    pub fn start_prediction(
        &mut self,
        backend: BackendKind,
        use_cache: bool,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) {
        let Some(model) = self.model.clone() else {
            self.error = Some("choose a model first".into());
            return;
        };
        self.cancel();
        let n = self.dataset.samples.len();
        self.preds = Some(PredictionSet::empty(&model.spec.name, "", n));
        self.error = None;
        let dataset = self.dataset.clone();
        let run = move |tx: &crossbeam_channel::Sender<(usize, Entry)>, job: &JobControl| {
            let n = dataset.classes.len();
            let stream = |i: usize, outcome: &SampleOutcome| {
                let _ = tx.send((i, Entry::from_outcome(outcome, n, &model.model_labels)));
            };
            let (report, b) = super::session_embed::run_keeping_embeddings(
                &dataset,
                &model,
                backend,
                use_cache,
                job,
                Some(&stream),
            )?;
            let gathered = super::session_embed::gather(&report, b.factory.embedding());
            Ok(JobOutcome::Model(
                report,
                b.hint.unwrap_or_default(),
                gathered,
            ))
        };
        self.install_job(RunningPredict::spawn("predict-job", wake, None, run));
    }

    /// Keeps the job whose thread started, or shows why it could not start.
    pub(super) fn install_job(&mut self, started: std::io::Result<RunningPredict>) {
        match started {
            Ok(job) => self.job = Some(job),
            Err(e) => self.error = Some(format!("cannot start the job's thread: {e}")),
        }
    }

    /// Asks the running job to stop.
    pub fn cancel(&mut self) {
        if let Some(job) = &self.job {
            job.work.control.cancel();
        }
    }

    /// Per frame: drains streamed results for at most `budget`, finishes the job, refreshes the
    /// gallery order and (throttled) the metrics. Returns whether anything changed.
    pub fn poll(&mut self, budget: Duration) -> bool {
        let started = Instant::now();
        let mut changed = false;
        if let (Some(job), Some(preds)) = (&mut self.job, &mut self.preds) {
            while let Ok((i, entry)) = job.results.try_recv() {
                preds.entries[i] = entry;
                changed = true;
                if started.elapsed() > budget {
                    break;
                }
            }
            if job.results.is_empty()
                && let Some(done) = job.work.poll()
            {
                match done {
                    Ok(JobOutcome::Set(set, backend)) => {
                        *preds = set;
                        self.backend = Some(backend);
                        self.backend_hint = None;
                    }
                    Ok(JobOutcome::Model(report, hint, gathered)) => {
                        if self.embeddings.embedder.is_none() {
                            self.embeddings.install(gathered);
                        }
                        preds.source = report.backend.clone();
                        preds.elapsed_secs = Some(report.elapsed_secs);
                        preds.num_cached = report.num_cached;
                        preds.num_inferred = report.num_inferred;
                        self.backend = Some(report.backend.clone());
                        self.backend_hint = (!hint.is_empty()).then_some(hint);
                        self.notes.extend(report.mapping.notes.iter().cloned());
                    }
                    Err(e) => {
                        if let Some(before) = job.previous.take() {
                            *preds = before.preds.unwrap_or_else(|| preds.clone());
                            self.model = before.model;
                            self.vlm = before.vlm;
                            self.backend = before.backend;
                            self.notes.push(
                                "the run failed: the predictions from before it are kept".into(),
                            );
                        }
                        self.error = Some(e.to_string());
                    }
                }
                self.notes.extend(job.work.control.take_notes());
                self.job = None;
                self.preds_revision += 1;
                changed = true;
                self.metrics_dirty = true;
                self.last_metrics = Instant::now() - Duration::from_secs(1);
            }
        }
        if changed {
            self.changed();
        }
        changed |= self.poll_scan();
        changed |= self.poll_comparison();
        self.refresh();
        self.log.collect(&self.notes, self.error.as_ref());
        changed
    }

    /// Marks the gallery order as stale.
    pub fn mark_order_dirty(&mut self) {
        self.order_dirty = true;
    }

    /// Marks order and metrics as stale.
    pub fn changed(&mut self) {
        self.revision += 1;
        self.order_dirty = true;
        self.metrics_dirty = true;
    }

    /// Recomputes what is stale. With no job running, everything at once. While results stream
    /// in, the order at most 4 times a second and the metrics at most every 250 ms or 10x their
    /// own cost (so a 100k-sample dataset spends under a tenth of the UI thread on them); label
    /// issues only when the job is done (they are meaningless on a partial set).
    pub fn refresh(&mut self) {
        let running = self.job.is_some();
        let interval = Duration::from_millis(250).max(self.metrics_cost * 10);
        let due = !running || self.last_metrics.elapsed() > interval;
        if self.metrics_dirty && due {
            let started = Instant::now();
            if let Some(preds) = &self.preds {
                self.metrics = Some(compute_metrics(&self.dataset.classes, &self.truth, preds));
                self.charts = Some(super::chart_data::ChartData::compute(
                    &self.dataset,
                    &self.truth,
                    preds,
                    self.edits(),
                ));
                let edited = self
                    .curator
                    .as_ref()
                    .is_some_and(|c| !c.state().samples().is_empty());
                self.metrics_before = edited.then(|| {
                    let original: Vec<_> =
                        self.dataset.samples.iter().map(|s| Some(s.label)).collect();
                    compute_metrics(&self.dataset.classes, &original, preds)
                });
            }
            if !running {
                self.recompute_label_issues();
            }
            self.recompute_comparison();
            self.metrics_dirty = false;
            self.last_metrics = Instant::now();
            self.metrics_cost = started.elapsed();
        }
        if self.order_dirty && (!running || self.last_order.elapsed() > Duration::from_millis(250))
        {
            self.refresh_order();
        }
    }

    /// Recomputes the gallery order now (filter and sort), keeping the selected sample.
    pub(super) fn refresh_order(&mut self) {
        let selected = self.selected();
        let inputs = ViewInputs {
            ds: &self.dataset,
            truth: &self.truth,
            preds: self.preds.as_ref(),
            edits: self.edits(),
            problems: Some(&self.problems.index),
            compare: &self.compare.sets,
            embeddings: self.embeddings.set.as_deref(),
        };
        self.order = visible_order(inputs, &self.filter, self.sort);
        if self.sort_reversed && self.filter.similar.is_none() {
            self.order.reverse();
        }
        self.cursor = selected.and_then(|s| self.order.iter().position(|&i| i == s));
        self.order_dirty = false;
        self.last_order = Instant::now();
    }

    /// Sets the filter (recomputing the order).
    pub fn set_filter(&mut self, filter: Filter) {
        if filter != self.filter {
            self.filter = filter;
            self.refresh_order();
        }
    }

    /// Sets the sort key (in its own direction).
    pub fn set_sort(&mut self, sort: SortKey) {
        if sort != self.sort || self.sort_reversed {
            self.sort = sort;
            self.sort_reversed = false;
            self.refresh_order();
        }
    }

    /// Sorts by a table column: its key, or the same key turned round when it is the current
    /// one.
    pub fn sort_by_column(&mut self, sort: SortKey) {
        if sort == self.sort {
            self.sort_reversed = !self.sort_reversed;
        } else {
            self.sort = sort;
            self.sort_reversed = false;
        }
        self.refresh_order();
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
