//! The export dialog's state: options as the user sets them, a preview of the plan (counts per
//! class per split, recomputed when the options or the edits change), and the export job
//! running on a background thread with progress and cancel.

use std::path::PathBuf;

use super::jobs::{Finished, JobKind};
use super::session::Session;
use crate::export::{
    Balance, ExportFormat, ExportOptions, ExportPlan, LinkMode, PlanOptions, SplitConfig,
    VlmOptions, plan_export,
};
use crate::problems::DEFAULT_NEAR_DISTANCE;

/// The export dialog.
pub struct ExportDialog {
    /// Target folder as typed.
    pub out: String,
    /// "Choose…" found no folder dialog on this system: the field says to type the folder.
    pub no_dialog: bool,
    /// Validation fraction.
    pub val: f64,
    /// Test fraction.
    pub test: f64,
    /// Seed.
    pub seed: u64,
    /// Formats chosen (parallel to [`ExportFormat::ALL`]).
    pub formats: [bool; ExportFormat::COUNT],
    /// Link mode.
    pub link: LinkMode,
    /// Keep the dataset's splits.
    pub keep_splits: bool,
    /// Imbalance handling.
    pub balance: Balance,
    /// Soft labels in the manifests.
    pub probs: bool,
    /// The distillation temperature of the soft labels, when a model made the predictions
    /// (it is then the teacher the report names).
    pub temperature: f64,
    /// VLM answers as JSON.
    pub vlm_json: bool,
    /// Replace a non-empty target.
    pub force: bool,
    /// Keep duplicates together.
    pub duplicates: bool,
    /// Plan preview and the (options, edits revision) it was computed for.
    pub preview: Option<(PlanOptions, u64, ExportPlan)>,
    /// Outcome of the last export: a summary or an error.
    pub result: Option<Result<String, String>>,
}

impl ExportDialog {
    /// A dialog with the defaults (90/10, seed 42, ImageFolder + CSV + Parquet, copies) and a
    /// target beside the dataset.
    pub fn new(s: &Session) -> Self {
        let root = &s.ws.dataset.root;
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dataset".into());
        let out = root.parent().unwrap_or(root).join(format!("{name}-export"));
        Self {
            out: out.display().to_string(),
            no_dialog: false,
            val: 0.1,
            test: 0.0,
            seed: 42,
            formats: ExportFormat::ALL.map(ExportFormat::selected_by_default),
            link: LinkMode::Copy,
            keep_splits: false,
            balance: Balance::None,
            probs: false,
            temperature: 1.0,
            vlm_json: true,
            force: false,
            duplicates: true,
            preview: None,
            result: None,
        }
    }

    /// The plan options as set.
    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            split: SplitConfig {
                val: self.val,
                test: self.test,
                seed: self.seed,
            },
            keep_splits: self.keep_splits,
            balance: self.balance,
        }
    }

    /// Recomputes the preview when the options or the edits changed (not on every prediction
    /// that streams in: the plan does not depend on predictions). The preview ignores
    /// duplicate groups (found when the export runs), so counts can move by a few samples.
    pub fn refresh_preview(&mut self, s: &Session) {
        let opts = self.plan_options();
        let fresh = self
            .preview
            .as_ref()
            .is_some_and(|(o, rev, _)| *o == opts && *rev == s.curation.revision());
        if !fresh {
            let plan = plan_export(&s.ws.dataset, s.curation.state(), &[], &opts);
            self.preview = Some((opts, s.curation.revision(), plan));
        }
    }

    /// Why the options cannot be used, if so.
    pub fn invalid(&self) -> Option<String> {
        if self.out.trim().is_empty() {
            return Some("choose a target folder".into());
        }
        if !(0.0..1.0).contains(&self.val) || !(0.0..1.0).contains(&self.test) {
            return Some("fractions must be in [0, 1)".into());
        }
        if self.val + self.test >= 1.0 {
            return Some("validation and test leave nothing for train".into());
        }
        if !self.formats.iter().any(|&f| f) {
            return Some("choose at least one format".into());
        }
        if !(self.temperature > 0.0 && self.temperature.is_finite()) {
            return Some("the temperature must be above 0".into());
        }
        None
    }

    /// Starts the export on a background thread.
    pub fn start(&mut self, s: &mut Session) {
        if let Some(why) = self.invalid() {
            self.result = Some(Err(why));
            return;
        }
        let mut opts = ExportOptions::new(PathBuf::from(self.out.trim()));
        opts.formats = ExportFormat::ALL
            .into_iter()
            .zip(self.formats)
            .filter_map(|(f, on)| on.then_some(f))
            .collect();
        opts.link = self.link;
        opts.force = self.force;
        opts.inputs = s.inputs();
        opts.probs = self.probs;
        // With a model's predictions, the soft labels are that model's as a teacher, at the
        // distillation temperature (the report names it), as `export --soft-labels` writes them.
        if let (true, Some(model), Some(set)) = (self.probs, s.model(), &s.predictions.set) {
            opts.soft_labels = Some(crate::export::SoftLabels::new(
                (**set).clone(),
                &model,
                self.temperature,
            ));
        }
        opts.vlm = VlmOptions {
            answer_json: self.vlm_json,
            ..VlmOptions::default()
        };
        let plan_opts = self.plan_options();
        let near = self.duplicates.then_some(DEFAULT_NEAR_DISTANCE);
        let (ws, edits, preds) = (
            s.ws.clone(),
            s.curation.state().clone(),
            s.predictions.set.clone(),
        );
        // Semantic near duplicates found by the embedding checks stay together too.
        opts.semantic_groups = if self.duplicates {
            s.problems
                .embedding
                .iter()
                .filter_map(|f| f.other.map(|o| vec![o, f.sample]))
                .collect()
        } else {
            Vec::new()
        };
        let started = s.jobs.start(JobKind::Export, move |job| {
            Finished::Export(
                ws.export(&edits, preds.as_deref(), &plan_opts, &opts, near, job)
                    .map(|(plan, sum)| sum.describe(&plan))
                    .map_err(|e| e.to_string()),
            )
        });
        self.result = started.err().map(Err);
    }

    /// Shows the finished export's summary or why it failed.
    pub fn finish(&mut self, result: Result<String, String>) {
        self.result = Some(result);
    }
}
