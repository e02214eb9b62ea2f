//! `labelscope bench`: end-to-end predict vs inference alone, per backend, as a table and JSON.

use anyhow::{Result, anyhow};

use super::args::BenchArgs;
use crate::bench::{bench_predict, generate_photo_set, repo_path};
use crate::model::{PredictOptions, load_model, resolve_backend};

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    let model_path = match &args.model {
        Some(p) => p.clone(),
        None => repo_path("assets/models/efficientnet_lite0_fp16w.onnx")
            .ok_or_else(|| anyhow!("bundled model not found; give --model"))?,
    };
    let model = load_model(&model_path)?;
    let dir = tempfile_dir()?;
    eprintln!(
        "generating {} photo-like JPEGs in {}",
        args.images,
        dir.display()
    );
    let ds = generate_photo_set(&dir, args.images).map_err(|e| anyhow!(e))?;
    let threads = args
        .threads
        .unwrap_or_else(|| PredictOptions::default().threads);
    let mut rows = Vec::new();
    println!(
        "{:<48} {:>7} {:>8} {:>12} {:>14} {:>7} {:>16}",
        "backend", "images", "threads", "end-to-end", "inference-only", "ratio", "decode 1 thread"
    );
    for kind in &args.backend {
        let backend = match resolve_backend(*kind, &model) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("skipping {kind}: {e}");
                continue;
            }
        };
        let b = bench_predict(&ds, &model, &backend, threads).map_err(|e| anyhow!(e))?;
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
        rows.push(b);
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(&rows)?)?;
    eprintln!("wrote {}", args.json.display());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("labelscope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
