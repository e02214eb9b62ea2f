//! Problems in the window: the image checks (unreadable, odd, duplicates, text) run as a
//! background job when a dataset opens. Label quality is recomputed whenever predictions or
//! labels change: from the model's probabilities at once when there are no embeddings, else in
//! the embedding analysis job (neighbours, outliers, near duplicates, the linear probe; a
//! relabel reuses the neighbours and warm-starts the probe). All feed one [`ProblemIndex`] for
//! filters, sort and badges.

use super::Session;
use crate::app::jobs::{Finished, JobKind};
use crate::jobs::JobError;
use crate::label_quality::LabelQuality;
use crate::model::BackendKind;
use crate::problems::findings::label_findings;
use crate::problems::{AnalysisInputs, FindingKind, ProblemIndex, ProblemOptions};
use std::sync::Arc;

/// Embedding analyses kept for undo (each holds findings and a queue, not the embeddings).
const RECENT_ANALYSES: usize = 8;

impl Session {
    /// Starts the image checks (text, duplicates, unreadable, odd) as a background job.
    pub fn start_scan(&mut self, backend: BackendKind) {
        let ws = self.ws.clone();
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
        let started = self.jobs.start(JobKind::Scan, move |job| {
            Finished::Scan(ws.image_checks(&opts, job))
        });
        if let Err(e) = started {
            self.messages.error = Some(e);
        }
    }

    /// Applies the image checks' findings.
    pub(crate) fn finish_scan(&mut self, result: Result<crate::problems::Problems, JobError>) {
        match result {
            Ok(p) => {
                self.messages.notes.extend(p.notes.iter().cloned());
                self.problems.images = Some(p);
            }
            Err(crate::jobs::JobError::Cancelled) => {}
            Err(e) => self.messages.error = Some(format!("problem checks failed: {e}")),
        }
        self.rebuild_problems();
    }

    /// Recomputes label issues from the current labels and predictions alone, when there are
    /// no embeddings (with embeddings, the embedding analysis does it in the background).
    pub fn recompute_label_issues(&mut self) {
        if self.embeddings.set.is_some() {
            return;
        }
        let Some(preds) = &self.predictions.set else {
            return;
        };
        let opts = ProblemOptions::default();
        let truth = self.curation.truth();
        match self
            .ws
            .label_issues(truth, preds, &opts, &Default::default())
        {
            Ok(q) => self.set_label_quality(q),
            Err(e) => self.messages.error = Some(format!("label quality: {e}")),
        }
    }

    fn set_label_quality(&mut self, q: LabelQuality) {
        // The sources skipped for want of embeddings are not repeated here: the window says
        // where embeddings come from elsewhere.
        self.problems.label_notes = q.notes.clone();
        self.problems
            .label_notes
            .extend(crate::problems::pipeline::empty_queue_note(&q).map(str::to_string));
        self.problems.labels = label_findings(&self.ws.dataset, &q);
        self.problems.probe = q.probe.clone();
        self.problems.quality = Some(Arc::new(q));
        self.rebuild_problems();
    }

    /// Applies what the embedding analysis found.
    pub(crate) fn finish_analysis(
        &mut self,
        result: Result<crate::problems::EmbeddingAnalysis, JobError>,
    ) {
        {
            match result {
                Ok(found) => {
                    self.problems.hood = Some(found.hood);
                    let quality = found.quality.unwrap_or_default();
                    if let Some(k) = self.problems.analysis_key.take() {
                        let recent = &mut self.problems.recent;
                        recent.retain(|(key, _, _)| *key != k);
                        recent.push((k, found.findings.clone(), quality.clone()));
                        if recent.len() > RECENT_ANALYSES {
                            recent.remove(0);
                        }
                    }
                    self.problems.embedding = found.findings;
                    self.set_label_quality(quality);
                }
                Err(JobError::Cancelled) => {}
                Err(e) => self.messages.error = Some(format!("embedding analysis failed: {e}")),
            }
        }
    }

    /// Starts the embedding analysis (neighbours, outliers, near duplicates, label quality
    /// with the probe) when the embeddings, labels or predictions changed since it last ran.
    /// Returns whether anything changed (an analysis of the same labels came back from the
    /// recent ones).
    pub fn refresh_embedding_checks(&mut self) -> bool {
        let Some(set) = self.embeddings.set.clone() else {
            return false;
        };
        // The pixel check joins in once the image scan has read the signatures.
        let signatures = self
            .problems
            .images
            .as_ref()
            .and_then(|p| p.signatures.clone());
        let key = (
            self.embeddings.set_id,
            self.curation.revision(),
            self.predictions.revision,
            signatures.is_some(),
        );
        if self.jobs.is_running(JobKind::Analysis) || self.problems.embedding_key == Some(key) {
            return false;
        }
        self.problems.embedding_key = Some(key);
        let content = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (key.0, key.2, key.3, self.curation.truth()).hash(&mut h);
            h.finish()
        };
        if let Some((_, findings, quality)) = self
            .problems
            .recent
            .iter()
            .find(|(k, _, _)| *k == content)
            .cloned()
        {
            self.problems.embedding = findings;
            self.set_label_quality(quality);
            return true;
        }
        self.problems.analysis_key = Some(content);
        let (ws, truth, preds) = (
            self.ws.clone(),
            self.curation.truth().to_vec(),
            self.predictions.set.clone(),
        );
        let (hood, warm) = (self.problems.hood.clone(), self.problems.probe.clone());
        let started = self.jobs.start(JobKind::Analysis, move |job| {
            let inputs = AnalysisInputs {
                truth: &truth,
                preds: preds.as_deref(),
                set: &set,
                signatures: signatures.as_deref(),
                hood,
                warm: warm.as_ref(),
            };
            let opts = ProblemOptions {
                kinds: vec![
                    FindingKind::Label,
                    FindingKind::Outlier,
                    FindingKind::NearDuplicate,
                ],
                ..ProblemOptions::default()
            };
            let done = ws.analyse_embeddings(inputs, &opts, job);
            // Past the exact search's budget, find similar asks a graph: built here, off the
            // UI thread, and shared with the session's copy of the set.
            if done.is_ok() {
                set.prepare_queries(job);
            }
            Finished::Analysis(done)
        });
        if let Err(e) = started {
            self.messages.error = Some(e);
        }
        false
    }

    fn rebuild_problems(&mut self) {
        let mut all = self.problems.labels.clone();
        all.extend(self.problems.embedding.iter().cloned());
        if let Some(p) = &self.problems.images {
            all.extend(p.findings.iter().cloned());
        }
        let mut index = ProblemIndex::build(self.ws.dataset.samples.len(), all);
        if let Some(q) = &self.problems.quality {
            index.set_queue(q);
        }
        self.problems.index = std::sync::Arc::new(index);
        self.mark_order_dirty();
    }

    /// The suggested label of sample `i`: confident learning's when it is flagged, else the
    /// review queue's.
    pub fn suggestion_of(&self, i: usize) -> Option<crate::dataset::ClassId> {
        self.problems
            .index
            .suggested
            .get(i)
            .copied()
            .flatten()
            .or_else(|| Some(self.problems.quality.as_ref()?.entry(i)?.suggested))
    }

    /// The label worth offering for sample `i` (the menu, the detail view): a flagged label
    /// issue's suggestion, or the review queue's for a sample in its suspicious head (twice
    /// the flagged count, at least 40); `None` when it is the current label.
    pub fn offered_suggestion(&self, i: usize) -> Option<crate::dataset::ClassId> {
        let label = crate::app::sample_query::label_of(&self.ws.dataset, self.curation.truth(), i);
        let flagged = self.problems.index.suggested.get(i).copied().flatten();
        let queued = self.problems.quality.as_ref().and_then(|q| {
            let e = q.entry(i)?;
            (e.flagged || e.rank <= q.confident.issues.len().max(20) * 2).then_some(e.suggested)
        });
        flagged.or(queued).filter(|c| *c != label)
    }

    /// The gallery position of the next sample of the review queue after the selected one
    /// (before it when `forward` is false) among those the filter shows; from the top of the
    /// queue when the selection is not in it.
    pub fn queue_step(&self, forward: bool) -> Option<usize> {
        let q = self.problems.quality.as_ref()?;
        let mut position = vec![None; self.ws.dataset.samples.len()];
        for (pos, &i) in self.view.order.iter().enumerate() {
            position[i] = Some(pos);
        }
        let here = self
            .view
            .selected()
            .and_then(|i| q.by_sample.get(i).copied().flatten());
        let visible = |e: &crate::label_quality::QueueEntry| position[e.sample];
        match (here, forward) {
            (Some(at), true) => q.queue[at as usize + 1..].iter().find_map(visible),
            (Some(at), false) => q.queue[..at as usize].iter().rev().find_map(visible),
            (None, _) => q.queue.iter().find_map(visible),
        }
    }

    /// Why [`Self::queue_step`] found nothing.
    pub fn queue_end_message(&self, forward: bool) -> String {
        match &self.problems.quality {
            None if self.embeddings.set.is_some() => {
                "the review queue is still being ranked".into()
            }
            None => "no review queue: it needs a model with probabilities or embeddings".into(),
            Some(_) if forward => "end of the review queue (within the current filter)".into(),
            Some(_) => "top of the review queue".into(),
        }
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
