//! `labelscope select`: which images of a pool (a folder of images, any dataset layout, or a
//! device log) to label next, given what is labelled; writes `path,rank,score,reason`.
//! The pool is read where it lies: nothing is written beside it. Its predictions and embeddings
//! are cached in labelscope's data folder (see [`crate::state::pool_state_dir`]), so a second
//! selection over the same pool runs no inference for unchanged files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use ndarray::Array2;

use super::common::WantEmbeddings;
use super::shared_args::ModelArgs;
use crate::dataset::{Dataset, OpenOptions, open_dataset};
use crate::embed::EmbeddingSet;
use crate::jobs::JobControl;
use crate::model::PredictOptions;
use crate::select::{Pick, SelectInputs, Strategy, select};
use crate::workspace::Workspace;

/// `labelscope select`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// The pool: a folder of images (with or without labels, any dataset layout) or a device
    /// log (CSV, Parquet or JSON Lines with `path`).
    pub pool: PathBuf,
    /// The model: its embeddings and probabilities on the pool.
    #[command(flatten)]
    pub model: ModelArgs,
    /// How many images to choose.
    #[arg(long)]
    pub budget: usize,
    /// The labelled dataset (its images count as seen; its classes name the model's outputs).
    #[arg(long, value_name = "DATASET")]
    pub labelled: Option<PathBuf>,
    /// How to choose.
    #[arg(long, value_enum, default_value_t = StrategyArg::Auto)]
    pub strategy: StrategyArg,
    /// Seed of the random parts (k-means, random).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The CSV to write (`path,rank,score,reason`).
    #[arg(long)]
    pub out: PathBuf,
}

/// `--strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Typical images while labels are few, then uncertain and diverse ones with class quotas.
    Auto,
    /// The smallest margin between the two most probable labels.
    Uncertainty,
    /// Furthest from everything labelled or chosen (k-center greedy).
    Diversity,
    /// The most typical image of each unlabelled cluster (TypiClust).
    Typical,
    /// At random (seeded).
    Random,
    /// Negatives to confirm: images of none of the classes, further from every labelled image
    /// than 99% of labelled images lie from their nearest labelled neighbour (needs --labelled).
    Negatives,
}

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::Auto => Self::Auto,
            StrategyArg::Uncertainty => Self::Uncertainty,
            StrategyArg::Diversity => Self::Diversity,
            StrategyArg::Typical => Self::Typical,
            StrategyArg::Random => Self::Random,
            StrategyArg::Negatives => Self::Negatives,
        }
    }
}

/// The pool as an unlabelled dataset: a device log's images, a dataset's images, or every image
/// file under a folder; every path absolute (a sample's id is its path, the pool cache's key),
/// rooted at the pool's folder (the log's folder for a log).
fn open_pool(path: &Path, classes: &[String]) -> Result<Dataset> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let root = if path.is_dir() {
        path.clone()
    } else {
        path.parent()
            .map_or_else(|| path.clone(), Path::to_path_buf)
    };
    let mut ds = list_pool(&path, classes)?;
    for s in ds.samples.iter_mut().filter(|s| !s.path.is_absolute()) {
        if let Ok(abs) = std::path::absolute(&s.path) {
            s.id = crate::dataset::SampleId(abs.to_string_lossy().into_owned());
            s.path = abs;
        }
    }
    ds.root = root;
    ds.source = path;
    Ok(ds)
}

fn list_pool(path: &Path, classes: &[String]) -> Result<Dataset> {
    let log_like = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "jsonl" | "csv" | "parquet"));
    if log_like
        && let Ok(log) = crate::monitor::read_logs(&[path.to_path_buf()], classes)
        && !log.rows.is_empty()
    {
        let (ds, _) = crate::monitor::images::log_images(&log.rows, classes);
        return Ok(ds);
    }
    // A folder's images are its files, whatever folders they sit in, unless a listing of its
    // own names them (Hugging Face metadata, or tables with the images inside).
    let listed = !path.is_dir()
        || matches!(
            crate::dataset::detect_layout(path, &OpenOptions::default()),
            Ok(crate::dataset::Layout::HfImageFolder | crate::dataset::Layout::HfParquet)
        );
    if listed {
        if let Ok(ds) = open_dataset(path, &OpenOptions::default())
            && !ds.samples.is_empty()
        {
            let paths = ds.samples.iter().map(|s| s.path.clone()).collect();
            return Ok(Dataset::unlabelled(paths, classes));
        }
        if !path.is_dir() {
            bail!(
                "{}: not a device log, a dataset or a folder of images",
                path.display()
            );
        }
    }
    Ok(Dataset::unlabelled(
        crate::dataset::image_paths_under(path),
        classes,
    ))
}

/// Rows of `set` as a matrix.
fn matrix(set: &EmbeddingSet) -> Result<ndarray::CowArray<'_, f32, ndarray::Ix2>> {
    let m = set.matrix();
    match set.read_error() {
        Some(why) => bail!("the embeddings could not be read back: {why}"),
        None => Ok(m),
    }
}

/// Runs `select`; `read` is every file the arguments name.
pub fn run(args: &SelectArgs, read: crate::inputs::Inputs) -> Result<()> {
    if args.budget == 0 {
        bail!("--budget must be at least 1");
    }
    if args.model.vlm_endpoint.is_some() {
        bail!(
            "select reads probabilities from an ONNX --model; --vlm-endpoint is not supported here yet"
        );
    }
    let path = args
        .model
        .single_model()?
        .ok_or_else(|| anyhow!("give --model MODEL.onnx"))?;
    let model = crate::model::load_model(path)?;
    let backend = crate::model::resolve_backend(args.model.backend, &model)?;
    // The embeddings come from --embedder when given (any ONNX image model), else the model.
    let embedder = match &args.model.embedder {
        Some(e) => {
            let m = crate::model::load_model(e)?;
            let b = crate::model::resolve_backend(args.model.backend, &m)?;
            Some((e, m, b))
        }
        None => None,
    };
    let (embed_path, embed_model, embed_backend) = match &embedder {
        Some((e, m, b)) => (e.as_path(), m, b),
        None => (path.as_path(), &model, &backend),
    };
    if let Err(why) = embed_backend.factory.embedding() {
        bail!("{} gives no embedding: {why}", embed_path.display());
    }
    // The labelled set: its embeddings and labels (through its workspace and cache).
    let mut inputs = read;
    let (classes, labelled, labelled_classes) = match &args.labelled {
        Some(dir) => {
            let ws = Workspace::open(dir, &OpenOptions::default())
                .with_context(|| format!("opening {}", dir.display()))?;
            inputs = inputs.dataset(&ws.dataset);
            let set = if args.model.embedder.is_some() {
                super::embed::embed(&ws, &args.model)?.0.embeddings()?
            } else {
                let ran =
                    super::common::run_model_with(&ws, &args.model, WantEmbeddings::Required)?;
                ran.run.embeddings()?
            };
            let truth = super::common::truth(&ws, false)?;
            let rows: Vec<usize> = (0..set.len())
                .filter(|&r| truth[set.samples[r] as usize].is_some())
                .collect();
            let all = matrix(&set)?;
            let classes_of = rows
                .iter()
                .filter_map(|&r| truth[set.samples[r] as usize].map(|c| c.index()))
                .collect();
            (
                ws.dataset.classes.clone(),
                all.select(ndarray::Axis(0), &rows),
                classes_of,
            )
        }
        None => (
            model.model_labels.clone(),
            Array2::zeros((0, 0)),
            Vec::new(),
        ),
    };
    let pool = open_pool(&args.pool, &classes)?;
    let inputs = inputs.dataset(&pool);
    inputs.check_file_output(&args.out)?;
    if pool.samples.is_empty() {
        bail!("{}: no images in the pool", args.pool.display());
    }
    eprintln!(
        "pool: {} images in {}",
        pool.samples.len(),
        args.pool.display()
    );
    let pool_ws = pool_workspace(pool, args, &inputs);
    let pool = &pool_ws.dataset;
    let job = JobControl::default();
    super::progress::cancel_on_ctrl_c(&job);
    let opts = PredictOptions {
        use_cache: !args.model.no_cache,
        embeddings: true,
        threads: args
            .model
            .threads
            .unwrap_or(PredictOptions::default().threads),
    };
    let run = {
        let _progress = super::progress::ProgressPrinter::start(&job, "pool");
        pool_ws.run_model(embed_model, embed_backend, &opts, &job, None)?
    };
    report_cached(&run.report);
    let set = EmbeddingSet::from_outcomes(&run.report.outcomes);
    for (i, why) in set.missing.iter().take(10) {
        eprintln!("  skipped {}: {why}", pool.samples[*i].path.display());
    }
    // With --embedder, the probabilities are the model's, in a second pass.
    let probs_run = match &embedder {
        Some(_) => {
            let opts = PredictOptions {
                embeddings: false,
                ..opts
            };
            let _progress = super::progress::ProgressPrinter::start(&job, "pool, the model");
            let run = pool_ws.run_model(&model, &backend, &opts, &job, None)?;
            report_cached(&run.report);
            Some(run)
        }
        None => None,
    };
    let preds = &probs_run.as_ref().unwrap_or(&run).set;
    let probs = crate::select::probabilities(&set, preds, classes.len());
    let pool_matrix = matrix(&set)?;
    let labelled = if labelled.nrows() == 0 {
        Array2::zeros((0, pool_matrix.ncols()))
    } else {
        labelled
    };
    let select_inputs = SelectInputs {
        pool: pool_matrix.view(),
        probs: probs.as_ref().map(|p| p.view()),
        labelled: labelled.view(),
        labelled_classes: &labelled_classes,
        classes: &classes,
    };
    let picks = select(&select_inputs, args.budget, args.strategy.into(), args.seed)?;
    // Absolute paths: the file names its images from wherever it is read (the window, `edit
    // apply`), whatever folder `select` ran in.
    let paths: Vec<PathBuf> = picks
        .iter()
        .map(|p| {
            let path = &pool.samples[set.samples[p.index] as usize].path;
            std::fs::canonicalize(path)
                .or_else(|_| std::path::absolute(path))
                .unwrap_or_else(|_| path.clone())
        })
        .collect();
    crate::outputs::write_via_temp(&args.out, |tmp| write_picks(tmp, &picks, &paths))
        .with_context(|| format!("writing {}", args.out.display()))?;
    if picks.len() < args.budget.min(set.len()) && args.strategy == StrategyArg::Negatives {
        eprintln!(
            "note: only {} pool images lie further from every labelled image than {:.0}% of labelled images lie from their nearest labelled neighbour; the rest fit a class",
            picks.len(),
            crate::select::negatives::QUANTILE * 100.0
        );
    } else if picks.len() < args.budget.min(set.len()) {
        eprintln!(
            "note: only {} chosen: every other pool image is a near copy (cosine similarity at least {}) of a labelled or chosen one",
            picks.len(),
            crate::select::NEAR_COPY_SIMILARITY
        );
    }
    eprintln!(
        "chose {} of {} images ({} labelled); wrote {}",
        picks.len(),
        set.len(),
        labelled_classes.len(),
        args.out.display()
    );
    Ok(())
}

/// The pool's workspace: its caches in labelscope's data folder (checked against every input:
/// a data folder that lies in the pool or the labelled set keeps nothing), or none with
/// `--no-cache`.
fn pool_workspace(pool: Dataset, args: &SelectArgs, inputs: &crate::inputs::Inputs) -> Workspace {
    if args.model.no_cache {
        return Workspace::with_state_dir(pool, None);
    }
    let dir = crate::state::pool_state_dir(&pool.source).and_then(|dir| {
        match inputs.check_folder_output(&dir) {
            Ok(dir) => Some(dir),
            Err(why) => {
                eprintln!("note: the pool's cache is off: {why}");
                None
            }
        }
    });
    if let Some(dir) = &dir {
        eprintln!("pool cache: {}", dir.display());
    }
    Workspace::with_state_dir(pool, dir)
}

/// Says how many of a run's images came from the pool cache.
fn report_cached(report: &crate::model::PredictReport) {
    if report.num_cached > 0 {
        eprintln!(
            "  {} of {} images from the pool cache",
            report.num_cached,
            report.outcomes.len()
        );
    }
}

fn write_picks(path: &Path, picks: &[Pick], paths: &[PathBuf]) -> Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["path", "rank", "score", "reason"])?;
    for (p, path) in picks.iter().zip(paths) {
        w.write_record([
            path.to_string_lossy().as_ref(),
            &p.rank.to_string(),
            &format!("{:.6}", p.score),
            &p.reason,
        ])?;
    }
    w.flush()?;
    Ok(())
}
