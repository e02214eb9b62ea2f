//! `labelscope issues`: every finding, most suspicious first, as CSV or JSON; with `--top N`
//! the label-quality review queue instead.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use super::progress::{ProgressPrinter, cancel_on_ctrl_c};
use super::shared_args::{DatasetArgs, ListFormat, ModelArgs};
use crate::dataset::Dataset;
use crate::embed::EmbeddingSet;
use crate::jobs::JobControl;
use crate::label_quality::{LabelQuality, LabelQualityOptions, ProbeOptions, Source};
use crate::problems::{FindingKind, ProblemInputs, ProblemOptions, Problems};

/// `labelscope issues`.
#[derive(Debug, Args)]
pub struct IssuesArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Model for label issues (or use --predictions); its backend also runs the text detector.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Predictions made elsewhere (with `prob_<label>` columns) for label issues.
    #[arg(long, conflicts_with = "model")]
    pub predictions: Option<PathBuf>,
    /// Embeddings made elsewhere, instead of running a model for them: a Parquet file as
    /// `embed` writes it (path + embedding), or a directory of `embed --shard` parts read as
    /// one set (the neighbour search then spans every part).
    #[arg(long, value_name = "FILE|DIR", conflicts_with = "embedder")]
    pub embeddings: Option<PathBuf>,
    /// Kinds to look for, comma separated: label, text, duplicate, unreadable, odd, and with a
    /// model, --embedder or --embeddings: outlier and near_duplicate.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "label,text,duplicate,unreadable,odd"
    )]
    pub kinds: Vec<String>,
    /// Perceptual-hash distance for near duplicates (of 256 bits).
    #[arg(long, default_value_t = crate::problems::DEFAULT_NEAR_DISTANCE)]
    pub near_duplicate_distance: u32,
    /// Cosine distance between embeddings under which two neighbours are near copies whatever
    /// their surroundings (default: 5% of the dataset's median nearest-neighbour distance;
    /// mutual nearest neighbours much nearer to each other than to anything else count too).
    #[arg(long, value_parser = super::values::cosine_distance)]
    pub semantic_distance: Option<f32>,
    /// Text detector input side (default: 2.3x the images' longer side, 128..736).
    #[arg(long)]
    pub text_size: Option<u32>,
    /// Score labels as in the dataset, ignoring curation edits.
    #[arg(long)]
    pub original_labels: bool,
    /// With --kinds label: the review queue instead of the flagged samples, every labelled
    /// sample ranked by label quality, the N most suspicious first (0 = all), as
    /// path,label,suggested,score,rank,flagged,evidence.
    #[arg(long)]
    pub top: Option<usize>,
    /// Evidence for label quality, comma separated: model (its probabilities), probe (a
    /// cross-validated linear probe on the embeddings), neighbours (the nearest neighbours'
    /// labels). Probe and neighbours need --model or --embedder.
    #[arg(long, value_delimiter = ',', default_value = "model,probe,neighbours")]
    pub label_evidence: Vec<String>,
    /// Folds of the linear probe.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Seed of the probe's stratified folds.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Inverse L2 strength of the probe (scikit-learn's C, on standardised embeddings).
    #[arg(long, default_value_t = crate::label_quality::ProbeOptions::default().c, value_parser = super::values::positive)]
    pub probe_c: f64,
    /// Whether the model was trained on these images (true: its probabilities are left out
    /// when embeddings give out-of-sample evidence); default: guessed from the probabilities.
    #[arg(long)]
    pub model_in_sample: Option<bool>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Csv)]
    pub format: ListFormat,
    /// Gather only shard I of N's image facts (0-based; the same split as `predict --shard`)
    /// into `--out DIR` as `part-I-of-N.facts`, and print no findings: the per-image work of
    /// the duplicate, unreadable and odd checks spread over machines. `--image-facts DIR` then
    /// reads every part in one run over the whole dataset.
    #[arg(long, requires = "out")]
    pub shard: Option<crate::eval::parts::Shard>,
    /// With --shard: the directory that receives the part.
    #[arg(long, value_name = "DIR", requires = "shard")]
    pub out: Option<PathBuf>,
    /// The image facts of `issues --shard` runs (a directory of `part-I-of-N.facts`), used as
    /// if cached here: only images missing from every part, or changed since, are read.
    #[arg(long, value_name = "DIR", conflicts_with = "shard")]
    pub image_facts: Option<PathBuf>,
}

fn label_options(args: &IssuesArgs) -> Result<LabelQualityOptions> {
    let sources = args
        .label_evidence
        .iter()
        .map(|s| {
            Source::parse(s)
                .ok_or_else(|| anyhow!("unknown label evidence `{s}` (model, probe, neighbours)"))
        })
        .collect::<Result<Vec<_>>>()?;
    if args.folds < 2 {
        bail!("--folds must be at least 2");
    }
    Ok(LabelQualityOptions {
        sources,
        probe: ProbeOptions {
            folds: args.folds,
            seed: args.seed,
            c: args.probe_c,
            ..ProbeOptions::default()
        },
        model_in_sample: args.model_in_sample,
        ..LabelQualityOptions::default()
    })
}

/// The kinds `--kinds` names.
fn parse_kinds(args: &IssuesArgs) -> Result<Vec<FindingKind>> {
    args.kinds
        .iter()
        .map(|k| {
            FindingKind::parse(k)
                .ok_or_else(|| anyhow!("unknown kind `{k}` ({})", FindingKind::names()))
        })
        .collect()
}

/// `issues --shard I/N --out DIR`: one shard's image facts into `DIR/part-I-of-N.facts`.
fn run_shard(
    args: &IssuesArgs,
    shard: crate::eval::parts::Shard,
    out: &std::path::Path,
    read: crate::inputs::Inputs,
) -> Result<()> {
    if parse_kinds(args)?.contains(&FindingKind::Text) {
        eprintln!(
            "note: --shard gathers the image facts (duplicate, unreadable, odd); the text detector is not sharded and runs in the run over every part"
        );
    }
    let mut ds = super::common::open(&args.dataset, 10)?;
    let inputs = read.dataset(&ds);
    let ext = crate::problems::FACTS_PART_EXT;
    let part = super::common::shard_output(&mut ds, &inputs, Some(shard), (out, ext), |_| Ok(()))?;
    let ws = crate::workspace::Workspace::new(ds);
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let written = {
        let _p = ProgressPrinter::start(&job, "image facts");
        ws.write_facts_part(&part, &job)
    };
    if job.is_cancelled() {
        bail!("cancelled; {} not written", part.display());
    }
    let n = written.with_context(|| format!("writing {}", part.display()))?;
    eprintln!("wrote the image facts of {n} samples to {}", part.display());
    Ok(())
}

/// The part files of `--image-facts DIR`, with a missing part on stderr.
fn facts_parts(dir: &std::path::Path) -> Result<Vec<PathBuf>> {
    let mut warnings = Vec::new();
    let parts =
        crate::eval::parts::part_files_of(dir, &[crate::problems::FACTS_PART_EXT], &mut warnings)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok(parts)
}

/// Runs `issues`; `read` is every file the arguments name.
pub fn run(args: &IssuesArgs, read: crate::inputs::Inputs) -> Result<()> {
    if let (Some(shard), Some(out)) = (args.shard, &args.out) {
        return run_shard(args, shard, out, read);
    }
    let ws = super::common::workspace(&args.dataset, 10)?;
    let ds = &*ws.dataset;
    let kinds = parse_kinds(args)?;
    if args.top.is_some() && kinds != [FindingKind::Label] {
        bail!("--top ranks label quality: use it with --kinds label");
    }
    let mut opts = ProblemOptions {
        kinds,
        near_distance: args.near_duplicate_distance,
        backend: args.model.backend,
        label: label_options(args)?,
        facts_parts: match &args.image_facts {
            Some(dir) => facts_parts(dir)?,
            None => Vec::new(),
        },
        ..ProblemOptions::default()
    };
    // The core says which evidence the kinds can use; only the models that give it run.
    let needs = opts.needs();
    let can_embed = !args.model.model.is_empty() || args.model.embedder.is_some();
    let want_embeddings = needs.embeddings || (needs.label_embeddings && can_embed);
    let embedded = if want_embeddings && args.embeddings.is_none() {
        Some(super::embed::embed(&ws, &args.model)?.0)
    } else {
        None
    };
    let read_set = match &args.embeddings {
        Some(path) => {
            let spill = ws
                .state()
                .ok()
                .map(|dir| crate::embed::matrix::Spill::to(dir.join("embeddings")));
            Some(read_embedding_set(path, ds, spill.as_ref())?)
        }
        None => None,
    };
    let same_model = args.model.embedder.is_none() && args.predictions.is_none();
    let preds = match &embedded {
        // The embedding run was the model's prediction run too.
        Some(run) if needs.predictions && same_model => Some(run.set.clone()),
        _ if needs.predictions && (args.predictions.is_some() || args.model.has_source()) => {
            Some(super::common::predictions(&ws, &args.model, args.predictions.as_deref())?.0)
        }
        _ => None,
    };
    let set = read_set.or_else(|| {
        embedded
            .as_ref()
            .map(crate::workspace::ModelRun::embedding_set)
    });
    let truth = super::common::truth(&ws, args.original_labels)?;
    opts.embedding.near.near_distance = args.semantic_distance;
    opts.text.input_size = args.text_size;
    if let Some(t) = args.model.threads {
        opts.threads = t;
    }
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let inputs = ProblemInputs {
        truth: &truth,
        preds: preds.as_ref(),
        embeddings: set.as_ref(),
    };
    let problems = {
        let _p = ProgressPrinter::start(&job, "issues");
        ws.find_problems(inputs, &opts, &job)?
    };
    for note in &problems.notes {
        eprintln!("note: {note}");
    }
    match (args.top, &problems.quality) {
        (Some(top), Some(q)) => print_queue(ds, q, top, args),
        (Some(_), None) => {
            bail!("no label-quality ranking: give --model, --predictions or --embedder")
        }
        (None, _) => print_findings(ds, &truth, &problems, args),
    }
    Ok(())
}

/// The embeddings of `--embeddings` (a file or a directory of parts) as a set (out of core
/// past `spill`), with what was skipped on stderr.
fn read_embedding_set(
    path: &std::path::Path,
    ds: &Dataset,
    spill: Option<&crate::embed::matrix::Spill>,
) -> Result<EmbeddingSet> {
    let read = crate::embed::read::read_embeddings(path, ds)?;
    for w in &read.warnings {
        eprintln!("warning: {w}");
    }
    let refs: Vec<Result<&crate::embedding_store::Embedding, String>> = read
        .per_sample
        .iter()
        .map(|r| r.as_ref().map_err(Clone::clone))
        .collect();
    let set = EmbeddingSet::from_embeddings_in(&refs, spill);
    eprintln!(
        "embeddings: {} of {} samples from {} ({} file{})",
        set.len(),
        ds.samples.len(),
        path.display(),
        read.files.len(),
        if read.files.len() == 1 { "" } else { "s" }
    );
    if set.is_empty() {
        bail!(
            "{} holds no embedding of this dataset's samples",
            path.display()
        );
    }
    Ok(set)
}

fn print_queue(ds: &Dataset, q: &LabelQuality, top: usize, args: &IssuesArgs) {
    let sources: Vec<&str> = q.sources.iter().map(|s| s.name()).collect();
    eprintln!(
        "label quality of {} samples from {}; {} flagged by confident learning",
        q.queue.len(),
        sources.join(" + "),
        q.confident.issues.len()
    );
    let name = |c| ds.class_name(c).to_string();
    let take = if top == 0 { q.queue.len() } else { top };
    let rows = q
        .queue
        .iter()
        .take(take)
        .map(|e| {
            serde_json::json!({
                "path": ds.samples[e.sample].id.0,
                "label": name(e.label),
                "suggested": name(e.suggested),
                "score": e.score,
                "rank": e.rank,
                "flagged": e.flagged,
                "evidence": e.evidence(name),
            })
        })
        .collect();
    super::listing::print_rows(
        rows,
        &[
            "path",
            "label",
            "suggested",
            "score",
            "rank",
            "flagged",
            "evidence",
        ],
        args.format,
    );
}

fn print_findings(
    ds: &Dataset,
    truth: &[Option<crate::dataset::ClassId>],
    problems: &Problems,
    args: &IssuesArgs,
) {
    let mut counts = std::collections::BTreeMap::new();
    for f in &problems.findings {
        *counts.entry(f.kind.name()).or_insert(0usize) += 1;
    }
    eprintln!("findings: {counts:?}");
    let rows = problems
        .findings
        .iter()
        .map(|f| {
            let label = truth[f.sample].unwrap_or(ds.samples[f.sample].label);
            serde_json::json!({
                "path": ds.samples[f.sample].id.0,
                "kind": f.kind.name(),
                "score": f.score,
                "label": ds.class_name(label),
                "suggested": f.suggested.map(|c| ds.class_name(c).to_string()),
                "detail": f.detail,
            })
        })
        .collect();
    super::listing::print_rows(
        rows,
        &["path", "kind", "score", "label", "suggested", "detail"],
        args.format,
    );
}
