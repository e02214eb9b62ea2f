//! `labelscope issues`: every finding, most suspicious first, as CSV or JSON.

use anyhow::{Result, anyhow};

use super::args::IssuesArgs;
use super::progress::{ProgressPrinter, cancel_on_ctrl_c};
use crate::jobs::JobControl;
use crate::problems::{
    EmbeddingCheckOptions, FindingKind, ProblemOptions, embedding_checks, find_problems,
};

/// Runs `issues`.
pub fn run(args: &IssuesArgs) -> Result<()> {
    let ds = super::common::open(&args.dataset, 10)?;
    let kinds = args
        .kinds
        .iter()
        .map(|k| {
            FindingKind::parse(k)
                .ok_or_else(|| anyhow!("unknown kind `{k}` ({})", FindingKind::names()))
        })
        .collect::<Result<Vec<_>>>()?;
    let wants_labels = kinds.contains(&FindingKind::Label);
    let wants_embeddings = kinds
        .iter()
        .any(|k| matches!(k, FindingKind::Outlier | FindingKind::NearDuplicate));
    let embedded = if wants_embeddings {
        Some(super::embed::embed(&ds, &args.model)?)
    } else {
        None
    };
    let same_model = args.model.embedder.is_none() && args.predictions.is_none();
    let preds = match &embedded {
        // The embedding run was the model's prediction run too.
        Some(run) if wants_labels && same_model => Some(run.set.clone()),
        _ if wants_labels && (args.predictions.is_some() || args.model.has_source()) => {
            Some(super::common::predictions(&ds, &args.model, args.predictions.as_deref())?.0)
        }
        _ => None,
    };
    let truth = super::common::truth(&ds, args.original_labels)?;
    let mut opts = ProblemOptions {
        kinds,
        near_distance: args.near_duplicate_distance,
        backend: args.model.backend,
        ..ProblemOptions::default()
    };
    opts.text.input_size = args.text_size;
    if let Some(t) = args.model.threads {
        opts.threads = t;
    }
    let job = JobControl::default();
    cancel_on_ctrl_c(&job);
    let state = crate::state::state_dir(&ds.root).ok();
    let mut problems = {
        let _p = ProgressPrinter::start(&job, "issues");
        find_problems(&ds, &truth, preds.as_ref(), &opts, state.as_deref(), &job)
            .map_err(|e| anyhow!(e))?
    };
    if let Some(run) = &embedded {
        let set = crate::embed::EmbeddingSet::from_outcomes(&run.report.outcomes);
        let checks = EmbeddingCheckOptions {
            near_distance: args.semantic_distance,
            ..EmbeddingCheckOptions::default()
        };
        let found = embedding_checks(&ds, &truth, &set, &checks);
        problems.findings.extend(
            found
                .findings
                .into_iter()
                .filter(|f| opts.kinds.contains(&f.kind)),
        );
        problems
            .findings
            .sort_by(|a, b| b.score.total_cmp(&a.score).then(a.sample.cmp(&b.sample)));
    }
    for note in &problems.notes {
        eprintln!("note: {note}");
    }
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
    Ok(())
}
