//! Device logs: one row per inference a deployed model made, read from CSV, Parquet or JSON
//! Lines files (or a folder of them). Columns: `timestamp` (ISO 8601, or unix seconds) and
//! `pred`, and any of `confidence`, `prob_<label>` (or a `probs` object in JSON Lines),
//! `device`, `model_version`, `latency_ms`, `label` (ground truth that arrived later), `path`.
//! A Parquet or Arrow log may keep each row's image inside it instead, in a `datasets` `Image`
//! column (`{bytes, path}`) or a binary column, as the Hugging Face layouts store images.
//! A row that cannot be read is reported with its file and line and skipped; it never stops
//! the rest.

use std::path::{Path, PathBuf};

use crate::table::{StringTable, TableError};

/// One inference of a deployed model.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRow {
    /// When it happened, in unix seconds.
    pub time: f64,
    /// The predicted label, as the device wrote it.
    pub pred: String,
    /// The probability of the prediction: `confidence`, else the largest `prob_<label>`.
    pub confidence: Option<f32>,
    /// Per-label probabilities in the order of the labels given to [`read_logs`], when every
    /// one of them has a column.
    pub probs: Option<Vec<f32>>,
    /// The device that ran it.
    pub device: Option<String>,
    /// The model version that ran.
    pub model_version: Option<String>,
    /// Inference latency in milliseconds.
    pub latency_ms: Option<f32>,
    /// The true label, when it arrived later.
    pub label: Option<String>,
    /// The image, when the log keeps it (relative paths resolved against the log's folder; an
    /// image inside the log is `<log file>/<row>`, [`crate::dataset::embedded`]).
    pub path: Option<PathBuf>,
}

/// The rows of every log file, in time order, and what could not be read.
#[derive(Clone, Debug, Default)]
pub struct DeviceLog {
    /// Every readable row, sorted by time.
    pub rows: Vec<LogRow>,
    /// One line per skipped row or file part (naming the file and line).
    pub problems: Vec<String>,
    /// The files read.
    pub files: Vec<PathBuf>,
}

/// Why no log could be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A file could not be read as a table.
    #[error(transparent)]
    Table(#[from] TableError),
    /// A folder holds no log files.
    #[error("no log files (.csv, .parquet, .jsonl) in {}", .0.display())]
    EmptyFolder(PathBuf),
    /// A folder could not be listed.
    #[error("cannot list {}: {source}", path.display())]
    List {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Reads every log in `paths` (files, or folders of `.csv`/`.parquet`/`.jsonl` files);
/// `labels` orders the `prob_<label>` columns.
pub fn read_logs(paths: &[PathBuf], labels: &[String]) -> Result<DeviceLog, LogError> {
    let mut log = DeviceLog::default();
    for p in paths {
        for file in log_files(p)? {
            let mut warnings = Vec::new();
            let (table, embedded) = match embedded_log(&file, &mut warnings) {
                Some(t) => (t, true),
                None => (
                    crate::eval::read_prediction_table(&file, &mut warnings)?,
                    false,
                ),
            };
            log.problems.extend(warnings);
            rows_of(&table, &file, labels, embedded, &mut log);
            log.files.push(file);
        }
    }
    log.rows.sort_by(|a, b| a.time.total_cmp(&b.time));
    Ok(log)
}

/// A Parquet or Arrow log whose rows keep their images inside (a `datasets` `Image` struct or a
/// binary column, as the Hugging Face layouts store them): its other columns as text, with the
/// table registered so each row's image reads as `<file>/<row>`
/// ([`crate::dataset::embedded`]). `None` for any other log.
fn embedded_log(file: &Path, warnings: &mut Vec<String>) -> Option<StringTable> {
    use crate::table::columns::ColumnKind;
    let ext = file.extension()?.to_string_lossy().to_ascii_lowercase();
    if ext != "parquet" && ext != "arrow" {
        return None;
    }
    let table = crate::table::hf::ImageTable::open(file).ok()?;
    let image = table
        .columns()
        .iter()
        .find(|c| c.kind == ColumnKind::ImageStruct)
        .or_else(|| {
            table
                .columns()
                .iter()
                .find(|c| c.kind == ColumnKind::Binary)
        })?
        .name
        .clone();
    let mut text = StringTable {
        num_rows: table.row_groups().iter().sum(),
        ..StringTable::default()
    };
    for c in table.columns().iter().filter(|c| c.name != image) {
        match table.read_text(&c.name) {
            Ok(values) => {
                text.names.push(c.name.clone());
                text.columns.push(values);
            }
            Err(e) => warnings.push(format!(
                "{}: the column `{}` is left out ({e})",
                file.display(),
                c.name
            )),
        }
    }
    let base = vec![file.parent().unwrap_or(Path::new(".")).to_path_buf()];
    crate::dataset::embedded::register(crate::dataset::embedded::Container::new(
        table, &image, base,
    ));
    Some(text)
}

/// `path` itself, or the log files of the folder `path` (sorted).
fn log_files(path: &Path) -> Result<Vec<PathBuf>, LogError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|source| LogError::List {
        path: path.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| {
                    let e = e.to_string_lossy().to_ascii_lowercase();
                    matches!(e.as_str(), "csv" | "parquet" | "jsonl" | "ndjson")
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(LogError::EmptyFolder(path.to_path_buf()));
    }
    Ok(files)
}

/// A timestamp as unix seconds: a number, or ISO 8601 with a time zone (`Z` or an offset),
/// or without one (read as UTC), or a date alone (midnight UTC).
pub fn parse_time(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return secs.is_finite().then_some(secs);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(seconds(dt.timestamp(), dt.timestamp_subsec_nanos()));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, format) {
            let utc = dt.and_utc();
            return Some(seconds(utc.timestamp(), utc.timestamp_subsec_nanos()));
        }
    }
    let day = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp() as f64)
}

fn seconds(secs: i64, nanos: u32) -> f64 {
    secs as f64 + f64::from(nanos) * 1e-9
}

fn number(v: Option<&Option<String>>) -> Option<f32> {
    v?.as_deref()?
        .trim()
        .parse::<f32>()
        .ok()
        .filter(|x| x.is_finite())
}

/// Appends the readable rows of `table` (read from `file`) to `log`, each bad one to its
/// problems. With `embedded`, each row's image is the one inside the file.
fn rows_of(
    table: &StringTable,
    file: &Path,
    labels: &[String],
    embedded: bool,
    log: &mut DeviceLog,
) {
    let (Some(times), Some(preds)) = (table.column("timestamp"), table.column("pred")) else {
        log.problems.push(format!(
            "{}: no `timestamp` and `pred` columns (found: {}); the file is skipped",
            file.display(),
            table.names.join(", ")
        ));
        return;
    };
    let col = |name: &str| table.column(name);
    let (conf, device, version, latency, label, path) = (
        col("confidence"),
        col("device"),
        col("model_version"),
        col("latency_ms"),
        col("label"),
        col("path"),
    );
    let probs: Option<Vec<&[Option<String>]>> = labels
        .iter()
        .map(|l| table.column(&format!("prob_{l}")))
        .collect();
    let base = file.parent().unwrap_or(Path::new("."));
    let text = |c: Option<&[Option<String>]>, r: usize| {
        c.and_then(|c| c[r].clone())
            .filter(|s| !s.trim().is_empty())
    };
    for (r, stamp) in times.iter().enumerate().take(table.num_rows) {
        let line = table.row_number(r);
        let Some(time) = stamp.as_deref().and_then(parse_time) else {
            log.problems.push(format!(
                "{}: row {line}: the timestamp {:?} is neither ISO 8601 nor unix seconds; skipped",
                file.display(),
                stamp.as_deref().unwrap_or("")
            ));
            continue;
        };
        let Some(pred) = text(Some(preds), r) else {
            log.problems.push(format!(
                "{}: row {line}: no `pred`; skipped",
                file.display()
            ));
            continue;
        };
        let row_probs = probs.as_ref().and_then(|cols| {
            cols.iter()
                .map(|c| number(c.get(r)))
                .collect::<Option<Vec<f32>>>()
        });
        let confidence = number(conf.and_then(|c| c.get(r))).or_else(|| {
            row_probs
                .as_ref()
                .and_then(|p| p.iter().copied().reduce(f32::max))
        });
        log.rows.push(LogRow {
            time,
            pred,
            confidence,
            probs: row_probs,
            device: text(device, r),
            model_version: text(version, r),
            latency_ms: number(latency.and_then(|c| c.get(r))),
            label: text(label, r),
            path: if embedded {
                Some(crate::dataset::embedded::row_path(file, r))
            } else {
                text(path, r).map(|p| base.join(p))
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_form_a_device_writes() {
        let day = 1_764_547_200.0; // 2025-12-01T00:00:00Z
        assert_eq!(parse_time("2025-12-01T00:00:00Z"), Some(day));
        assert_eq!(parse_time("2025-12-01T01:00:00+01:00"), Some(day));
        assert_eq!(parse_time("2025-12-01 00:00:00"), Some(day));
        assert_eq!(parse_time("2025-12-01"), Some(day));
        assert_eq!(parse_time("1764547200"), Some(day));
        assert_eq!(parse_time("2025-12-01T00:00:00.5Z"), Some(day + 0.5));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn bad_rows_are_named_and_skipped_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("log.jsonl");
        std::fs::write(
            &file,
            concat!(
                "{\"timestamp\": \"2025-12-01T10:00:00Z\", \"pred\": \"cat\", \"probs\": {\"cat\": 0.9, \"dog\": 0.1}, \"device\": \"a\"}\n",
                "not json\n",
                "{\"timestamp\": \"soon\", \"pred\": \"dog\"}\n",
                "{\"timestamp\": 1764547200, \"pred\": \"dog\", \"confidence\": 0.7, \"label\": \"cat\", \"path\": \"img/1.png\"}\n",
            ),
        )
        .unwrap();
        let labels = vec!["cat".to_string(), "dog".to_string()];
        let log = read_logs(std::slice::from_ref(&file), &labels).unwrap();
        assert_eq!(log.rows.len(), 2, "{:?}", log.problems);
        assert_eq!(log.problems.len(), 2, "{:?}", log.problems);
        assert!(log.problems[0].contains("line 2"), "{:?}", log.problems);
        assert!(log.problems[1].contains("row 4") || log.problems[1].contains("\"soon\""));
        // Sorted by time: the unix-seconds row (midnight) first.
        assert_eq!(log.rows[0].pred, "dog");
        assert_eq!(log.rows[0].label.as_deref(), Some("cat"));
        assert_eq!(log.rows[0].path, Some(dir.path().join("img/1.png")));
        assert_eq!(log.rows[1].probs, Some(vec![0.9, 0.1]));
        assert_eq!(log.rows[1].confidence, Some(0.9));
        assert_eq!(log.rows[1].device.as_deref(), Some("a"));
    }
}
