//! Several models in one pass against one run each: `evaluate --model A --model B` decodes every
//! image once and feeds it to both, so it should cost about one decode plus two inferences.

use std::time::Instant;

use crate::dataset::Dataset;
use crate::jobs::JobControl;
use crate::model::multi::{ModelEntry, predict_models};
use crate::model::{BackendKind, PredictOptions, load_model, predict_dataset, resolve_backend};

/// Figures of the comparison benchmark.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CompareBench {
    /// Images.
    pub images: usize,
    /// Worker threads.
    pub threads: usize,
    /// The models' names.
    pub models: Vec<String>,
    /// The runtime.
    pub backend: String,
    /// Each model alone, end to end, seconds.
    pub single_secs: Vec<f64>,
    /// All models in one pass, seconds.
    pub together_secs: f64,
    /// together / sum of singles (below 1: the shared decode paid off).
    pub ratio: f64,
}

/// Times each model alone over `ds`, then all of them in one pass (no cache, warm files).
pub fn bench_compare(
    ds: &Dataset,
    model_paths: &[std::path::PathBuf],
    kind: BackendKind,
    threads: usize,
) -> anyhow::Result<CompareBench> {
    let mut models = Vec::new();
    for p in model_paths {
        let m = load_model(p).map_err(anyhow::Error::msg)?;
        let b = resolve_backend(kind, &m)?;
        models.push((m, b));
    }
    let opts = PredictOptions {
        threads,
        use_cache: false,
        embeddings: false,
    };
    let mut single_secs = Vec::new();
    for (m, b) in &models {
        let t = Instant::now();
        predict_dataset(ds, m, b, &opts, None, &JobControl::default(), None)?;
        single_secs.push(t.elapsed().as_secs_f64());
    }
    let entries: Vec<ModelEntry> = models
        .iter()
        .map(|(model, backend)| ModelEntry {
            model,
            backend,
            max_side: None,
        })
        .collect();
    let t = Instant::now();
    predict_models(ds, &entries, &opts, None, &JobControl::default())?;
    let together_secs = t.elapsed().as_secs_f64();
    Ok(CompareBench {
        images: ds.samples.len(),
        threads,
        models: models.iter().map(|(m, _)| m.spec.name.clone()).collect(),
        backend: models
            .first()
            .map_or_else(String::new, |(_, b)| b.factory.describe()),
        ratio: together_secs / single_secs.iter().sum::<f64>().max(1e-9),
        single_secs,
        together_secs,
    })
}
