//! `labelscope train`: a new classifier head on the model's embeddings with the cleaned labels,
//! the before/after table on the same validation samples, and a deployable ONNX model.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::args::{DatasetArgs, ModelArgs};
use super::progress::{ProgressPrinter, cancel_on_ctrl_c};
use crate::embedding_store::Embedding;
use crate::eval::Metrics;
use crate::export::{PlanOptions, SplitConfig};
use crate::head::{HeadOptions, TrainedHead, head_predictions, head_split, metrics_on, train_head};
use crate::jobs::JobControl;
use crate::model::{SampleOutcome, spec::OutputKind};

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
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// Seed of the split.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Keep the dataset's own train/val split.
    #[arg(long)]
    pub keep_splits: bool,
    /// Inverse L2 strength (scikit-learn's C) on standardised embeddings.
    #[arg(long, default_value_t = 1.0)]
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
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn embeddings_of(outcomes: &[Option<SampleOutcome>]) -> Vec<Option<Embedding>> {
    outcomes
        .iter()
        .map(|o| match o {
            Some(SampleOutcome::Predicted(p)) => p.embedding.clone(),
            _ => None,
        })
        .collect()
}

fn metrics_json(name: &str, m: &Metrics, classes: &[String]) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "evaluated": m.num_evaluated,
        "accuracy": m.accuracy,
        "macro_f1": m.macro_f1,
        "per_class_f1": classes.iter().zip(&m.per_class)
            .map(|(c, x)| (c.clone(), serde_json::json!(x.f1)))
            .collect::<serde_json::Map<_, _>>(),
        "confusion": m.confusion.matrix,
    })
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp-labelscope");
    std::fs::write(&tmp, bytes).map_err(|e| anyhow!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
}

/// Runs `train`.
pub fn run(args: &TrainArgs) -> Result<()> {
    if args.model.embedder.is_some() || args.model.vlm_endpoint.is_some() {
        bail!("train needs the model's own embeddings: give --model only");
    }
    let ds = super::common::open(&args.dataset, 10)?;
    let run = super::embed::embed(&ds, &args.model)?;
    let value = run.embedding.clone().map_err(|e| anyhow!(e))?;
    let embeddings = embeddings_of(&run.report.outcomes);
    let missing = embeddings.iter().filter(|e| e.is_none()).count();
    if missing > 0 {
        eprintln!("note: {missing} samples have no embedding (failed to decode) and are left out");
    }
    let (edits, warnings) = crate::curation::read_edits(&ds)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let cleaned = crate::curation::effective_labels(&ds, &edits);
    let original: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
    let plan = PlanOptions {
        split: SplitConfig {
            val: args.val_fraction,
            test: 0.0,
            seed: args.seed,
        },
        keep_splits: args.keep_splits,
        ..PlanOptions::default()
    };
    let split = head_split(&ds, &edits, &[], &plan);
    if split.val.is_empty() {
        bail!("no validation samples: raise --val-fraction or give the dataset a val split");
    }
    let opts = HeadOptions {
        c: args.c,
        balanced: args.balanced,
        ..HeadOptions::default()
    };
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let train = |labels: &[Option<crate::dataset::ClassId>], samples: &[usize]| {
        let _p = ProgressPrinter::start(&job, "train");
        train_head(&embeddings, labels, samples, &split.val, &ds.classes, &opts, &job, |_| {})
            .map_err(|e| anyhow!(e))
    };
    let started = std::time::Instant::now();
    let clean_head = train(&cleaned, &split.train)?;
    let clean_secs = started.elapsed().as_secs_f64();
    let original_head = if args.compare_original_labels {
        let mut samples = split.train.clone();
        samples.extend(&split.excluded);
        Some(train(&original, &samples)?)
    } else {
        None
    };
    let n = ds.samples.len();
    let mut rows = vec![(
        "original model".to_string(),
        metrics_on(&ds, &cleaned, &run.set, &split.val),
    )];
    if let Some(h) = &original_head {
        let set = head_predictions("head, original labels", &h.head, &embeddings, &split.val, n);
        rows.push(("head, original labels".into(), metrics_on(&ds, &cleaned, &set, &split.val)));
    }
    let set = head_predictions("head, cleaned labels", &clean_head.head, &embeddings, &split.val, n);
    rows.push(("head, cleaned labels".into(), metrics_on(&ds, &cleaned, &set, &split.val)));
    // The deployable model.
    std::fs::create_dir_all(&args.out)
        .map_err(|e| anyhow!("cannot create {}: {e}", args.out.display()))?;
    let onnx_path = args.out.join("head.onnx");
    let source = run.model.onnx_path.canonicalize().ok();
    if source.is_some() && onnx_path.canonicalize().ok() == source {
        bail!("refusing to write over the source model {}", onnx_path.display());
    }
    let softmax = run.model.spec.output.kind == OutputKind::Probabilities;
    let bytes = std::fs::read(&run.model.onnx_path)
        .map_err(|e| anyhow!("cannot read {}: {e}", run.model.onnx_path.display()))?;
    let with_head = crate::head::onnx::model_with_head(&bytes, &value, &clean_head.head, softmax)
        .map_err(|e| anyhow!(e))?;
    write_atomic(&onnx_path, &with_head)?;
    let mut spec = run.model.spec.clone();
    spec.name = format!("{} + labelscope head", spec.name);
    spec.model = Some("head.onnx".into());
    spec.output.name = Some(crate::head::onnx::output_name(softmax).into());
    spec.labels = crate::model::spec::LabelsSpec::List(ds.classes.clone());
    spec.label_map = None;
    spec.embedding = Some(crate::model::spec::EmbeddingSpec {
        name: value.clone(),
    });
    write_atomic(&args.out.join("head.json"), &serde_json::to_vec_pretty(&spec)?)?;
    let curve = |h: &TrainedHead| serde_json::to_value(&h.curve).unwrap_or_default();
    let report = serde_json::json!({
        "dataset": ds.root.display().to_string(),
        "model": run.model.onnx_path.display().to_string(),
        "embedding": value,
        "split": {"seed": args.seed, "val_fraction": args.val_fraction, "keep_splits": args.keep_splits,
                  "train": split.train.len(), "val": split.val.len(), "excluded": split.excluded.len()},
        "edits": {"relabeled": ds.samples.iter().zip(&cleaned).filter(|(s, c)| c.is_some_and(|c| c != s.label)).count(),
                  "excluded": cleaned.iter().filter(|c| c.is_none()).count()},
        "options": opts,
        "train_samples": clean_head.train_samples,
        "converged": clean_head.converged,
        "training_secs": clean_secs,
        "curve_cleaned": curve(&clean_head),
        "curve_original": original_head.as_ref().map(curve),
        "results": rows.iter().map(|(name, m)| metrics_json(name, m, &ds.classes)).collect::<Vec<_>>(),
        "onnx": onnx_path.display().to_string(),
    });
    write_atomic(&args.out.join("report.json"), &serde_json::to_vec_pretty(&report)?)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "model: {}; validation: {} samples with the cleaned labels ({} train, seed {})",
        run.model.spec.name,
        split.val.len(),
        clean_head.train_samples,
        args.seed
    );
    println!("{:<24} {:>9} {:>9}", "", "accuracy", "macro F1");
    for (name, m) in &rows {
        println!("{name:<24} {:>8.2}% {:>9.4}", m.accuracy * 100.0, m.macro_f1);
    }
    println!("wrote {} (+ head.json, report.json); trained in {clean_secs:.2} s", onnx_path.display());
    Ok(())
}
