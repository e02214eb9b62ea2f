//! Near copies, as pairs (never chained into groups): the embedding's mutual nearest
//! neighbours that pass a ratio test cut for the embedding's own intrinsic dimension, any
//! neighbours nearer than a floor, and neighbours whose pixels line up (see `aligned`).

use std::collections::BTreeMap;

use super::aligned::{PixelCheckOptions, PixelCopy, pixel_copies};
use super::kind::{Finding, FindingKind};
use super::signature_store::Signatures;
use crate::dataset::Dataset;
use crate::embed::EmbeddingSet;
use crate::embed::knn::Neighbour;

/// Share of a clean set's images the near-copy ratio test may pass by chance (see
/// [`ratio_cut`]).
pub const DEFAULT_CHANCE_RATE: f32 = 0.002;

/// Settings of the near-copy check.
#[derive(Clone, Debug, PartialEq)]
pub struct NearCopyOptions {
    /// Neighbours nearer than this cosine distance are copies whatever their surroundings;
    /// `None`: `floor` times the dataset's median nearest-neighbour distance.
    pub near_distance: Option<f32>,
    /// See `near_distance`.
    pub floor: f32,
    /// Mutual nearest neighbours farther apart than this are never copies.
    pub max_distance: f32,
    /// Share of images the ratio test may pass by chance on a clean set.
    pub chance_rate: f32,
    /// The pixel check of the `k` nearest neighbours, when the images' signatures are known.
    pub pixels: PixelCheckOptions,
}

impl Default for NearCopyOptions {
    fn default() -> Self {
        Self {
            near_distance: None,
            floor: 0.05,
            max_distance: 0.15,
            chance_rate: DEFAULT_CHANCE_RATE,
            pixels: PixelCheckOptions::default(),
        }
    }
}

/// The value at quantile `q` of `sorted` (nearest rank; infinite when empty).
pub(super) fn quantile(sorted: &[f32], q: f32) -> f32 {
    if sorted.is_empty() {
        return f32::INFINITY;
    }
    let at = ((sorted.len() - 1) as f32 * q).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// The ratio `d1/d2` (an image's nearest to its second-nearest neighbour distance) under which
/// a share `rate` of images would fall by chance in a set of the embedding's own intrinsic
/// dimension. For points spread evenly over `m` dimensions, P(d1/d2 <= x) = x^m; `m` is
/// estimated from the median ratio (robust to a few per cent of real copies), so the cut is
/// relative to the embedding at hand: 0.26 for the bundled Fashion CNN (m about 4.6), 0.46 for
/// EfficientNet-Lite0 (m about 7.9) on the bundled sample.
pub fn ratio_cut(ratios: &[f32], rate: f32) -> f32 {
    let mut v: Vec<f32> = ratios.iter().copied().filter(|r| r.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    let median = quantile(&v, 0.5).clamp(1e-6, 0.999_999);
    let m = 0.5f32.ln() / median.ln();
    rate.powf(1.0 / m).clamp(0.05, 0.6)
}

/// Alignments the pixel check makes with every neighbour of every image (about 200,000
/// images of 10 neighbours); past it, each image is aligned with its
/// [`PIXEL_NEAREST_PAST_BUDGET`] nearest by embedding only (at a million images the full check
/// ran over 25 minutes on two cores and was stopped).
pub const PIXEL_BUDGET: usize = 2_000_000;

/// Neighbours aligned per image past [`PIXEL_BUDGET`]: the nearest, and one to judge it by.
pub const PIXEL_NEAREST_PAST_BUDGET: usize = 2;

/// Near copies, as pairs: never chained into groups, each finding names the image it copies.
/// A pair is (a) two images that are each other's nearest neighbour, much nearer to each other
/// than to anything else (the ratio test, with the cut from [`ratio_cut`]) and within
/// `max_distance`, or (b) any two neighbours nearer than `near_distance` (given), else than
/// `floor` times the dataset's median nearest-neighbour distance (several copies of one
/// image), or (c) with `signatures`, a neighbour whose pixels line up with the image far better
/// than any other neighbour's (see `pixel_copies`). The later sample of each pair gets the
/// finding, pointing at the earlier.
pub(super) fn near_duplicates(
    ds: &Dataset,
    active: &EmbeddingSet,
    neighbours: &[Vec<Neighbour>],
    signatures: Option<&Signatures>,
    opts: &NearCopyOptions,
    findings: &mut Vec<Finding>,
    groups: &mut Vec<Vec<usize>>,
) {
    let n = ds.samples.len();
    // Each sample's nearest neighbour, its distance and the second-nearest distance.
    let mut first: Vec<Option<(usize, f32, f32)>> = vec![None; n];
    let mut ratios = Vec::with_capacity(neighbours.len());
    let mut nearest = Vec::with_capacity(neighbours.len());
    for (r, list) in neighbours.iter().enumerate() {
        if let Some(nb) = list.first() {
            let second = list.get(1).map_or(f32::INFINITY, |x| x.distance);
            first[active.samples[r] as usize] = Some((nb.sample, nb.distance, second));
            nearest.push(nb.distance);
            if second > 0.0 {
                ratios.push(nb.distance / second);
            }
        }
    }
    let cut = ratio_cut(&ratios, opts.chance_rate);
    nearest.sort_by(f32::total_cmp);
    let floor = opts
        .near_distance
        .unwrap_or(opts.floor * quantile(&nearest, 0.5));
    // The closest partner of each sample that is a copy of it, and why.
    let scale = floor.max(1e-6) * 4.0;
    let by_distance = |d: f32| (1.0 - 0.5 * d / scale).clamp(0.5, 1.0);
    let mut best: BTreeMap<(usize, usize), (f32, String)> = Default::default();
    for (r, list) in neighbours.iter().enumerate() {
        let a = active.samples[r] as usize;
        for nb in list.iter().filter(|nb| nb.distance <= floor) {
            let (x, y) = (a.min(nb.sample), a.max(nb.sample));
            best.entry((x, y)).or_insert((
                by_distance(nb.distance),
                format!("cosine distance {:.4}, under {floor:.4}", nb.distance),
            ));
        }
        if let Some((b, d, second_a)) = first[a]
            && let Some((back, _, second_b)) = first[b]
            && back == a
            && a < b
            && d <= opts.max_distance
            && d <= cut * second_a.min(second_b)
        {
            let next = second_a.min(second_b);
            best.entry((a, b)).or_insert((
                by_distance(d),
                format!(
                    "cosine distance {d:.4}; the next nearest image is {:.1}x farther",
                    next / d.max(1e-9)
                ),
            ));
        }
    }
    if let Some(sigs) = signatures {
        // Past the budget each image is aligned with its nearest few only (an alignment tries
        // 14 mirrored and scaled variants at every shift: ~0.3 ms of one core).
        let alignments: usize = neighbours.iter().map(Vec::len).sum();
        let nearest_few: Vec<Vec<Neighbour>>;
        let candidates = if alignments > PIXEL_BUDGET {
            nearest_few = neighbours
                .iter()
                .map(|l| l[..l.len().min(PIXEL_NEAREST_PAST_BUDGET)].to_vec())
                .collect();
            &nearest_few[..]
        } else {
            neighbours
        };
        // Each pair once, seen from the side that lines up best.
        let mut pairs: BTreeMap<(usize, usize), PixelCopy> = Default::default();
        let sig = |i| sigs.get(i);
        for copy in pixel_copies(&active.samples, candidates, sig, &opts.pixels) {
            let key = (copy.sample.min(copy.other), copy.sample.max(copy.other));
            let e = pairs.entry(key).or_insert(copy);
            if copy.alignment.residual < e.alignment.residual {
                *e = copy;
            }
        }
        for (key, copy) in pairs {
            let how = copy.alignment.describe();
            let next = if copy.next.is_finite() {
                format!(", the next best neighbour {:.3}", 1.0 - copy.next)
            } else {
                String::new()
            };
            let why = format!(
                "its pixels match{}: correlation {:.4}{next}",
                if how.is_empty() {
                    String::new()
                } else {
                    format!(" {how}")
                },
                1.0 - copy.alignment.residual
            );
            let score = (1.0 - 10.0 * copy.alignment.residual).clamp(0.5, 1.0);
            best.entry(key)
                .and_modify(|e| *e = (e.0.max(score), format!("{}; {why}", e.1)))
                .or_insert((score, why));
        }
    }
    // One finding per sample: its surest copy.
    let mut per_sample: BTreeMap<usize, (usize, f32, String)> = Default::default();
    for ((a, b), (score, why)) in best {
        let keep = per_sample.get(&b).is_none_or(|(_, s0, _)| score > *s0);
        if keep {
            per_sample.insert(b, (a, score, why));
        }
        groups.push(vec![a, b]);
    }
    for (s, (other, score, why)) in per_sample {
        let leak = super::duplicates::leak_note(ds, &[other, s]);
        findings.push(Finding {
            sample: s,
            kind: FindingKind::NearDuplicate,
            score,
            detail: format!(
                "looks like a copy of {} ({why}){leak}",
                ds.samples[other].id
            ),
            suggested: None,
            other: Some(other),
        });
    }
}
