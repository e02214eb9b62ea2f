//! Other prediction sets beside the main one (another model size, a quantised model, the model
//! after fine-tuning): a model added to compare runs in the background with its own progress and
//! Cancel, a predictions file loads at once. Each gets its metrics on the current labels, and
//! every pair (main first) its agreement, right/wrong table and McNemar's test.

use super::Session;
use super::parts::compare::ComparedInfo;
use crate::app::jobs::{CompareDone, Finished, JobKind};
use crate::eval::compare::{compare_pairs, distinct_names};
use crate::eval::{PredictionSet, compute_metrics, import_predictions};
use crate::jobs::JobControl;
use crate::model::footprint::{labelscope_exe, measure_footprint};
use crate::model::{BackendKind, PredictOptions, load_model, resolve_backend};
use std::path::Path;

impl Session {
    /// Loads a prediction file as one more compared set.
    pub fn import_comparison(&mut self, file: &Path) -> Result<(), String> {
        let (set, warnings) =
            import_predictions(file, &self.ws.dataset).map_err(|e| e.to_string())?;
        // Added to the first set's warnings, never replacing them.
        self.messages.notes.extend(warnings);
        self.compare.sets.push(set);
        self.compare.info.push(ComparedInfo {
            source: format!("imported from {}", file.display()),
            ..Default::default()
        });
        self.changed();
        self.refresh();
        Ok(())
    }

    /// Runs the model at `path` over the dataset in the background, to be compared with the
    /// current predictions when it finishes (cached results are reused).
    pub fn add_compare_model(&mut self, path: &Path, backend: BackendKind) {
        if self.predictions.set.is_none() {
            self.messages.error =
                Some("run a model or import predictions first, then add one to compare".into());
            return;
        }
        if self.jobs.is_running(JobKind::Compare) {
            self.messages.error = Some("a model is already being added to the comparison".into());
            return;
        }
        let model = match load_model(path) {
            Ok(m) => m,
            Err(e) => {
                self.messages.error = Some(format!("{}: {e}", path.display()));
                return;
            }
        };
        let main = self
            .compare
            .main_footprint
            .is_none()
            .then(|| self.predictions.model.clone())
            .flatten();
        let ws = self.ws.clone();
        let run = move |job: &JobControl| {
            let exe = labelscope_exe();
            let main_footprint = main.map(|m| measure_footprint(&m, backend, exe.as_deref()));
            let resolved = resolve_backend(backend, &model)?;
            let footprint = measure_footprint(&model, resolved.factory.kind(), exe.as_deref());
            let opts = PredictOptions::default();
            let run = ws.run_model(&model, &resolved, &opts, job, None)?;
            let mut set = run.set;
            set.source = model.onnx_path.display().to_string();
            Ok(CompareDone {
                set,
                source: run.report.backend.clone(),
                footprint: Some(footprint),
                threads: opts.threads,
                main_footprint,
            })
        };
        if let Err(e) = self.jobs.start(JobKind::Compare, move |job| {
            Finished::Compare(run(job).map(|d| vec![d]))
        }) {
            self.messages.error = Some(e);
        }
    }

    /// Removes compared set `k`.
    pub fn remove_comparison(&mut self, k: usize) {
        if k < self.compare.sets.len() {
            self.compare.sets.remove(k);
            self.compare.info.remove(k);
            self.changed();
            self.refresh();
        }
    }

    /// Runs the current model with every image first lowered to each of `sides` (longest side,
    /// [`crate::model::downsize`]), each image decoded once, as compared sets beside the main
    /// predictions (the image as it is): the resolution trade-off. Never cached.
    pub fn compare_resolutions(&mut self, sides: Vec<u32>, backend: BackendKind) {
        let Some(model) = self.predictions.model.clone() else {
            self.messages.error =
                Some("the resolution trade-off needs a model (File > Open model…)".into());
            return;
        };
        if sides.is_empty() || self.jobs.is_running(JobKind::Compare) {
            return;
        }
        let ws = self.ws.clone();
        let run = move |job: &JobControl| -> Result<Vec<CompareDone>, crate::jobs::JobError> {
            let resolved = resolve_backend(backend, &model)?;
            let sides: Vec<Option<u32>> = sides.into_iter().map(Some).collect();
            let opts = PredictOptions::default();
            let runs = ws.run_at_resolutions(&model, &resolved, &sides, &opts, job)?;
            Ok(runs
                .into_iter()
                .map(|(m, r)| CompareDone {
                    source: if m.spec.input == model.spec.input {
                        format!("{} (images lowered first)", r.report.backend)
                    } else {
                        format!(
                            "{} (images lowered first, run at {}x{} input)",
                            r.report.backend, m.spec.input.width, m.spec.input.height
                        )
                    },
                    set: r.set,
                    footprint: None,
                    threads: opts.threads,
                    main_footprint: None,
                })
                .collect())
        };
        if let Err(e) = self
            .jobs
            .start(JobKind::Compare, move |job| Finished::Compare(run(job)))
        {
            self.messages.error = Some(e);
        }
    }

    /// Adds the finished sets to the comparison (not when the job was cancelled).
    pub(crate) fn finish_comparison(
        &mut self,
        done: Result<Vec<CompareDone>, crate::jobs::JobError>,
        cancelled: bool,
    ) {
        match done {
            Ok(all) if !cancelled => {
                for added in all {
                    self.compare.sets.push(added.set);
                    self.compare.info.push(ComparedInfo {
                        metrics: None,
                        source: added.source,
                        footprint: added.footprint,
                        threads: Some(added.threads),
                    });
                    if added.main_footprint.is_some() {
                        self.compare.main_footprint = added.main_footprint;
                    }
                }
            }
            Ok(_) => self
                .messages
                .notes
                .push("adding to the comparison was cancelled".into()),
            Err(e) => self.messages.error = Some(e.to_string()),
        }
        self.changed();
        self.refresh();
    }

    /// Recomputes the compared sets' metrics and every pair.
    pub fn recompute_comparison(&mut self) {
        let c = &mut self.compare;
        for (set, info) in c.sets.iter().zip(&mut c.info) {
            info.metrics = Some(compute_metrics(
                &self.ws.dataset.classes,
                self.curation.truth(),
                set,
            ));
        }
        c.pairs.clear();
        c.names.clear();
        let Some(main) = &self.predictions.set else {
            return;
        };
        if c.sets.is_empty() {
            return;
        }
        let all: Vec<&PredictionSet> = std::iter::once(&**main).chain(&c.sets).collect();
        c.names = distinct_names(
            &all.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            &all.iter().map(|s| s.source.as_str()).collect::<Vec<_>>(),
        );
        // McNemar only: the paired bootstrap (in `evaluate`) would cost a second per edit at
        // 100k samples.
        c.pairs = compare_pairs(
            self.curation.truth(),
            &all,
            &c.names,
            self.ws.dataset.classes.len(),
            0,
            0,
        );
    }
}
