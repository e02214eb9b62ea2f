//! The embeddings suite: what reading the embedding adds to inference (same pass), a k-NN
//! query, the PCA and UMAP maps and the memory of a 100,000 x 1,280 set (synthetic clustered
//! vectors: the cost does not depend on what the vectors mean).

use std::time::Instant;

use serde::Serialize;

use crate::dataset::Dataset;
use crate::embed::EmbeddingSet;
use crate::embed::knn::nearest;
use crate::embed::project::{UmapOptions, pca_map, umap_map};
use crate::embedding_store::{Embedding, to_embedding};
use crate::jobs::JobControl;
use crate::model::backend::Backend;
use crate::model::preprocess::preprocess;
use crate::model::{LoadedModel, resolve_backend};

/// Figures of the embeddings suite.
#[derive(Clone, Debug, Serialize)]
pub struct EmbeddingBench {
    /// The backend of the extraction figures.
    pub backend: String,
    /// Images per second, inference alone, logits only.
    pub logits_only_ips: f64,
    /// Images per second, inference alone, logits and embedding.
    pub with_embedding_ips: f64,
    /// Extra time of reading the embedding, in percent.
    pub extraction_overhead_pct: f64,
    /// Vectors in the synthetic set.
    pub vectors: usize,
    /// Their dimension.
    pub dim: usize,
    /// Mean milliseconds of one 20-nearest query over the set.
    pub knn_query_ms: f64,
    /// Seconds of the PCA map.
    pub pca_secs: f64,
    /// Seconds of the UMAP map (None when skipped).
    pub umap_secs: Option<f64>,
    /// Resident memory after building the set, MiB.
    pub rss_with_set_mib: Option<f64>,
}

/// Inference-only throughput of `model` on `ds` (pre-decoded), `threads` workers.
fn inference_ips(
    ds: &Dataset,
    model: &LoadedModel,
    kind: crate::model::BackendKind,
    threads: usize,
) -> anyhow::Result<(f64, String)> {
    let backend = resolve_backend(kind, model)?;
    let mut tensors = Vec::with_capacity(ds.samples.len());
    for s in &ds.samples {
        let img = crate::dataset::image_io::decode_image(&s.path).map_err(anyhow::Error::msg)?;
        tensors.push(preprocess(&img, &model.spec.input)?);
    }
    let todo: Vec<usize> = (0..tensors.len()).collect();
    let run = || {
        crate::jobs::pool::run_pool(
            &todo,
            threads,
            "bench",
            &JobControl::default(),
            &|| backend.factory.create(),
            &|b: &mut Box<dyn Backend>, i| b.run(&tensors[i], 1).is_ok(),
        )
    };
    run()?; // warm-up
    let t = Instant::now();
    let ok = run()?;
    let ips = tensors.len() as f64 / t.elapsed().as_secs_f64();
    if ok.iter().any(|(_, ok)| !ok) {
        return Err(anyhow::anyhow!("inference failed on a pre-decoded tensor"));
    }
    Ok((ips, backend.factory.describe()))
}

/// `n` clustered unit-ish vectors of `dim` values (20 clusters), deterministic.
pub fn synthetic_embeddings(n: usize, dim: usize) -> Vec<Embedding> {
    crate::embed::synthetic::clustered_rows(n, dim)
        .map(|row| to_embedding(&row))
        .collect()
}

/// Runs the suite: extraction on `ds` with `model`, the rest on `vectors` synthetic vectors.
pub fn bench_embeddings(
    ds: &Dataset,
    model: &LoadedModel,
    kind: crate::model::BackendKind,
    threads: usize,
    vectors: usize,
    with_umap: bool,
) -> anyhow::Result<EmbeddingBench> {
    let without = LoadedModel {
        embedding: Err(crate::model::embedding_value::NoEmbeddingValue::Off(
            "off for the benchmark",
        )),
        ..model.clone()
    };
    let (logits_only, backend) = inference_ips(ds, &without, kind, threads)?;
    let (with_embedding, _) = inference_ips(ds, model, kind, threads)?;
    let dim = 1280;
    let rows = synthetic_embeddings(vectors, dim);
    let refs: Vec<Result<&Embedding, String>> = rows.iter().map(Ok).collect();
    let set = EmbeddingSet::from_embeddings(&refs);
    drop(rows);
    let rss = super::rss_mib();
    let queries = 20;
    let t = Instant::now();
    for q in 0..queries {
        let row = set.row((q * 4999) % set.len()).to_vec();
        std::hint::black_box(nearest(&set, &row, 20, &[]));
    }
    let knn_ms = t.elapsed().as_secs_f64() * 1000.0 / queries as f64;
    let t = Instant::now();
    std::hint::black_box(pca_map(&set));
    let pca_secs = t.elapsed().as_secs_f64();
    let umap_secs = if with_umap {
        let t = Instant::now();
        umap_map(&set, &UmapOptions::default(), &JobControl::default())
            .map_err(anyhow::Error::msg)?;
        Some(t.elapsed().as_secs_f64())
    } else {
        None
    };
    Ok(EmbeddingBench {
        backend,
        logits_only_ips: logits_only,
        with_embedding_ips: with_embedding,
        extraction_overhead_pct: (logits_only / with_embedding - 1.0) * 100.0,
        vectors: set.len(),
        dim,
        knn_query_ms: knn_ms,
        pca_secs,
        umap_secs,
        rss_with_set_mib: rss,
    })
}
