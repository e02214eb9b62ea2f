//! The optional `classes.json` beside a dataset: class order and folder-name -> label mapping.
//!
//! Accepted forms: a list of labels (`["cat", "dog"]`), a list of
//! `{"folder": "T-shirt_top", "label": "T-shirt/top"}` objects (what labelscope's exports write),
//! or an object mapping folder names to labels. The list forms also fix the class order.

use std::path::Path;

use super::report::{ScanIssueKind, ScanReport};

/// File name of the class list.
pub const CLASSES_FILE: &str = "classes.json";

/// One class: the folder it is stored in and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassEntry {
    /// Folder name on disk (for folder layouts).
    pub folder: String,
    /// The class label.
    pub label: String,
}

/// Reads `dir/classes.json` if present. A malformed file is reported and ignored.
pub fn read_classes_file(dir: &Path, report: &mut ScanReport) -> Option<Vec<ClassEntry>> {
    let path = dir.join(CLASSES_FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    match parse_classes(&text) {
        Ok(entries) => Some(entries),
        Err(e) => {
            report.push(
                ScanIssueKind::BadRow,
                &path,
                &format!("ignored class list: {e}"),
            );
            None
        }
    }
}

/// Why a class list was ignored.
#[derive(Debug, thiserror::Error)]
enum ClassListError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("entry without `label`")]
    NoLabel,
    #[error("entries must be strings or objects")]
    BadEntry,
    #[error("values must be strings")]
    BadValue,
    #[error("expected a list or an object")]
    BadShape,
}

fn parse_classes(text: &str) -> Result<Vec<ClassEntry>, ClassListError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let entry = |folder: &str, label: &str| ClassEntry {
        folder: folder.to_string(),
        label: label.to_string(),
    };
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| match item {
                serde_json::Value::String(s) => Ok(entry(s, s)),
                serde_json::Value::Object(o) => {
                    let label = o
                        .get("label")
                        .and_then(|v| v.as_str())
                        .ok_or(ClassListError::NoLabel)?;
                    let folder = o.get("folder").and_then(|v| v.as_str()).unwrap_or(label);
                    Ok(entry(folder, label))
                }
                _ => Err(ClassListError::BadEntry),
            })
            .collect(),
        serde_json::Value::Object(map) => {
            let mut entries: Vec<ClassEntry> = map
                .iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|l| entry(k, l))
                        .ok_or(ClassListError::BadValue)
                })
                .collect::<Result<_, _>>()?;
            entries.sort_by(|a, b| a.label.cmp(&b.label));
            Ok(entries)
        }
        _ => Err(ClassListError::BadShape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_forms_parse() {
        let a = parse_classes(r#"["dog","cat"]"#).unwrap();
        assert_eq!(
            a[0],
            ClassEntry {
                folder: "dog".into(),
                label: "dog".into()
            }
        );
        let b = parse_classes(r#"[{"folder":"T-shirt_top","label":"T-shirt/top"}]"#).unwrap();
        assert_eq!(b[0].label, "T-shirt/top");
        let c = parse_classes(r#"{"b_":"b/","a":"a"}"#).unwrap();
        assert_eq!(
            c.iter().map(|e| e.label.as_str()).collect::<Vec<_>>(),
            vec!["a", "b/"]
        );
        assert!(parse_classes("42").is_err());
    }
}
