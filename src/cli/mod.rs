//! The command line: `scan`, `predict`, `evaluate`. Progress goes to stderr, results to stdout
//! or the named file; Ctrl-C cancels the running job cleanly; fatal errors exit non-zero with a
//! one-line reason.

mod args;
mod common;
mod evaluate;
mod predict;
mod progress;
mod scan;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command, DatasetArgs, ModelArgs};

/// Parses the process arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => {
            eprintln!("labelscope: the window is not built yet; use a subcommand (see `labelscope --help`)");
            Ok(())
        }
        Some(Command::Scan(a)) => scan::run(&a),
        Some(Command::Predict(a)) => predict::run(&a),
        Some(Command::Evaluate(a)) => evaluate::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
