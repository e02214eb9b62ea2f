//! `labelscope bench` suites on synthetic data (no dataset, no model): the near-copy check and
//! label quality. Each prints a table and returns its figures for the JSON file.

use anyhow::{Result, anyhow};

/// The near-copy check's false alarms and power, on synthetic embeddings and generated images.
pub fn near_copies_suite() -> Result<serde_json::Value> {
    let rows = crate::bench::near_copies::bench_near_copies(2000, 20, 10);
    println!("\nnear copies: 2,000 clean points + 20 copies, 10 seeds");
    println!("  dim  jitter  false alarms (mean / max)  copies found");
    for r in &rows {
        println!(
            "  {:>3}  {:>6.3}  {:>8.3}% / {:>6.3}%       {:>6.1}%",
            r.dim,
            r.jitter,
            r.false_alarm_mean * 100.0,
            r.false_alarm_max * 100.0,
            r.power * 100.0
        );
    }
    let pixels = crate::bench::pixel_copies::bench_pixel_copies(50, 20, 40, 10);
    println!(
        "\npixel check of near copies: 50 families x 20 generated look-alikes + 40 copies, 10 seeds"
    );
    println!(
        "  look-alike spread  false alarms (mean / max)  copies confirmed (shifted, mirrored, cropped, noisy)"
    );
    for r in &pixels {
        let each = r.power_by_change.map(|p| format!("{:.0}%", p * 100.0));
        println!(
            "  {:>9.0} px      {:>8.3}% / {:>6.3}%       {:>6.1}% ({})",
            r.spread,
            r.false_alarm_mean * 100.0,
            r.false_alarm_max * 100.0,
            r.power * 100.0,
            each.join(", ")
        );
    }
    Ok(serde_json::json!({ "embedding": rows, "pixels": pixels }))
}

/// Label quality on synthetic vectors: the neighbour search and the probe, then a relabel.
pub fn label_quality_suite(samples: usize) -> Result<serde_json::Value> {
    eprintln!("label quality: {samples} synthetic vectors");
    let b = crate::bench::label_quality::bench_label_quality(samples).map_err(|e| anyhow!(e))?;
    println!(
        "\nlabel quality: {} x {} vectors, {} classes",
        b.vectors, b.dim, b.classes
    );
    println!(
        "  nearest neighbours (10 each)  {:>9.2} s",
        b.neighbours_secs
    );
    println!(
        "  linear probe (5 folds) + pool {:>9.2} s",
        b.probe_and_pool_secs
    );
    println!("  total                         {:>9.2} s", b.total_secs);
    println!(
        "  again after one relabel       {:>9.2} s",
        b.after_relabel_secs
    );
    println!(
        "  moved labels in the top 3%    {:>9.1} %",
        b.moved_found_at_k * 100.0
    );
    println!(
        "  train a head (90%, {} iter.)  {:>9.2} s",
        b.head_iterations, b.head_train_secs
    );
    println!(
        "  95% intervals (1,000 resamples) {:>6.2} s",
        b.intervals_secs
    );
    if let Some(r) = b.peak_rss_mib {
        println!("  peak RSS                      {r:>9.0} MiB");
    }
    Ok(serde_json::to_value(&b)?)
}
