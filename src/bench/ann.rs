//! The neighbour-index suite: approximate nearest neighbours (the HNSW graph of
//! [`crate::embed::ann`]) measured against exact brute force on real-shaped vectors: recall@10,
//! query latency, build time, memory and the all-neighbours pass, for several storages and a
//! PCA front end.
//!
//! Real-shaped vectors: a base of real embeddings (the bundled model's, of generated images)
//! is grown to the size asked for by simulation. Each new vector lies between a base vector and
//! one of its ten nearest base neighbours (a uniform fraction up to one half of the way) plus
//! isotropic noise of half the base vector's nearest-neighbour distance, then is normalised.
//! So the set keeps the base's clusters, their spread and the local density of real data,
//! which uniform noise (where every point is nearly equidistant) does not.

use std::time::Instant;

use serde::Serialize;

use crate::embed::EmbeddingSet;
use crate::embed::ann::{AnnIndex, AnnOptions, Storage};
use crate::embed::knn::{exact_all_nearest, exact_nearest};
use crate::embed::pca::pca_basis;
use crate::rng::SplitMix;

/// Neighbours compared (recall@K).
pub const K: usize = 10;

/// Rows the exact all-neighbours pass is measured on when the set is too large to run it.
const PROJECT_FROM: usize = 20_000;

/// Grows `base` (normalised rows) to `n` real-shaped rows, deterministic in `seed`.
pub fn grow(base: &EmbeddingSet, n: usize, seed: u64) -> EmbeddingSet {
    EmbeddingSet::from_rows(&grow_rows(base, n, seed))
}

/// [`grow`]'s rows in f32, before they are stored (as f16) in a set.
pub fn grow_rows(base: &EmbeddingSet, n: usize, seed: u64) -> Vec<Vec<f32>> {
    let dim = base.dim;
    let hood = exact_all_nearest(base, K.min(base.len().saturating_sub(1)));
    let mut rng = SplitMix::new(seed);
    let mut rows: Vec<Vec<f32>> = Vec::with_capacity(n);
    for i in 0..n {
        let a = i % base.len();
        let ea = base.row(a);
        if i < base.len() || hood[a].is_empty() {
            rows.push(ea.to_vec());
            continue;
        }
        let pick = &hood[a][rng.below(hood[a].len() as u64) as usize];
        let eb = base.of_sample(pick.sample).unwrap_or_else(|| ea.clone());
        let t = rng.uniform() as f32 * 0.5;
        // Cosine distance d between unit vectors is a Euclidean distance of sqrt(2 d).
        let spread = 0.5 * (2.0 * hood[a][0].distance.max(0.0)).sqrt() / (dim as f32).sqrt();
        let row: Vec<f32> = ea
            .iter()
            .zip(eb.iter())
            .map(|(x, y)| (1.0 - t) * x + t * y + spread * rng.normal() as f32)
            .collect();
        rows.push(row);
    }
    rows
}

/// One configuration's figures.
#[derive(Clone, Debug, Serialize)]
pub struct AnnRow {
    /// What was searched: "exact", "hnsw f16", "pca-256 + hnsw i8", ...
    pub name: String,
    /// Dimension searched.
    pub dim: usize,
    /// Seconds to build (PCA fit and projection included).
    pub build_secs: f64,
    /// Bytes of the index (graph and stored vectors), MiB.
    pub index_mib: f64,
    /// Mean recall@10 against exact search on the full f32 vectors.
    pub recall_at_10: f64,
    /// Median milliseconds of one query (a graph query runs on one thread, an exact one on
    /// every core).
    pub query_p50_ms: f64,
    /// 95th percentile.
    pub query_p95_ms: f64,
    /// Seconds for every row's 10 nearest neighbours (both cores), when measured.
    pub all_knn_secs: Option<f64>,
    /// The same graph searched with other candidate counts (ef): recall@10 and query p95 ms.
    pub ef_sweep: Vec<EfPoint>,
}

/// One search setting of the sweep.
#[derive(Clone, Debug, Serialize)]
pub struct EfPoint {
    /// Candidates kept while searching.
    pub ef: usize,
    /// Candidates re-ranked by exact distance beyond the 10 asked for.
    pub rerank_extra: usize,
    /// Mean recall@10.
    pub recall_at_10: f64,
    /// Median query milliseconds.
    pub query_p50_ms: f64,
    /// 95th percentile.
    pub query_p95_ms: f64,
}

/// Search settings of the sweep: (ef, re-ranked beyond k).
const EF_SWEEP: [(usize, usize); 7] = [
    (64, 10),
    (96, 10),
    (256, 10),
    (1024, 10),
    (96, 40),
    (128, 90),
    (256, 190),
];

/// Figures of the suite.
#[derive(Clone, Debug, Serialize)]
pub struct AnnBench {
    /// Where the base vectors came from.
    pub base: String,
    /// Base vectors.
    pub base_rows: usize,
    /// Rows searched.
    pub rows: usize,
    /// Their dimension.
    pub dim: usize,
    /// Queries timed and scored.
    pub queries: usize,
    /// Seconds to grow the base to `rows`.
    pub grow_secs: f64,
    /// When the exact all-neighbours figure is projected: the rows it was measured on (it
    /// grows with rows squared).
    pub exact_all_knn_measured_on: Option<usize>,
    /// One row per configuration.
    pub configs: Vec<AnnRow>,
    /// Peak resident memory, MiB.
    pub peak_rss_mib: Option<f64>,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The query rows: spread evenly over the set.
fn query_rows(set: &EmbeddingSet, queries: usize) -> Vec<usize> {
    let step = (set.len() / queries.max(1)).max(1);
    (0..set.len()).step_by(step).take(queries).collect()
}

/// Exact answers (samples) and timings of the queries (each on every core, as the window's
/// find-similar runs).
fn exact_answers(set: &EmbeddingSet, queries: &[usize]) -> (Vec<Vec<usize>>, Vec<f64>) {
    let mut times = Vec::with_capacity(queries.len());
    let mut answers = Vec::with_capacity(queries.len());
    for &r in queries {
        let q = set.row(r);
        let t = Instant::now();
        let found = exact_nearest(set, &q, K, &[set.samples[r] as usize]);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        answers.push(found.iter().map(|n| n.sample).collect());
    }
    (answers, times)
}

fn recall(found: &[Vec<usize>], exact: &[Vec<usize>]) -> f64 {
    let mut hits = 0usize;
    let mut total = 0usize;
    for (f, e) in found.iter().zip(exact) {
        hits += f.iter().filter(|s| e.contains(s)).count();
        total += e.len();
    }
    hits as f64 / total.max(1) as f64
}

/// A configuration of the approximate search.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Principal components searched (None: the full vectors).
    pub pca: Option<usize>,
    /// The graph's settings.
    pub options: AnnOptions,
    /// Whether to time the all-neighbours pass.
    pub all_knn: bool,
}

impl Config {
    fn name(&self) -> String {
        let storage = match self.options.storage {
            Storage::F32 => "f32",
            Storage::F16 => "f16",
            Storage::I8 => "i8",
        };
        match self.pca {
            Some(k) => format!("pca-{k} + hnsw {storage}"),
            None => format!("hnsw {storage}"),
        }
    }
}

/// The set's rows on `k` principal components fitted on a sample of at most 20,000 rows.
fn project(set: &EmbeddingSet, k: usize) -> EmbeddingSet {
    let x = set.matrix();
    let step = (set.len() / 20_000).max(1);
    let sample = x.slice(ndarray::s![..;step, ..]).to_owned();
    let Some(basis) = pca_basis(sample.view(), k) else {
        return set.clone();
    };
    let rows: Vec<Vec<f32>> = (0..set.len())
        .step_by(8192)
        .flat_map(|lo| {
            let hi = (lo + 8192).min(set.len());
            let s = basis.project(x.slice(ndarray::s![lo..hi, ..]));
            s.rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>()
        })
        .collect();
    EmbeddingSet::from_rows(&rows)
}

/// Runs one configuration against the exact answers.
fn run_config(
    set: &EmbeddingSet,
    config: Config,
    queries: &[usize],
    exact: &[Vec<usize>],
) -> anyhow::Result<AnnRow> {
    let t = Instant::now();
    let searched = match config.pca {
        Some(k) => project(set, k),
        None => set.clone(),
    };
    let mut index = AnnIndex::build(searched.as_rows(), config.options, None)?;
    let build_secs = t.elapsed().as_secs_f64();
    let measure = |index: &AnnIndex| -> anyhow::Result<(f64, Vec<f64>)> {
        let mut times = Vec::with_capacity(queries.len());
        let mut found = Vec::with_capacity(queries.len());
        for &r in queries {
            let q = searched.row(r);
            let t = Instant::now();
            let got = index.nearest(searched.as_rows(), &q, K, &[searched.samples[r] as usize])?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            found.push(got.iter().map(|n| n.sample).collect::<Vec<_>>());
        }
        times.sort_by(f64::total_cmp);
        Ok((recall(&found, exact), times))
    };
    let mut ef_sweep = Vec::new();
    for (ef, rerank_extra) in EF_SWEEP {
        index.set_search(ef, rerank_extra);
        let (r, times) = measure(&index)?;
        ef_sweep.push(EfPoint {
            ef,
            rerank_extra,
            recall_at_10: r,
            query_p50_ms: percentile(&times, 0.5),
            query_p95_ms: percentile(&times, 0.95),
        });
    }
    index.set_search(config.options.expansion_search, config.options.rerank_extra);
    let (found_recall, times) = measure(&index)?;
    let all_knn_secs = if config.all_knn {
        let t = Instant::now();
        std::hint::black_box(index.all_nearest(searched.as_rows(), K, None)?);
        Some(t.elapsed().as_secs_f64())
    } else {
        None
    };
    Ok(AnnRow {
        name: config.name(),
        dim: searched.dim,
        build_secs,
        index_mib: index.memory_bytes() as f64 / (1024.0 * 1024.0),
        recall_at_10: found_recall,
        query_p50_ms: percentile(&times, 0.5),
        query_p95_ms: percentile(&times, 0.95),
        all_knn_secs,
        ef_sweep,
    })
}

/// Runs the suite on `base` grown to `rows` vectors: exact search, then each configuration.
pub fn bench_ann(
    base: &EmbeddingSet,
    base_name: &str,
    rows: usize,
    queries: usize,
    configs: &[Config],
    exact_all_knn: bool,
) -> anyhow::Result<AnnBench> {
    let t = Instant::now();
    let set = grow(base, rows, 0x5eed);
    let grow_secs = t.elapsed().as_secs_f64();
    let picked = query_rows(&set, queries);
    let (exact, mut times) = exact_answers(&set, &picked);
    times.sort_by(f64::total_cmp);
    // Past a size, measured on the first rows and projected by rows squared.
    let measured_on = if exact_all_knn {
        set.len()
    } else {
        PROJECT_FROM.min(set.len())
    };
    let first: Vec<usize> = set.samples[..measured_on]
        .iter()
        .map(|&s| s as usize)
        .collect();
    let part = if measured_on == set.len() {
        set.clone()
    } else {
        set.subset(&first)
    };
    let t = Instant::now();
    std::hint::black_box(exact_all_nearest(&part, K));
    let scale = (set.len() as f64 / measured_on as f64).powi(2);
    let all_knn_secs = Some(t.elapsed().as_secs_f64() * scale);
    drop(part);
    let mut out = vec![AnnRow {
        name: "exact".into(),
        dim: set.dim,
        build_secs: 0.0,
        index_mib: 0.0,
        recall_at_10: 1.0,
        query_p50_ms: percentile(&times, 0.5),
        query_p95_ms: percentile(&times, 0.95),
        all_knn_secs,
        ef_sweep: Vec::new(),
    }];
    for &c in configs {
        eprintln!("  {} ...", c.name());
        out.push(run_config(&set, c, &picked, &exact)?);
    }
    Ok(AnnBench {
        base: base_name.to_string(),
        base_rows: base.len(),
        rows: set.len(),
        dim: set.dim,
        queries: picked.len(),
        grow_secs,
        exact_all_knn_measured_on: (measured_on < set.len()).then_some(measured_on),
        configs: out,
        peak_rss_mib: super::peak_rss_mib(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grown_rows_stay_near_their_base_and_keep_its_first_rows() {
        let base = EmbeddingSet::from_rows(
            &(0..200)
                .map(|i| {
                    let t = i as f32 * 0.1;
                    vec![t.sin(), t.cos(), (2.0 * t).sin(), 1.0]
                })
                .collect::<Vec<_>>(),
        );
        let set = grow(&base, 1000, 7);
        assert_eq!(set.len(), 1000);
        // The first rows are the base's (through f16, as every embedding).
        let same = crate::embed::knn::dot(&set.row(3), &base.row(3));
        assert!((same - 1.0).abs() < 1e-3, "{same}");
        // A grown row is closer to its own base row than to most of the base.
        let r = 200 + 17;
        let own = 1.0 - crate::embed::knn::dot(&set.row(r), &base.row(17));
        let mut d: Vec<f32> = (0..200)
            .map(|b| 1.0 - crate::embed::knn::dot(&set.row(r), &base.row(b)))
            .collect();
        d.sort_by(f32::total_cmp);
        assert!(own <= d[10], "{own} vs {:?}", &d[..12]);
    }
}
