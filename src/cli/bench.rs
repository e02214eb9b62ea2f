//! `labelscope bench`: predict vs inference alone per backend, gallery thumbnails, and a
//! generated 100k-sample dataset; each suite prints a table, all figures go to one JSON file.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::{Args, ValueEnum};

use crate::bench::thumbs::bench_thumbnails;
use crate::bench::{bench_predict, generate_photo_set, repo_path};
use crate::dataset::{Dataset, OpenOptions, open_dataset};
use crate::model::{BackendKind, PredictOptions, load_model, resolve_backend};

/// A benchmark suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Suite {
    /// End-to-end predict vs inference on pre-decoded tensors, per backend.
    Predict,
    /// Gallery thumbnails vs full decode + resize.
    Thumbnails,
    /// A generated dataset of `--samples` small images: open, predict, cached reload, RSS.
    Scale,
    /// Embeddings: extraction over inference alone, a k-NN query, PCA and UMAP maps and memory
    /// of `--samples` synthetic 1,280-d vectors.
    Embeddings,
    /// Label quality: the neighbour search and the 5-fold linear probe on `--samples`
    /// synthetic 1,280-d vectors, then again after one relabel.
    LabelQuality,
    /// The near-copy check on synthetic tight embeddings: false alarms and copies found over
    /// 10 seeds, 4 dimensions and 3 copy jitters (2,000 clean points, 20 copies each); then
    /// its pixel check on generated look-alike families with shifted, mirrored, cropped and
    /// noisy copies (10 seeds, 3 look-alike spreads).
    NearCopies,
    /// The drift tests by simulation: the class-mix test's false alarms and power at three
    /// window sizes (1,000 trials each, the goodness-of-fit form beside it); the embedding test's
    /// false alarms, power and scale (`--trials` each); the confidence test's false alarms; the
    /// accuracy estimate on corrupted copies of the bundled sample.
    Monitor,
    /// Choosing what to label: a simulated labelling loop on the bundled sample's embeddings
    /// (2 labels per class, then 6 rounds of 20), accuracy per round for each strategy, mean of
    /// 5 seeds.
    Select,
    /// Two models (default: the bundled EfficientNet-Lite0 fp16 and int8 weights) in one pass
    /// against one run each, on the photo-like set.
    Compare,
    /// The neighbour index (HNSW) against exact search on `--samples` real-shaped 1,280-d
    /// vectors (EfficientNet-Lite0 embeddings of `--ann-base` generated images, grown by
    /// simulation): recall@10, query p50/p95, build time, memory, all-neighbours time.
    Ann,
    /// A generated Hub-style Parquet dataset of `--samples` photo-like JPEGs: warm open, RSS,
    /// previews, and `predict` over `--images` rows against the same images as loose files
    /// (model: `--model`, default the bundled Fashion CNN).
    HfParquet,
}

/// `labelscope bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Suites to run.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "predict,thumbnails"
    )]
    pub suite: Vec<Suite>,
    /// Model of the predict suite (default: the bundled EfficientNet-Lite0).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Photo-like JPEGs (500x375) generated from the bundled photos.
    #[arg(long, default_value_t = 300)]
    pub images: usize,
    /// Keep the photo-like JPEGs in this folder (reused when it already holds images), e.g.
    /// for `benches/python_baseline.py`; the hf-parquet suite keeps its dataset in
    /// `<folder>/hf-parquet` (reused too), e.g. to open it in the window, and the scale suite
    /// in `<folder>/scale-<samples>/data` (reused; its state and export are made afresh).
    #[arg(long)]
    pub images_dir: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Backends of the predict suite (the scale suite uses the first).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "tract,onnxruntime"
    )]
    pub backend: Vec<BackendKind>,
    /// Models of the compare suite (give two or more; default: the bundled EfficientNet-Lite0
    /// fp16 and int8 weights).
    #[arg(long)]
    pub compare_model: Vec<PathBuf>,
    /// Samples of the scale suite.
    #[arg(long, default_value_t = 100_000)]
    pub samples: usize,
    /// Real embeddings the ann suite grows from.
    #[arg(long, default_value_t = 10_000)]
    pub ann_base: usize,
    /// Trials per setting of the monitor suite's embedding drift simulation.
    #[arg(long, default_value_t = 100)]
    pub trials: usize,
    /// Where to write the figures as JSON (the predict suite also writes the model's top class
    /// per image, first backend, beside it as `<name>.top1.csv`).
    #[arg(long, default_value = "bench.json")]
    pub json: PathBuf,
}

/// Runs `bench`; `read` is every file the arguments name (the JSON never goes over one).
pub fn run(args: &BenchArgs, read: &crate::inputs::Inputs) -> Result<()> {
    read.check_file_output(&args.json)?;
    read.check_file_output(&args.json.with_extension("top1.csv"))?;
    let threads = args
        .threads
        .unwrap_or_else(|| PredictOptions::default().threads);
    let scratch = std::env::temp_dir().join(format!("labelscope-bench-{}", std::process::id()));
    let photos_dir = args
        .images_dir
        .clone()
        .unwrap_or_else(|| scratch.join("photos"));
    let mut out = serde_json::Map::new();
    out.insert("machine".into(), machine());
    let result = (|| -> Result<()> {
        if args.suite.contains(&Suite::Predict)
            || args.suite.contains(&Suite::Thumbnails)
            || args.suite.contains(&Suite::Embeddings)
            || args.suite.contains(&Suite::Compare)
        {
            let ds = photo_set(&photos_dir, args.images)?;
            if args.suite.contains(&Suite::Compare) {
                out.insert("compare".into(), compare_suite(args, &ds, threads)?);
            }
            if args.suite.contains(&Suite::Embeddings) {
                out.insert("embeddings".into(), embedding_suite(args, &ds, threads)?);
            }
            if args.suite.contains(&Suite::Predict) {
                out.insert("predict".into(), predict_suite(args, &ds, threads)?);
            }
            if args.suite.contains(&Suite::Thumbnails) {
                out.insert("thumbnails".into(), thumbnail_suite(&ds, &scratch)?);
            }
        }
        if args.suite.contains(&Suite::HfParquet) {
            let model_path = match &args.model {
                Some(p) => p.clone(),
                None => repo_path("assets/models/fashion_cnn.onnx")
                    .ok_or_else(|| anyhow!("bundled model not found; give --model"))?,
            };
            let model = load_model(&model_path)?;
            let backend = args.backend.first().copied().unwrap_or(BackendKind::Auto);
            let dir = match &args.images_dir {
                Some(d) => d.join("hf-parquet"),
                None => scratch.join("hf-parquet"),
            };
            eprintln!(
                "Hub-style Parquet dataset of {} rows in {}",
                args.samples,
                dir.display()
            );
            let b = crate::bench::hf_parquet::bench_hf_parquet(
                &dir,
                &scratch,
                args.samples,
                args.images,
                &model,
                backend,
                threads,
            )
            .map_err(|e| anyhow!(e))?;
            b.print();
            out.insert("hf_parquet".into(), serde_json::to_value(&b)?);
        }
        if args.suite.contains(&Suite::Ann) {
            let backend = args.backend.first().copied().unwrap_or(BackendKind::Auto);
            out.insert(
                "ann".into(),
                super::bench_ann::ann_suite(&scratch, args.samples, args.ann_base, backend)?,
            );
        }
        if args.suite.contains(&Suite::NearCopies) {
            out.insert(
                "near_copies".into(),
                super::bench_synthetic::near_copies_suite()?,
            );
        }
        if args.suite.contains(&Suite::Monitor) {
            let backend = args.backend.first().copied().unwrap_or(BackendKind::Auto);
            let class_mix = super::bench_monitor::class_mix_suite()?;
            let embedding = super::bench_monitor::embedding_drift_suite(args.trials)?;
            let estimate =
                super::bench_monitor::accuracy_estimate_suite(backend, &scratch.join("corrupted"))?;
            out.insert(
                "monitor".into(),
                serde_json::json!({
                    "class_mix": class_mix,
                    "embedding_drift": embedding,
                    "accuracy_estimate": estimate,
                }),
            );
        }
        if args.suite.contains(&Suite::Select) {
            let backend = args.backend.first().copied().unwrap_or(BackendKind::Auto);
            out.insert(
                "select".into(),
                super::bench_monitor::select_suite(backend, args.model.as_deref())?,
            );
        }
        if args.suite.contains(&Suite::LabelQuality) {
            out.insert(
                "label_quality".into(),
                super::bench_synthetic::label_quality_suite(args.samples)?,
            );
        }
        if args.suite.contains(&Suite::Scale) {
            out.insert(
                "scale".into(),
                super::bench_scale::scale_suite(
                    &args.images_dir.as_ref().map_or_else(
                        || scratch.join("scale"),
                        |d| d.join(format!("scale-{}", args.samples)),
                    ),
                    args.samples,
                    threads,
                    args.backend.first().copied().unwrap_or(BackendKind::Auto),
                )?,
            );
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result?;
    let text = serde_json::to_string_pretty(&out)?;
    crate::outputs::write_via_temp(&args.json, |tmp| std::fs::write(tmp, &text))?;
    eprintln!("wrote {}", args.json.display());
    Ok(())
}

/// The photo-like set in `dir`: reused when it already holds images, else generated.
fn photo_set(dir: &Path, n: usize) -> Result<Dataset> {
    if let Ok(ds) = open_dataset(dir, &OpenOptions::default())
        && !ds.samples.is_empty()
    {
        eprintln!("using {} images in {}", ds.samples.len(), dir.display());
        return Ok(ds);
    }
    eprintln!(
        "generating {n} photo-like JPEGs (500x375) in {}",
        dir.display()
    );
    generate_photo_set(dir, n, (500, 375)).map_err(|e| anyhow!(e))
}

fn predict_suite(args: &BenchArgs, ds: &Dataset, threads: usize) -> Result<serde_json::Value> {
    let model_path = match &args.model {
        Some(p) => p.clone(),
        None => repo_path("assets/models/efficientnet_lite0_fp16w.onnx")
            .ok_or_else(|| anyhow!("bundled model not found; give --model"))?,
    };
    let model = load_model(&model_path)?;
    println!(
        "{:<48} {:>7} {:>8} {:>12} {:>14} {:>7} {:>16}",
        "backend", "images", "threads", "end-to-end", "inference-only", "ratio", "decode 1 thread"
    );
    let mut rows = Vec::new();
    for kind in &args.backend {
        let backend = match resolve_backend(*kind, &model) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("skipping {kind}: {e}");
                continue;
            }
        };
        let (b, top1) = bench_predict(ds, &model, &backend, threads).map_err(|e| anyhow!(e))?;
        println!(
            "{:<48} {:>7} {:>8} {:>10.1}/s {:>12.1}/s {:>7.2} {:>14.1}/s",
            b.backend.chars().take(48).collect::<String>(),
            b.images,
            b.threads,
            b.end_to_end_ips,
            b.inference_only_ips,
            b.ratio,
            b.decode_one_thread_ips
        );
        let st = &b.stages;
        println!(
            "  one image on one thread: read {:.2} ms, decode {:.2} ms, resize {:.2} ms, tensor {:.2} ms, inference {:.2} ms, finish {:.3} ms; session start {:.0} ms",
            st.read_ms,
            st.decode_ms,
            st.resize_ms,
            st.tensor_ms,
            st.inference_ms,
            st.finish_ms,
            st.session_ms
        );
        if rows.is_empty() {
            let mut csv = String::from("path,class_index\n");
            for (s, c) in ds.samples.iter().zip(&top1) {
                let c = c.map_or(String::new(), |c| c.to_string());
                csv.push_str(&format!("{},{c}\n", s.id.0));
            }
            std::fs::write(args.json.with_extension("top1.csv"), csv)?;
        }
        rows.push(b);
    }
    Ok(serde_json::to_value(rows)?)
}

fn embedding_suite(args: &BenchArgs, ds: &Dataset, threads: usize) -> Result<serde_json::Value> {
    let model_path = match &args.model {
        Some(p) => p.clone(),
        None => repo_path("assets/models/efficientnet_lite0_fp16w.json")
            .ok_or_else(|| anyhow!("bundled model not found; give --model"))?,
    };
    let model = load_model(&model_path)?;
    let kind = args.backend.first().copied().unwrap_or(BackendKind::Auto);
    eprintln!(
        "embeddings: extraction on {} images, then {} synthetic vectors",
        ds.samples.len(),
        args.samples
    );
    let b =
        crate::bench::embeddings::bench_embeddings(ds, &model, kind, threads, args.samples, true)
            .map_err(|e| anyhow!(e))?;
    println!("\nembeddings ({})", b.backend);
    println!(
        "  inference, logits only        {:>9.1} img/s",
        b.logits_only_ips
    );
    println!(
        "  inference, logits + embedding {:>9.1} img/s  ({:+.1}%)",
        b.with_embedding_ips, b.extraction_overhead_pct
    );
    println!("  {} x {} vectors:", b.vectors, b.dim);
    println!("  k-NN query (20 nearest)       {:>9.1} ms", b.knn_query_ms);
    println!("  PCA map                       {:>9.2} s", b.pca_secs);
    if let Some(u) = b.umap_secs {
        println!("  UMAP map                      {u:>9.2} s");
    }
    if let Some(r) = b.rss_with_set_mib {
        println!("  RSS with the set              {r:>9.0} MiB");
    }
    Ok(serde_json::to_value(&b)?)
}

fn compare_suite(args: &BenchArgs, ds: &Dataset, threads: usize) -> Result<serde_json::Value> {
    let models = if args.compare_model.len() >= 2 {
        args.compare_model.clone()
    } else {
        ["fp16w", "int8w"]
            .iter()
            .map(|w| repo_path(&format!("assets/models/efficientnet_lite0_{w}.json")))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| anyhow!("bundled models not found; give --compare-model twice"))?
    };
    let kind = args.backend.first().copied().unwrap_or(BackendKind::Auto);
    let b =
        crate::bench::compare::bench_compare(ds, &models, kind, threads).map_err(|e| anyhow!(e))?;
    println!(
        "
compare: {} models over {} images, {} threads ({})",
        b.models.len(),
        b.images,
        b.threads,
        b.backend
    );
    for (name, secs) in b.models.iter().zip(&b.single_secs) {
        println!("  alone: {name:<50} {secs:>7.2} s");
    }
    println!(
        "  sum of the single runs {:>7.2} s\n  together, one decode    {:>7.2} s  ({:.2}x the sum)",
        b.single_secs.iter().sum::<f64>(),
        b.together_secs,
        b.ratio
    );
    Ok(serde_json::to_value(&b)?)
}

fn thumbnail_suite(ds: &Dataset, scratch: &Path) -> Result<serde_json::Value> {
    let max_side = 160;
    let mut rows = Vec::new();
    let small: Vec<PathBuf> = ds.samples.iter().map(|s| s.path.clone()).collect();
    rows.push(bench_thumbnails(&small, max_side).map_err(|e| anyhow!(e))?);
    let big_dir = scratch.join("photos-2000");
    eprintln!(
        "generating 100 photo-like JPEGs (2000x1500) in {}",
        big_dir.display()
    );
    let big = generate_photo_set(&big_dir, 100, (2000, 1500)).map_err(|e| anyhow!(e))?;
    let big: Vec<PathBuf> = big.samples.iter().map(|s| s.path.clone()).collect();
    rows.push(bench_thumbnails(&big, max_side).map_err(|e| anyhow!(e))?);
    println!(
        "\n{:<10} {:>6} {:>6} {:>16} {:>16} {:>15} {:>8} {:>13}",
        "source",
        "images",
        "thumb",
        "decode+resize()",
        "decode+thumbnail()",
        "gallery loader",
        "speedup",
        "decode only"
    );
    for r in &rows {
        println!(
            "{:<10} {:>6} {:>6} {:>14.1}/s {:>16.1}/s {:>13.1}/s {:>7.2}x {:>11.1}/s",
            format!("{}x{}", r.source_size.0, r.source_size.1),
            r.images,
            r.max_side,
            r.baseline_resize_per_sec,
            r.baseline_thumbnail_per_sec,
            r.gallery_per_sec,
            r.speedup,
            r.decode_only_per_sec
        );
    }
    Ok(serde_json::to_value(rows)?)
}

/// What ran the benchmark: cores, CPU model, OS, build profile.
fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    eprintln!("machine: {cores} cores, {cpu}, {} build", profile);
    serde_json::json!({
        "cores": cores,
        "cpu": cpu,
        "os": std::env::consts::OS,
        "profile": profile,
    })
}
