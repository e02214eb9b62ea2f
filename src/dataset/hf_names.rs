//! Class names of a Hugging Face dataset's integer label column, from (in this order) the
//! table's `huggingface` schema metadata, a `dataset_info.json` beside it or above it, or the
//! `dataset_info` YAML of a `README.md` dataset card.
//!
//! The card's YAML is read by a small line parser for the one shape the Hub writes
//! (`- name: label` / `dtype: class_label: names: '0': cat`) rather than a YAML crate.

use std::path::Path;

use crate::table::hf::ImageTable;

/// The `names` of `column` in a `features` JSON object (`{"label": {"names": [..]}}`).
fn names_in_features(features: &serde_json::Value, column: &str) -> Option<Vec<String>> {
    let feature = match features {
        serde_json::Value::Object(map) => map.get(column)?,
        // Older `datasets` wrote features as a list of {"name": .., ...}.
        serde_json::Value::Array(list) => list
            .iter()
            .find(|f| f.get("name").and_then(|n| n.as_str()) == Some(column))?,
        _ => return None,
    };
    let names = feature
        .get("names")
        .or_else(|| feature.get("dtype")?.get("class_label")?.get("names"))?;
    match names {
        serde_json::Value::Array(v) => v.iter().map(|n| n.as_str().map(str::to_string)).collect(),
        serde_json::Value::Object(m) => {
            let mut pairs: Vec<(usize, String)> = m
                .iter()
                .map(|(k, v)| Some((k.parse().ok()?, v.as_str()?.to_string())))
                .collect::<Option<_>>()?;
            pairs.sort();
            Some(pairs.into_iter().map(|(_, v)| v).collect())
        }
        _ => None,
    }
}

/// Names from the `huggingface` metadata JSON (`{"info": {"features": ..}}`).
pub fn names_from_metadata(json: &str, column: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    names_in_features(v.get("info")?.get("features")?, column)
}

/// Names from a `dataset_info.json` file (`{"features": ..}`).
fn names_from_info_file(file: &Path, column: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(file).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    names_in_features(v.get("features")?, column)
}

/// A YAML scalar without its quotes (`'0'` -> `0`, `"a b"` -> `a b`, `'it''s'` -> `it's`).
fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') {
        s[1..s.len() - 1].replace("''", "'")
    } else if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        serde_json::from_str::<String>(s).unwrap_or_else(|_| s[1..s.len() - 1].to_string())
    } else {
        s.to_string()
    }
}

/// Names from the YAML front matter of a dataset card.
pub fn names_from_card(card: &str, column: &str) -> Option<Vec<String>> {
    let yaml = card.strip_prefix("---")?.split("\n---").next()?;
    let lines: Vec<&str> = yaml.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let start = lines.iter().position(|l| {
        let t = l.trim();
        t.strip_prefix("- name:")
            .is_some_and(|n| unquote(n) == column)
    })?;
    let feature_indent = indent(lines[start]);
    let mut names: Vec<(usize, String)> = Vec::new();
    let mut in_names = None;
    for l in &lines[start + 1..] {
        if l.trim().is_empty() {
            continue;
        }
        if indent(l) <= feature_indent {
            break;
        }
        let t = l.trim();
        if t == "names:" {
            in_names = Some(indent(l));
            continue;
        }
        if let Some(ni) = in_names {
            if indent(l) <= ni {
                break;
            }
            let (k, v) = t.split_once(": ")?;
            names.push((unquote(k).parse().ok()?, unquote(v)));
        }
    }
    if names.is_empty() {
        return None;
    }
    names.sort();
    Some(names.into_iter().map(|(_, v)| v).collect())
}

/// The class names of integer label column `column` of `table` (at `file`, under `root`).
pub fn class_names(
    table: &ImageTable,
    column: &str,
    file: &Path,
    root: &Path,
) -> Option<Vec<String>> {
    if let Some(n) = table
        .huggingface()
        .and_then(|j| names_from_metadata(j, column))
    {
        return Some(n);
    }
    for dir in file.ancestors().skip(1) {
        if let Some(n) = names_from_info_file(&dir.join("dataset_info.json"), column) {
            return Some(n);
        }
        if let Some(n) = std::fs::read_to_string(dir.join("README.md"))
            .ok()
            .and_then(|card| names_from_card(&card, column))
        {
            return Some(n);
        }
        if dir == root || !dir.starts_with(root) {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_yaml_names_in_index_order() {
        let card = "---\ndataset_info:\n  features:\n  - name: image\n    dtype: image\n  - name: label\n    dtype:\n      class_label:\n        names:\n          '0': cat\n          '1': 'hot dog'\n          '10': 'it''s'\n          '2': \"bird\"\n  splits:\n  - name: train\n---\n# card\n";
        assert_eq!(
            names_from_card(card, "label").unwrap(),
            ["cat", "hot dog", "bird", "it's"]
        );
        assert_eq!(names_from_card(card, "image"), None);
        assert_eq!(names_from_card("# no yaml", "label"), None);
    }

    #[test]
    fn metadata_names_new_and_old_shapes() {
        let new = r#"{"info": {"features": {"image": {"_type": "Image"}, "label": {"names": ["a", "b"], "_type": "ClassLabel"}}}}"#;
        assert_eq!(names_from_metadata(new, "label").unwrap(), ["a", "b"]);
        let old = r#"{"info": {"features": [{"name": "label", "dtype": {"class_label": {"names": {"1": "y", "0": "x"}}}}]}}"#;
        assert_eq!(names_from_metadata(old, "label").unwrap(), ["x", "y"]);
        assert_eq!(names_from_metadata(new, "fine_label"), None);
    }
}
