//! Problems seen through the model's embeddings: outliers (far from every other image, or far
//! from the images of their own label) and semantic near duplicates (two files of the same
//! thing: shifted, cropped, mirrored, re-encoded), with leaks when a pair crosses splits. They
//! complement the perceptual hash, which finds exact and resized copies.

use super::kind::{Finding, FindingKind};
use super::near_copies::{NearCopyOptions, near_duplicates, quantile};
use super::signature_store::Signatures;
use crate::dataset::{ClassId, Dataset};
use crate::embed::EmbeddingSet;
use crate::embed::knn::all_nearest;
use crate::embed::neighbourhood::Neighbourhood;

/// Settings of the embedding checks.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingCheckOptions {
    /// Neighbours considered (the k-th neighbour's distance measures isolation).
    pub k: usize,
    /// Images whose k-th neighbour is farther than this share of the dataset's are outliers.
    pub outlier_quantile: f32,
    /// An image is far from its class when its distance to its k-th same-label neighbour
    /// exceeds the class's median by this many robust standard deviations (1.4826 MAD).
    pub class_deviations: f32,
    /// The near-copy check.
    pub near: NearCopyOptions,
}

impl Default for EmbeddingCheckOptions {
    fn default() -> Self {
        Self {
            k: 10,
            outlier_quantile: 0.99,
            class_deviations: 4.0,
            near: NearCopyOptions::default(),
        }
    }
}

/// What the embedding checks found.
#[derive(Clone, Debug, Default)]
pub struct EmbeddingChecks {
    /// Outlier and near-duplicate findings.
    pub findings: Vec<Finding>,
    /// Near-copy pairs (sample indices, the earlier first), kept in one split by the export.
    pub groups: Vec<Vec<usize>>,
}

fn median_and_mad(values: &[f32]) -> (f32, f32) {
    let mut v = values.to_vec();
    v.sort_by(f32::total_cmp);
    let median = quantile(&v, 0.5);
    let mut dev: Vec<f32> = v.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f32::total_cmp);
    (median, quantile(&dev, 0.5))
}

/// Runs the checks on `set` for the samples of `ds` with effective labels `truth` (excluded
/// samples, `None`, take no part).
pub fn embedding_checks(
    ds: &Dataset,
    truth: &[Option<ClassId>],
    set: &EmbeddingSet,
    opts: &EmbeddingCheckOptions,
) -> EmbeddingChecks {
    embedding_checks_in(
        ds,
        truth,
        &Neighbourhood::build(set, truth, opts.k),
        None,
        opts,
    )
}

/// [`embedding_checks`] on a neighbourhood already built (with `opts.k` neighbours); with
/// `signatures` (per dataset sample), near-copy candidates are also lined up in pixels.
pub fn embedding_checks_in(
    ds: &Dataset,
    truth: &[Option<ClassId>],
    hood: &Neighbourhood,
    signatures: Option<&Signatures>,
    opts: &EmbeddingCheckOptions,
) -> EmbeddingChecks {
    let (active, neighbours, k) = (&hood.active, &hood.neighbours, hood.k);
    if active.len() < 3 {
        return EmbeddingChecks::default();
    }
    let included: Vec<usize> = active.samples.iter().map(|&s| s as usize).collect();
    let mut out = EmbeddingChecks::default();
    near_duplicates(
        ds,
        active,
        neighbours,
        signatures,
        &opts.near,
        &mut out.findings,
        &mut out.groups,
    );
    let mut outlier_detail: Vec<Option<(f32, String)>> = vec![None; ds.samples.len()];
    // Far from everything.
    let kth: Vec<f32> = neighbours
        .iter()
        .map(|n| n.last().map_or(0.0, |x| x.distance))
        .collect();
    let mut sorted = kth.clone();
    sorted.sort_by(f32::total_cmp);
    let cut = quantile(&sorted, opts.outlier_quantile);
    let (median, _) = median_and_mad(&kth);
    for (r, &d) in kth.iter().enumerate() {
        if d >= cut && d > median * 1.5 {
            let rank = sorted.partition_point(|&x| x < d) as f32 / sorted.len() as f32;
            outlier_detail[active.samples[r] as usize] = Some((
                0.5 + 0.5 * rank,
                format!(
                    "far from every other image: its {k}th neighbour is at cosine distance {d:.3} (dataset median {median:.3})"
                ),
            ));
        }
    }
    // Far from its own class.
    for c in 0..ds.classes.len() {
        let members: Vec<usize> = included
            .iter()
            .copied()
            .filter(|&s| truth[s] == Some(ClassId(c as u32)))
            .collect();
        if members.len() < 5 {
            continue;
        }
        let class_set = active.subset(&members);
        let kc = k.min(members.len() - 1);
        let dist: Vec<f32> = all_nearest(&class_set, kc, None)
            .unwrap_or_default()
            .iter()
            .map(|n| n.last().map_or(0.0, |x| x.distance))
            .collect();
        let (median, mad) = median_and_mad(&dist);
        let limit = median + opts.class_deviations * 1.4826 * mad.max(1e-6);
        for (r, &d) in dist.iter().enumerate() {
            if d > limit {
                let s = class_set.samples[r] as usize;
                let score = (0.5 + 0.5 * (d - limit) / (d + 1e-6)).min(1.0);
                let text = format!(
                    "far from its own label {}: its {kc}th same-label neighbour is at {d:.3} (label median {median:.3})",
                    ds.classes[c]
                );
                outlier_detail[s] = Some(match outlier_detail[s].take() {
                    Some((s0, t0)) => (s0.max(score), format!("{t0}; {text}")),
                    None => (score, text),
                });
            }
        }
    }
    for (sample, found) in outlier_detail.into_iter().enumerate() {
        if let Some((score, detail)) = found {
            out.findings.push(Finding {
                sample,
                kind: FindingKind::Outlier,
                score,
                detail,
                suggested: None,
                other: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outliers_copies_and_leaks_are_found() {
        // Two labels on two directions, 30 each with small spread; sample 60 is labelled 0 but
        // lies with label 1; sample 61 points nowhere near anything; 62 copies 0 in another split.
        let mut seed = 12345u64;
        let mut noise = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
        };
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..60 {
            let c = i / 30;
            let mut r: Vec<f32> = (0..8).map(|_| 4.0 * noise()).collect();
            r[c] = 8.0;
            rows.push(r);
            labels.push(c as u32);
        }
        let mut stray: Vec<f32> = (0..8).map(|_| 4.0 * noise()).collect();
        stray[1] = 8.0;
        rows.push(stray);
        labels.push(0);
        rows.push(vec![0.0, 0.0, -8.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        labels.push(1);
        rows.push(rows[0].clone());
        labels.push(0);
        // 63: sample 10 moved a little: only the ratio test sees it (it is far nearer to 10
        // than to anything else).
        let moved: Vec<f32> = rows[10]
            .iter()
            .enumerate()
            .map(|(d, v)| v + if d % 2 == 0 { 0.4 } else { -0.4 })
            .collect();
        rows.push(moved);
        labels.push(0);
        let split = |i: usize| Some(if i == 62 { "val" } else { "train" }.to_string());
        let ds = Dataset::in_memory(&["a", "b"], &labels, 3, split);
        let set = EmbeddingSet::from_rows(&rows);
        let truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
        // Only the distance floor, no ratio test.
        let strict = EmbeddingCheckOptions {
            near: NearCopyOptions {
                max_distance: 0.0,
                ..NearCopyOptions::default()
            },
            ..EmbeddingCheckOptions::default()
        };
        let found = embedding_checks(&ds, &truth, &set, &strict);
        let distinctive = embedding_checks(&ds, &truth, &set, &EmbeddingCheckOptions::default());
        let moved = distinctive
            .findings
            .iter()
            .find(|f| f.sample == 63 && f.kind == FindingKind::NearDuplicate);
        assert!(
            moved.is_some_and(|f| f.other == Some(10)),
            "{:?}",
            distinctive
                .findings
                .iter()
                .filter(|f| f.kind == FindingKind::NearDuplicate)
                .collect::<Vec<_>>()
        );
        let of = |kind: FindingKind| -> Vec<usize> {
            let mut v: Vec<usize> = found
                .findings
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| f.sample)
                .collect();
            v.sort_unstable();
            v
        };
        let outliers = of(FindingKind::Outlier);
        assert!(
            outliers.contains(&60),
            "the mislabelled sample is far from its label: {outliers:?}"
        );
        assert!(
            outliers.contains(&61),
            "the lone sample is an outlier: {outliers:?}"
        );
        assert!(outliers.len() <= 4, "{outliers:?}");
        assert_eq!(of(FindingKind::NearDuplicate), vec![62]);
        let copy = found.findings.iter().find(|f| f.sample == 62).unwrap();
        assert!(
            copy.detail.contains("looks like a copy of 000.png") && copy.detail.contains("LEAK"),
            "{}",
            copy.detail
        );
        assert_eq!(found.groups, vec![vec![0, 62]]);
        // An excluded sample takes no part.
        let mut excluded = truth.clone();
        excluded[62] = None;
        let found = embedding_checks(&ds, &excluded, &set, &strict);
        assert!(
            found
                .findings
                .iter()
                .all(|f| f.kind != FindingKind::NearDuplicate)
        );
    }

    #[test]
    fn a_tight_clean_embedding_is_not_flooded_and_copies_in_it_are_found() {
        for dim in [4, 8, 16] {
            let (ds, set) = crate::bench::near_copies::tight_set(2000, dim, 20, 0.002, 99);
            let truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
            let found = embedding_checks(&ds, &truth, &set, &EmbeddingCheckOptions::default());
            let near: Vec<&Finding> = found
                .findings
                .iter()
                .filter(|f| f.kind == FindingKind::NearDuplicate)
                .collect();
            let copies = near
                .iter()
                .filter(|f| f.sample >= 2000 && f.other == Some(f.sample - 2000))
                .count();
            let false_alarms = near.len() - copies;
            assert!(
                false_alarms <= 20,
                "dim {dim}: {false_alarms} of 2000 clean images flagged"
            );
            assert!(copies >= 16, "dim {dim}: {copies} of 20 copies found");
            // Never chained: each finding names the image it copies.
            assert!(found.groups.iter().all(|g| g.len() == 2));
        }
    }
}
