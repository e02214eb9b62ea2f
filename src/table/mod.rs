//! Reading and writing simple tables (CSV and Parquet) through polars.
//!
//! This is the only module that names polars types: the rest of the crate sees a
//! [`StringTable`] when reading and a list of [`OutColumn`]s when writing.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

/// Errors reading or writing a table; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file extension is neither `.csv` nor `.parquet`.
    #[error("unsupported table format (expected .csv or .parquet): {path}")]
    UnsupportedFormat {
        /// The offending file.
        path: PathBuf,
    },
    /// A required column is absent.
    #[error("missing column `{column}` (found: {found}) in {path}")]
    MissingColumn {
        /// The column that was looked for.
        column: String,
        /// The columns that exist, comma separated.
        found: String,
        /// The file.
        path: PathBuf,
    },
    /// polars could not read or write the file.
    #[error("{message}: {path}")]
    Polars {
        /// What polars said.
        message: String,
        /// The file.
        path: PathBuf,
    },
    /// A directory given as a predictions set holds no `part-I-of-N` files.
    #[error("no prediction parts (part-I-of-N.parquet/.csv/.jsonl) in the directory: {path}")]
    NoParts {
        /// The directory.
        path: PathBuf,
    },
    /// The file could not be opened or created.
    #[error("{source}: {path}")]
    Io {
        /// The I/O error.
        source: std::io::Error,
        /// The file.
        path: PathBuf,
    },
}

/// Table file format, from the file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl TableFormat {
    /// The format of `path` from its extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Self, TableError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Self::Csv),
            Some("parquet") | Some("pq") => Ok(Self::Parquet),
            _ => Err(TableError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// A table read with every column as optional strings (numbers are formatted as text).
#[derive(Clone, Debug, Default)]
pub struct StringTable {
    /// Column names in file order.
    pub names: Vec<String>,
    /// Column values, parallel to `names`.
    pub columns: Vec<Vec<Option<String>>>,
    /// Number of rows.
    pub num_rows: usize,
}

impl StringTable {
    /// The column called `name` (exact match first, then case-insensitive).
    pub fn column(&self, name: &str) -> Option<&[Option<String>]> {
        let idx = self
            .names
            .iter()
            .position(|n| n == name)
            .or_else(|| self.names.iter().position(|n| n.eq_ignore_ascii_case(name)))?;
        Some(&self.columns[idx])
    }

    /// The column called `name`, or an error naming the file and the columns that exist.
    pub fn require(&self, name: &str, path: &Path) -> Result<&[Option<String>], TableError> {
        self.column(name).ok_or_else(|| TableError::MissingColumn {
            column: name.to_string(),
            found: self.names.join(", "),
            path: path.to_path_buf(),
        })
    }
}

/// Reads a CSV or Parquet file into a [`StringTable`].
pub fn read_table(path: &Path) -> Result<StringTable, TableError> {
    let polars_err = |e: PolarsError| TableError::Polars {
        message: e.to_string(),
        path: path.to_path_buf(),
    };
    let df = match TableFormat::from_path(path)? {
        TableFormat::Csv => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0)) // every column as text: labels like "01" stay intact
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(polars_err)?,
        TableFormat::Parquet => {
            let file = File::open(path).map_err(|source| TableError::Io {
                source,
                path: path.to_path_buf(),
            })?;
            ParquetReader::new(file).finish().map_err(polars_err)?
        }
    };
    let mut table = StringTable {
        num_rows: df.height(),
        ..Default::default()
    };
    for col in df.columns() {
        let as_str = col.cast(&DataType::String).map_err(polars_err)?;
        let values = as_str
            .str()
            .map_err(polars_err)?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
        table.names.push(col.name().to_string());
        table.columns.push(values);
    }
    Ok(table)
}

/// One column to write.
#[derive(Clone, Debug)]
pub enum OutColumn {
    /// Text values (null where `None`).
    Str(String, Vec<Option<String>>),
    /// Floating-point values (null where `None`).
    F64(String, Vec<Option<f64>>),
    /// Integer values.
    I64(String, Vec<Option<i64>>),
    /// Boolean values.
    Bool(String, Vec<Option<bool>>),
}

/// Writes columns (all the same length) to `path` as CSV or Parquet, chosen by its extension.
pub fn write_table(path: &Path, columns: Vec<OutColumn>) -> Result<(), TableError> {
    let polars_err = |e: PolarsError| TableError::Polars {
        message: e.to_string(),
        path: path.to_path_buf(),
    };
    let format = TableFormat::from_path(path)?;
    let cols: Vec<Column> = columns
        .into_iter()
        .map(|c| match c {
            OutColumn::Str(name, v) => Column::new(name.into(), v),
            OutColumn::F64(name, v) => Column::new(name.into(), v),
            OutColumn::I64(name, v) => Column::new(name.into(), v),
            OutColumn::Bool(name, v) => Column::new(name.into(), v),
        })
        .collect();
    let mut df = DataFrame::new_infer_height(cols).map_err(polars_err)?;
    let mut file = File::create(path).map_err(|source| TableError::Io {
        source,
        path: path.to_path_buf(),
    })?;
    match format {
        TableFormat::Csv => CsvWriter::new(&mut file)
            .finish(&mut df)
            .map_err(polars_err)?,
        TableFormat::Parquet => {
            ParquetWriter::new(&mut file)
                .finish(&mut df)
                .map_err(polars_err)?;
        }
    }
    file.sync_all().map_err(|source| TableError::Io {
        source,
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_parquet_round_trip_as_text() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["t.csv", "t.parquet"] {
            let path = dir.path().join(name);
            write_table(
                &path,
                vec![
                    OutColumn::Str(
                        "path".into(),
                        vec![Some("a/1.png".into()), Some("b,2.png".into())],
                    ),
                    OutColumn::F64("confidence".into(), vec![Some(0.5), None]),
                ],
            )
            .unwrap();
            let t = read_table(&path).unwrap();
            assert_eq!(t.num_rows, 2);
            assert_eq!(t.column("path").unwrap()[1].as_deref(), Some("b,2.png"));
            assert_eq!(
                t.column("CONFIDENCE").unwrap()[0]
                    .as_deref()
                    .map(|s| s.parse::<f64>().unwrap()),
                Some(0.5)
            );
            assert_eq!(t.column("confidence").unwrap()[1], None);
            let err = t.require("label", &path).unwrap_err().to_string();
            assert!(err.contains("label") && err.contains(name), "{err}");
        }
    }

    #[test]
    fn unknown_extension_is_an_error_naming_the_file() {
        let err = read_table(Path::new("/x/labels.txt"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/x/labels.txt"));
    }
}
