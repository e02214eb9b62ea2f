//! The near-copy check's false alarms and power on synthetic tight embeddings: clean points
//! spread evenly in a few dimensions around one direction (all within a few hundredths, as a
//! small CNN's ReLU features are) plus copies moved a little, over several seeds, dimensions
//! and copy jitters. The false-alarm share is the clean points flagged; the power is the
//! copies found naming their original.

use serde::Serialize;

use crate::dataset::Dataset;
use crate::embed::EmbeddingSet;
use crate::problems::{EmbeddingCheckOptions, FindingKind, embedding_checks};

/// `n` points spread evenly in `dim` of 64 dimensions around one direction (a tight
/// embedding: cosine distances of a few hundredths, as a small CNN's ReLU features give),
/// then a copy of each of the first `copies`, moved by `jitter` of the spread (seeded).
pub fn tight_set(
    n: usize,
    dim: usize,
    copies: usize,
    jitter: f32,
    seed: u64,
) -> (Dataset, EmbeddingSet) {
    let mut seed = seed.wrapping_mul(2654435761).wrapping_add(99);
    let mut noise = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    };
    let mut rows: Vec<Vec<f32>> = (0..n)
        .map(|_| {
            let mut r = vec![0.0f32; 64];
            r[0] = 10.0;
            for v in r.iter_mut().skip(1).take(dim) {
                *v = noise();
            }
            r
        })
        .collect();
    for c in 0..copies {
        let moved: Vec<f32> = rows[c].iter().map(|v| v + jitter * noise()).collect();
        rows.push(moved);
    }
    let labels: Vec<u32> = (0..rows.len()).map(|i| (i % 2) as u32).collect();
    let ds = Dataset::in_memory(&["a", "b"], &labels, 5, |_| None);
    (ds, EmbeddingSet::from_rows(&rows))
}

/// One setting's figures over the seeds.
#[derive(Clone, Debug, Serialize)]
pub struct NearCopiesRow {
    /// Dimensions the clean points spread over.
    pub dim: usize,
    /// How far a copy moves, as a share of the spread.
    pub jitter: f32,
    /// Mean share of the clean points flagged.
    pub false_alarm_mean: f64,
    /// Largest share of the clean points flagged in one seed.
    pub false_alarm_max: f64,
    /// Mean share of the copies found, each naming its original.
    pub power: f64,
}

/// Runs `seeds` seeds of `n` clean points and `copies` copies for each dimension and jitter.
pub fn bench_near_copies(n: usize, copies: usize, seeds: u64) -> Vec<NearCopiesRow> {
    let mut rows = Vec::new();
    for dim in [4, 8, 16, 32] {
        for jitter in [0.001f32, 0.005, 0.02] {
            let (mut fa_sum, mut fa_max, mut found) = (0.0, 0.0f64, 0.0);
            for seed in 0..seeds {
                let (ds, set) = tight_set(n, dim, copies, jitter, seed);
                let truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
                let checks = embedding_checks(&ds, &truth, &set, &EmbeddingCheckOptions::default());
                let near = checks
                    .findings
                    .iter()
                    .filter(|f| f.kind == FindingKind::NearDuplicate);
                let (mut hits, mut alarms) = (0usize, 0usize);
                for f in near {
                    if f.sample >= n && f.other == Some(f.sample - n) {
                        hits += 1;
                    } else {
                        alarms += 1;
                    }
                }
                let fa = alarms as f64 / n as f64;
                fa_sum += fa;
                fa_max = fa_max.max(fa);
                found += hits as f64 / copies.max(1) as f64;
            }
            rows.push(NearCopiesRow {
                dim,
                jitter,
                false_alarm_mean: fa_sum / seeds as f64,
                false_alarm_max: fa_max,
                power: found / seeds as f64,
            });
        }
    }
    rows
}
