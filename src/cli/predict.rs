//! `labelscope predict`: runs the model (or VLM) and writes the predictions table (its format:
//! [`crate::eval::prediction_columns`]).

use anyhow::{Context, Result};

use super::args::PredictArgs;
use crate::eval::Entry;
use crate::table::write_table;

/// Runs `predict`.
pub fn run(args: &PredictArgs) -> Result<()> {
    let out = match args.shard {
        Some(shard) => {
            std::fs::create_dir_all(&args.out)
                .with_context(|| format!("creating {}", args.out.display()))?;
            args.out.join(shard.part_name("parquet"))
        }
        None => args.out.clone(),
    };
    crate::table::TableFormat::from_path(&out)?;
    let mut ds = super::common::open(&args.dataset, 20)?;
    let mut inputs = crate::outputs::Inputs::new().dataset(&ds);
    if let Some(m) = args.model.single_model()? {
        // The spec alone names the files: the model itself is loaded once, by the run.
        inputs = inputs.file(m, "model");
        if let Ok((files, _)) = crate::model::load::model_files(m) {
            inputs = inputs.model(&files);
        }
    }
    if let Some(f) = &args.model.prompt_file {
        inputs = inputs.file(f, "prompt file");
    }
    inputs.check(&out)?;
    if let Some(shard) = args.shard {
        let total = ds.samples.len();
        ds.samples.retain(|s| shard.contains(&s.id.0));
        eprintln!(
            "shard {}/{}: {} of {total} samples",
            shard.index,
            shard.count,
            ds.samples.len()
        );
    }
    let truth = super::common::truth(&ds, args.original_labels)?;
    let (set, run) = super::common::predictions(&ds, &args.model, None)?;
    let n = ds.samples.len();
    let num_cols = run
        .as_ref()
        .map_or(ds.classes.len(), |r| r.report.mapping.num_columns());
    let cols = crate::eval::prediction_columns(&ds, &truth, &set, num_cols);
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
