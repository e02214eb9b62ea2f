//! Problems in the window: the image checks (unreadable, odd, duplicates, text) run as a
//! background job when a dataset opens; label issues are recomputed with the metrics whenever
//! predictions or labels change. Both feed one [`ProblemIndex`] for filters, sort and badges.

use std::sync::Arc;

use super::background::BackgroundJob;
use super::session::Session;
use crate::model::BackendKind;
use crate::problems::findings::label_findings;
use crate::problems::{FindingKind, ProblemIndex, ProblemOptions, Problems, find_problems};

/// The running image checks.
pub type RunningScan = BackgroundJob<Result<Problems, crate::jobs::JobError>>;

/// Problems of the open dataset.
#[derive(Default)]
pub struct ProblemState {
    /// The image checks' job, while it runs.
    pub scan: Option<RunningScan>,
    /// What the image checks found (no label issues).
    pub images: Option<Problems>,
    /// Label issues of the current labels and predictions.
    pub labels: Vec<crate::problems::Finding>,
    /// Notes about label issues (in-sample probabilities, no probabilities).
    pub label_notes: Vec<String>,
    /// Outliers and near duplicates by embedding.
    pub embedding: Vec<crate::problems::Finding>,
    /// The embedding checks' job, while it runs.
    pub embedding_job: Option<BackgroundJob<Vec<crate::problems::Finding>>>,
    /// The (embedding set, edits revision) the embedding checks were made for.
    embedding_key: Option<(usize, u64)>,
    /// Everything, by sample.
    pub index: ProblemIndex,
}

impl Session {
    /// Starts the image checks (text, duplicates, unreadable, odd) on a background thread.
    pub fn start_scan(&mut self, backend: BackendKind, wake: Arc<dyn Fn() + Send + Sync>) {
        let ds = self.dataset.clone();
        let opts = ProblemOptions {
            kinds: vec![
                FindingKind::Text,
                FindingKind::Duplicate,
                FindingKind::Unreadable,
                FindingKind::Odd,
            ],
            backend,
            threads: 1,
            ..ProblemOptions::default()
        };
        let spawned = BackgroundJob::spawn("problems-job", wake, move |job| {
            let dir = crate::state::state_dir(&ds.root).ok();
            find_problems(&ds, &[], None, &opts, dir.as_deref(), job)
        });
        match spawned {
            Ok(job) => self.problems.scan = Some(job),
            Err(e) => self.error = Some(format!("cannot start the problem checks: {e}")),
        }
    }

    /// Collects the image checks when they finish. Returns whether anything changed.
    pub fn poll_scan(&mut self) -> bool {
        let Some(scan) = &self.problems.scan else {
            return false;
        };
        let Some(result) = scan.poll() else {
            return false;
        };
        self.notes.extend(scan.control.take_notes());
        self.problems.scan = None;
        match result {
            Ok(p) => {
                self.notes.extend(p.notes.iter().cloned());
                self.problems.images = Some(p);
            }
            Err(crate::jobs::JobError::Cancelled) => {}
            Err(e) => self.error = Some(format!("problem checks failed: {e}")),
        }
        self.rebuild_problems();
        true
    }

    /// Recomputes label issues from the current labels and predictions.
    pub fn recompute_label_issues(&mut self) {
        let Some(preds) = &self.preds else { return };
        let (cl, in_sample, findings) = label_findings(&self.dataset, &self.truth, preds);
        self.problems.label_notes.clear();
        if in_sample {
            self.problems.label_notes.push("the probabilities look in-sample: if the model was trained on these images, the label-issue ranking is unreliable".into());
        }
        if cl.num_scored == 0 {
            self.problems
                .label_notes
                .push("label issues need per-class probabilities".into());
        }
        self.problems.labels = findings;
        self.rebuild_problems();
    }

    /// Starts the embedding checks (outliers, near duplicates) when the embeddings or the
    /// labels changed since they last ran; collects them when done. Returns whether anything
    /// changed.
    pub fn refresh_embedding_checks(&mut self, wake: Arc<dyn Fn() + Send + Sync>) -> bool {
        if let Some(found) = self
            .problems
            .embedding_job
            .as_ref()
            .and_then(BackgroundJob::poll)
        {
            self.problems.embedding_job = None;
            self.problems.embedding = found;
            self.rebuild_problems();
            return true;
        }
        let Some(set) = self.embeddings.set.clone() else {
            return false;
        };
        let key = (Arc::as_ptr(&set) as usize, self.edits_revision);
        if self.problems.embedding_job.is_some() || self.problems.embedding_key == Some(key) {
            return false;
        }
        self.problems.embedding_key = Some(key);
        let (ds, truth) = (self.dataset.clone(), self.truth.clone());
        let spawned = BackgroundJob::spawn("embedding-checks", wake, move |_| {
            let opts = crate::problems::EmbeddingCheckOptions::default();
            crate::problems::embedding_checks(&ds, &truth, &set, &opts).findings
        });
        match spawned {
            Ok(job) => self.problems.embedding_job = Some(job),
            Err(e) => self.error = Some(format!("cannot start the embedding checks: {e}")),
        }
        false
    }

    fn rebuild_problems(&mut self) {
        let mut all = self.problems.labels.clone();
        all.extend(self.problems.embedding.iter().cloned());
        if let Some(p) = &self.problems.images {
            all.extend(p.findings.iter().cloned());
        }
        self.problems.index = ProblemIndex::build(self.dataset.samples.len(), all);
        self.mark_order_dirty();
    }

    /// The text detection of sample `i`, when the checks ran.
    pub fn text_of(&self, i: usize) -> Option<&crate::problems::text::TextResult> {
        self.problems
            .images
            .as_ref()?
            .text
            .as_ref()?
            .get(i)?
            .as_ref()?
            .as_ref()
            .ok()
    }
}
