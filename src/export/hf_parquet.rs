//! The `hf-parquet` export, a dataset as the Hugging Face Hub stores one:
//! `data/{train,validation,test}-NNNNN-of-NNNNN.parquet` with each image's original bytes
//! embedded (never re-encoded) in an `image` struct (`bytes`, `path`), an int64 `label`, the
//! `ClassLabel` names in the `huggingface` footer metadata byte for byte as `datasets` writes
//! them, shards of about [`SHARD_BYTES`] and 100 rows per row group, and a `README.md` dataset
//! card (`dataset_info`, `configs`, counts per class). `datasets.load_dataset("parquet",
//! data_dir=out)` and `load_dataset(out)` both read it.

use std::path::Path;

use super::ExportError;
use super::plan::{ExportPlan, PlannedRow};
use super::split::Split;
use crate::dataset::Dataset;
use crate::eval::PredictionSet;
use crate::jobs::JobControl;
use crate::table::hf::{ShardColumns, ShardRow, write_image_shard};

/// Image bytes per shard before a new one starts (`push_to_hub`'s default).
pub const SHARD_BYTES: u64 = 500 << 20;
/// Rows per Parquet row group (what `datasets` uses for image datasets).
const ROWS_PER_GROUP: usize = 100;

/// The Hub's name for a split.
pub fn hub_split(split: Split) -> &'static str {
    match split {
        Split::Train => "train",
        Split::Val => "validation",
        Split::Test => "test",
    }
}

/// `s` as Python's `json.dumps` writes a string (ASCII only, `\uXXXX` escapes).
pub fn py_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// The `huggingface` footer metadata for an `image` column, a `label` with `names` and the
/// `extra` columns, byte for byte as `datasets` writes it.
pub fn huggingface_metadata(names: &[String], extra: ShardColumns) -> String {
    let names: Vec<String> = names.iter().map(|n| py_json_string(n)).collect();
    let mut more = String::new();
    if extra.soft_labels {
        more.push_str(", \"soft_labels\": {\"feature\": {\"dtype\": \"float32\", \"_type\": \"Value\"}, \"_type\": \"List\"}");
    }
    if extra.weight {
        more.push_str(", \"weight\": {\"dtype\": \"float32\", \"_type\": \"Value\"}");
    }
    format!(
        "{{\"info\": {{\"features\": {{\"image\": {{\"_type\": \"Image\"}}, \"label\": {{\"names\": [{}], \"_type\": \"ClassLabel\"}}{more}}}}}}}",
        names.join(", ")
    )
}

/// One written split: its name, rows, image bytes and shard count.
#[derive(Clone, Debug)]
pub struct SplitWritten {
    /// The Hub split name.
    pub name: &'static str,
    /// Rows written.
    pub rows: usize,
    /// Image bytes written.
    pub bytes: u64,
    /// Shards written.
    pub shards: usize,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A row's image: its bytes and the file name stored in `path`.
fn image_of(ds: &Dataset, row: &PlannedRow) -> Result<(Vec<u8>, String), ExportError> {
    let src = &ds.samples[row.sample].path;
    let bytes = crate::dataset::image_io::read_image_bytes(src)
        .map_err(|e| io_err(src)(std::io::Error::other(e.reason)))?;
    let name = crate::dataset::embedded::file_name(src)
        .or_else(|| src.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    Ok((bytes, name))
}

/// One row waiting for its shard: image bytes, file name, class, soft labels, weight.
type Pending = (Vec<u8>, String, i64, Option<Vec<f32>>, Option<f32>);

/// Writes the shards of every split of `plan` under `root/data`, then the dataset card. With
/// soft labels (a teacher's, or the predictions' with `probs`) each row has a `soft_labels`
/// list; with `--balance weights` a `weight` (train rows only, null elsewhere).
pub fn write_hf_parquet(
    root: &Path,
    ds: &Dataset,
    plan: &ExportPlan,
    preds: Option<&PredictionSet>,
    opts: &super::ExportOptions,
    summary_md: &str,
    control: &JobControl,
) -> Result<Vec<SplitWritten>, ExportError> {
    let data = root.join("data");
    std::fs::create_dir_all(&data).map_err(io_err(&data))?;
    let extra = ShardColumns {
        soft_labels: opts.writes_probs(preds.is_some()),
        weight: plan.options.balance == super::Balance::Weights,
    };
    let metadata = huggingface_metadata(&ds.classes, extra);
    let mut written = Vec::new();
    for split in Split::ALL {
        let rows: Vec<&PlannedRow> = plan.rows.iter().filter(|r| r.split == split).collect();
        if rows.is_empty() {
            continue;
        }
        let name = hub_split(split);
        let mut shards: Vec<std::path::PathBuf> = Vec::new();
        let (mut pending, mut pending_bytes, mut total) = (Vec::new(), 0u64, 0u64);
        let flush = |pending: &mut Vec<Pending>,
                     shards: &mut Vec<std::path::PathBuf>|
         -> Result<(), ExportError> {
            let file = data.join(format!("{name}-{:05}.partial", shards.len()));
            let shard_rows: Vec<ShardRow> = pending
                .iter()
                .map(|(bytes, path, label, soft, weight)| ShardRow {
                    bytes,
                    path,
                    label: *label,
                    soft_labels: soft.as_deref(),
                    weight: *weight,
                })
                .collect();
            write_image_shard(&file, &shard_rows, extra, &metadata, ROWS_PER_GROUP)
                .map_err(|e| ExportError::Table(e.to_string()))?;
            pending.clear();
            shards.push(file);
            Ok(())
        };
        for row in &rows {
            if control.is_cancelled() {
                return Err(ExportError::Cancelled);
            }
            let (bytes, path) = image_of(ds, row)?;
            pending_bytes += bytes.len() as u64;
            total += bytes.len() as u64;
            let soft = extra.soft_labels.then(|| {
                super::soft_labels::written_probs(opts, preds, row.sample, ds.classes.len())
                    .map(std::borrow::Cow::into_owned)
            });
            let weight = (extra.weight && split == Split::Train)
                .then(|| plan.class_weights[row.label.index()] as f32);
            pending.push((bytes, path, i64::from(row.label.0), soft.flatten(), weight));
            control.add_done(false);
            if pending_bytes >= SHARD_BYTES {
                flush(&mut pending, &mut shards)?;
                pending_bytes = 0;
            }
        }
        if !pending.is_empty() {
            flush(&mut pending, &mut shards)?;
        }
        let n = shards.len();
        let mut read_back = 0;
        for (i, partial) in shards.iter().enumerate() {
            let done = data.join(format!("{name}-{i:05}-of-{n:05}.parquet"));
            std::fs::rename(partial, &done).map_err(io_err(&done))?;
            read_back += crate::table::hf::ParquetShard::open(&done)
                .map_err(|e| ExportError::Verify(e.to_string()))?
                .num_rows();
        }
        if read_back != rows.len() {
            return Err(ExportError::Verify(format!(
                "{name}: {} rows planned, {read_back} in the shards",
                rows.len()
            )));
        }
        written.push(SplitWritten {
            name,
            rows: rows.len(),
            bytes: total,
            shards: n,
        });
    }
    let card = dataset_card(ds, plan, &written, extra, summary_md);
    let file = root.join("README.md");
    std::fs::write(&file, card).map_err(io_err(&file))?;
    Ok(written)
}

/// A YAML scalar in single quotes.
fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The dataset card: YAML `dataset_info` (features with the class names, splits) and `configs`
/// (one per split, `data/<split>-*`), then counts per class and the cleaning summary.
pub fn dataset_card(
    ds: &Dataset,
    plan: &ExportPlan,
    written: &[SplitWritten],
    extra: ShardColumns,
    summary_md: &str,
) -> String {
    let mut y = String::from(
        "---\ndataset_info:\n  features:\n  - name: image\n    dtype: image\n  - name: label\n    dtype:\n      class_label:\n        names:\n",
    );
    for (i, c) in ds.classes.iter().enumerate() {
        y.push_str(&format!("          '{i}': {}\n", yaml_quote(c)));
    }
    if extra.soft_labels {
        y.push_str("  - name: soft_labels\n    list: float32\n");
    }
    if extra.weight {
        y.push_str("  - name: weight\n    dtype: float32\n");
    }
    y.push_str("  splits:\n");
    for s in written {
        y.push_str(&format!(
            "  - name: {}\n    num_bytes: {}\n    num_examples: {}\n",
            s.name, s.bytes, s.rows
        ));
    }
    let total: u64 = written.iter().map(|s| s.bytes).sum();
    y.push_str(&format!(
        "  download_size: {total}\n  dataset_size: {total}\nconfigs:\n- config_name: default\n  data_files:\n"
    ));
    for s in written {
        y.push_str(&format!(
            "  - split: {}\n    path: data/{}-*\n",
            s.name, s.name
        ));
    }
    y.push_str("---\n\n");
    let title = ds
        .source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".into());
    y.push_str(&format!(
        "# {title}\n\nImage classification data exported by labelscope from `{}` after review. \
         The images are the original files' bytes.\n\n## Counts per class\n\n| class |",
        ds.source.display()
    ));
    for s in written {
        y.push_str(&format!(" {} |", s.name));
    }
    y.push_str("\n|---|");
    y.push_str(&"---:|".repeat(written.len()));
    y.push('\n');
    let counts = plan.counts(ds.classes.len());
    let column = |name: &str| match name {
        "train" => 0,
        "validation" => 1,
        _ => 2,
    };
    for (i, c) in ds.classes.iter().enumerate() {
        y.push_str(&format!("| {} |", c.replace('|', "\\|")));
        for s in written {
            y.push_str(&format!(" {} |", counts[i][column(s.name)]));
        }
        y.push('\n');
    }
    y.push_str("\n## Cleaning\n\n");
    y.push_str(summary_md.trim());
    y.push('\n');
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The footer `datasets` 5.2 wrote for `Features({"image": Image(), "label":
    /// ClassLabel(names=["a", "b"]), "soft_labels": List(Value("float32")), "weight":
    /// Value("float32")})` (`Dataset.to_parquet`, read back with pyarrow).
    #[test]
    fn extra_columns_footer_is_what_datasets_writes() {
        let both = ShardColumns {
            soft_labels: true,
            weight: true,
        };
        assert_eq!(
            huggingface_metadata(&["a".into(), "b".into()], both),
            r#"{"info": {"features": {"image": {"_type": "Image"}, "label": {"names": ["a", "b"], "_type": "ClassLabel"}, "soft_labels": {"feature": {"dtype": "float32", "_type": "Value"}, "_type": "List"}, "weight": {"dtype": "float32", "_type": "Value"}}}}"#
        );
    }

    #[test]
    fn json_strings_like_python() {
        assert_eq!(py_json_string("cat"), "\"cat\"");
        assert_eq!(py_json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(
            py_json_string("Hündin 猫 🐱"),
            "\"H\\u00fcndin \\u732b \\ud83d\\udc31\""
        );
        assert_eq!(
            huggingface_metadata(&["cat".into(), "dog".into()], ShardColumns::default()),
            r#"{"info": {"features": {"image": {"_type": "Image"}, "label": {"names": ["cat", "dog"], "_type": "ClassLabel"}}}}"#
        );
    }
}
