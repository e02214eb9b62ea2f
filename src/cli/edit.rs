//! `labelscope edit` and `labelscope edits`: the curation journal from the command line.

use anyhow::{Context, Result, anyhow};

use super::args::{EditArgs, EditCommand, EditStressArgs, EditsArgs};
use crate::curation::{Action, Curator, is_relabeled};

/// Runs `edit`.
pub fn run_edit(args: &EditArgs) -> Result<()> {
    let ds = super::common::open(&args.dataset, 5)?;
    let (mut curator, warnings) = Curator::open(&ds)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let one = |p: &str| vec![p.to_string()];
    match &args.action {
        EditCommand::Relabel { path, label } => curator.edit_ids(
            &ds,
            &one(path),
            Action::Relabel {
                label: Some(label.clone()),
            },
        )?,
        EditCommand::Exclude { path, reason } => curator.edit_ids(
            &ds,
            &one(path),
            Action::Exclude {
                reason: reason.clone(),
            },
        )?,
        EditCommand::Include { path } => curator.edit_ids(&ds, &one(path), Action::Include)?,
        EditCommand::Tag { path, tag } => {
            curator.edit_ids(&ds, &one(path), Action::AddTag { tag: tag.clone() })?
        }
        EditCommand::Undo => {
            if !curator.undo()? {
                eprintln!("nothing to undo");
            }
        }
        EditCommand::Redo => {
            if !curator.redo()? {
                eprintln!("nothing to redo");
            }
        }
        EditCommand::Apply { file } => apply_file(&ds, &mut curator, file)?,
    }
    eprintln!(
        "{} edited samples; journal: {}",
        curator.state().samples().len(),
        curator.journal_path().display()
    );
    Ok(())
}

fn apply_file(
    ds: &crate::dataset::Dataset,
    curator: &mut Curator,
    file: &std::path::Path,
) -> Result<()> {
    let t = crate::table::read_table(file)
        .with_context(|| format!("reading edits {}", file.display()))?;
    let paths = t.require("path", file)?;
    let actions = t.require("action", file)?;
    let labels = t.column("label");
    let reasons = t.column("reason");
    let cell = |col: Option<&[Option<String>]>, r: usize| {
        col.and_then(|c| c[r].clone())
            .filter(|v| !v.trim().is_empty())
    };
    // Rows with the same action form one undoable step, in first-appearance order.
    let mut groups: Vec<(Action, Vec<String>)> = Vec::new();
    let mut num_bad = 0;
    for r in 0..t.num_rows {
        let path = paths[r].clone().unwrap_or_default();
        let action = match actions[r].as_deref().map(str::trim) {
            Some("relabel") => cell(labels, r).map(|l| Action::Relabel { label: Some(l) }),
            Some("exclude") => Some(Action::Exclude {
                reason: cell(reasons, r).unwrap_or_else(|| "not a valid sample".into()),
            }),
            Some("include") => Some(Action::Include),
            _ => None,
        };
        let Some(action) = action else {
            eprintln!(
                "warning: row {} of {}: unknown action or missing label; skipped",
                r + 1,
                file.display()
            );
            num_bad += 1;
            continue;
        };
        if ds.index_of(&path).is_none() {
            eprintln!(
                "warning: row {} of {}: no sample `{path}`; skipped",
                r + 1,
                file.display()
            );
            num_bad += 1;
            continue;
        }
        match groups.iter_mut().find(|(a, _)| *a == action) {
            Some((_, ids)) => ids.push(path),
            None => groups.push((action, vec![path])),
        }
    }
    for (action, ids) in groups {
        curator.edit_ids(ds, &ids, action)?;
    }
    if num_bad > 0 {
        return Err(anyhow!(
            "{num_bad} rows of {} were skipped (see warnings); the rest were applied",
            file.display()
        ));
    }
    Ok(())
}

/// Runs `edits`.
pub fn run_edits(args: &EditsArgs) -> Result<()> {
    let ds = super::common::open(&args.dataset, 5)?;
    let (curator, _warnings) = Curator::open(&ds)?;
    let state = curator.state();
    let mut rows = Vec::new();
    for (id, e) in state.samples() {
        let Some(i) = ds.index_of(id) else { continue };
        rows.push(serde_json::json!({
            "path": id,
            "original_label": ds.class_name(ds.samples[i].label),
            "label": e.label.clone().unwrap_or_else(|| ds.class_name(ds.samples[i].label).to_string()),
            "relabeled": is_relabeled(&ds, state, i),
            "excluded": e.excluded.is_some(),
            "reason": e.excluded.clone().unwrap_or_default(),
            "tags": e.tags.iter().cloned().collect::<Vec<_>>().join(";"),
        }));
    }
    super::listing::print_rows(
        rows,
        &[
            "path",
            "original_label",
            "label",
            "relabeled",
            "excluded",
            "reason",
            "tags",
        ],
        args.format,
    );
    Ok(())
}

/// Runs the hidden `edit-stress`: tags samples in a loop and acknowledges each durable edit on
/// stdout, so a test can kill it at any point and check that every acknowledged edit survived.
pub fn run_stress(args: &EditStressArgs) -> Result<()> {
    use std::io::Write;
    let ds = crate::dataset::open_dataset(&args.dataset.dataset, &args.dataset.open_options())?;
    let (mut curator, _) = Curator::open(&ds)?;
    let mut out = std::io::stdout().lock();
    for n in args.start..args.start.saturating_add(args.count) {
        let i = (n as usize) % ds.samples.len();
        curator.edit(
            &ds,
            &[i],
            Action::AddTag {
                tag: format!("stress-{n}"),
            },
        )?;
        writeln!(out, "ack {n}")?;
        out.flush()?;
    }
    Ok(())
}
