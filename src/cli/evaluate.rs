//! `labelscope evaluate`: metrics as text or one JSON object on stdout.

use anyhow::Result;

use super::args::{EvaluateArgs, Format};
use super::metrics_text::{headline, with_intervals};
use crate::eval::intervals::{MetricIntervals, metric_intervals};
use crate::eval::{Metrics, compute_metrics};

/// Runs `evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<()> {
    let ws = super::common::workspace(&args.dataset, 20)?;
    let ds = &*ws.dataset;
    if args.model.model.len() + args.predictions.len() > 1
        || !args.resolutions.is_empty()
        || (args.model.vlm_endpoint.is_some()
            && (args.model.vlm_max_side.len() > 1 || args.model.prompt_file.len() > 1))
    {
        return super::evaluate_compare::run(args, &ws);
    }
    let (set, run) = super::common::predictions(
        &ws,
        &args.model,
        args.predictions.first().map(|p| p.as_path()),
    )?;
    let truth = super::common::truth(&ws, args.original_labels)?;
    let m = compute_metrics(&ds.classes, &truth, &set);
    if m.num_evaluated == 0 {
        return Err(super::common::nothing_done("evaluated", &set, &truth));
    }
    let ci = metric_intervals(&m, &truth, &set, args.resamples, args.ci_seed);
    let backend = run
        .as_ref()
        .map_or_else(|| "imported".to_string(), |r| r.report.backend.clone());
    match args.format {
        Format::Json => {
            let mut value = with_intervals(&m, &ci);
            if let Some(obj) = value.as_object_mut() {
                obj.insert("backend".into(), backend.into());
                obj.insert("model".into(), set.name.clone().into());
                obj.insert("source".into(), set.source.clone().into());
                obj.insert("num_cached".into(), set.num_cached.into());
                obj.insert("num_inferred".into(), set.num_inferred.into());
                obj.insert(
                    "cancelled".into(),
                    run.as_ref().is_some_and(|r| r.report.cancelled).into(),
                );
            }
            println!("{value}");
        }
        Format::Text => print_text(&m, &ci, &set.name, &backend),
    }
    if run.as_ref().is_some_and(|r| r.report.cancelled) {
        anyhow::bail!("cancelled: metrics cover only the samples predicted before the cancel");
    }
    Ok(())
}

fn print_text(m: &Metrics, ci: &MetricIntervals, model: &str, backend: &str) {
    println!("model: {model}  backend: {backend}");
    println!(
        "samples: {}  evaluated: {}  failed: {}  missing: {}  other: {}  unparsed: {}",
        m.num_samples, m.num_evaluated, m.num_failed, m.num_missing, m.num_other, m.num_unparsed
    );
    println!("{}  weighted F1 {:.4}", headline(m, ci), m.weighted_f1);
    println!("({:.0}% intervals: {})", ci.ci_level * 100.0, ci.ci_method);
    let width = m
        .per_class
        .iter()
        .map(|c| c.label.len())
        .max()
        .unwrap_or(5)
        .max(12);
    println!("\n{:>width$}  precision  recall      f1  support", "");
    for c in &m.per_class {
        println!(
            "{:>width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
            c.label, c.precision, c.recall, c.f1, c.support
        );
    }
    println!(
        "{:>width$}  {:>9.4}  {:>6.4}  {:>6.4}",
        "macro avg", m.macro_precision, m.macro_recall, m.macro_f1
    );
    println!(
        "{:>width$}  {:>9.4}  {:>6.4}  {:>6.4}",
        "weighted avg", m.weighted_precision, m.weighted_recall, m.weighted_f1
    );
    println!(
        "\nconfusion (rows = true, columns = predicted: {})",
        m.confusion.predicted_labels.join(", ")
    );
    for (label, row) in m.confusion.labels.iter().zip(&m.confusion.matrix) {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:>5}")).collect();
        println!("{label:>width$} {}", cells.join(""));
    }
    println!(
        "\nlatency per image: p50 {:.2} ms, p95 {:.2} ms",
        m.latency_ms.p50, m.latency_ms.p95
    );
    if let Some(ips) = m.images_per_sec {
        println!("throughput: {ips:.1} images/s");
    }
}
