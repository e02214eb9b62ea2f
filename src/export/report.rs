//! The cleaning report of an export (`report.json` and `report.md`): counts per class per
//! split, relabels, exclusions by reason, duplicate groups, the seed and fractions, and the
//! model's metrics before and after the edits. No timestamps, so equal inputs give equal bytes.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::ExportOptions;
use super::plan::ExportPlan;
use super::split::Split;
use crate::curation::CurationState;
use crate::dataset::Dataset;
use crate::eval::{PredictionSet, compute_metrics};

/// Builds the JSON report.
pub fn report_json(
    ds: &Dataset,
    edits: &CurationState,
    plan: &ExportPlan,
    preds: Option<&PredictionSet>,
    opts: &ExportOptions,
    class_dirs: &[String],
) -> Value {
    let counts = plan.counts(ds.classes.len());
    let mut copies = vec![0usize; ds.classes.len()];
    for r in plan.rows.iter().filter(|r| r.copy > 0) {
        copies[r.label.index()] += 1;
    }
    let classes: Vec<Value> = ds
        .classes
        .iter()
        .enumerate()
        .map(|(c, label)| {
            json!({
                "label": label,
                "folder": class_dirs[c],
                "train": counts[c][0],
                "val": counts[c][1],
                "test": counts[c][2],
                "weight": plan.class_weights[c],
                "oversampled_copies": copies[c],
            })
        })
        .collect();
    let id = |i: usize| ds.samples[i].id.0.clone();
    let relabels: Vec<Value> = plan
        .relabeled
        .iter()
        .map(|&(i, from, to)| {
            let p = preds.and_then(|p| p.prediction(i));
            let tags: Vec<String> = edits
                .get(&id(i))
                .map(|e| e.tags.iter().cloned().collect())
                .unwrap_or_default();
            json!({
                "path": id(i),
                "from": ds.class_name(from),
                "to": ds.class_name(to),
                "why": if p.is_some_and(|p| p.predicted == crate::eval::Predicted::Class(to)) {
                    "relabeled by the user; the model agrees"
                } else {
                    "relabeled by the user"
                },
                "pred": p.map(|p| p.predicted.name(&ds.classes)),
                "confidence": p.and_then(|p| p.confidence),
                "tags": tags,
            })
        })
        .collect();
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in &plan.excluded {
        *by_reason.entry(r.as_str()).or_default() += 1;
    }
    let excluded: Vec<Value> = plan
        .excluded
        .iter()
        .map(|(i, r)| json!({"path": id(*i), "reason": r}))
        .collect();
    let groups: Vec<Vec<String>> = plan
        .groups
        .iter()
        .map(|g| g.iter().map(|&i| id(i)).collect())
        .collect();
    let metrics = preds.map(|p| {
        let original: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
        let edited = crate::curation::effective_labels(ds, edits);
        let m = |truth: &[Option<crate::dataset::ClassId>]| {
            let m = compute_metrics(&ds.classes, truth, p);
            json!({
                "samples": m.num_samples,
                "accuracy": m.accuracy,
                "balanced_accuracy": m.balanced_accuracy,
                "macro_f1": m.macro_f1,
            })
        };
        json!({"model": p.name, "before_edits": m(&original), "after_edits": m(&edited)})
    });
    json!({
        "dataset": ds.source.display().to_string(),
        "seed": plan.options.split.seed,
        "fractions": {
            "train": 1.0 - plan.options.split.val - plan.options.split.test,
            "val": plan.options.split.val,
            "test": plan.options.split.test,
        },
        "keep_splits": plan.options.keep_splits,
        "balance": plan.options.balance,
        "formats": opts.formats.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "link": opts.link,
        "classes": classes,
        "totals": {
            "train": plan.split_len(Split::Train),
            "val": plan.split_len(Split::Val),
            "test": plan.split_len(Split::Test),
            "exported_samples": plan.rows.iter().filter(|r| r.copy == 0).count(),
            "oversampled_copies": plan.rows.iter().filter(|r| r.copy > 0).count(),
            "excluded": plan.excluded.len(),
            "relabeled": plan.relabeled.len(),
            "not_exported": plan.not_exported.len(),
        },
        "relabels": relabels,
        "not_exported": plan
            .not_exported
            .iter()
            .map(|(i, why)| json!({"path": id(*i), "file": ds.samples[*i].path.display().to_string(), "why": why}))
            .collect::<Vec<_>>(),
        "exclusions": {"by_reason": by_reason, "samples": excluded},
        "duplicates": {
            "groups": groups,
            "kept_together": plan.groups_kept_together,
            "leaks_in_given_splits": plan.leaks_kept,
        },
        "metrics": metrics,
        "negatives": opts.negatives,
        "soft_labels": opts.soft_labels.as_ref().map(|s| s.note.clone()),
    })
}

/// Renders the JSON report as Markdown.
pub fn report_markdown(r: &Value) -> String {
    let mut md = String::from("# labelscope export report\n\n");
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    md += &format!(
        "Dataset `{}`; seed {}; fractions train {:.3} / val {:.3} / test {:.3}; keep splits: {}; balance: {}; link: {}.\n\n",
        s(&r["dataset"]),
        r["seed"],
        r["fractions"]["train"].as_f64().unwrap_or(0.0),
        r["fractions"]["val"].as_f64().unwrap_or(0.0),
        r["fractions"]["test"].as_f64().unwrap_or(0.0),
        r["keep_splits"],
        s(&r["balance"]),
        s(&r["link"]),
    );
    md += "## Counts per class\n\nTrain counts include the copies oversampling added (train only; never validation or test). The weight is scikit-learn's `class_weight=\"balanced\"` on train: train rows / (classes in train x the class's train rows).\n\n| label | folder | train | of which oversampled copies | val | test | weight |\n|---|---|---:|---:|---:|---:|---:|\n";
    for c in r["classes"].as_array().into_iter().flatten() {
        md += &format!(
            "| {} | {} | {} | {} | {} | {} | {:.3} |\n",
            s(&c["label"]),
            s(&c["folder"]),
            c["train"],
            c["oversampled_copies"],
            c["val"],
            c["test"],
            c["weight"].as_f64().unwrap_or(0.0)
        );
    }
    let t = &r["totals"];
    md += &format!(
        "| **total** | | **{}** | **{}** | **{}** | |\n\n{} samples exported ({} oversampled copies), {} excluded, {} relabeled.\n\n",
        t["train"],
        t["val"],
        t["test"],
        t["exported_samples"],
        t["oversampled_copies"],
        t["excluded"],
        t["relabeled"]
    );
    if let Some(n) = r["negatives"].as_object() {
        md += &format!(
            "## Negatives

{} images of none of the classes written as class `{}`: {} added from outside the dataset, {} of its samples marked as negatives.\n\n",
            n["paths"].as_array().map_or(0, Vec::len),
            s(&n["class"]),
            n["added"],
            n["from_samples"],
        );
        for p in n["paths"].as_array().into_iter().flatten() {
            md += &format!("- {}\n", s(p));
        }
        md += "\n";
    }
    if let Some(n) = r["soft_labels"].as_object() {
        md += &format!(
            "## Soft labels\n\nEach row's `prob_<label>` columns (and `soft_labels` in Parquet and the VLM JSONL) are the probabilities of the teacher `{}` ({}) over the classes, at temperature {} (the spec's own {} times the distillation temperature {}).\n\n",
            s(&n["model"]),
            s(&n["file"]),
            n["temperature"],
            n["spec_temperature"],
            n["distillation_temperature"],
        );
    }
    if let Some(m) = r["metrics"].as_object() {
        md += &format!(
            "## Model `{}`\n\n| | samples | accuracy | balanced | macro F1 |\n|---|---:|---:|---:|---:|\n",
            s(&m["model"])
        );
        for (name, key) in [
            ("before edits", "before_edits"),
            ("after edits", "after_edits"),
        ] {
            let x = &m[key];
            md += &format!(
                "| {name} | {} | {:.4} | {:.4} | {:.4} |\n",
                x["samples"],
                x["accuracy"].as_f64().unwrap_or(0.0),
                x["balanced_accuracy"].as_f64().unwrap_or(0.0),
                x["macro_f1"].as_f64().unwrap_or(0.0)
            );
        }
        md += "\n";
    }
    if let Some(list) = r["not_exported"].as_array().filter(|l| !l.is_empty()) {
        md += "## Not exported (not readable images)\n\n| file | why |\n|---|---|\n";
        for x in list {
            md += &format!("| {} | {} |\n", s(&x["file"]), s(&x["why"]));
        }
        md += "\n";
    }
    md += "## Exclusions by reason\n\n";
    for (reason, n) in r["exclusions"]["by_reason"]
        .as_object()
        .into_iter()
        .flatten()
    {
        md += &format!("- {reason}: {n}\n");
    }
    if let Some(list) = r["exclusions"]["samples"]
        .as_array()
        .filter(|l| !l.is_empty())
    {
        md += "\n## Excluded samples\n\n| path | reason |\n|---|---|\n";
        for x in list {
            md += &format!("| {} | {} |\n", s(&x["path"]), s(&x["reason"]));
        }
    }
    md += "\n## Relabels\n\n| path | from | to | why |\n|---|---|---|---|\n";
    for x in r["relabels"].as_array().into_iter().flatten() {
        md += &format!(
            "| {} | {} | {} | {} |\n",
            s(&x["path"]),
            s(&x["from"]),
            s(&x["to"]),
            s(&x["why"])
        );
    }
    let d = &r["duplicates"];
    md += &format!(
        "\n## Duplicates\n\n{} duplicate groups, each kept in one split ({} kept together by the split); {} groups cross the dataset's own splits.\n",
        d["groups"].as_array().map_or(0, Vec::len),
        d["kept_together"],
        d["leaks_in_given_splits"]
    );
    md
}
