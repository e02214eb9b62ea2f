//! `labelscope export`: plan (edits applied, duplicates grouped), write, verify, report.

use anyhow::{Result, anyhow};

use super::args::{BalanceArg, ExportArgs, LinkArg, VlmAnswerFormat};
use super::progress::{ProgressPrinter, cancel_on_ctrl_c};
use crate::export::{
    Balance, ExportFormat, ExportOptions, LinkMode, PlanOptions, SplitConfig, VlmOptions,
};
use crate::jobs::JobControl;

/// Runs the teacher over the dataset (answered from its prediction cache when it has run
/// before) and scales its probabilities by the distillation temperature.
fn soft_labels(
    ws: &crate::workspace::Workspace,
    model_args: &super::shared_args::ModelArgs,
    teacher: &std::path::Path,
    temperature: f64,
) -> Result<crate::export::SoftLabels> {
    let args = super::shared_args::ModelArgs {
        model: vec![teacher.to_path_buf()],
        embedder: None,
        vlm_endpoint: None,
        ..model_args.clone()
    };
    let (run, model) = super::common::run_model(ws, &args, false)?;
    let soft = crate::export::SoftLabels::new(run.set, &model, temperature);
    eprintln!(
        "soft labels: {} at temperature {}",
        model.spec.name, soft.note["temperature"]
    );
    Ok(soft)
}

/// Runs `export`; `read` is every file the arguments name (the target may hold none of them).
pub fn run(args: &ExportArgs, read: crate::inputs::Inputs) -> Result<()> {
    let ws = super::common::workspace(&args.dataset, 10)?;
    let ds = &*ws.dataset;
    let read_besides = read.clone();
    let formats = args
        .format
        .iter()
        .map(|f| {
            ExportFormat::parse(f).ok_or_else(|| {
                let known: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.name()).collect();
                anyhow!("unknown format `{f}` ({})", known.join(", "))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    for (name, v) in [("val", args.val_fraction), ("test", args.test_fraction)] {
        if !(0.0..1.0).contains(&v) {
            return Err(anyhow!("--{name}-fraction must be in [0, 1), got {v}"));
        }
    }
    if args.val_fraction + args.test_fraction >= 1.0 {
        return Err(anyhow!("val and test fractions leave nothing for train"));
    }
    // Refuse a bad target before running a model or reading predictions (the dataset's files
    // are resolved once, here, and the export checks against the same list).
    let read = read.dataset(ds);
    crate::export::check_target(&read, &args.out, args.force)?;
    let (edits, warnings) = ws.read_edits()?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let preds = if args.predictions.is_some() || args.model.has_source() {
        Some(super::common::predictions(&ws, &args.model, args.predictions.as_deref())?.0)
    } else {
        None
    };
    let plan_opts = PlanOptions {
        split: SplitConfig {
            val: args.val_fraction,
            test: args.test_fraction,
            seed: args.seed,
        },
        keep_splits: args.keep_splits,
        balance: match args.balance {
            BalanceArg::None => Balance::None,
            BalanceArg::Oversample => Balance::Oversample,
            BalanceArg::Weights => Balance::Weights,
        },
    };
    let mut opts = ExportOptions::new(args.out.clone());
    opts.formats = formats;
    opts.link = match args.link {
        LinkArg::Copy => LinkMode::Copy,
        LinkArg::Hardlink => LinkMode::Hardlink,
        LinkArg::Symlink => LinkMode::Symlink,
    };
    opts.force = args.force;
    opts.inputs = read;
    opts.probs = args.probs;
    if let Some(teacher) = &args.soft_labels {
        opts.soft_labels = Some(soft_labels(&ws, &args.model, teacher, args.temperature)?);
    }
    opts.keep_unreadable = args.keep_unreadable;
    opts.vlm = VlmOptions {
        system: args.vlm_system.clone(),
        user: args
            .vlm_user
            .clone()
            .unwrap_or_else(|| VlmOptions::default().user),
        answer_json: args.vlm_answer == VlmAnswerFormat::Json,
    };
    opts.pace = args.pace_ms.map(std::time::Duration::from_millis);
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let near = (!args.no_duplicates).then_some(args.near_duplicate_distance);
    // With --embedder, semantic near duplicates are kept together too.
    let semantic = match (&args.model.embedder, args.no_duplicates) {
        (Some(_), false) => {
            let (run, _) = super::embed::embed(&ws, &args.model)?;
            let set = run.embedding_set();
            let truth = crate::curation::effective_labels(ds, &edits);
            let groups = crate::problems::embedding_checks(
                ds,
                &truth,
                &set,
                &crate::problems::EmbeddingCheckOptions::default(),
            )
            .groups;
            eprintln!(
                "semantic near-duplicate groups (kept together): {}",
                groups.len()
            );
            groups
        }
        _ => Vec::new(),
    };
    opts.semantic_groups = semantic;
    let (plan, summary) = match &args.negatives {
        None => {
            let _p = ProgressPrinter::start(&job, "export");
            ws.export(&edits, preds.as_ref(), &plan_opts, &opts, near, &job)?
        }
        Some(name) => {
            let wn = crate::export::with_negatives(ds, &edits, preds.as_ref(), name);
            if wn.count == 0 {
                eprintln!(
                    "note: no negatives to write (mark them with `edit DATASET negative PATH`, add them with `edit DATASET add PATH --negative`, or press N in the labelling window)"
                );
            } else {
                eprintln!(
                    "negatives: {} images written as class `{name}` ({} added from outside, {} samples marked)",
                    wn.count, wn.note["added"], wn.note["from_samples"]
                );
            }
            for g in &mut opts.semantic_groups {
                for i in g.iter_mut() {
                    *i = wn.index[*i];
                }
            }
            if let Some(soft) = opts.soft_labels.take() {
                opts.soft_labels = Some(wn.follow_soft_labels(soft));
            }
            // The negatives' files are inputs too: the target may hold none of them.
            opts.inputs = read_besides.dataset(&wn.dataset);
            opts.negatives = Some(wn.note.clone());
            let ws = crate::workspace::Workspace::new(wn.dataset);
            let _p = ProgressPrinter::start(&job, "export");
            ws.export(&wn.edits, wn.preds.as_ref(), &plan_opts, &opts, near, &job)?
        }
    };
    eprintln!("{}", summary.describe(&plan));
    if plan.leaks_kept > 0 {
        eprintln!(
            "warning: {} duplicate groups cross the dataset's own splits (kept as given with --keep-splits; see report.md)",
            plan.leaks_kept
        );
    }
    println!("{}", summary.out.display());
    Ok(())
}
