//! `labelscope train`: a new classifier head on the model's embeddings with the cleaned labels,
//! the before/after table on the same validation samples, and a deployable ONNX model.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::progress::{ProgressPrinter, cancel_on_ctrl_c};
use super::shared_args::{DatasetArgs, Format, ModelArgs};
use crate::export::{PlanOptions, SplitConfig};
use crate::head::HeadOptions;
use crate::head::run::{TrainRequest, write_head};
use crate::jobs::JobControl;

/// `labelscope train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The dataset (its curation edits are the cleaned labels).
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The model whose embeddings the head is trained on.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Validation fraction of the stratified, seeded split (as `export`).
    #[arg(long, default_value_t = 0.1, value_parser = super::values::fraction)]
    pub val_fraction: f64,
    /// Seed of the split.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Keep the dataset's own train/val split.
    #[arg(long)]
    pub keep_splits: bool,
    /// Inverse L2 strength (scikit-learn's C) on standardised embeddings.
    #[arg(long, default_value_t = 1.0, value_parser = super::values::positive)]
    pub c: f64,
    /// Weigh classes by inverse frequency.
    #[arg(long)]
    pub balanced: bool,
    /// Also train a head on the original labels, to show what cleaning bought.
    #[arg(long)]
    pub compare_original_labels: bool,
    /// Output folder: head.onnx, head.json (its spec) and report.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Output format: a table, or the report as JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The same as `--format json` (the flag before every command took `--format`).
    #[arg(long, hide = true)]
    pub json: bool,
}

/// Runs `train`; `read` is every file the arguments name.
pub fn run(args: &TrainArgs, read: crate::inputs::Inputs) -> Result<()> {
    if args.model.embedder.is_some() || args.model.vlm_endpoint.is_some() {
        bail!("train needs the model's own embeddings: give --model only");
    }
    let ws = super::common::workspace(&args.dataset, 10)?;
    let ds = &*ws.dataset;
    let inputs = read.dataset(ds);
    inputs.check_folder_output(&args.out)?;
    let (run, model) = super::embed::embed(&ws, &args.model)?;
    let value = run.embedding.clone().map_err(|e| anyhow!(e))?;
    let (edits, warnings) = ws.read_edits()?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let req = TrainRequest {
        head: HeadOptions {
            c: args.c,
            balanced: args.balanced,
            ..HeadOptions::default()
        },
        plan: PlanOptions {
            split: SplitConfig {
                val: args.val_fraction,
                test: 0.0,
                seed: args.seed,
            },
            keep_splits: args.keep_splits,
            ..PlanOptions::default()
        },
        compare_original_labels: args.compare_original_labels,
    };
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let outcome = {
        let _p = ProgressPrinter::start(&job, "train");
        ws.train_head(&run, &edits, &req, &job, |_, _| {})?
    };
    if outcome.without_embedding > 0 {
        eprintln!(
            "note: {} samples have no embedding (failed to decode) and are left out",
            outcome.without_embedding
        );
    }
    let onnx_path = write_head(&args.out, &inputs, ds, &model, &value, &outcome, &req)
        .map_err(|e| anyhow!(e))?;
    if args.json || args.format == Format::Json {
        let report = crate::head::run::report(ds, &model, &value, &outcome, &req);
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "model: {}; validation: {} samples with the cleaned labels ({} train, seed {})",
        model.spec.name,
        outcome.split.val.len(),
        outcome.cleaned.train_samples,
        args.seed
    );
    println!("{:<24} {:>9} {:>9}", "", "accuracy", "macro F1");
    for (name, m) in &outcome.rows {
        println!(
            "{name:<24} {:>8.2}% {:>9.4}",
            m.accuracy * 100.0,
            m.macro_f1
        );
    }
    println!(
        "{} relabeled, {} excluded; wrote {} (+ head.json, report.json); trained in {:.2} s",
        outcome.relabeled,
        outcome.excluded,
        onnx_path.display(),
        outcome.seconds
    );
    Ok(())
}
