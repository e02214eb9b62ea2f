//! Listings on stdout: a JSON array, or CSV with a header (the `csv` crate quotes fields that
//! hold commas, quotes, CR or LF).

use std::io::Write;

use super::shared_args::ListFormat;

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Writes `rows` (JSON objects) to `out` as a JSON array or as CSV with columns `cols`.
fn write_rows(
    out: impl Write,
    rows: &[serde_json::Value],
    cols: &[&str],
    format: ListFormat,
) -> std::io::Result<()> {
    match format {
        ListFormat::Json => {
            let mut out = out;
            serde_json::to_writer(&mut out, rows)?;
            writeln!(out)
        }
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(cols)?;
            for r in rows {
                w.write_record(cols.iter().map(|c| value_text(&r[*c])))?;
            }
            w.flush()
        }
    }
}

/// Prints `rows` (JSON objects) as a JSON array or as CSV with columns `cols`.
pub fn print_rows(rows: Vec<serde_json::Value>, cols: &[&str], format: ListFormat) {
    if let Err(e) = write_rows(std::io::stdout().lock(), &rows, cols, format) {
        eprintln!("error: writing the listing: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_commas_quotes_and_line_breaks_are_quoted() {
        let rows = vec![
            serde_json::json!({"path": "a\rb.png", "detail": "x, \"y\"", "score": 0.5}),
            serde_json::json!({"path": "plain.png", "detail": null, "score": 1}),
        ];
        let mut out = Vec::new();
        write_rows(
            &mut out,
            &rows,
            &["path", "detail", "score"],
            ListFormat::Csv,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "path,detail,score\n\"a\rb.png\",\"x, \"\"y\"\"\",0.5\nplain.png,,1\n"
        );
        let mut out = Vec::new();
        write_rows(&mut out, &rows, &["path"], ListFormat::Json).unwrap();
        let back: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, rows);
    }
}
