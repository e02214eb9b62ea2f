//! Findings of every kind as one list: what is suspicious about which sample, how much (a score
//! in 0..1, higher is worse), and for label issues the suggested label; the options of every
//! check. The stages that make them are in `pipeline`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::duplicates::DuplicateGroup;
pub use super::duplicates::leak_note;
use super::embedding_checks::EmbeddingCheckOptions;
use super::facts::{ImageFacts, colour_name};
pub use super::kind::{Finding, FindingKind};
use super::signature_store::Signatures;
use super::text::{TextOptions, TextOutcome};
use crate::dataset::{ClassId, Dataset};
use crate::label_quality::{LabelQuality, LabelQualityOptions};
use crate::model::BackendKind;

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
    /// Image facts made elsewhere (`issues --shard` parts), read like the facts cache.
    pub facts_parts: Vec<std::path::PathBuf>,
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
            facts_parts: Vec::new(),
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
    pub signatures: Option<Arc<Signatures>>,
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
