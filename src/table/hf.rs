//! Hugging Face image tables through polars: a Parquet shard's footer (row groups, columns,
//! the `huggingface` metadata), its label column, one row group's images read on demand, and
//! writing shards with embedded image bytes the way `datasets` writes them.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::io::parquet::metadata::FileMetadataRef;
use polars::io::parquet::write::KeyValueMetadata;
use polars::prelude::*;

use super::TableError;
use super::columns::{
    ColumnInfo, ColumnKind, ImageCell, LabelValues, column_images, column_labels, column_text,
    columns_of, polars_err,
};

/// An open Parquet shard: its footer, read once.
#[derive(Clone, Debug)]
pub struct ParquetShard {
    path: PathBuf,
    metadata: FileMetadataRef,
    /// Top-level columns.
    pub columns: Vec<ColumnInfo>,
    /// Rows in each row group, in file order.
    pub row_groups: Vec<usize>,
    /// The `huggingface` key of the footer's key-value metadata (JSON), when present.
    pub huggingface: Option<String>,
}

fn open(path: &Path) -> Result<File, TableError> {
    File::open(path).map_err(|source| TableError::Io {
        source,
        path: path.to_path_buf(),
    })
}

impl ParquetShard {
    /// Reads the footer of `path` (nothing else).
    pub fn open(path: &Path) -> Result<Self, TableError> {
        let mut reader = ParquetReader::new(open(path)?);
        let metadata = reader.get_metadata().map_err(polars_err(path))?.clone();
        let schema = reader.schema().map_err(polars_err(path))?;
        let columns = columns_of(&schema);
        let row_groups = metadata.row_groups.iter().map(|g| g.num_rows()).collect();
        let huggingface = metadata
            .key_value_metadata()
            .as_ref()
            .and_then(|kv| kv.iter().find(|k| k.key == "huggingface"))
            .and_then(|k| k.value.clone());
        Ok(Self {
            path: path.to_path_buf(),
            metadata,
            columns,
            row_groups,
            huggingface,
        })
    }

    /// The shard's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows in the shard.
    pub fn num_rows(&self) -> usize {
        self.row_groups.iter().sum()
    }

    fn read(&self, column: &str, slice: Option<(usize, usize)>) -> Result<Column, TableError> {
        let mut reader = ParquetReader::new(open(&self.path)?)
            .with_columns(Some(vec![column.to_string()]))
            .with_slice(slice);
        reader.set_metadata(self.metadata.clone());
        let df = reader.finish().map_err(polars_err(&self.path))?;
        df.column(column).cloned().map_err(polars_err(&self.path))
    }

    /// Every value of an integer or text column, as labels.
    pub fn read_labels(&self, column: &str) -> Result<LabelValues, TableError> {
        let col = self.read(column, None)?;
        column_labels(&col, &self.path)
    }

    /// Every value of a column as text (integers written out), for ids.
    pub fn read_text(&self, column: &str) -> Result<Vec<Option<String>>, TableError> {
        let col = self.read(column, None)?;
        column_text(&col, &self.path)
    }

    /// The images of rows `start..start + len` of an image or binary column.
    pub fn read_images(
        &self,
        column: &str,
        start: usize,
        len: usize,
    ) -> Result<Vec<ImageCell>, TableError> {
        let col = self.read(column, Some((start, len)))?;
        column_images(&col, &self.path)
    }
}

/// One row of an exported shard.
#[derive(Clone, Copy, Debug)]
pub struct ShardRow<'a> {
    /// The image file's bytes, as they are.
    pub bytes: &'a [u8],
    /// The file name stored in the image's `path` field.
    pub path: &'a str,
    /// The class index.
    pub label: i64,
    /// Soft labels (a probability per class), when the shard has that column.
    pub soft_labels: Option<&'a [f32]>,
    /// The sample's training weight, when the shard has that column.
    pub weight: Option<f32>,
}

/// The columns a shard has beside `image` and `label`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShardColumns {
    /// `soft_labels`: `list<float>` (`datasets`' `List(Value("float32"))`).
    pub soft_labels: bool,
    /// `weight`: `float` (`Value("float32")`).
    pub weight: bool,
}

/// The `ARROW:schema` footer entry for `image: struct<bytes: binary, path: string>, label:
/// int64` (and the `extra` columns) with `huggingface` in its metadata: what `datasets` writes, so that it reads the
/// columns back as an `Image` and a `ClassLabel` (pyarrow takes the schema's metadata from this
/// entry, not from the footer's other keys).
fn arrow_schema_entry(huggingface: &str, extra: ShardColumns) -> (String, String) {
    use base64::Engine;
    use polars_arrow::io::ipc::write::{default_ipc_fields, schema_to_bytes};
    let field = |name: &str, dtype| ArrowField::new(name.into(), dtype, true);
    let image = ArrowDataType::Struct(vec![
        field("bytes", ArrowDataType::Binary),
        field("path", ArrowDataType::Utf8),
    ]);
    let mut fields = vec![field("image", image), field("label", ArrowDataType::Int64)];
    if extra.soft_labels {
        let item = Box::new(field("item", ArrowDataType::Float32));
        fields.push(field("soft_labels", ArrowDataType::List(item)));
    }
    if extra.weight {
        fields.push(field("weight", ArrowDataType::Float32));
    }
    let schema: ArrowSchema = fields.into_iter().map(|f| (f.name.clone(), f)).collect();
    let mut metadata = polars_arrow::datatypes::Metadata::new();
    metadata.insert("huggingface".into(), huggingface.into());
    let bytes = schema_to_bytes(
        &schema,
        &default_ipc_fields(schema.iter_values()),
        Some(&metadata),
    );
    // The legacy IPC framing pyarrow expects: continuation marker, length, message.
    let mut framed = Vec::with_capacity(bytes.len() + 8);
    framed.extend_from_slice(&[0xFF; 4]);
    framed.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    framed.extend_from_slice(&bytes);
    (
        "ARROW:schema".into(),
        base64::engine::general_purpose::STANDARD.encode(framed),
    )
}

/// Writes `rows` to `path` as a Parquet shard with columns `image` (struct of `bytes`, `path`),
/// `label` and the `extra` ones, `rows_per_group` rows per row group, and `huggingface` as that
/// footer key.
pub fn write_image_shard(
    path: &Path,
    rows: &[ShardRow],
    extra: ShardColumns,
    huggingface: &str,
    rows_per_group: usize,
) -> Result<u64, TableError> {
    let err = polars_err(path);
    let bytes = Series::new(
        "bytes".into(),
        rows.iter().map(|r| r.bytes).collect::<Vec<&[u8]>>(),
    );
    let names = Series::new(
        "path".into(),
        rows.iter().map(|r| r.path).collect::<Vec<&str>>(),
    );
    let image = StructChunked::from_series("image".into(), rows.len(), [bytes, names].iter())
        .map_err(&err)?
        .into_series();
    let label = Series::new(
        "label".into(),
        rows.iter().map(|r| r.label).collect::<Vec<i64>>(),
    );
    let mut columns: Vec<Column> = vec![image.into(), label.into()];
    if extra.soft_labels {
        let lists: Vec<Option<Series>> = rows
            .iter()
            .map(|r| r.soft_labels.map(|v| Series::new(PlSmallStr::EMPTY, v)))
            .collect();
        let list = Series::new("soft_labels".into(), lists)
            .cast(&DataType::List(Box::new(DataType::Float32)))
            .map_err(&err)?;
        columns.push(list.into());
    }
    if extra.weight {
        let w: Vec<Option<f32>> = rows.iter().map(|r| r.weight).collect();
        columns.push(Series::new("weight".into(), w).into());
    }
    let mut df = DataFrame::new_infer_height(columns).map_err(&err)?;
    let mut file = File::create(path).map_err(|source| TableError::Io {
        source,
        path: path.to_path_buf(),
    })?;
    let metadata = KeyValueMetadata::from_static(vec![
        arrow_schema_entry(huggingface, extra),
        ("huggingface".into(), huggingface.to_string()),
    ]);
    let size = ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Snappy)
        .with_row_group_size(Some(rows_per_group.max(1)))
        .with_key_value_metadata(Some(metadata))
        .finish(&mut df)
        .map_err(&err)?;
    file.sync_all().map_err(|source| TableError::Io {
        source,
        path: path.to_path_buf(),
    })?;
    Ok(size)
}

/// A table file of images: a Parquet shard or an Arrow IPC stream.
#[derive(Clone, Debug)]
pub enum ImageTable {
    /// A Parquet file.
    Parquet(ParquetShard),
    /// An Arrow IPC stream (`.arrow`).
    Arrow(super::arrow_stream::ArrowStream),
}

impl ImageTable {
    /// Opens `path` (`.arrow`: an IPC stream, else Parquet), reading its footer or index only.
    pub fn open(path: &Path) -> Result<Self, TableError> {
        let arrow = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("arrow"));
        Ok(if arrow {
            Self::Arrow(super::arrow_stream::ArrowStream::open(path)?)
        } else {
            Self::Parquet(ParquetShard::open(path)?)
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        match self {
            Self::Parquet(t) => t.path(),
            Self::Arrow(t) => t.path(),
        }
    }

    /// Top-level columns.
    pub fn columns(&self) -> &[ColumnInfo] {
        match self {
            Self::Parquet(t) => &t.columns,
            Self::Arrow(t) => &t.columns,
        }
    }

    /// The kind of column `name`, if it exists.
    pub fn kind(&self, name: &str) -> Option<ColumnKind> {
        self.columns()
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.kind)
    }

    /// Rows in each row group (record batch), in file order.
    pub fn row_groups(&self) -> &[usize] {
        match self {
            Self::Parquet(t) => &t.row_groups,
            Self::Arrow(t) => &t.row_groups,
        }
    }

    /// The `huggingface` schema metadata (JSON), when present.
    pub fn huggingface(&self) -> Option<&str> {
        match self {
            Self::Parquet(t) => t.huggingface.as_deref(),
            Self::Arrow(t) => t.huggingface.as_deref(),
        }
    }

    /// Every value of an integer or text column, as labels.
    pub fn read_labels(&self, column: &str) -> Result<LabelValues, TableError> {
        match self {
            Self::Parquet(t) => t.read_labels(column),
            Self::Arrow(t) => t.read_labels(column),
        }
    }

    /// Every value of a column as text, for ids.
    pub fn read_text(&self, column: &str) -> Result<Vec<Option<String>>, TableError> {
        match self {
            Self::Parquet(t) => t.read_text(column),
            Self::Arrow(t) => t.read_text(column),
        }
    }

    /// The images of row group (record batch) `group` of an image or binary column.
    pub fn read_group(&self, column: &str, group: usize) -> Result<Vec<ImageCell>, TableError> {
        match self {
            Self::Parquet(t) => {
                let start = t.row_groups.iter().take(group).sum();
                let len = t.row_groups.get(group).copied().unwrap_or(0);
                t.read_images(column, start, len)
            }
            Self::Arrow(t) => t.read_group(column, group),
        }
    }
}
