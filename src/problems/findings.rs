//! Findings of every kind as one list: what is suspicious about which sample, how much (a score
//! in 0..1, higher is worse), and for label issues the suggested label. `find_problems` runs the
//! checks as stages of one background job (image facts, duplicates, text detection), each cached.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::aligned::Signature;
pub use super::duplicates::leak_note;
use super::duplicates::{DuplicateGroup, find_duplicates};
use super::embedding_checks::{EmbeddingCheckOptions, embedding_checks_in};
use super::facts::{ImageFacts, collect_facts, colour_name};
pub use super::kind::{Finding, FindingKind};
use super::text::{TextOptions, TextOutcome, detect_text, input_size, text_model};
use crate::dataset::{ClassId, Dataset};
use crate::embed::{EmbeddingSet, Neighbourhood};
use crate::eval::PredictionSet;
use crate::jobs::{JobControl, JobError};
use crate::label_quality::{LabelInputs, LabelQuality, LabelQualityOptions, label_quality};
use crate::model::{BackendKind, resolve_backend};

/// Thresholds of the odd-image checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OddOptions {
    /// Images whose shorter side is below this fraction of the dataset's median shorter side
    /// are tiny (for this dataset: a set of 28 px images has no tiny ones).
    pub min_side_frac: f32,
    /// A colour mode held by less than this share of the readable images is odd (a mode held
    /// by a quarter or more is a second kind of image this dataset has, not an odd one).
    pub rare_mode: f32,
    /// Longer side over shorter side above this is an extreme aspect ratio.
    pub max_aspect: f32,
}

impl Default for OddOptions {
    fn default() -> Self {
        Self {
            min_side_frac: 0.25,
            rare_mode: 0.25,
            max_aspect: 4.0,
        }
    }
}

/// Which checks to run and how.
#[derive(Clone, Debug)]
pub struct ProblemOptions {
    /// Kinds to look for.
    pub kinds: Vec<FindingKind>,
    /// Near-duplicate Hamming distance (256-bit pHash).
    pub near_distance: u32,
    /// Text detector settings.
    pub text: TextOptions,
    /// Odd-image thresholds.
    pub odd: OddOptions,
    /// Backend of the text detector.
    pub backend: BackendKind,
    /// Worker threads for the text detector.
    pub threads: usize,
    /// Label-quality sources and settings.
    pub label: LabelQualityOptions,
    /// Outlier and near-duplicate settings (embeddings).
    pub embedding: EmbeddingCheckOptions,
}

impl Default for ProblemOptions {
    fn default() -> Self {
        Self {
            kinds: FindingKind::ALL.to_vec(),
            near_distance: super::DEFAULT_NEAR_DISTANCE,
            text: TextOptions::default(),
            odd: OddOptions::default(),
            backend: BackendKind::Auto,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            label: LabelQualityOptions::default(),
            embedding: EmbeddingCheckOptions::default(),
        }
    }
}

/// Everything found.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    /// All findings, most suspicious first.
    pub findings: Vec<Finding>,
    /// Every sample ranked by label quality (when label issues were looked for and there was
    /// evidence: probabilities or embeddings).
    pub quality: Option<LabelQuality>,
    /// Text detections per sample (when run).
    pub text: Option<Vec<Option<TextOutcome>>>,
    /// Duplicate groups.
    pub groups: Vec<DuplicateGroup>,
    /// Every sample's 32x32 signature (when the images were read), for the pixel check of
    /// near copies.
    pub signatures: Option<Arc<Vec<Option<Signature>>>>,
    /// What the user should know (skipped checks, warnings).
    pub notes: Vec<String>,
}

/// The flagged samples of a label-quality ranking as findings (score = 1 - the combined
/// probability of the given label).
pub fn label_findings(ds: &Dataset, quality: &LabelQuality) -> Vec<Finding> {
    let name = |c: ClassId| ds.class_name(c).to_string();
    quality
        .queue
        .iter()
        .filter(|e| e.flagged)
        .map(|e| Finding {
            sample: e.sample,
            kind: FindingKind::Label,
            score: 1.0 - e.score,
            detail: format!(
                "given {}, suggests {} (p(given) = {:.3}, rank {}): {}",
                name(e.label),
                name(e.suggested),
                e.score,
                e.rank,
                e.evidence(name)
            ),
            suggested: Some(e.suggested),
            other: None,
        })
        .collect()
}

/// Unreadable files and odd images from the image facts.
pub fn odd_findings(facts: &[Option<ImageFacts>], opts: &OddOptions) -> Vec<Finding> {
    let readable: Vec<&ImageFacts> = facts.iter().flatten().filter(|f| f.readable()).collect();
    let mut modes: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &readable {
        *modes.entry(f.color.as_str()).or_default() += 1;
    }
    let majority = modes
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(m, _)| m.to_string())
        .unwrap_or_default();
    let mut sides: Vec<u32> = readable.iter().map(|f| f.width.min(f.height)).collect();
    sides.sort_unstable();
    let median_side = sides.get(sides.len() / 2).copied().unwrap_or(0);
    let mut out = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        let Some(f) = f else { continue };
        let mut push = |kind, score, detail: String| {
            out.push(Finding {
                sample: i,
                kind,
                score,
                detail,
                suggested: None,
                other: None,
            })
        };
        if let Some(e) = &f.error {
            push(FindingKind::Unreadable, 1.0, e.clone());
            continue;
        }
        let share =
            modes.get(f.color.as_str()).copied().unwrap_or(0) as f32 / readable.len().max(1) as f32;
        if f.color != majority && share < opts.rare_mode {
            push(
                FindingKind::Odd,
                0.6,
                format!(
                    "colour mode {}, while most of the dataset is {}",
                    colour_name(&f.color),
                    colour_name(&majority)
                ),
            );
        } else if f.color.starts_with("Cmyk") {
            push(
                FindingKind::Odd,
                0.6,
                format!("colour mode {}", colour_name(&f.color)),
            );
        }
        let (short, long) = (f.width.min(f.height), f.width.max(f.height));
        if (short as f32) < opts.min_side_frac * median_side as f32 {
            push(
                FindingKind::Odd,
                0.5,
                format!(
                    "tiny image ({}x{}, median shorter side {median_side})",
                    f.width, f.height
                ),
            );
        }
        if long as f32 > opts.max_aspect * short.max(1) as f32 {
            push(
                FindingKind::Odd,
                0.5,
                format!("extreme aspect ratio ({}x{})", f.width, f.height),
            );
        }
    }
    out
}

/// Every member of a duplicate group but the first, pointing at the first; groups crossing the
/// dataset's splits say so (a leak).
pub fn duplicate_findings(
    ds: &Dataset,
    groups: &[DuplicateGroup],
    max_distance: u32,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups {
        let first = g.members[0];
        let leak = leak_note(ds, &g.members);
        for &i in &g.members[1..] {
            let (score, what) = if g.exact {
                (1.0, "exact copy")
            } else {
                (
                    1.0 - 0.5 * g.max_distance as f32 / max_distance.max(1) as f32,
                    "near copy",
                )
            };
            out.push(Finding {
                sample: i,
                kind: FindingKind::Duplicate,
                score,
                detail: format!("{what} of {}{leak}", ds.samples[first].id),
                suggested: None,
                other: Some(first),
            });
        }
    }
    out
}

/// Flagged text detections.
pub fn text_findings(results: &[Option<TextOutcome>], opts: &TextOptions) -> Vec<Finding> {
    results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let r = r.as_ref()?.as_ref().ok()?;
            r.flagged(opts).then(|| Finding {
                sample: i,
                kind: FindingKind::Text,
                score: (0.5 + r.score(opts)).min(1.0),
                detail: {
                    let n = r.lines(opts).count();
                    let sure = r.lines(opts).map(|b| b.score).fold(0.0f32, f32::max);
                    format!(
                        "{n} {} of text covering {:.1}% of the image (the detector's mean text probability over it up to {sure:.2})",
                        if n == 1 { "line" } else { "lines" },
                        r.score(opts) * 100.0
                    )
                },
                suggested: None,
                other: None,
            })
        })
        .collect()
}

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

/// Runs the checks in `opts.kinds`: label quality and the embedding checks (sharing one
/// neighbour search), then image facts (unreadable, odd, duplicates), then the text detector;
/// stages are reported on `control`.
pub fn find_problems(
    ds: &Dataset,
    inputs: ProblemInputs,
    opts: &ProblemOptions,
    state_dir: Option<&Path>,
    control: &JobControl,
) -> Result<Problems, JobError> {
    let wants = |k| opts.kinds.contains(&k);
    let mut p = Problems::default();
    let dataset_labels: Vec<Option<ClassId>>;
    let truth = if inputs.truth.is_empty() {
        dataset_labels = ds.samples.iter().map(|s| Some(s.label)).collect();
        &dataset_labels
    } else {
        inputs.truth
    };
    let embedding_kinds = wants(FindingKind::Outlier) || wants(FindingKind::NearDuplicate);
    let hood = match inputs.embeddings {
        Some(set) if embedding_kinds || wants(FindingKind::Label) => {
            control.begin_stage("nearest neighbours", 1);
            Some(Neighbourhood::build(set, truth, opts.embedding.k))
        }
        _ => None,
    };
    if wants(FindingKind::Label) {
        if inputs.preds.is_none() && inputs.embeddings.is_none() {
            p.notes
                .push("label issues need a model, predictions or embeddings".into());
        } else {
            let label_inputs = LabelInputs {
                classes: ds.classes.len(),
                truth,
                preds: inputs.preds,
                set: inputs.embeddings,
                hood: hood.as_ref(),
            };
            let quality = label_quality(&label_inputs, &opts.label, None, control)?;
            if quality.queue.is_empty() {
                p.notes.push(
                    "label issues need per-class probabilities or embeddings; there were none"
                        .into(),
                );
            }
            p.notes.extend(quality.all_notes());
            p.findings.extend(label_findings(ds, &quality));
            p.quality = Some(quality);
        }
    }
    let pixel_check = wants(FindingKind::NearDuplicate) && hood.is_some();
    if pixel_check
        || wants(FindingKind::Duplicate)
        || wants(FindingKind::Unreadable)
        || wants(FindingKind::Odd)
    {
        control.begin_stage("reading images", ds.samples.len());
        let mut facts = collect_facts(ds, state_dir, control);
        if control.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        // Moved out, not copied: the other checks read only the hashes, sizes and colours.
        p.signatures = Some(Arc::new(
            facts
                .iter_mut()
                .map(|f| f.as_mut().and_then(|f| f.signature.take()))
                .collect(),
        ));
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
    if let Some(h) = hood.as_ref().filter(|_| embedding_kinds) {
        let signatures = p.signatures.as_deref().map(Vec::as_slice);
        let found = embedding_checks_in(ds, truth, h, signatures, &opts.embedding);
        p.findings
            .extend(found.findings.into_iter().filter(|f| wants(f.kind)));
    } else if embedding_kinds {
        p.notes
            .push("outliers and near duplicates by embedding need a model or an embedder".into());
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
    use super::*;

    fn facts(w: u32, h: u32, color: &str) -> Option<ImageFacts> {
        Some(ImageFacts {
            bytes: 100,
            content_hash: String::new(),
            width: w,
            height: h,
            color: color.into(),
            phash: None,
            signature: None,
            error: None,
        })
    }

    #[test]
    fn odd_means_unusual_for_this_dataset_not_small() {
        // A dataset of small images (the Hub fixture's 12-16 px): none is odd.
        let small: Vec<_> = (0..36)
            .map(|k| {
                facts(
                    12 + k % 5,
                    10 + k % 7,
                    if k % 2 == 0 { "Rgb8" } else { "Rgba8" },
                )
            })
            .collect();
        assert!(odd_findings(&small, &OddOptions::default()).is_empty());
        // Among 64 px images, a 8 px one is tiny and the one CMYK image is a rare mode; a
        // dataset half greyscale, half RGB has two kinds of image, neither odd.
        let mut set: Vec<_> = (0..60).map(|_| facts(64, 64, "Rgb8")).collect();
        set.push(facts(8, 8, "Rgb8"));
        set.push(facts(64, 64, "Cmyk8"));
        let found = odd_findings(&set, &OddOptions::default());
        let odd: Vec<usize> = found.iter().map(|f| f.sample).collect();
        assert_eq!(odd, vec![60, 61], "{found:?}");
        let halves: Vec<_> = (0..40)
            .map(|k| facts(64, 64, if k % 2 == 0 { "L8" } else { "Rgb8" }))
            .collect();
        assert!(odd_findings(&halves, &OddOptions::default()).is_empty());
    }
}
