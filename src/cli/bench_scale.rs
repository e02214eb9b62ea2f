//! `bench --suite scale`: a generated Fashion-like dataset of `--samples` images opened,
//! predicted, reloaded from the cache, then every analysis on it (see
//! [`crate::bench::scale`]); prints the table, returns the JSON.

use std::path::Path;

use anyhow::{Result, anyhow};

use crate::bench::scale::bench_scale;
use crate::model::BackendKind;

/// Runs the suite on `samples` images in `dir` (kept when it is the user's `--images-dir`).
pub fn scale_suite(
    dir: &Path,
    samples: usize,
    threads: usize,
    backend: BackendKind,
) -> Result<serde_json::Value> {
    eprintln!("generating {samples} samples in {}", dir.display());
    let s = bench_scale(dir, samples, threads, backend).map_err(|e| anyhow!(e))?;
    println!("\nscale: {} samples ({})", s.samples, s.backend);
    println!("  generate (context)          {:>8.2} s", s.generate_secs);
    println!(
        "  open, first{}  {:>8.2} s",
        if s.page_cache_dropped {
            " (cold cache)  "
        } else {
            " (files cached)"
        },
        s.open_cold_secs
    );
    println!("  open, again                 {:>8.2} s", s.open_warm_secs);
    println!(
        "  predict, first run          {:>8.2} s  ({:.0} img/s)",
        s.predict_secs, s.predict_per_sec
    );
    println!(
        "  reload cached predictions   {:>8.2} s  ({} inferences)",
        s.reload_cached_secs, s.reload_inferences
    );
    println!("  metrics                     {:>8.3} s", s.metrics_secs);
    for a in &s.analyses {
        println!(
            "  {:<74} {:>8.2} s  RSS after {:>6.0} MiB  ({})",
            a.name,
            a.secs,
            a.rss_after_mib.unwrap_or(0.0),
            a.detail
        );
    }
    if let Some(rss) = s.peak_rss_mib {
        println!("  peak RSS                    {rss:>8.0} MiB");
    }
    Ok(serde_json::to_value(&s)?)
}
