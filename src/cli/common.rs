//! Steps shared by the commands: opening the dataset (printing its scan report) and running the
//! model with progress, cache and Ctrl-C.

use anyhow::{Context, Result, anyhow, bail};

use super::progress::{ProgressPrinter, cancel_on_ctrl_c};
use super::shared_args::{DatasetArgs, ModelArgs};
use crate::dataset::Dataset;
use crate::eval::PredictionSet;
use crate::jobs::JobControl;
use crate::model::{PredictOptions, load_model, resolve_backend};
use crate::workspace::{ModelRun, Workspace};

/// The file a command writes: with `--shard I/N`, `out` is a folder (checked against the
/// inputs and made) that receives `part-I-of-N.<ext>`; `format` checks the file's format and
/// the file is checked against the inputs; then `ds` keeps only the shard's samples (said on
/// stderr). Shared by `predict`, `embed` (Parquet parts) and `issues` (image facts).
pub fn shard_output(
    ds: &mut Dataset,
    inputs: &crate::inputs::Inputs,
    shard: Option<crate::eval::parts::Shard>,
    (out, ext): (&std::path::Path, &str),
    format: impl FnOnce(&std::path::Path) -> Result<()>,
) -> Result<std::path::PathBuf> {
    let file = match shard {
        Some(shard) => {
            let dir = inputs.check_folder_output(out)?;
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            dir.join(shard.part_name(ext))
        }
        None => out.to_path_buf(),
    };
    format(&file)?;
    inputs.check_file_output(&file)?;
    if let Some(shard) = shard {
        let total = ds.samples.len();
        ds.samples.retain(|s| shard.contains(&s.id.0));
        eprintln!(
            "shard {}/{}: {} of {total} samples",
            shard.index,
            shard.count,
            ds.samples.len()
        );
    }
    Ok(file)
}

/// Opens the dataset; prints a summary and up to `max_issues` scan problems to stderr.
pub fn open(args: &DatasetArgs, max_issues: usize) -> Result<Dataset> {
    let ds = match crate::curation::open_dataset(&args.dataset, &args.open_options()) {
        Ok(ds) => ds,
        Err(crate::dataset::OpenError::Empty { report, path, .. }) => {
            for issue in &report.issues {
                eprintln!("  {issue}");
            }
            return Err(anyhow!("no labelled images found: {}", path.display()));
        }
        Err(e) => return Err(e.into()),
    };
    let outside = match ds.report.outside_root {
        0 => String::new(),
        n => format!(", {n} resolve outside its folder"),
    } + &match ds.report.added {
        0 => String::new(),
        n => format!(" ({n} added by edits)"),
    };
    eprintln!(
        "dataset: {} ({:?}), {} samples{outside}, {} classes, {} scan problems",
        ds.source.display(),
        ds.layout,
        ds.samples.len(),
        ds.classes.len(),
        ds.report.issues.len()
    );
    for issue in ds.report.issues.iter().take(max_issues) {
        eprintln!("  {issue}");
    }
    if ds.report.issues.len() > max_issues {
        eprintln!(
            "  ... and {} more (see `labelscope scan`)",
            ds.report.issues.len() - max_issues
        );
    }
    Ok(ds)
}

/// Opens the dataset as a workspace (see [`open`]).
pub fn workspace(args: &DatasetArgs, max_issues: usize) -> Result<Workspace> {
    open(args, max_issues).map(Workspace::new)
}

/// Loads the model and predicts every sample through the workspace, with progress on stderr and
/// Ctrl-C cancelling; with `embeddings`, each outcome keeps the image's embedding (read in the
/// same inference). Returns the run and the model that ran.
pub fn run_model(
    ws: &Workspace,
    args: &ModelArgs,
    embeddings: bool,
) -> Result<(ModelRun, crate::model::LoadedModel)> {
    let want = if embeddings {
        WantEmbeddings::Required
    } else {
        WantEmbeddings::No
    };
    let ran = run_model_with(ws, args, want)?;
    Ok((ran.run, ran.model))
}

/// Whether a model run keeps each image's embedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WantEmbeddings {
    /// No.
    No,
    /// Yes; a model without an embedding value is an error.
    Required,
    /// Where the model has an embedding value.
    IfAvailable,
}

/// A finished run with the model and backend that made it.
pub struct Ran {
    /// The run.
    pub run: ModelRun,
    /// The model.
    pub model: crate::model::LoadedModel,
    /// Its backend.
    pub backend: crate::model::ResolvedBackend,
}

/// [`run_model`], keeping the backend and choosing how embeddings are wanted.
pub fn run_model_with(ws: &Workspace, args: &ModelArgs, want: WantEmbeddings) -> Result<Ran> {
    let path = args
        .single_model()?
        .ok_or_else(|| anyhow!("give --model MODEL.onnx (or --predictions FILE)"))?;
    let model = load_model(path)?;
    for note in &model.notes {
        eprintln!("note: {note}");
    }
    let backend = resolve_backend(args.backend, &model)?;
    eprintln!("backend: {}", backend.factory.describe());
    let embeddings = match (want, backend.factory.embedding()) {
        (WantEmbeddings::Required, Err(why)) => {
            bail!("{} gives no embedding: {why}", path.display())
        }
        (WantEmbeddings::No, _) | (WantEmbeddings::IfAvailable, Err(_)) => false,
        (_, Ok(_)) => true,
    };
    if let Some(hint) = &backend.hint {
        eprintln!("hint: {hint}");
    }
    let opts = PredictOptions {
        threads: args.threads.unwrap_or(PredictOptions::default().threads),
        use_cache: !args.no_cache,
        embeddings,
    };
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let run = {
        let _progress = ProgressPrinter::start(&job, "predict");
        ws.run_model(&model, &backend, &opts, &job, None)?
    };
    let report = &run.report;
    for note in &report.mapping.notes {
        eprintln!("note: {note}");
    }
    let num_failed = report
        .outcomes
        .iter()
        .filter(|o| o.as_ref().is_some_and(|o| o.failure().is_some()))
        .count();
    eprintln!(
        "predicted {} samples ({} from cache, {} run, {} failed) in {:.2}s{}",
        report.outcomes.iter().filter(|o| o.is_some()).count(),
        report.num_cached,
        report.num_inferred,
        num_failed,
        report.elapsed_secs,
        if report.cancelled { ", CANCELLED" } else { "" }
    );
    for o in report.outcomes.iter().flatten().take(20) {
        if let Some(e) = o.failure() {
            eprintln!("  failed: {e}");
        }
    }
    Ok(Ran {
        run,
        model,
        backend,
    })
}

/// Prediction set from `--predictions FILE` or by running `--model`.
pub fn predictions(
    ws: &Workspace,
    model: &ModelArgs,
    file: Option<&std::path::Path>,
) -> Result<(PredictionSet, Option<ModelRun>)> {
    let ds = &ws.dataset;
    if let (None, Some(endpoint)) = (file, &model.vlm_endpoint) {
        return Ok((run_vlm(ws, model, endpoint)?, None));
    }
    match file {
        Some(f) => {
            let (set, warnings) = crate::eval::import_predictions(f, ds)
                .with_context(|| format!("reading predictions {}", f.display()))?;
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            Ok((set, None))
        }
        None => {
            let (run, _) = run_model(ws, model, false)?;
            Ok((run.set.clone(), Some(run)))
        }
    }
}

/// Per-sample labels to score against: the edited labels (`None` = excluded) unless `original`.
pub fn truth(ws: &Workspace, original: bool) -> Result<Vec<Option<crate::dataset::ClassId>>> {
    let ds = &ws.dataset;
    if original {
        return Ok(ws.original_labels());
    }
    let (state, warnings) = ws.read_edits()?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if !state.samples().is_empty() {
        eprintln!(
            "using {} curation edits (--original-labels to ignore them)",
            state.samples().len()
        );
    }
    Ok(crate::curation::effective_labels(ds, &state))
}

/// Classifies through a VLM endpoint (`--vlm-endpoint`) at the first `--vlm-max-side` with the
/// first `--prompt-file`.
fn run_vlm(ws: &Workspace, args: &ModelArgs, endpoint: &str) -> Result<PredictionSet> {
    let side = args.vlm_max_side.first().copied().unwrap_or(512);
    run_vlm_at(
        ws,
        args,
        endpoint,
        side,
        args.prompt_file.first().map(|p| p.as_path()),
    )
}

/// Classifies through a VLM endpoint with images sent at `max_side` and the prompt in
/// `prompt` (else the default), with progress and Ctrl-C (each setting has its own cache
/// entries).
pub fn run_vlm_at(
    ws: &Workspace,
    args: &ModelArgs,
    endpoint: &str,
    max_side: u32,
    prompt: Option<&std::path::Path>,
) -> Result<PredictionSet> {
    let name = args.vlm_model.clone().unwrap_or_default();
    let mut cfg = crate::vlm::VlmConfig::new(endpoint, &name);
    if let Some(f) = prompt {
        cfg = cfg.with_prompt_file(f).map_err(|e| anyhow!(e))?;
    }
    cfg.max_side = max_side;
    cfg.concurrency = args.vlm_concurrency;
    cfg.timeout = std::time::Duration::from_secs(args.vlm_timeout);
    cfg.scoring = args.vlm_scoring.into();
    eprintln!(
        "backend: vlm endpoint {} (model {name}; scoring: {})",
        cfg.url(),
        cfg.scoring.describe()
    );
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let set = {
        let _p = ProgressPrinter::start(&job, "vlm");
        ws.run_vlm(&cfg, !args.no_cache, &job, None)?
    };
    let failed: Vec<&str> = set
        .entries
        .iter()
        .filter_map(|e| match e {
            crate::eval::Entry::Failed(m) => Some(m.as_str()),
            _ => None,
        })
        .collect();
    eprintln!(
        "asked {} samples ({} from cache, {} failed)",
        set.entries.len(),
        set.num_cached,
        failed.len()
    );
    for f in failed.iter().take(10) {
        eprintln!("  failed: {f}");
    }
    Ok(set)
}

/// The error for a command that produced nothing: why each sample gave no result (excluded by
/// an edit, failed with the first reason, or no prediction), so no accuracy or empty file is
/// reported as a success.
pub fn nothing_done(
    what: &str,
    set: &PredictionSet,
    truth: &[Option<crate::dataset::ClassId>],
) -> anyhow::Error {
    let excluded = truth.iter().filter(|t| t.is_none()).count();
    let mut failed = 0;
    let mut first = None;
    for e in &set.entries {
        if let crate::eval::Entry::Failed(m) = e {
            failed += 1;
            first.get_or_insert(m.as_str());
        }
    }
    let example = first.map_or(String::new(), |m| format!(" (first: {m})"));
    anyhow!(
        "nothing {what}: of {} samples, {excluded} are excluded by edits (--original-labels ignores them), {failed} failed{example}",
        truth.len()
    )
}
