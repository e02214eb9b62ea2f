//! `labelscope predict`: one row per sample with `path,label,split,pred,confidence`,
//! `prob_<label>` per dataset label (plus `prob_other`), `error`, and `raw_output` for VLM answers.

use anyhow::{Context, Result};

use super::args::PredictArgs;
use crate::eval::Entry;
use crate::table::{OutColumn, write_table};

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
    if let Some(m) = &args.model.model {
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
    let mut pred = Vec::with_capacity(n);
    let mut conf = Vec::with_capacity(n);
    let mut error = Vec::with_capacity(n);
    let num_cols = run
        .as_ref()
        .map_or(ds.classes.len(), |r| r.report.mapping.num_columns());
    let mut probs: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(n); num_cols];
    let mut raw = Vec::with_capacity(n);
    let mut top1 = Vec::with_capacity(n);
    let mut top1_prob = Vec::with_capacity(n);
    let mut top5 = Vec::with_capacity(n);
    for e in &set.entries {
        let model_top = match e {
            Entry::Predicted(p) => p.model_top.as_slice(),
            _ => &[],
        };
        top1.push(model_top.first().map(|t| t.0.clone()));
        top1_prob.push(model_top.first().map(|t| f64::from(t.1)));
        top5.push((!model_top.is_empty()).then(|| {
            serde_json::to_string(
                &model_top
                    .iter()
                    .map(|(k, v)| serde_json::json!({"class": k, "prob": v}))
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default()
        }));
        raw.push(match e {
            Entry::Predicted(p) => p.raw.clone(),
            _ => None,
        });
        match e {
            Entry::Predicted(p) => {
                pred.push(Some(p.predicted.name(&ds.classes)));
                conf.push(p.confidence.map(f64::from));
                error.push(None);
                for (k, col) in probs.iter_mut().enumerate() {
                    col.push(
                        p.probs
                            .as_ref()
                            .and_then(|v| v.get(k))
                            .map(|&x| f64::from(x)),
                    );
                }
            }
            Entry::Failed(msg) => {
                pred.push(None);
                conf.push(None);
                error.push(Some(msg.clone()));
                probs.iter_mut().for_each(|c| c.push(None));
            }
            Entry::Missing => {
                pred.push(None);
                conf.push(None);
                error.push(Some("not predicted (cancelled)".to_string()));
                probs.iter_mut().for_each(|c| c.push(None));
            }
        }
    }
    let mut cols = vec![
        OutColumn::Str(
            "path".into(),
            ds.samples.iter().map(|s| Some(s.id.0.clone())).collect(),
        ),
        OutColumn::Str(
            "label".into(),
            ds.samples
                .iter()
                .zip(&truth)
                .map(|(s, t)| Some(ds.class_name(t.unwrap_or(s.label)).to_string()))
                .collect(),
        ),
        OutColumn::Str(
            "split".into(),
            ds.samples.iter().map(|s| s.split.clone()).collect(),
        ),
        OutColumn::Str("pred".into(), pred),
        OutColumn::F64("confidence".into(), conf),
    ];
    for (k, col) in probs.into_iter().enumerate() {
        let name = ds
            .classes
            .get(k)
            .map_or("prob_other".to_string(), |c| format!("prob_{c}"));
        cols.push(OutColumn::F64(name, col));
    }
    if top1.iter().any(Option::is_some) {
        cols.push(OutColumn::Str("model_top1".into(), top1));
        cols.push(OutColumn::F64("model_top1_prob".into(), top1_prob));
        cols.push(OutColumn::Str("model_top5".into(), top5));
    }
    cols.push(OutColumn::Str("error".into(), error));
    if raw.iter().any(Option::is_some) {
        cols.push(OutColumn::Str("raw_output".into(), raw));
    }
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
