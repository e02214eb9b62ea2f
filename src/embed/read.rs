//! Reading embeddings back: a Parquet file as `embed` writes it (`path` + `embedding`, a list of
//! floats), or a directory of `embed --shard` parts read as one set. Rows are matched to the
//! dataset's samples by path; a row whose path is not a sample, or whose embedding is empty, is
//! reported and skipped; a sample no row names has no embedding.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::dataset::Dataset;
use crate::embedding_store::{Embedding, to_embedding};
use crate::table::TableError;

/// Embeddings read for a dataset.
#[derive(Debug, Default)]
pub struct ReadEmbeddings {
    /// Per dataset sample, its embedding or why it has none.
    pub per_sample: Vec<Result<Embedding, String>>,
    /// The files read.
    pub files: Vec<PathBuf>,
    /// Rows that named no sample, parts that are missing, and the like.
    pub warnings: Vec<String>,
}

fn polars_err(path: &Path) -> impl Fn(PolarsError) -> TableError + '_ {
    move |e| TableError::Polars {
        message: e.to_string(),
        path: path.to_path_buf(),
    }
}

/// One row: its path and its values (`None` where null).
type Row = (Option<String>, Option<Vec<f32>>);

/// The rows of one Parquet file.
fn read_file(path: &Path) -> Result<Vec<Row>, TableError> {
    crate::bounded_read::check_input(path, crate::bounded_read::InputKind::Table)?;
    let file = std::fs::File::open(path).map_err(|source| TableError::Io {
        source,
        path: path.to_path_buf(),
    })?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(polars_err(path))?;
    let column = |name: &str| {
        df.column(name).map_err(|_| TableError::MissingColumn {
            column: name.to_string(),
            found: df
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            path: path.to_path_buf(),
        })
    };
    let paths = column("path")?
        .cast(&DataType::String)
        .map_err(polars_err(path))?;
    // One chunk, so that the list iterator walks every row.
    let values = column("embedding")?
        .cast(&DataType::List(Box::new(DataType::Float32)))
        .map_err(polars_err(path))?
        .as_materialized_series()
        .rechunk();
    let paths = paths.str().map_err(polars_err(path))?;
    let values = values.list().map_err(polars_err(path))?;
    let mut rows = Vec::with_capacity(df.height());
    for (p, v) in paths.iter().zip(values.amortized_iter()) {
        let v = match v {
            Some(s) => {
                let f = s.as_ref().f32().map_err(polars_err(path))?;
                // A null inside the list makes the row unusable.
                f.iter().collect::<Option<Vec<f32>>>()
            }
            None => None,
        };
        rows.push((p.map(str::to_string), v));
    }
    Ok(rows)
}

/// Reads the embeddings in `source` (a Parquet file, or a directory of `part-I-of-N.parquet`)
/// for the samples of `ds`.
pub fn read_embeddings(source: &Path, ds: &Dataset) -> Result<ReadEmbeddings, TableError> {
    let mut out = ReadEmbeddings::default();
    out.files = if source.is_dir() {
        crate::eval::parts::part_files(source, &mut out.warnings)?
    } else {
        vec![source.to_path_buf()]
    };
    let absent = format!("no row of {} names it", source.display());
    out.per_sample = vec![Err(absent); ds.samples.len()];
    let mut unknown = 0usize;
    let mut first_unknown: Option<String> = None;
    for file in &out.files.clone() {
        for (row, (p, values)) in read_file(file)?.into_iter().enumerate() {
            let Some(p) = p else {
                out.warnings.push(format!(
                    "{} row {}: no path; skipped",
                    file.display(),
                    row + 1
                ));
                continue;
            };
            let Some(i) = ds.index_of(&p) else {
                unknown += 1;
                first_unknown.get_or_insert(p);
                continue;
            };
            out.per_sample[i] = match values {
                Some(v) if !v.is_empty() => Ok(to_embedding(&v)),
                _ => Err(format!("{} row {}: no embedding", file.display(), row + 1)),
            };
        }
    }
    if let Some(p) = first_unknown {
        out.warnings.push(format!(
            "{unknown} rows of {} name no sample of the dataset (the first: {p}); skipped",
            source.display()
        ));
    }
    Ok(out)
}
