//! The one problem pipeline, as stages both front ends call: [`image_checks`] (image facts,
//! duplicates, unreadable and odd images, text), [`analyse_embeddings`] (neighbours, outliers,
//! near copies, label quality with every source) and [`label_issues`] (label quality from the
//! model's probabilities alone). [`find_problems`] runs them in order (the CLI); the window runs
//! the image checks when a dataset opens and the analysis whenever the embeddings, labels or
//! predictions change. A new detector goes into one stage and both front ends have it.

use std::path::Path;
use std::sync::Arc;

use super::duplicates::find_duplicates;
use super::embedding_checks::embedding_checks_in;
use super::facts::collect_facts;
use super::findings::{
    Finding, FindingKind, ProblemOptions, Problems, duplicate_findings, label_findings,
    odd_findings, text_findings,
};
use super::signature_store::Signatures;
use super::text::{detect_text, input_size, text_model};
use crate::dataset::{ClassId, Dataset};
use crate::embed::{EmbeddingSet, Neighbourhood};
use crate::eval::PredictionSet;
use crate::jobs::{JobControl, JobError};
use crate::label_quality::{LabelInputs, LabelQuality, ProbeState, label_quality};
use crate::model::resolve_backend;

/// What the checks read besides the dataset.
#[derive(Clone, Copy, Default)]
pub struct ProblemInputs<'a> {
    /// Effective labels (`None` = excluded); empty = the dataset's labels.
    pub truth: &'a [Option<ClassId>],
    /// The model's predictions (label issues).
    pub preds: Option<&'a PredictionSet>,
    /// Embeddings (label evidence, outliers, near duplicates).
    pub embeddings: Option<&'a EmbeddingSet>,
}

/// Which evidence the kinds asked for need: decided here once, so a front end runs only the
/// models it must.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    /// Embeddings are what the kinds look at (outliers, near copies by embedding).
    pub embeddings: bool,
    /// Label quality can use embeddings (the probe, the neighbours) when a model gives them.
    pub label_embeddings: bool,
    /// The model's predictions: label quality.
    pub predictions: bool,
}

impl ProblemOptions {
    /// The evidence [`find_problems`] can use for these kinds.
    pub fn needs(&self) -> Needs {
        let wants = |k| self.kinds.contains(&k);
        let labels = wants(FindingKind::Label);
        let by_embedding = wants(FindingKind::Outlier) || wants(FindingKind::NearDuplicate);
        let label_sources = self
            .label
            .sources
            .iter()
            .any(|s| *s != crate::label_quality::Source::Model);
        Needs {
            embeddings: by_embedding,
            label_embeddings: labels && label_sources,
            predictions: labels,
        }
    }
}

/// The image checks of `opts.kinds` (unreadable, odd, duplicates, text), reading each image
/// once for its facts and its signature (kept in [`Problems::signatures`] for the pixel check
/// of near copies); cached in `state_dir`.
pub fn image_checks(
    ds: &Dataset,
    opts: &ProblemOptions,
    state_dir: Option<&Path>,
    control: &JobControl,
) -> Result<Problems, JobError> {
    let wants = |k| opts.kinds.contains(&k);
    let mut p = Problems::default();
    if wants(FindingKind::NearDuplicate)
        || wants(FindingKind::Duplicate)
        || wants(FindingKind::Unreadable)
        || wants(FindingKind::Odd)
    {
        control.begin_stage("reading images", ds.samples.len());
        // The signatures go out of core past a size (a gigabyte at a million images).
        let gathered = collect_facts(ds, state_dir, &opts.facts_parts, control);
        if control.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        let facts = gathered.facts;
        p.signatures = Some(Arc::new(gathered.signatures));
        p.notes.extend(gathered.notes);
        if wants(FindingKind::Duplicate) {
            p.groups = find_duplicates(&facts, opts.near_distance);
            p.findings
                .extend(duplicate_findings(ds, &p.groups, opts.near_distance));
        }
        p.findings.extend(
            odd_findings(&facts, &opts.odd)
                .into_iter()
                .filter(|f| wants(f.kind)),
        );
    }
    if wants(FindingKind::Text) {
        let dir = state_dir
            .map(Path::to_path_buf)
            .or_else(|| dirs::cache_dir().map(|d| d.join("labelscope")))
            .unwrap_or_else(std::env::temp_dir)
            .join("models");
        let model = text_model(&dir, input_size(ds, &opts.text))?;
        let backend = resolve_backend(opts.backend, &model)?;
        control.begin_stage("detecting text", ds.samples.len());
        let results = detect_text(
            ds,
            &model,
            &backend,
            &opts.text,
            state_dir,
            opts.threads,
            control,
        )?;
        if control.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        p.findings.extend(text_findings(&results, &opts.text));
        p.text = Some(results);
    }
    Ok(p)
}

/// What [`analyse_embeddings`] reads.
pub struct AnalysisInputs<'a> {
    /// Effective labels (`None` = excluded), one per sample.
    pub truth: &'a [Option<ClassId>],
    /// The model's predictions, when there are any.
    pub preds: Option<&'a PredictionSet>,
    /// The embeddings.
    pub set: &'a EmbeddingSet,
    /// Every sample's signature (from [`image_checks`]), for the pixel check of near copies.
    pub signatures: Option<&'a Signatures>,
    /// The neighbourhood of an earlier analysis: reused when it fits these embeddings and
    /// labels (no exclusion changed).
    pub hood: Option<Arc<Neighbourhood>>,
    /// The probe of an earlier analysis: a warm start after a relabel.
    pub warm: Option<&'a ProbeState>,
}

/// What the embedding analysis found.
#[derive(Clone)]
pub struct EmbeddingAnalysis {
    /// The neighbours (kept for the next run while no exclusion changes).
    pub hood: Arc<Neighbourhood>,
    /// Outliers and near copies of the kinds asked for.
    pub findings: Vec<Finding>,
    /// The label-quality ranking with every source, when label issues were asked for.
    pub quality: Option<LabelQuality>,
}

/// The embedding stage: one neighbour search shared by the outlier and near-copy checks and by
/// label quality (the model's probabilities, the linear probe and the neighbours' vote).
pub fn analyse_embeddings(
    ds: &Dataset,
    inputs: AnalysisInputs,
    opts: &ProblemOptions,
    control: &JobControl,
) -> Result<EmbeddingAnalysis, JobError> {
    let wants = |k| opts.kinds.contains(&k);
    let hood = match inputs.hood {
        Some(h) if h.fits(inputs.set, inputs.truth) => h,
        _ => {
            control.begin_stage("nearest neighbours", 1);
            let built =
                Neighbourhood::build_in(inputs.set, inputs.truth, opts.embedding.k, Some(control))
                    .ok_or(JobError::Cancelled)?;
            Arc::new(built)
        }
    };
    if control.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    let quality = if wants(FindingKind::Label) {
        let label_inputs = LabelInputs {
            classes: ds.classes.len(),
            truth: inputs.truth,
            preds: inputs.preds,
            set: Some(inputs.set),
            hood: Some(&hood),
        };
        Some(label_quality(
            &label_inputs,
            &opts.label,
            inputs.warm,
            control,
        )?)
    } else {
        None
    };
    let findings = if wants(FindingKind::Outlier) || wants(FindingKind::NearDuplicate) {
        embedding_checks_in(ds, inputs.truth, &hood, inputs.signatures, &opts.embedding)
            .findings
            .into_iter()
            .filter(|f| wants(f.kind))
            .collect()
    } else {
        Vec::new()
    };
    if let Some(why) = inputs.set.read_error() {
        return Err(JobError::Failed(format!(
            "the embeddings could not be read back ({why}); every neighbour, outlier, near copy and label score would rest on rows read as zeros, so none is shown"
        )));
    }
    if let Some(why) = inputs.signatures.and_then(Signatures::read_error) {
        return Err(JobError::Failed(format!(
            "the image signatures could not be read back ({why}); the near copies would miss every pixel check that read failed, so none is shown"
        )));
    }
    Ok(EmbeddingAnalysis {
        hood,
        findings,
        quality,
    })
}

/// Label quality from the model's probabilities alone (no embeddings).
pub fn label_issues(
    ds: &Dataset,
    truth: &[Option<ClassId>],
    preds: &PredictionSet,
    opts: &ProblemOptions,
    control: &JobControl,
) -> Result<LabelQuality, JobError> {
    let inputs = LabelInputs {
        classes: ds.classes.len(),
        truth,
        preds: Some(preds),
        set: None,
        hood: None,
    };
    label_quality(&inputs, &opts.label, None, control)
}

/// The note when a ranking has nothing in it.
pub fn empty_queue_note(quality: &LabelQuality) -> Option<&'static str> {
    quality
        .queue
        .is_empty()
        .then_some("label issues need per-class probabilities or embeddings; there were none")
}

/// Runs every stage `opts.kinds` asks for: the image checks, then the embedding analysis (or
/// label quality from the probabilities alone); stages are reported on `control`.
pub fn find_problems(
    ds: &Dataset,
    inputs: ProblemInputs,
    opts: &ProblemOptions,
    state_dir: Option<&Path>,
    control: &JobControl,
) -> Result<Problems, JobError> {
    let wants = |k| opts.kinds.contains(&k);
    let dataset_labels: Vec<Option<ClassId>>;
    let truth = if inputs.truth.is_empty() {
        dataset_labels = ds.samples.iter().map(|s| Some(s.label)).collect();
        &dataset_labels
    } else {
        inputs.truth
    };
    let mut images = opts.clone();
    // The signatures are read only when the embeddings can use them.
    images
        .kinds
        .retain(|k| *k != FindingKind::NearDuplicate || inputs.embeddings.is_some());
    let mut p = image_checks(ds, &images, state_dir, control)?;
    let by_embedding = wants(FindingKind::Outlier) || wants(FindingKind::NearDuplicate);
    let quality = match inputs.embeddings {
        Some(set) if by_embedding || wants(FindingKind::Label) => {
            let analysis = analyse_embeddings(
                ds,
                AnalysisInputs {
                    truth,
                    preds: inputs.preds,
                    set,
                    signatures: p.signatures.as_deref(),
                    hood: None,
                    warm: None,
                },
                opts,
                control,
            )?;
            p.findings.extend(analysis.findings);
            analysis.quality
        }
        _ => {
            if by_embedding {
                p.notes.push(
                    "outliers and near duplicates by embedding need a model or an embedder".into(),
                );
            }
            match inputs.preds {
                Some(preds) if wants(FindingKind::Label) => {
                    Some(label_issues(ds, truth, preds, opts, control)?)
                }
                None if wants(FindingKind::Label) => {
                    p.notes
                        .push("label issues need a model, predictions or embeddings".into());
                    None
                }
                _ => None,
            }
        }
    };
    if let Some(q) = quality {
        p.notes.extend(empty_queue_note(&q).map(str::to_string));
        p.notes.extend(q.all_notes());
        p.findings.extend(label_findings(ds, &q));
        p.quality = Some(q);
    }
    p.findings.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(ds.samples[a.sample].id.0.cmp(&ds.samples[b.sample].id.0))
    });
    control.finish();
    Ok(p)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::embed::matrix::Spill;

    /// Embeddings on disk whose file lost rows under the analysis: the analysis fails and
    /// says why, instead of showing neighbours, outliers and copies of rows read as zeros.
    #[test]
    fn a_failed_read_of_embeddings_on_disk_fails_the_analysis() {
        let dir = tempfile::tempdir().unwrap();
        let labels = [0u32, 0, 0, 1, 1, 1, 0, 1];
        let ds = Dataset::in_memory(&["a", "b"], &labels, 1, |_| None);
        let rows: Vec<Vec<f32>> = (0..labels.len())
            .map(|i| vec![1.0 + i as f32, labels[i] as f32 * 3.0, 0.5])
            .collect();
        let spill = Spill {
            dir: dir.path().to_path_buf(),
            past_bytes: 0,
        };
        let set = EmbeddingSet::from_rows_in(&rows, Some(&spill));
        assert!(set.on_disk());
        let truth: Vec<Option<ClassId>> = labels.iter().map(|&l| Some(ClassId(l))).collect();
        let opts = ProblemOptions {
            kinds: vec![FindingKind::Outlier, FindingKind::NearDuplicate],
            ..ProblemOptions::default()
        };
        let inputs = |set| AnalysisInputs {
            truth: &truth,
            preds: None,
            set,
            signatures: None,
            hood: None,
            warm: None,
        };
        let control = JobControl::default();
        assert!(analyse_embeddings(&ds, inputs(&set), &opts, &control).is_ok());
        set.lose_rows_after(2);
        let err = analyse_embeddings(&ds, inputs(&set), &opts, &control)
            .err()
            .unwrap();
        assert!(err.to_string().contains("could not be read back"), "{err}");
    }
}
