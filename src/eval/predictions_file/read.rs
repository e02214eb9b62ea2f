//! Importing predictions made elsewhere: a CSV, Parquet or JSON Lines file with `path` and
//! `pred`, optional `confidence`, optional per-label probabilities (`prob_<label>` columns, or a
//! `probs` object in JSON Lines), optional `error` and `raw_output`.
//! Off-label predictions become `other` (raw text kept); empty predictions are `unparsed`; rows
//! naming unknown paths are reported; samples with no row are `missing`, never dropped.

use std::path::Path;

use crate::dataset::{ClassId, Dataset};
use crate::eval::predictions::{Entry, Predicted, Prediction, PredictionSet};
use crate::table::{StringTable, TableError, read_table};

/// Reads predictions made elsewhere against `dataset`: one file, or a directory of parts
/// `part-I-of-N.{parquet,csv,jsonl}` (from `predict --shard I/N`) read as one set. Returns the
/// set and warnings (each naming a path; a missing part is a warning, its samples stay missing).
pub fn import_predictions(
    file: &Path,
    dataset: &Dataset,
) -> Result<(PredictionSet, Vec<String>), TableError> {
    let mut warnings = Vec::new();
    let mut entries = vec![Entry::Missing; dataset.samples.len()];
    let files = if file.is_dir() {
        crate::eval::parts::part_files(file, &mut warnings)?
    } else {
        vec![file.to_path_buf()]
    };
    for f in &files {
        let table = read_prediction_table(f, &mut warnings)?;
        fill_entries(&table, f, dataset, &mut entries, &mut warnings)?;
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let set = PredictionSet {
        name,
        source: file.display().to_string(),
        entries,
        elapsed_secs: None,
        num_cached: 0,
        num_inferred: 0,
    };
    Ok((set, warnings))
}

/// Reads one table of predictions (CSV, Parquet or JSON Lines by extension): a predictions file,
/// a device log. Rows that cannot be read go to `warnings` (naming the file and line).
pub fn read_prediction_table(
    file: &Path,
    warnings: &mut Vec<String>,
) -> Result<StringTable, TableError> {
    let is_jsonl = file.extension().is_some_and(|e| {
        let e = e.to_string_lossy().to_ascii_lowercase();
        e == "jsonl" || e == "ndjson"
    });
    if is_jsonl {
        read_jsonl(file, warnings)
    } else {
        let table = read_table(file)?;
        warnings.extend(table.problems.iter().cloned());
        Ok(table)
    }
}

/// Fills `entries` from the rows of `table` (read from `file`).
fn fill_entries(
    table: &StringTable,
    file: &Path,
    dataset: &Dataset,
    entries: &mut [Entry],
    warnings: &mut Vec<String>,
) -> Result<(), TableError> {
    let paths = table.require("path", file)?;
    let preds = table.require("pred", file)?;
    let conf = table.column("confidence");
    let errors = table.column("error");
    let raws = table.column("raw_output");
    let prob_cols: Vec<Option<&[Option<String>]>> = dataset
        .classes
        .iter()
        .map(|c| table.column(&format!("prob_{c}")))
        .collect();
    let prob_other = table.column("prob_other");
    let has_probs = prob_cols.iter().all(Option::is_some);
    let parse = |v: &Option<String>| v.as_deref().and_then(|s| s.trim().parse::<f32>().ok());
    for row in 0..table.num_rows {
        let Some(p) = paths[row].as_deref() else {
            continue;
        };
        let id = if Path::new(p).is_absolute() {
            crate::dataset::relative_id(&dataset.root, Path::new(p))
        } else {
            p.replace('\\', "/")
        };
        let Some(i) = dataset.index_of(&id) else {
            warnings.push(format!(
                "{}: row {} names a file that is not in the dataset: {p}",
                file.display(),
                row + 1
            ));
            continue;
        };
        if let Some(err) = errors
            .and_then(|e| e[row].as_deref())
            .filter(|e| !e.is_empty())
        {
            entries[i] = Entry::Failed(err.to_string());
            continue;
        }
        let text = preds[row].as_deref().map(str::trim).unwrap_or("");
        let predicted = if text.is_empty() {
            Predicted::Unparsed
        } else {
            match dataset.class_id(text) {
                Some(c) => Predicted::Class(c),
                None => Predicted::Other,
            }
        };
        let probs = has_probs.then(|| {
            let mut v: Vec<f32> = prob_cols
                .iter()
                .map(|c| c.and_then(|c| parse(&c[row])).unwrap_or(0.0))
                .collect();
            if let Some(o) = prob_other {
                v.push(parse(&o[row]).unwrap_or(0.0));
            }
            v
        });
        let confidence = conf
            .and_then(|c| parse(&c[row]))
            .or_else(|| match (predicted, &probs) {
                (Predicted::Class(ClassId(k)), Some(v)) => v.get(k as usize).copied(),
                _ => None,
            });
        let off_label = !matches!(predicted, Predicted::Class(_));
        let raw = raws
            .and_then(|r| r[row].clone())
            .or_else(|| off_label.then(|| text.to_string()));
        entries[i] = Entry::Predicted(Prediction {
            predicted,
            confidence,
            probs,
            raw,
            latency_ms: None,
            model_top: Vec::new(),
        });
    }
    Ok(())
}

/// Reads JSON Lines into a table: one object per line; scalar fields become columns, a `probs`
/// object becomes `prob_<label>` columns. Blank lines are skipped; malformed lines are reported
/// in `warnings` (with the line number) and skipped.
fn read_jsonl(file: &Path, warnings: &mut Vec<String>) -> Result<StringTable, TableError> {
    let text = crate::bounded_read::read_input_text(file, crate::bounded_read::InputKind::Table)?;
    let mut table = StringTable::default();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let obj = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) => {
                warnings.push(format!(
                    "{}: line {} is not a JSON object",
                    file.display(),
                    n + 1
                ));
                continue;
            }
            Err(e) => {
                warnings.push(format!(
                    "{}: line {} is not JSON ({e})",
                    file.display(),
                    n + 1
                ));
                continue;
            }
        };
        let row = table.num_rows;
        table.num_rows += 1;
        // Messages name the line the user sees.
        table.row_numbers.push(n + 1);
        let mut set = |name: String, value: Option<String>| {
            let k = *index.entry(name.clone()).or_insert_with(|| {
                table.names.push(name);
                table.columns.push(vec![None; row]);
                table.columns.len() - 1
            });
            let col = &mut table.columns[k];
            col.resize(row, None);
            col.push(value);
        };
        let scalar = |v: &serde_json::Value| match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        for (key, v) in &obj {
            match (key.as_str(), v) {
                ("probs", serde_json::Value::Object(p)) => {
                    for (label, x) in p {
                        set(format!("prob_{label}"), scalar(x));
                    }
                }
                _ => set(key.clone(), scalar(v)),
            }
        }
    }
    for col in &mut table.columns {
        col.resize(table.num_rows, None);
    }
    Ok(table)
}
