//! `labelscope predict`: runs the model (or VLM) and writes the predictions table (its format:
//! [`crate::eval::prediction_columns`]).

use anyhow::{Context, Result};

use super::args::PredictArgs;
use crate::eval::Entry;
use crate::table::write_table;

/// Runs `predict`; `read` is every file the arguments name.
pub fn run(args: &PredictArgs, read: crate::inputs::Inputs) -> Result<()> {
    let mut ds = super::common::open(&args.dataset, 20)?;
    let inputs = read.dataset(&ds);
    let out =
        super::common::shard_output(&mut ds, &inputs, args.shard, (&args.out, "parquet"), |f| {
            crate::table::TableFormat::from_path(f)?;
            Ok(())
        })?;
    let ws = crate::workspace::Workspace::new(ds);
    let ds = &*ws.dataset;
    let truth = super::common::truth(&ws, args.original_labels)?;
    let (set, run) = super::common::predictions(&ws, &args.model, None)?;
    let n = ds.samples.len();
    let num_cols = run
        .as_ref()
        .map_or(ds.classes.len(), |r| r.report.mapping.num_columns());
    let predicted = set
        .entries
        .iter()
        .zip(&truth)
        .filter(|(e, t)| t.is_some() && matches!(e, Entry::Predicted(_)))
        .count();
    if predicted == 0 {
        return Err(super::common::nothing_done("predicted", &set, &truth));
    }
    let cols = crate::eval::prediction_columns(ds, &truth, &set, num_cols);
    // Written under a temporary name and renamed, so a reader of a directory of parts never
    // sees a half-written part and an interrupted run leaves the old file.
    crate::outputs::write_via_temp(&out, |tmp| write_table(tmp, cols))
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} rows to {}", n, out.display());
    let missing = set
        .entries
        .iter()
        .filter(|e| matches!(e, Entry::Missing))
        .count();
    if run.as_ref().is_some_and(|r| r.report.cancelled) || missing > 0 {
        anyhow::bail!("cancelled: {missing} rows have no prediction");
    }
    Ok(())
}
