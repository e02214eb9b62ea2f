//! The one place that lists every file a command's arguments name: the dispatcher computes
//! them once from the parsed command, and every command that writes checks its output against
//! them (plus the dataset, added once it is open). A new path flag is added here, and the
//! table-driven test in `tests/cli/data_safety.rs` tries each one as the target of every writer.

use std::path::PathBuf;

use super::args::{Command, EditCommand};
use super::shared_args::ModelArgs;
use crate::inputs::Inputs;

/// The files `args`' model flags name: each model and embedder with its spec and labels file,
/// and the prompt file.
fn model_inputs(mut inputs: Inputs, args: &ModelArgs) -> Inputs {
    for m in &args.model {
        inputs = inputs.model(m, "model");
    }
    if let Some(e) = &args.embedder {
        inputs = inputs.model(e, "embedder");
    }
    for p in &args.prompt_file {
        inputs = inputs.file(p, "prompt file");
    }
    inputs
}

/// Adds each of `paths` as `what`.
fn files<'a>(
    mut inputs: Inputs,
    paths: impl IntoIterator<Item = &'a PathBuf>,
    what: &str,
) -> Inputs {
    for p in paths {
        inputs = inputs.file(p, what);
    }
    inputs
}

/// Every file the arguments of `cmd` name (the dataset's own files are added when it opens).
pub fn of(cmd: &Command) -> Inputs {
    let none = Inputs::new();
    match cmd {
        Command::Scan(_) | Command::Edits(_) | Command::EditStress(_) => none,
        Command::Predict(a) => model_inputs(none, &a.model),
        Command::Evaluate(a) => files(
            model_inputs(none, &a.model),
            &a.predictions,
            "predictions file",
        ),
        Command::Open(a) => {
            let mut i = files(none, &a.predictions, "predictions file");
            i = files(i, &a.compare, "predictions file");
            for m in a.model.iter().chain(&a.compare_model) {
                i = i.model(m, "model");
            }
            if let Some(e) = &a.embedder {
                i = i.model(e, "embedder");
            }
            i
        }
        Command::Edit(a) => match &a.action {
            EditCommand::Apply { file } => none.file(file, "edit file"),
            _ => none,
        },
        Command::Export(a) => {
            let i = files(
                model_inputs(none, &a.model),
                &a.predictions,
                "predictions file",
            );
            match &a.soft_labels {
                Some(t) => i.model(t, "soft-label teacher"),
                None => i,
            }
        }
        Command::Embed(a) => model_inputs(none, &a.model),
        Command::Similar(a) => model_inputs(none, &a.model),
        Command::Issues(a) => files(
            files(
                files(
                    model_inputs(none, &a.model),
                    &a.predictions,
                    "predictions file",
                ),
                &a.embeddings,
                "embeddings file",
            ),
            &a.image_facts,
            "image facts",
        ),
        Command::Train(a) => model_inputs(none, &a.model),
        Command::Calibrate(a) => files(
            model_inputs(none, &a.model),
            &a.predictions,
            "predictions file",
        ),
        Command::Monitor(a) => files(model_inputs(none, &a.model), &a.logs, "device log"),
        Command::Select(a) => {
            let i = model_inputs(none, &a.model);
            if a.pool.is_file() {
                i.file(&a.pool, "pool")
            } else {
                i
            }
        }
        Command::Bench(a) => {
            let mut i = files(none, &a.compare_model, "model");
            if let Some(m) = &a.model {
                i = i.model(m, "model");
            }
            i
        }
        Command::InternalFootprint(a) => none.model(&a.model, "model"),
    }
}
