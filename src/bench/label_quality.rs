//! The label-quality suite: the neighbour search, the K-fold linear probe and the whole ranking
//! on `n` synthetic clustered 1,280-d vectors (the cost does not depend on what they mean) with
//! 3% of the labels moved to the next cluster's class, then again after one relabel (the
//! neighbours reused, the probe warm-started), as the window does; then a classifier head
//! trained on 90% of the vectors (`labelscope train`).

use std::time::Instant;

use serde::Serialize;

use super::embeddings::synthetic_embeddings;
use crate::dataset::ClassId;
use crate::embed::{EmbeddingSet, Neighbourhood};
use crate::embedding_store::Embedding;
use crate::jobs::JobControl;
use crate::label_quality::{LabelInputs, LabelQualityOptions, label_quality};

/// Figures of the label-quality suite.
#[derive(Clone, Debug, Serialize)]
pub struct LabelQualityBench {
    /// Vectors.
    pub vectors: usize,
    /// Their dimension.
    pub dim: usize,
    /// Classes.
    pub classes: usize,
    /// Seconds of the neighbour search (all vectors' 10 nearest).
    pub neighbours_secs: f64,
    /// Seconds of the probe (features, 5 folds) and the pooling, given the neighbours.
    pub probe_and_pool_secs: f64,
    /// Neighbours + probe + pooling.
    pub total_secs: f64,
    /// The same after one relabel: neighbours reused, probe warm-started.
    pub after_relabel_secs: f64,
    /// Share of the moved labels among the 3% most suspicious.
    pub moved_found_at_k: f64,
    /// Seconds to train a head (softmax regression, 90% of the vectors, validation loss on
    /// the rest after every step).
    pub head_train_secs: f64,
    /// Its optimiser iterations.
    pub head_iterations: usize,
    /// Seconds for the 95% intervals of one set of `vectors` predictions (1,000 bootstrap
    /// resamples each for balanced accuracy, macro F1 and ECE; Wilson for the rest).
    pub intervals_secs: f64,
    /// Peak resident memory so far, MiB.
    pub peak_rss_mib: Option<f64>,
}

/// Runs the suite on `vectors` synthetic vectors.
pub fn bench_label_quality(vectors: usize) -> anyhow::Result<LabelQualityBench> {
    let (dim, classes) = (1280, 10);
    let rows = synthetic_embeddings(vectors, dim);
    let refs: Vec<Result<&Embedding, String>> = rows.iter().map(Ok).collect();
    let set = EmbeddingSet::from_embeddings(&refs);
    let raw: Vec<Option<Embedding>> = rows.into_iter().map(Some).collect();
    // 20 clusters, two per class; every 33rd sample moved to the next class.
    let mut truth: Vec<Option<ClassId>> = (0..vectors)
        .map(|i| Some(ClassId(((i % 20) / 2) as u32)))
        .collect();
    let moved: Vec<usize> = (0..vectors).step_by(33).collect();
    for &i in &moved {
        truth[i] = truth[i].map(|c| ClassId((c.0 + 1) % classes as u32));
    }
    let opts = LabelQualityOptions::default();
    let control = JobControl::default();
    let t = Instant::now();
    let hood = Neighbourhood::build(&set, &truth, opts.k);
    let neighbours_secs = t.elapsed().as_secs_f64();
    let inputs = LabelInputs {
        classes,
        truth: &truth,
        preds: None,
        set: Some(&set),
        hood: Some(&hood),
    };
    let t = Instant::now();
    let first = label_quality(&inputs, &opts, None, &control).map_err(anyhow::Error::msg)?;
    let probe_and_pool_secs = t.elapsed().as_secs_f64();
    let moved_set: std::collections::HashSet<usize> = moved.iter().copied().collect();
    let found = first
        .queue
        .iter()
        .take(moved.len())
        .filter(|e| moved_set.contains(&e.sample))
        .count();
    truth[1] = Some(ClassId(9));
    let t = Instant::now();
    let reused = hood.fits(&set, &truth);
    let rebuilt;
    let hood = if reused {
        &hood
    } else {
        rebuilt = Neighbourhood::build(&set, &truth, opts.k);
        &rebuilt
    };
    let inputs = LabelInputs {
        classes,
        truth: &truth,
        preds: None,
        set: Some(&set),
        hood: Some(hood),
    };
    label_quality(&inputs, &opts, first.probe.as_ref(), &control).map_err(anyhow::Error::msg)?;
    let after_relabel_secs = t.elapsed().as_secs_f64();
    let (train, val): (Vec<usize>, Vec<usize>) = (0..vectors).partition(|i| i % 10 != 0);
    let names: Vec<String> = (0..classes).map(|c| format!("class {c}")).collect();
    let t = Instant::now();
    let head = crate::head::train_head(
        &raw,
        &truth,
        &train,
        &val,
        &names,
        &crate::head::HeadOptions::default(),
        &control,
        |_| {},
    )
    .map_err(anyhow::Error::msg)?;
    let head_train_secs = t.elapsed().as_secs_f64();
    let all: Vec<usize> = (0..vectors).collect();
    let preds = crate::head::head_predictions("head", &head.head, &raw, &all, vectors);
    let metrics = crate::eval::compute_metrics(&names, &truth, &preds);
    let t = Instant::now();
    crate::eval::intervals::metric_intervals(&metrics, &truth, &preds, 1000, 42);
    let intervals_secs = t.elapsed().as_secs_f64();
    Ok(LabelQualityBench {
        vectors: set.len(),
        dim,
        classes,
        neighbours_secs,
        probe_and_pool_secs,
        total_secs: neighbours_secs + probe_and_pool_secs,
        after_relabel_secs,
        moved_found_at_k: found as f64 / moved.len().max(1) as f64,
        head_train_secs,
        head_iterations: head.curve.len(),
        intervals_secs,
        peak_rss_mib: super::peak_rss_mib(),
    })
}
