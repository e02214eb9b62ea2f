//! Listings on stdout: a JSON array, or CSV with a header (fields quoted when needed).

use super::args::ListFormat;

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Prints `rows` (JSON objects) as a JSON array or as CSV with columns `cols`.
pub fn print_rows(rows: Vec<serde_json::Value>, cols: &[&str], format: ListFormat) {
    match format {
        ListFormat::Json => println!("{}", serde_json::Value::Array(rows)),
        ListFormat::Csv => {
            println!("{}", cols.join(","));
            for r in rows {
                let line: Vec<String> = cols
                    .iter()
                    .map(|c| csv_field(&value_text(&r[*c])))
                    .collect();
                println!("{}", line.join(","));
            }
        }
    }
}
