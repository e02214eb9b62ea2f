//! `labelscope embed` (write every sample's embedding) and `labelscope similar` (the samples
//! nearest to one). Both read the embedding in the same inference as the prediction, from
//! `--model`, or from `--embedder` (any ONNX image model) when given.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use super::common::run_model;
use super::shared_args::{DatasetArgs, ListFormat, ModelArgs};
use crate::embed::nearest;
use crate::embedding_store::Embedding;
use crate::model::LoadedModel;
use crate::model::SampleOutcome;
use crate::workspace::{ModelRun, Workspace};

/// `labelscope embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The model (or `--embedder`).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Output: `.parquet` (path + embedding list<float32>) or `.npy` (float32 matrix in
    /// dataset order, NaN rows for samples without one); with `--shard`, a directory that
    /// receives `part-I-of-N.parquet`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Embed only shard I of N (0-based; the same split as `predict --shard`), e.g.
    /// `--shard $SLURM_ARRAY_TASK_ID/8`. `issues --embeddings DIR` reads the parts as one set.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::eval::parts::Shard>,
}

/// `labelscope similar`.
#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The model (or `--embedder`).
    #[command(flatten)]
    pub model: ModelArgs,
    /// The query: a sample's path relative to the dataset folder.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// How many neighbours.
    #[arg(long, default_value_t = 20)]
    pub k: usize,
    /// Ignore curation edits (show the dataset's own labels).
    #[arg(long)]
    pub original_labels: bool,
    /// `csv` or `json` rows (rank, distance, label, predicted, path) instead of the text table.
    #[arg(long, value_enum)]
    pub format: Option<ListFormat>,
}

/// Runs the embedding model (`--embedder`, else `--model`) with embeddings kept; fails with
/// the model's name and the candidates considered when it has no embedding.
pub(super) fn embed(ws: &Workspace, args: &ModelArgs) -> Result<(ModelRun, LoadedModel)> {
    if args.vlm_endpoint.is_some() && args.embedder.is_none() {
        bail!(
            "a VLM endpoint gives no embeddings: add --embedder MODEL.onnx (any ONNX image model)"
        );
    }
    let path = args
        .embedder
        .as_ref()
        .or(args.single_model()?)
        .ok_or_else(|| anyhow!("give --model MODEL.onnx or --embedder MODEL.onnx"))?;
    let model_args = ModelArgs {
        model: vec![path.clone()],
        vlm_endpoint: None,
        ..args.clone()
    };
    let (run, model) = run_model(ws, &model_args, true)?;
    match (&run.embedding, &model.embedding) {
        (Ok(value), Ok(found)) => eprintln!(
            "embedding: `{value}` ({}) of {}",
            found.found_by,
            path.display()
        ),
        (Ok(value), Err(_)) => eprintln!("embedding: `{value}` of {}", path.display()),
        (Err(why), _) => bail!("{} gives no embedding: {why}", path.display()),
    }
    Ok((run, model))
}

/// Each sample's embedding from a run, in dataset order.
fn per_sample(run: &ModelRun) -> Vec<Option<&Embedding>> {
    run.report
        .outcomes
        .iter()
        .map(|o| match o {
            Some(SampleOutcome::Predicted(p)) => p.embedding.as_ref(),
            _ => None,
        })
        .collect()
}

/// Runs `embed`; `read` is every file the arguments name.
pub fn run_embed(args: &EmbedArgs, read: crate::inputs::Inputs) -> Result<()> {
    let mut ds = super::common::open(&args.dataset, 20)?;
    let inputs = read.dataset(&ds);
    let out =
        super::common::shard_output(&mut ds, &inputs, args.shard, (&args.out, "parquet"), |f| {
            crate::embed::write::EmbeddingFormat::of(f).map_err(|e| anyhow!(e))?;
            Ok(())
        })?;
    let ws = Workspace::new(ds);
    let ds = &*ws.dataset;
    let (run, _) = embed(&ws, &args.model)?;
    let rows = per_sample(&run);
    if rows.iter().all(Option::is_none) {
        let all = vec![Some(crate::dataset::ClassId(0)); rows.len()];
        return Err(super::common::nothing_done("embedded", &run.set, &all));
    }
    crate::outputs::write_via_temp(&out, |tmp| {
        crate::embed::write::write_embeddings(tmp, ds, &rows)
    })
    .with_context(|| format!("writing {}", out.display()))?;
    let with = rows.iter().flatten().count();
    let dim = rows.iter().flatten().map(|e| e.len()).max().unwrap_or(0);
    eprintln!(
        "wrote {with} embeddings of {dim} values ({} samples have none) to {}",
        rows.len() - with,
        out.display()
    );
    if run.report.cancelled {
        bail!("cancelled: {} samples have no embedding", rows.len() - with);
    }
    Ok(())
}

/// Runs `similar`.
pub fn run_similar(args: &SimilarArgs) -> Result<()> {
    let ws = super::common::workspace(&args.dataset, 20)?;
    let ds = &*ws.dataset;
    let query = ds.index_of(&args.path).ok_or_else(|| {
        anyhow!(
            "`{}` is not a sample of the dataset (give its path relative to {})",
            args.path,
            ds.root.display()
        )
    })?;
    let truth = super::common::truth(&ws, args.original_labels)?;
    let (run, _) = embed(&ws, &args.model)?;
    let set = run.embedding_set();
    let Some(q) = set.of_sample(query) else {
        let why = set
            .missing
            .iter()
            .find(|(i, _)| *i == query)
            .map_or("unknown".to_string(), |(_, w)| w.clone());
        bail!("{} has no embedding: {why}", args.path);
    };
    let label =
        |i: usize| truth[i].map_or("(excluded)".to_string(), |c| ds.class_name(c).to_string());
    let pred = |i: usize| {
        run.set
            .prediction(i)
            .map_or("-".to_string(), |p| p.predicted.name(&ds.classes))
    };
    let found = nearest(&set, &q, args.k, &[query]);
    if let Some(why) = set.read_error() {
        bail!("the embeddings could not be read back: {why}");
    }
    if let Some(format) = args.format {
        let rows = found
            .iter()
            .enumerate()
            .map(|(rank, n)| {
                serde_json::json!({
                    "rank": rank + 1,
                    "distance": n.distance,
                    "label": label(n.sample),
                    "predicted": pred(n.sample),
                    "path": ds.samples[n.sample].id.0,
                })
            })
            .collect();
        let cols = ["rank", "distance", "label", "predicted", "path"];
        super::listing::print_rows(rows, &cols, format);
        return Ok(());
    }
    println!(
        "query: {}  label {}  predicted {}",
        args.path,
        label(query),
        pred(query)
    );
    println!(
        "{:>4}  {:>8}  {:<16}  {:<16}  path",
        "rank", "distance", "label", "predicted"
    );
    for (rank, n) in found.iter().enumerate() {
        println!(
            "{:>4}  {:>8.4}  {:<16}  {:<16}  {}",
            rank + 1,
            n.distance,
            label(n.sample),
            pred(n.sample),
            ds.samples[n.sample].id.0
        );
    }
    Ok(())
}
