//! The command line: `scan`, `predict`, `evaluate`. Progress goes to stderr, results to stdout
//! or the named file; Ctrl-C cancels the running job cleanly; fatal errors exit non-zero with a
//! one-line reason.

mod args;
mod bench;
mod bench_ann;
mod bench_monitor;
mod bench_scale;
mod bench_synthetic;
mod calibrate;
mod common;
mod edit;
mod embed;
mod evaluate;
mod evaluate_compare;
mod export;
mod inputs;
mod issues;
mod listing;
mod metrics_text;
mod monitor;
mod predict;
mod progress;
mod scan;
mod select;
mod shared_args;
mod train;
mod values;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command, DatasetArgs, ModelArgs, OpenArgs};

/// Parses the process arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // Every file the arguments name, computed once: writers check their outputs against it.
    let read = cli.command.as_ref().map(inputs::of).unwrap_or_default();
    let result = match cli.command {
        None => gui(None),
        Some(Command::Open(a)) => gui(Some(&a)),
        Some(Command::Edit(a)) => edit::run_edit(&a),
        Some(Command::Edits(a)) => edit::run_edits(&a),
        Some(Command::Export(a)) => export::run(&a, read),
        Some(Command::Issues(a)) => issues::run(&a, read),
        Some(Command::Train(a)) => train::run(&a, read),
        Some(Command::Embed(a)) => embed::run_embed(&a, read),
        Some(Command::Similar(a)) => embed::run_similar(&a),
        Some(Command::Bench(a)) => bench::run(&a, &read),
        Some(Command::EditStress(a)) => edit::run_stress(&a),
        Some(Command::InternalFootprint(a)) => {
            crate::model::footprint::session_peak_here(&a.model, a.backend)
                .map(|bytes| println!("{bytes}"))
                .map_err(anyhow::Error::from)
        }
        Some(Command::Scan(a)) => scan::run(&a),
        Some(Command::Predict(a)) => predict::run(&a, read),
        Some(Command::Evaluate(a)) => evaluate::run(&a),
        Some(Command::Monitor(a)) => monitor::run(&a),
        Some(Command::Select(a)) => select::run(&a, read),
        Some(Command::Calibrate(a)) => calibrate::run(&a, read),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "gui")]
fn gui(args: Option<&OpenArgs>) -> anyhow::Result<()> {
    let startup = match args {
        None => crate::app::StartupArgs::default(),
        Some(a) => crate::app::StartupArgs {
            dataset: Some(a.dataset.dataset.clone()),
            model: a.model.clone(),
            predictions: a.predictions.clone(),
            compare: a.compare.clone(),
            compare_models: a.compare_model.clone(),
            embedder: a.embedder.clone(),
            vlm: a.vlm_endpoint.clone().zip(a.vlm_model.clone()),
            backend: Some(a.backend),
            open: a.dataset.open_options(),
        },
    };
    crate::app::run_gui(startup)
}

#[cfg(not(feature = "gui"))]
fn gui(_args: Option<&OpenArgs>) -> anyhow::Result<()> {
    anyhow::bail!(
        "this labelscope was built without the window (feature `gui`); use a subcommand, see `labelscope --help`"
    )
}
