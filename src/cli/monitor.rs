//! `labelscope monitor`: a deployed model's device logs against its reference set, window by
//! window (and device or model version): volume, class mix (chi-square, PSI), confidence,
//! accuracy estimated without labels and measured where labels arrived, latency, and a drift
//! flag.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::{Args, ValueEnum};

use super::common::WantEmbeddings;
use super::shared_args::{DatasetArgs, Format, ModelArgs};
use crate::monitor::{
    EmbeddingSide, GroupBy, MonitorOptions, Reference, WindowReport, monitor, parse_window,
};

/// `labelscope monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The reference: the labelled set the model was trained or validated on (any layout).
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The model the devices run (its predictions on the reference are the baseline).
    #[command(flatten)]
    pub model: ModelArgs,
    /// A device log (CSV, Parquet or JSON Lines) or a folder of them; repeat for several.
    #[arg(long = "log", value_name = "LOG", required = true)]
    pub logs: Vec<PathBuf>,
    /// Window length: `30m`, `12h`, `1d`, `1w` or seconds.
    #[arg(long, default_value = "1d")]
    pub window: String,
    /// Split each window by device or model version.
    #[arg(long, value_enum)]
    pub by: Option<GroupArg>,
    /// Family-wise level of one window's drift tests (Bonferroni).
    #[arg(long, default_value_t = 0.05, value_parser = super::values::fraction)]
    pub alpha: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Score the reference against the dataset's own labels (ignore curation edits).
    #[arg(long)]
    pub original_labels: bool,
    /// Skip the embedding drift test (do not read the images the logs name).
    #[arg(long)]
    pub no_images: bool,
}

/// The embedding test's two sides, or a note on stderr saying why there is none.
fn embedding_side(
    ran: &super::common::Ran,
    rows: &[crate::monitor::LogRow],
    classes: &[String],
) -> Option<EmbeddingSide> {
    let set = match ran.run.embeddings() {
        Ok(set) => set,
        Err(why) => {
            eprintln!("note: no embedding drift test: {why}");
            return None;
        }
    };
    let job = crate::jobs::JobControl::default();
    super::progress::cancel_on_ctrl_c(&job);
    let side = {
        let _progress = super::progress::ProgressPrinter::start(&job, "embed log images");
        crate::monitor::embedding_side(&set, rows, classes, &ran.model, &ran.backend, &job)
    };
    match side {
        Ok(side) => {
            eprintln!(
                "embedding test: {} reference embeddings ({} fit the projection), {} log images ({} failed)",
                set.len(),
                set.len() - side.reference.test_rows(),
                side.log.images,
                side.log.failed.len()
            );
            for f in side.log.failed.iter().take(5) {
                eprintln!("  failed: {f}");
            }
            Some(side)
        }
        Err(why) => {
            eprintln!("note: no embedding drift test: {why}");
            None
        }
    }
}

/// `--by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GroupArg {
    /// The `device` column.
    Device,
    /// The `model_version` column.
    #[value(alias = "model_version")]
    ModelVersion,
}

/// Runs `monitor`.
pub fn run(args: &MonitorArgs) -> Result<()> {
    let window_secs = parse_window(&args.window).ok_or_else(|| {
        anyhow!(
            "--window {}: give e.g. 30m, 12h, 1d, 1w or seconds",
            args.window
        )
    })?;
    let ws = super::common::workspace(&args.dataset, 10)?;
    let ds = &*ws.dataset;
    let log = crate::monitor::read_logs(&args.logs, &ds.classes)?;
    // The embedding test needs the images and a model with an embedding value.
    let images = !args.no_images && log.rows.iter().any(|r| r.path.is_some());
    let (preds, ran) = if images && args.model.vlm_endpoint.is_none() {
        let ran = super::common::run_model_with(&ws, &args.model, WantEmbeddings::IfAvailable)?;
        (ran.run.set.clone(), Some(ran))
    } else {
        (super::common::predictions(&ws, &args.model, None)?.0, None)
    };
    let truth = super::common::truth(&ws, args.original_labels)?;
    let reference = Reference::new(&ds.classes, &preds, &truth);
    if reference.n == 0 {
        bail!("the reference has no labelled sample the model predicted");
    }
    for p in log.problems.iter().take(20) {
        eprintln!("warning: {p}");
    }
    if log.problems.len() > 20 {
        eprintln!(
            "warning: ... and {} more rows skipped",
            log.problems.len() - 20
        );
    }
    if log.rows.is_empty() {
        bail!("no readable rows in the logs ({} files)", log.files.len());
    }
    eprintln!(
        "{} inferences from {} log files, {} rows skipped",
        log.rows.len(),
        log.files.len(),
        log.problems.len()
    );
    let opts = MonitorOptions {
        window_secs,
        by: args.by.map(|b| match b {
            GroupArg::Device => GroupBy::Device,
            GroupArg::ModelVersion => GroupBy::ModelVersion,
        }),
        alpha: args.alpha,
    };
    let side = ran.and_then(|ran| embedding_side(&ran, &log.rows, &ds.classes));
    let windows = monitor(
        &log.rows,
        &reference,
        &opts,
        side.as_ref().map(|s| s.view()),
    );
    match args.format {
        Format::Json => {
            let value = serde_json::json!({
                "reference": reference,
                "alpha": args.alpha,
                "window_secs": window_secs,
                "windows": windows,
                "skipped_rows": log.problems.len(),
            });
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        Format::Text => print_text(&reference, &windows),
    }
    Ok(())
}

/// The drift tests' keys in `p_values` and their column headings, in print order.
const TESTS: [(&str, &str); 4] = [
    ("class_mix", "p(mix)"),
    ("confidence", "p(conf)"),
    ("class_probs", "p(probs)"),
    ("embedding", "p(emb)"),
];

fn print_text(reference: &Reference, windows: &[WindowReport]) {
    println!(
        "reference: {} labelled samples, accuracy {:.2}%, ATC threshold {}",
        reference.n,
        reference.accuracy * 100.0,
        reference
            .atc_threshold
            .map_or("-".to_string(), |t| format!("{t:.4}"))
    );
    // One p-value column per test that ran on any window.
    let tests: Vec<(&str, &str)> = TESTS
        .iter()
        .copied()
        .filter(|(k, _)| windows.iter().any(|w| w.p_values.contains_key(*k)))
        .collect();
    let p_header: String = tests.iter().map(|(_, h)| format!(" {h:>9}")).collect();
    println!(
        "{:<17} {:<8} {:>5}{p_header} {:>6} {:>6} {:>16} {:>7} {:>7} {:>6}",
        "window (UTC)", "group", "n", "PSI", "conf", "est. acc (95%)", "acc", "p95 ms", "drift"
    );
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
    for w in windows {
        let start = chrono::DateTime::from_timestamp(w.start as i64, 0).map_or_else(
            || format!("{}", w.start),
            |d| d.format("%Y-%m-%d %H:%M").to_string(),
        );
        let est = match (w.estimated_accuracy, w.estimated_accuracy_ci) {
            (Some(e), Some([lo, hi])) => {
                format!("{:.1}% ({:.0}-{:.0})", e * 100.0, lo * 100.0, hi * 100.0)
            }
            _ => "-".to_string(),
        };
        let p_cells: String = tests
            .iter()
            .map(|(k, _)| {
                let p = w
                    .p_values
                    .get(*k)
                    .map_or("-".to_string(), |p| format!("{p:.2e}"));
                format!(" {p:>9}")
            })
            .collect();
        println!(
            "{:<17} {:<8} {:>5}{p_cells} {:>6} {:>6} {:>16} {:>7} {:>7} {:>6}",
            start,
            w.group.as_deref().unwrap_or("all"),
            w.n,
            w.psi.map_or("-".to_string(), |p| format!("{p:.3}")),
            w.mean_confidence
                .map_or("-".to_string(), |c| format!("{c:.3}")),
            est,
            pct(w.accuracy),
            w.latency_p95.map_or("-".to_string(), |l| format!("{l:.1}")),
            if w.drift { "DRIFT" } else { "" }
        );
    }
}
