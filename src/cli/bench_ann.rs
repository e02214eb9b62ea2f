//! `bench --suite ann`: the neighbour index against exact search on real-shaped vectors (the
//! bundled EfficientNet-Lite0's embeddings of generated Fashion images, grown by simulation).

use std::path::Path;

use anyhow::{Result, anyhow};

use crate::bench::ann::{AnnBench, Config, bench_ann};
use crate::embed::EmbeddingSet;
use crate::embed::ann::{AnnOptions, Storage};
use crate::model::BackendKind;

/// Above this many rows only the default configuration runs (each build takes minutes).
const ALL_CONFIGS_UP_TO: usize = 200_000;
/// Above this many rows the exact all-neighbours pass is projected, not run.
const EXACT_ALL_KNN_UP_TO: usize = 50_000;
/// Queries timed and scored per configuration.
const QUERIES: usize = 200;

/// The base: EfficientNet-Lite0 embeddings of `n` generated Fashion images in `dir`.
fn base_embeddings(dir: &Path, n: usize, backend: BackendKind) -> Result<(EmbeddingSet, String)> {
    eprintln!("generating {n} Fashion images in {}", dir.display());
    crate::bench::scale::generate_fashion_set(dir, n)?;
    let ds = crate::dataset::open_dataset(dir, &crate::dataset::OpenOptions::default())?;
    let model_path = crate::bench::repo_path("assets/models/efficientnet_lite0_fp16w.json")
        .ok_or_else(|| anyhow!("assets/models/efficientnet_lite0_fp16w.json not found"))?;
    let model = crate::model::load_model(&model_path)?;
    let b = crate::model::resolve_backend(backend, &model)?;
    eprintln!(
        "embedding them with {} ({})",
        model.spec.name,
        b.factory.describe()
    );
    let ws = crate::workspace::Workspace::new(ds);
    let set = crate::bench::fresh_embeddings(&ws, &model, &b)?;
    let name = format!(
        "{} {}-d embeddings of {} generated Fashion images",
        model.spec.name,
        set.dim,
        set.len()
    );
    Ok((set, name))
}

/// The configurations measured at `rows`.
fn configs(rows: usize) -> Vec<Config> {
    let default = AnnOptions::default();
    let with = |storage| AnnOptions { storage, ..default };
    let all = rows <= ALL_CONFIGS_UP_TO;
    let mut out = vec![Config {
        pca: None,
        options: default,
        all_knn: true,
    }];
    if all {
        for (pca, storage) in [
            (None, Storage::F32),
            (None, Storage::F16),
            (Some(256), Storage::I8),
            (Some(64), Storage::F32),
        ] {
            out.push(Config {
                pca,
                options: with(storage),
                all_knn: true,
            });
        }
    }
    out
}

/// Runs the suite and prints its table.
pub fn ann_suite(
    scratch: &Path,
    rows: usize,
    base: usize,
    backend: BackendKind,
) -> Result<serde_json::Value> {
    let (base_set, base_name) = base_embeddings(&scratch.join("ann-base"), base, backend)?;
    eprintln!("growing to {rows} rows; exact search, then each index");
    let b = bench_ann(
        &base_set,
        &base_name,
        rows,
        QUERIES,
        &configs(rows),
        rows <= EXACT_ALL_KNN_UP_TO,
    )?;
    print(&b);
    let mut out = serde_json::to_value(&b)?;
    if rows <= ALL_CONFIGS_UP_TO {
        eprintln!("the stored forms against f32");
        let grown = crate::bench::ann::grow_rows(&base_set, rows, 0x5eed);
        let forms = crate::bench::stored_forms::stored_forms(&grown, QUERIES, scratch);
        print_forms(&forms);
        out["stored_forms"] = serde_json::to_value(&forms)?;
    }
    Ok(out)
}

fn print_forms(f: &crate::bench::stored_forms::StoredForms) {
    println!(
        "
stored forms: exact search over each against exact search over f32, {} rows x {}, {} queries",
        f.rows, f.dim, f.queries
    );
    println!("  {:<14} {:>10} {:>10}", "form", "bytes/row", "recall@10");
    for r in &f.forms {
        println!(
            "  {:<14} {:>10} {:>10.4}",
            r.name, r.bytes_per_row, r.recall_at_10
        );
    }
    println!(
        "  exact query with the rows in memory (f32): p50 {:.1} ms, p95 {:.1} ms; on disk (f16, read in blocks, page cache warm): p50 {:.1} ms, p95 {:.1} ms",
        f.memory_query_ms[0], f.memory_query_ms[1], f.disk_query_ms[0], f.disk_query_ms[1]
    );
}

fn print(b: &AnnBench) {
    println!(
        "\nneighbour index: {} rows x {} ({} base: {}), grown in {:.1} s; {} queries, recall@10 against exact f32",
        b.rows, b.dim, b.base_rows, b.base, b.grow_secs, b.queries
    );
    println!(
        "  {:<22} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>12}",
        "search", "dim", "build s", "index MiB", "recall@10", "p50 ms", "p95 ms", "all-kNN s"
    );
    for r in &b.configs {
        let all = match (r.all_knn_secs, b.exact_all_knn_measured_on) {
            (Some(s), Some(_)) if r.name == "exact" => format!("~{s:.0} (proj.)"),
            (Some(s), _) => format!("{s:.1}"),
            (None, _) => "-".into(),
        };
        println!(
            "  {:<22} {:>5} {:>9.1} {:>9.0} {:>9.4} {:>9.2} {:>9.2} {:>12}",
            r.name,
            r.dim,
            r.build_secs,
            r.index_mib,
            r.recall_at_10,
            r.query_p50_ms,
            r.query_p95_ms,
            all
        );
    }
    for r in b.configs.iter().filter(|r| !r.ef_sweep.is_empty()) {
        let cells: Vec<String> = r
            .ef_sweep
            .iter()
            .map(|p| {
                format!(
                    "ef {} k+{}: {:.4} ({:.2} ms p95)",
                    p.ef, p.rerank_extra, p.recall_at_10, p.query_p95_ms
                )
            })
            .collect();
        println!("  {:<22} {}", r.name, cells.join(", "));
    }
    if let Some(n) = b.exact_all_knn_measured_on {
        println!("  exact all-kNN: measured on the first {n} rows, projected by rows squared");
    }
    if let Some(rss) = b.peak_rss_mib {
        println!("  peak RSS {rss:.0} MiB");
    }
}
