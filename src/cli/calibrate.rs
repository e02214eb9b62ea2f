//! `labelscope calibrate`: fit a temperature on labelled predictions, print ECE, NLL and the
//! reliability bins before and after, and (with `--out`) write a calibrated copy of the model's
//! spec that every later run, the review queue and the monitor use.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::shared_args::{DatasetArgs, Format, ModelArgs};
use crate::model::calibrated_spec::write_calibrated_spec;
use crate::workspace::CalibrationOutcome;

/// `labelscope calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The dataset (its curation edits are the labels).
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The model to calibrate.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Predictions made elsewhere, with probabilities (`prob_<label>` columns): the fit and its
    /// figures are printed; no spec is written.
    #[arg(long, conflicts_with = "model")]
    pub predictions: Option<PathBuf>,
    /// The split to fit on (default: `val`, `validation` or `valid` when the dataset has one,
    /// else every labelled sample, and the figures are then in-sample).
    #[arg(long)]
    pub split: Option<String>,
    /// Score against the dataset's own labels, ignoring curation edits.
    #[arg(long)]
    pub original_labels: bool,
    /// Write the calibrated spec here (a new `.json`; `--model` it from then on). The model's
    /// own spec is never written over.
    #[arg(long, value_name = "SPEC.json")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs `calibrate`; `read` is every file the arguments name.
pub fn run(args: &CalibrateArgs, read: crate::inputs::Inputs) -> Result<()> {
    let vlm = args.model.vlm_endpoint.is_some();
    if args.out.is_some() && (args.predictions.is_some() || vlm) {
        bail!(
            "--out writes a model spec: give an ONNX --model (for a VLM or a predictions file the fit is printed)"
        );
    }
    let ws = super::common::workspace(&args.dataset, 10)?;
    let out = match &args.out {
        Some(o) => Some(read.dataset(&ws.dataset).check_file_output(o)?),
        None => None,
    };
    let (set, model) = match &args.predictions {
        Some(f) => (
            super::common::predictions(&ws, &args.model, Some(f))?.0,
            None,
        ),
        // A VLM's label probabilities (scored along each label's tokens).
        None if vlm => (super::common::predictions(&ws, &args.model, None)?.0, None),
        None => {
            let (run, model) = super::common::run_model(&ws, &args.model, false)?;
            (run.set, Some(model))
        }
    };
    let truth = super::common::truth(&ws, args.original_labels)?;
    let previous = model
        .as_ref()
        .and_then(|m| m.spec.output.temperature)
        .unwrap_or(1.0);
    let outcome = ws.calibrate(&set, &truth, args.split.as_deref(), previous)?;
    let written = match (&out, &model) {
        (Some(path), Some(m)) => {
            write_calibrated_spec(m, outcome.calibration.temperature, path)
                .map_err(|e| anyhow!(e))?;
            Some(path.clone())
        }
        _ => None,
    };
    match args.format {
        Format::Json => {
            let mut value = serde_json::to_value(&outcome)?;
            if let Some(obj) = value.as_object_mut() {
                obj.insert("model".into(), set.name.clone().into());
                obj.insert(
                    "spec".into(),
                    written.as_ref().map(|p| p.display().to_string()).into(),
                );
            }
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        Format::Text => print_text(&outcome, &set.name, written.as_deref()),
    }
    Ok(())
}

fn print_text(o: &CalibrationOutcome, model: &str, written: Option<&std::path::Path>) {
    let c = &o.calibration;
    let on = match &o.split {
        Some(s) => format!(" of the split `{s}`"),
        None => " (no validation split: the figures are in-sample; --split chooses one)".into(),
    };
    println!(
        "model: {model}; fitted on {} labelled samples{on}",
        c.before.n
    );
    let note = if c.fit.at_bound {
        " (at the bound of the search: the labels give no finite optimum)"
    } else {
        ""
    };
    if c.previous_temperature == 1.0 {
        println!("temperature: {:.4}{note}", c.temperature);
    } else {
        println!(
            "temperature: {:.4} (the spec's {:.4} times {:.4}){note}",
            c.temperature, c.previous_temperature, c.fit.temperature
        );
    }
    println!("\n{:<18} {:>9} {:>9}", "", "before", "after");
    println!("{:<18} {:>9.4} {:>9.4}", "NLL", c.before.nll, c.after.nll);
    println!(
        "{:<18} {:>9.4} {:>9.4}",
        "ECE (15 bins)", c.before.ece, c.after.ece
    );
    println!(
        "{:<18} {:>8.2}% {:>8.2}%",
        "mean confidence",
        c.before.mean_confidence * 100.0,
        c.after.mean_confidence * 100.0
    );
    println!(
        "{:<18} {:>8.2}% {:>8.2}%  (a temperature never changes a predicted label)",
        "accuracy",
        c.before.accuracy * 100.0,
        c.after.accuracy * 100.0
    );
    println!("\nreliability: samples, mean confidence, accuracy per confidence bin");
    println!(
        "{:>13} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
        "bin", "n", "conf", "acc", "n", "conf", "acc"
    );
    for (b, a) in c.before.bins.iter().zip(&c.after.bins) {
        if b.count + a.count == 0 {
            continue;
        }
        println!(
            "{:>13} | {} | {}",
            format!("{:.3}-{:.3}", b.lo, b.hi),
            bin_cells(b.count, b.mean_confidence, b.accuracy),
            bin_cells(a.count, a.mean_confidence, a.accuracy)
        );
    }
    match written {
        Some(p) => println!(
            "\nwrote {}: run with --model {} to use the calibrated confidences",
            p.display(),
            p.display()
        ),
        None => println!("\n(--out SPEC.json writes a calibrated copy of the model's spec)"),
    }
}

fn bin_cells(n: usize, conf: f32, acc: f32) -> String {
    if n == 0 {
        format!("{:>6} {:>6} {:>6}", 0, "", "")
    } else {
        format!("{n:>6} {conf:>6.3} {acc:>6.3}")
    }
}
