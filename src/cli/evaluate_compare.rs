//! `labelscope evaluate` with several models and/or prediction files: each model's metrics with
//! intervals, latency, file size and session memory; per pair the agreement, the right/wrong
//! table, McNemar's exact test and a paired bootstrap of the macro F1 difference.

use anyhow::{Context, Result};

use super::args::{EvaluateArgs, Format};
use super::metrics_text::{headline, range, with_intervals};
use super::progress::{ProgressPrinter, cancel_on_ctrl_c};
use crate::eval::compare::{PairReport, compare_pairs, distinct_names};
use crate::eval::intervals::{MetricIntervals, metric_intervals};
use crate::eval::{Metrics, PredictionSet, compute_metrics};
use crate::jobs::JobControl;
use crate::model::footprint::{Footprint, human_bytes, measure_footprint};
use crate::model::multi::ModelEntry;
use crate::model::{PredictOptions, load_model, resolve_backend};
use crate::workspace::Workspace;

/// One set being compared: a model run here or a file of predictions.
struct Contender {
    set: PredictionSet,
    /// The runtime that ran it, or where it was imported from.
    backend: String,
    /// Size and memory, for models run here.
    footprint: Option<Footprint>,
}

/// Runs every `--model` in one pass (one decode per image), then reads every `--predictions`.
fn contenders(args: &EvaluateArgs, ws: &Workspace) -> Result<(Vec<Contender>, usize, bool)> {
    let ds = &*ws.dataset;
    let mut models = Vec::new();
    for path in &args.model.model {
        let model = load_model(path)?;
        for note in &model.notes {
            eprintln!("note ({}): {note}", path.display());
        }
        let backend = resolve_backend(args.model.backend, &model)?;
        if let Some(hint) = &backend.hint {
            eprintln!("hint: {hint}");
        }
        models.push((model, backend));
    }
    // Each model's memory is measured in a child process of its own.
    let exe = crate::model::footprint::labelscope_exe();
    let footprints: Vec<Footprint> = models
        .iter()
        .map(|(m, b)| measure_footprint(m, b.factory.kind(), exe.as_deref()))
        .collect();
    let opts = PredictOptions {
        threads: args
            .model
            .threads
            .unwrap_or(PredictOptions::default().threads),
        use_cache: !args.model.no_cache,
        embeddings: false,
    };
    let mut out = Vec::new();
    let mut cancelled = false;
    if !models.is_empty() {
        let job = JobControl::default();
        cancel_on_ctrl_c(&job);
        let progress = ProgressPrinter::start(&job, "predict");
        let (runs, models, footprints) = if args.resolutions.is_empty() {
            let entries: Vec<ModelEntry> = models
                .iter()
                .map(|(model, backend)| ModelEntry {
                    model,
                    backend,
                    max_side: None,
                })
                .collect();
            (ws.run_models(&entries, &opts, &job)?, models, footprints)
        } else {
            // The resolution trade-off: one model, once per side (its set named by the side).
            let (Some((model, backend)), 1) = (models.first(), models.len()) else {
                anyhow::bail!(
                    "--resolutions compares one model at several resolutions: give one --model"
                );
            };
            let backend = backend.clone();
            let mut runs = Vec::new();
            let (mut run_models, mut run_footprints) = (Vec::new(), Vec::new());
            for (m, run) in
                ws.run_at_resolutions(model, &backend, &args.resolutions, &opts, &job)?
            {
                // A model fed a smaller input has a memory of its own.
                let footprint = if m.spec.input == model.spec.input {
                    footprints[0].clone()
                } else {
                    measure_footprint(&m, backend.factory.kind(), exe.as_deref())
                };
                runs.push(run);
                run_models.push((m, backend.clone()));
                run_footprints.push(footprint);
            }
            (runs, run_models, run_footprints)
        };
        drop(progress);
        let first = runs.first().map(|r| {
            let r = &r.report;
            (r.num_cached, r.num_inferred, r.elapsed_secs)
        });
        for ((run, (model, _)), footprint) in runs.into_iter().zip(&models).zip(footprints) {
            let report = &run.report;
            for note in &report.mapping.notes {
                eprintln!("note ({}): {note}", model.spec.name);
            }
            cancelled |= report.cancelled;
            let mut set = run.set;
            set.source = model.onnx_path.display().to_string();
            out.push(Contender {
                set,
                backend: report.backend.clone(),
                footprint: Some(footprint),
            });
        }
        if let Some((num_cached, num_inferred, secs)) = first {
            eprintln!(
                "{} models over {} samples ({num_cached} from cache, {num_inferred} run) in {secs:.2}s, {} threads",
                models.len(),
                ds.samples.len(),
                opts.threads
            );
        }
    }
    if let Some(endpoint) = &args.model.vlm_endpoint {
        // Prompts and the VLM's resolution trade-off: the same images, each prompt at each
        // longest side.
        let prompts: Vec<Option<&std::path::Path>> = if args.model.prompt_file.is_empty() {
            vec![None]
        } else {
            args.model
                .prompt_file
                .iter()
                .map(|p| Some(p.as_path()))
                .collect()
        };
        let sides = &args.model.vlm_max_side;
        for prompt in &prompts {
            for &side in sides {
                let mut set = super::common::run_vlm_at(ws, &args.model, endpoint, side, *prompt)?;
                if let (Some(p), true) = (prompt, prompts.len() > 1) {
                    let stem = p.file_stem().map_or_else(
                        || p.display().to_string(),
                        |s| s.to_string_lossy().into_owned(),
                    );
                    set.name = format!("{} prompt {stem}", set.name);
                }
                if sides.len() > 1 {
                    set.name = format!("{} @ {side} px", set.name);
                }
                out.push(Contender {
                    set,
                    backend: format!("vlm endpoint {endpoint}, images at {side} px"),
                    footprint: None,
                });
            }
        }
    }
    for file in &args.predictions {
        let (set, warnings) = crate::eval::import_predictions(file, ds)
            .with_context(|| format!("reading predictions {}", file.display()))?;
        for w in &warnings {
            eprintln!("warning ({}): {w}", file.display());
        }
        out.push(Contender {
            set,
            backend: format!("imported from {}", file.display()),
            footprint: None,
        });
    }
    Ok((out, opts.threads, cancelled))
}

/// Runs the comparison.
pub fn run(args: &EvaluateArgs, ws: &Workspace) -> Result<()> {
    let ds = &*ws.dataset;
    let truth = super::common::truth(ws, args.original_labels)?;
    let (all, threads, cancelled) = contenders(args, ws)?;
    let names = distinct_names(
        &all.iter().map(|c| c.set.name.as_str()).collect::<Vec<_>>(),
        &all.iter()
            .map(|c| c.set.source.as_str())
            .collect::<Vec<_>>(),
    );
    let metrics: Vec<Metrics> = all
        .iter()
        .map(|c| compute_metrics(&ds.classes, &truth, &c.set))
        .collect();
    let cis: Vec<MetricIntervals> = all
        .iter()
        .zip(&metrics)
        .map(|(c, m)| metric_intervals(m, &truth, &c.set, args.resamples, args.ci_seed))
        .collect();
    let sets: Vec<&PredictionSet> = all.iter().map(|c| &c.set).collect();
    let pairs = compare_pairs(
        &truth,
        &sets,
        &names,
        ds.classes.len(),
        args.resamples,
        args.ci_seed,
    );
    match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = all
                .iter()
                .zip(&metrics)
                .zip(&cis)
                .zip(&names)
                .map(|(((c, m), ci), name)| {
                    let mut v = with_intervals(m, ci);
                    if let Some(o) = v.as_object_mut() {
                        o.insert("name".into(), name.clone().into());
                        o.insert("source".into(), c.set.source.clone().into());
                        o.insert("backend".into(), c.backend.clone().into());
                        if let Some(f) = &c.footprint {
                            o.insert("threads".into(), threads.into());
                            o.insert("file_bytes".into(), f.file_bytes.into());
                            o.insert("session_peak_bytes".into(), f.session_peak_bytes.into());
                        }
                    }
                    v
                })
                .collect();
            let mut value = serde_json::json!({"sets": list, "pairs": pairs});
            // The first pair also at the top, as a two-set comparison always had it.
            if let (Some(first), Some(obj)) = (pairs.first(), value.as_object_mut()) {
                obj.insert("comparison".into(), serde_json::json!(first.comparison));
                obj.insert("significance".into(), serde_json::json!(first.significance));
            }
            println!("{value}");
        }
        Format::Text => {
            print_text(&all, (&metrics, &cis), &names, &pairs, threads);
            if !args.resolutions.is_empty() {
                let how = if names.iter().any(|n| n.ends_with(" px input")) {
                    "each image lowered to the longest side, then the model's own preprocessing; `input`: the model also fed that size"
                } else {
                    "each image lowered to the longest side, then the model's own preprocessing"
                };
                print_resolutions(&names, (&metrics, &cis), &pairs, how);
            } else if args.model.vlm_endpoint.is_some()
                && args.model.vlm_max_side.len() > 1
                && args.model.prompt_file.len() <= 1
            {
                print_resolutions(
                    &names,
                    (&metrics, &cis),
                    &pairs,
                    "each image sent to the endpoint at the longest side",
                );
            }
        }
    }
    if cancelled {
        anyhow::bail!("cancelled: metrics cover only the samples predicted before the cancel");
    }
    Ok(())
}

/// The resolution trade-off as one table: each setting's accuracy with its interval, ECE and
/// latency, and McNemar's test against the last setting. A setting is named by what follows
/// the last ` @ ` of its set's name (`64 px`, `64 px input`, `full`).
fn print_resolutions(
    names: &[String],
    (metrics, cis): (&[Metrics], &[MetricIntervals]),
    pairs: &[PairReport],
    how: &str,
) {
    let Some(last) = names.len().checked_sub(1) else {
        return;
    };
    let setting = |n: &str| n.rsplit(" @ ").next().unwrap_or(n).to_string();
    println!("\nresolution trade-off ({how}):");
    println!(
        "  {:<13} {:<24} {:>7} {:>8}  vs {}",
        "setting",
        "accuracy (95% CI)",
        "ECE",
        "p50 ms",
        setting(&names[last])
    );
    for (k, ((m, ci), name)) in metrics.iter().zip(cis).zip(names).enumerate() {
        let interval = ci.accuracy_ci.map_or_else(String::new, |[lo, hi]| {
            format!(" ({:.1}-{:.1})", lo * 100.0, hi * 100.0)
        });
        let against = pairs
            .iter()
            .find(|p| p.first == k && p.second == last)
            .map_or_else(String::new, |p| {
                let t = &p.significance;
                let p_value = if t.mcnemar_p < 0.001 {
                    "p < 0.001".to_string()
                } else {
                    format!("p = {:.3}", t.mcnemar_p)
                };
                format!(
                    "{:+.1} points, {p_value} ({} vs {} discordant)",
                    (m.accuracy - metrics[last].accuracy) * 100.0,
                    t.only_first_right,
                    t.only_second_right
                )
            });
        println!(
            "  {:<13} {:<24} {:>7.4} {:>8.2}  {against}",
            setting(name),
            format!("{:.1}%{interval}", m.accuracy * 100.0),
            m.ece,
            m.latency_ms.p50
        );
    }
}

fn print_text(
    all: &[Contender],
    (metrics, cis): (&[Metrics], &[MetricIntervals]),
    names: &[String],
    pairs: &[PairReport],
    threads: usize,
) {
    for (i, (((c, m), ci), name)) in all.iter().zip(metrics).zip(cis).zip(names).enumerate() {
        println!("[{}] {name}  ({})", i + 1, c.backend);
        println!("    {}", headline(m, ci));
        let mut cost = format!(
            "    evaluated {} of {} (other {}, unparsed {}, failed {})",
            m.num_evaluated, m.num_samples, m.num_other, m.num_unparsed, m.num_failed
        );
        if m.latency_ms.p50 > 0.0 {
            cost += &format!(
                "; latency p50 {:.2} ms, p95 {:.2} ms per image",
                m.latency_ms.p50, m.latency_ms.p95
            );
        }
        if let Some(f) = &c.footprint {
            cost += &format!(" ({threads} threads); file {}", human_bytes(f.file_bytes));
            if let Some(b) = f.session_peak_bytes {
                cost += &format!("; session memory {}", human_bytes(b));
            }
        }
        println!("{cost}");
    }
    if let Some(ci) = cis.first() {
        println!("({:.0}% intervals: {})", ci.ci_level * 100.0, ci.ci_method);
    }
    for p in pairs {
        let t = &p.significance;
        println!(
            "\n[{}] vs [{}]: agree on {} of {} samples both predicted{}",
            p.first + 1,
            p.second + 1,
            p.comparison.both_predicted - p.comparison.disagree,
            p.comparison.both_predicted,
            p.agreement()
                .map_or_else(String::new, |a| format!(" ({:.1}%)", a * 100.0))
        );
        println!(
            "    both right {}, only [{}] right {}, only [{}] right {}, both wrong {}",
            t.both_right,
            p.first + 1,
            t.only_first_right,
            p.second + 1,
            t.only_second_right,
            t.both_wrong
        );
        println!(
            "    {} (McNemar exact); macro F1 difference {:+.4}{} (paired bootstrap)",
            t.verdict,
            t.macro_f1_difference,
            range(t.macro_f1_difference_ci)
        );
    }
}
