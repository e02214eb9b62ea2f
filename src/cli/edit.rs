//! `labelscope edit` and `labelscope edits`: the curation journal from the command line.

use anyhow::{Context, Result, anyhow};

use super::args::{EditArgs, EditCommand, EditStressArgs, EditsArgs};
use crate::curation::{Action, Curator, is_relabeled};

/// Runs `edit`.
pub fn run_edit(args: &EditArgs) -> Result<()> {
    let ws = super::common::workspace(&args.dataset, 5)?;
    let ds = &*ws.dataset;
    let (mut curator, warnings) = ws.curator()?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let one = |p: &str| vec![p.to_string()];
    match &args.action {
        EditCommand::Relabel { path, label } => curator.edit_ids(
            ds,
            &one(path),
            Action::Relabel {
                label: Some(label.clone()),
            },
        )?,
        EditCommand::Exclude { path, reason } => curator.edit_ids(
            ds,
            &one(path),
            Action::Exclude {
                reason: reason.clone(),
            },
        )?,
        EditCommand::Include { path } => curator.edit_ids(ds, &one(path), Action::Include)?,
        EditCommand::Tag { path, tag } => {
            curator.edit_ids(ds, &one(path), Action::AddTag { tag: tag.clone() })?
        }
        EditCommand::Add {
            path,
            label,
            negative,
        } => {
            let label = if *negative { None } else { label.clone() };
            curator.add(ds, std::slice::from_ref(path), label.clone())?;
            eprintln!(
                "added {} as {} (by reference: the file stays where it is)",
                path.display(),
                label.as_deref().unwrap_or("a negative")
            );
        }
        EditCommand::Negative { path } => {
            curator.edit_ids(ds, &one(path), crate::curation::added::negative_exclusion())?
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
        EditCommand::Apply { file } => apply_file(ds, &mut curator, file)?,
    }
    eprintln!(
        "{} edited samples; journal: {}",
        curator.state().samples().len(),
        curator.journal_path().display()
    );
    Ok(())
}

/// Applies an edit file all or nothing: every row is checked first (action, sample, label);
/// any bad row refuses the whole file, naming each; otherwise the file is one undo step.
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
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    // Rows with the same action form one part of the step, in first-appearance order.
    let mut parts: Vec<(Vec<String>, Action)> = Vec::new();
    let base = file.parent().unwrap_or(std::path::Path::new("."));
    let outside = |path: &str| -> Result<String, String> {
        let p = std::path::Path::new(path);
        crate::curation::added_id(ds, &base.join(p))
    };
    let mut bad: Vec<String> = t.problems.iter().map(|p| format!("  {p}")).collect();
    for r in 0..t.num_rows {
        let path = paths[r].clone().unwrap_or_default().replace('\\', "/");
        let row = t.row_number(r);
        let action = match actions[r].as_deref().map(str::trim) {
            Some("relabel") => match cell(labels, r) {
                Some(l) if ds.class_id(&l).is_some() => Ok(Action::Relabel { label: Some(l) }),
                Some(l) => Err(format!(
                    "label `{l}` is not a label of this dataset ({})",
                    ds.classes.join(", ")
                )),
                None => Err("relabel without a label".to_string()),
            },
            Some("exclude") => Ok(Action::Exclude {
                reason: cell(reasons, r).unwrap_or_else(|| "not a valid sample".into()),
            }),
            Some("include") => Ok(Action::Include),
            Some("add") => match cell(labels, r) {
                Some(l) if ds.class_id(&l).is_some() => Ok(Action::Add { label: Some(l) }),
                Some(l) => Err(format!(
                    "label `{l}` is not a label of this dataset ({})",
                    ds.classes.join(", ")
                )),
                None => Err("add without a label (a negative is action `negative`)".to_string()),
            },
            Some("negative") if ds.index_of(&path).is_some() => {
                Ok(crate::curation::added::negative_exclusion())
            }
            Some("negative") => Ok(Action::Add { label: None }),
            Some(other) => Err(format!(
                "unknown action `{other}` (relabel, exclude, include, add, negative)"
            )),
            None => Err("no action".to_string()),
        };
        let id = match &action {
            Ok(Action::Add { .. }) => {
                outside(&path).map_err(|why| format!("cannot add `{path}`: {why}"))
            }
            _ => ds
                .index_of(&path)
                .map(|i| ds.samples[i].id.0.clone())
                .ok_or_else(|| format!("no sample `{path}` in the dataset")),
        };
        match (action, id) {
            (Ok(action), Ok(id)) => match parts.iter_mut().find(|(_, a)| *a == action) {
                Some((ids, _)) => ids.push(id),
                None => parts.push((vec![id], action)),
            },
            (Err(why), _) | (_, Err(why)) => bad.push(format!("  row {row}: {why}")),
        }
    }
    if !bad.is_empty() {
        return Err(anyhow!(
            "{} of {} rows of {} are invalid; nothing was applied:\n{}",
            bad.len(),
            t.num_rows + t.problems.len(),
            file.display(),
            bad.join("\n")
        ));
    }
    curator.edit_batch_ids(ds, parts)?;
    eprintln!(
        "applied {} rows of {} as one step (undo reverts all of them)",
        t.num_rows,
        file.display()
    );
    Ok(())
}

/// Runs `edits`: a read-only listing (no journal or lock is created); edits that no longer
/// apply are listed with `applies` false and a warning.
pub fn run_edits(args: &EditsArgs) -> Result<()> {
    let ws = super::common::workspace(&args.dataset, 5)?;
    let ds = &*ws.dataset;
    let (state, warnings) = ws.read_edits()?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let mut rows = Vec::new();
    for (id, e) in state.samples() {
        let index = ds.index_of(id);
        let original = index.map(|i| ds.class_name(ds.samples[i].label).to_string());
        let applies =
            index.is_some() && e.label.as_deref().is_none_or(|l| ds.class_id(l).is_some());
        rows.push(serde_json::json!({
            "path": id,
            "original_label": original.clone().unwrap_or_default(),
            "label": e.label.clone().or(original).unwrap_or_default(),
            "relabeled": index.is_some_and(|i| is_relabeled(ds, &state, i)),
            "excluded": e.excluded.is_some(),
            "reason": e.excluded.clone().unwrap_or_default(),
            "tags": e.tags.iter().cloned().collect::<Vec<_>>().join(";"),
            "added": e.added,
            "applies": applies,
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
            "added",
            "applies",
        ],
        args.format,
    );
    Ok(())
}

/// Runs the hidden `edit-stress`: tags samples in a loop and acknowledges each durable edit on
/// stdout, so a test can kill it at any point and check that every acknowledged edit survived.
pub fn run_stress(args: &EditStressArgs) -> Result<()> {
    use std::io::Write;
    let ws =
        crate::workspace::Workspace::open(&args.dataset.dataset, &args.dataset.open_options())?;
    let ds = &*ws.dataset;
    let (mut curator, _) = ws.curator()?;
    let mut out = std::io::stdout().lock();
    for n in args.start..args.start.saturating_add(args.count) {
        let i = (n as usize) % ds.samples.len();
        curator.edit(
            ds,
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
