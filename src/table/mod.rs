//! Reading and writing simple tables (CSV and Parquet) through polars.
//!
//! This is the only module that names polars types (with `hf`, Hugging Face image shards, and
//! `arrow_stream`, Arrow IPC streams): the rest of the crate sees a
//! [`StringTable`] when reading and a list of [`OutColumn`]s when writing.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;

pub mod arrow_stream;
pub mod columns;
pub mod hf;

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
    /// The file is not a regular file, or too large to read.
    #[error(transparent)]
    Input(#[from] crate::bounded_read::InputError),
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
    /// Rows that could not be read (each names the file, the row and what is wrong); the other
    /// rows are in the table.
    pub problems: Vec<String>,
    /// The file's 1-based data-row number of each row, when rows were skipped (else empty).
    pub row_numbers: Vec<usize>,
    /// Columns of the file left unread ([`read_table_columns`]), named in errors.
    pub unread: Vec<String>,
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

    /// The 1-based data-row number in the file of table row `r` (rows skipped as unreadable
    /// are counted, so messages name the row the user sees).
    pub fn row_number(&self, r: usize) -> usize {
        self.row_numbers.get(r).copied().unwrap_or(r + 1)
    }

    /// The column called `name`, or an error naming the file and the columns that exist.
    pub fn require(&self, name: &str, path: &Path) -> Result<&[Option<String>], TableError> {
        self.column(name).ok_or_else(|| TableError::MissingColumn {
            column: name.to_string(),
            found: self
                .names
                .iter()
                .chain(&self.unread)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            path: path.to_path_buf(),
        })
    }
}

/// Reads a CSV or Parquet file into a [`StringTable`].
pub fn read_table(path: &Path) -> Result<StringTable, TableError> {
    read_table_columns(path, None)
}

/// Reads a CSV or Parquet file into a [`StringTable`], of a Parquet file only the columns
/// named in `wanted` (compared ignoring ASCII case; the others are listed in
/// [`StringTable::unread`]): turning a million floats into text costs more than reading them.
pub fn read_table_columns(path: &Path, wanted: Option<&[&str]>) -> Result<StringTable, TableError> {
    let polars_err = |e: PolarsError| TableError::Polars {
        message: e.to_string(),
        path: path.to_path_buf(),
    };
    let format = TableFormat::from_path(path)?;
    crate::bounded_read::check_input(path, crate::bounded_read::InputKind::Table)?;
    let unread_names: Vec<String>;
    let df = match format {
        TableFormat::Csv => return read_csv(path),
        TableFormat::Parquet => {
            let file = File::open(path).map_err(|source| TableError::Io {
                source,
                path: path.to_path_buf(),
            })?;
            let mut reader = ParquetReader::new(file);
            let is_wanted =
                |name: &str| wanted.is_none_or(|w| w.iter().any(|n| name.eq_ignore_ascii_case(n)));
            let (read, unread): (Vec<String>, Vec<String>) = reader
                .schema()
                .map_err(polars_err)?
                .iter_names()
                .map(|n| n.to_string())
                .partition(|n| is_wanted(n));
            unread_names = unread;
            reader
                .with_columns(Some(read))
                .finish()
                .map_err(polars_err)?
        }
    };
    let mut table = StringTable {
        num_rows: df.height(),
        unread: unread_names,
        ..Default::default()
    };
    // Each column turned into text on its own thread.
    let columns: Vec<Vec<Option<String>>> = df
        .columns()
        .par_iter()
        .map(|col| {
            let as_str = col.cast(&DataType::String).map_err(polars_err)?;
            Ok(as_str
                .str()
                .map_err(polars_err)?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect())
        })
        .collect::<Result<_, TableError>>()?;
    table.names = df.columns().iter().map(|c| c.name().to_string()).collect();
    table.columns = columns;
    Ok(table)
}

/// Reads a CSV file with a header row, every cell as text (labels like `01` stay intact, an
/// empty cell is null). A row with more or fewer cells than the header is reported and
/// skipped; a quoted cell still open at the end of the file is reported and dropped; the other
/// rows load.
fn read_csv(path: &Path) -> Result<StringTable, TableError> {
    let file = File::open(path).map_err(|source| TableError::Io {
        source,
        path: path.to_path_buf(),
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let headers = reader.byte_headers().map_err(|e| TableError::Polars {
        message: format!("cannot read the header row ({e})"),
        path: path.to_path_buf(),
    })?;
    let names: Vec<String> = headers.iter().map(text).collect();
    let width = names.len();
    let mut table = StringTable {
        columns: vec![Vec::new(); width],
        names,
        ..Default::default()
    };
    let mut record = csv::ByteRecord::new();
    let mut row = 0usize;
    let (mut last_line, mut last_row) = (0u64, 0usize);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                table.problems.push(format!(
                    "row {}: cannot be read ({e}); the rest of the file is not read: {}",
                    row + 1,
                    path.display()
                ));
                break;
            }
        }
        row += 1;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != width && record.iter().any(|c| c.contains(&b'\n')) {
            table.problems.push(format!(
                "row {row} (line {line}): a quoted cell is never closed (it runs over the following lines); skipped: {}",
                path.display()
            ));
            continue;
        }
        if record.len() != width {
            table.problems.push(format!(
                "row {row} (line {line}): {} cells, the header has {width}; skipped: {}",
                record.len(),
                path.display()
            ));
            continue;
        }
        for (col, cell) in table.columns.iter_mut().zip(record.iter()) {
            col.push((!cell.is_empty()).then(|| text(cell)));
        }
        table.num_rows += 1;
        table.row_numbers.push(row);
        last_line = line;
        last_row = row;
    }
    // A quote never closed swallows the rest of the file into the last row's cell.
    if table.num_rows > 0
        && table.columns.iter().any(|c| {
            c.last()
                .is_some_and(|v| v.as_deref().is_some_and(|v| v.contains('\n')))
        })
    {
        table.problems.push(format!(
            "row {last_row} (line {last_line}): a quoted cell is never closed and runs to the end of the file; skipped: {}",
            path.display()
        ));
        for c in &mut table.columns {
            c.pop();
        }
        table.row_numbers.pop();
        table.num_rows -= 1;
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
    /// Lists of 32-bit floats (Parquet only; null where `None`).
    F32List(String, Vec<Option<Vec<f32>>>),
}

/// Writes columns (all the same length) to `path` as CSV or Parquet, chosen by its extension.
pub fn write_table(path: &Path, columns: Vec<OutColumn>) -> Result<(), TableError> {
    let polars_err = |e: PolarsError| TableError::Polars {
        message: e.to_string(),
        path: path.to_path_buf(),
    };
    let format = TableFormat::from_path(path)?;
    if format == TableFormat::Csv && columns.iter().any(|c| matches!(c, OutColumn::F32List(..))) {
        return Err(TableError::Polars {
            message: "a column of vectors cannot be written as CSV; use .parquet".into(),
            path: path.to_path_buf(),
        });
    }
    let cols: Vec<Column> = columns
        .into_iter()
        .map(|c| match c {
            OutColumn::Str(name, v) => Column::new(name.into(), v),
            OutColumn::F64(name, v) => Column::new(name.into(), v),
            OutColumn::I64(name, v) => Column::new(name.into(), v),
            OutColumn::Bool(name, v) => Column::new(name.into(), v),
            OutColumn::F32List(name, v) => {
                let lists: Vec<Option<Series>> = v
                    .into_iter()
                    .map(|row| row.map(|r| Series::new(PlSmallStr::EMPTY, r)))
                    .collect();
                Column::new(name.into(), lists)
            }
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
    fn ragged_rows_and_an_unclosed_quote_are_reported_and_the_rest_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(
            &path,
            "path,label\na.png,cat\nb.png,dog,extra\n\"c,1.png\",01\nd.png,\"never closed\ne.png,cat\n",
        )
        .unwrap();
        let t = read_table(&path).unwrap();
        assert_eq!(t.num_rows, 2, "{:?}", t.problems);
        assert_eq!(t.column("path").unwrap()[1].as_deref(), Some("c,1.png"));
        assert_eq!(t.column("label").unwrap()[1].as_deref(), Some("01"));
        assert_eq!(t.problems.len(), 2, "{:?}", t.problems);
        assert!(
            t.problems[0].starts_with("row 2 (line 3): 3 cells"),
            "{}",
            t.problems[0]
        );
        assert!(t.problems[1].contains("never closed"), "{}", t.problems[1]);
        assert!(t.problems.iter().all(|p| p.contains("m.csv")));
    }

    #[test]
    fn unknown_extension_is_an_error_naming_the_file() {
        let err = read_table(Path::new("/x/labels.txt"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/x/labels.txt"));
    }
}
