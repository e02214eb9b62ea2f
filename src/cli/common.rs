//! Steps shared by the commands: opening the dataset (printing its scan report) and running the
//! model with progress, cache and Ctrl-C.

use anyhow::{Context, Result, anyhow, bail};

use super::args::{DatasetArgs, ModelArgs};
use super::progress::{ProgressPrinter, cancel_on_ctrl_c};
use crate::dataset::{Dataset, open_dataset};
use crate::eval::PredictionSet;
use crate::jobs::JobControl;
use crate::model::{
    PredictOptions, PredictReport, load_model, open_prediction_cache, predict_dataset,
    resolve_backend,
};

/// Opens the dataset; prints a summary and up to `max_issues` scan problems to stderr.
pub fn open(args: &DatasetArgs, max_issues: usize) -> Result<Dataset> {
    let ds = match open_dataset(&args.dataset, &args.open_options()) {
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

/// A finished model run.
pub struct ModelRun {
    /// The raw report.
    pub report: PredictReport,
    /// The predictions as a set.
    pub set: PredictionSet,
    /// The model that ran.
    pub model: crate::model::LoadedModel,
    /// The value the embeddings were read from, or why there are none.
    pub embedding: std::result::Result<String, String>,
}

/// Loads the model and predicts every sample, with progress on stderr and Ctrl-C cancelling;
/// with `embeddings`, each outcome keeps the image's embedding (read in the same inference).
pub fn run_model(ds: &Dataset, args: &ModelArgs, embeddings: bool) -> Result<ModelRun> {
    let path = args
        .single_model()?
        .ok_or_else(|| anyhow!("give --model MODEL.onnx (or --predictions FILE)"))?;
    let model = load_model(path)?;
    for note in &model.notes {
        eprintln!("note: {note}");
    }
    let backend = resolve_backend(args.backend, &model).map_err(|e| anyhow!(e))?;
    eprintln!("backend: {}", backend.factory.describe());
    if embeddings && let Err(why) = backend.factory.embedding() {
        bail!("{} gives no embedding: {why}", path.display());
    }
    if let Some(hint) = &backend.hint {
        eprintln!("hint: {hint}");
    }
    let opts = PredictOptions {
        threads: args.threads.unwrap_or(PredictOptions::default().threads),
        use_cache: !args.no_cache,
        embeddings,
    };
    let mut cache = if opts.use_cache {
        match crate::state::state_dir(&ds.root) {
            Ok(dir) => Some(open_prediction_cache(&dir, &model, &ds.classes)),
            Err(e) => {
                eprintln!("warning: prediction cache disabled: {e}");
                None
            }
        }
    } else {
        None
    };
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let report = {
        let _progress = ProgressPrinter::start(&job, "predict");
        predict_dataset(ds, &model, &backend, &opts, cache.as_mut(), &job, None)
            .map_err(|e| anyhow!(e))?
    };
    for note in &report.mapping.notes {
        eprintln!("note: {note}");
    }
    let num_failed = report
        .outcomes
        .iter()
        .filter(|o| matches!(o, Some(crate::model::SampleOutcome::Failed(_))))
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
        if let crate::model::SampleOutcome::Failed(e) = o {
            eprintln!("  failed: {e}");
        }
    }
    let set = PredictionSet::from_report(
        &model.spec.name,
        &report,
        ds.classes.len(),
        &model.model_labels,
    );
    let embedding = backend
        .factory
        .embedding()
        .map(str::to_string)
        .map_err(str::to_string);
    Ok(ModelRun {
        report,
        set,
        model,
        embedding,
    })
}

/// Prediction set from `--predictions FILE` or by running `--model`.
pub fn predictions(
    ds: &Dataset,
    model: &ModelArgs,
    file: Option<&std::path::Path>,
) -> Result<(PredictionSet, Option<ModelRun>)> {
    if let (None, Some(endpoint)) = (file, &model.vlm_endpoint) {
        return Ok((run_vlm(ds, model, endpoint)?, None));
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
            let run = run_model(ds, model, false)?;
            Ok((run.set.clone(), Some(run)))
        }
    }
}

/// Per-sample labels to score against: the edited labels (`None` = excluded) unless `original`.
pub fn truth(ds: &Dataset, original: bool) -> Result<Vec<Option<crate::dataset::ClassId>>> {
    if original {
        return Ok(ds.samples.iter().map(|s| Some(s.label)).collect());
    }
    let (state, warnings) = crate::curation::read_edits(ds)?;
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

/// Classifies through a VLM endpoint (`--vlm-endpoint`), with progress and Ctrl-C.
fn run_vlm(ds: &Dataset, args: &ModelArgs, endpoint: &str) -> Result<PredictionSet> {
    let name = args.vlm_model.clone().unwrap_or_default();
    let mut cfg = crate::vlm::VlmConfig::new(endpoint, &name);
    if let Some(f) = &args.prompt_file {
        cfg = cfg.with_prompt_file(f).map_err(|e| anyhow!(e))?;
    }
    cfg.max_side = args.vlm_max_side;
    cfg.concurrency = args.vlm_concurrency;
    cfg.timeout = std::time::Duration::from_secs(args.vlm_timeout);
    eprintln!("backend: vlm endpoint {} (model {name})", cfg.url());
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let state = if args.no_cache {
        None
    } else {
        crate::state::state_dir(&ds.root).ok()
    };
    let set = {
        let _p = ProgressPrinter::start(&job, "vlm");
        crate::vlm::predict_vlm(ds, &cfg, state.as_deref(), &job, None).map_err(|e| anyhow!(e))?
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
