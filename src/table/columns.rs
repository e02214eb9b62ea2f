//! The columns of an image table (Parquet or Arrow): what each holds, and reading images,
//! labels and text out of a column already read.

use std::path::Path;

use polars::prelude::*;

use super::TableError;

/// What a top-level column holds, as far as finding images and labels goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// A struct with a binary `bytes` field (and usually a `path` string): `datasets`' `Image`.
    ImageStruct,
    /// Plain binary values.
    Binary,
    /// Integers.
    Integer,
    /// Text.
    Text,
    /// Anything else.
    Other,
}

/// A column's name and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInfo {
    /// The column name.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// An image cell: embedded bytes and/or the path it was stored under.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageCell {
    /// The image file's bytes, when embedded.
    pub bytes: Option<Vec<u8>>,
    /// The `path` field, when present.
    pub path: Option<String>,
}

/// The label values of a column: class indices or class names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelValues {
    /// Integer class indices (`ClassLabel`).
    Integer(Vec<Option<i64>>),
    /// Class names.
    Text(Vec<Option<String>>),
}

/// Turns a polars error into a [`TableError`] naming `path`.
pub(crate) fn polars_err(path: &Path) -> impl Fn(PolarsError) -> TableError + '_ {
    move |e| TableError::Polars {
        message: e.to_string(),
        path: path.to_path_buf(),
    }
}

/// The top-level columns of `schema` with their kinds.
pub(crate) fn columns_of(schema: &ArrowSchema) -> Vec<ColumnInfo> {
    schema
        .iter_values()
        .map(|f| ColumnInfo {
            name: f.name.to_string(),
            kind: kind_of(&f.dtype),
        })
        .collect()
}

/// The kind of an Arrow type.
pub(crate) fn kind_of(dtype: &ArrowDataType) -> ColumnKind {
    use ArrowDataType as D;
    match dtype {
        D::Struct(fields) => {
            let bytes = fields.iter().find(|f| f.name.as_str() == "bytes");
            if bytes.is_some_and(|f| kind_of(&f.dtype) == ColumnKind::Binary) {
                ColumnKind::ImageStruct
            } else {
                ColumnKind::Other
            }
        }
        D::Binary | D::LargeBinary | D::BinaryView => ColumnKind::Binary,
        D::Int8 | D::Int16 | D::Int32 | D::Int64 | D::UInt8 | D::UInt16 | D::UInt32 | D::UInt64 => {
            ColumnKind::Integer
        }
        D::Utf8 | D::LargeUtf8 | D::Utf8View => ColumnKind::Text,
        _ => ColumnKind::Other,
    }
}

/// Labels from a column already read.
pub(crate) fn column_labels(col: &Column, path: &Path) -> Result<LabelValues, TableError> {
    let err = polars_err(path);
    if col.dtype().is_integer() {
        let ints = col.cast(&DataType::Int64).map_err(&err)?;
        Ok(LabelValues::Integer(
            ints.i64().map_err(&err)?.iter().collect(),
        ))
    } else {
        column_text(col, path).map(LabelValues::Text)
    }
}

/// Text from a column already read (numbers written out).
pub(crate) fn column_text(col: &Column, path: &Path) -> Result<Vec<Option<String>>, TableError> {
    let err = polars_err(path);
    let text = col.cast(&DataType::String).map_err(&err)?;
    Ok(text
        .str()
        .map_err(&err)?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// Image cells from a struct (`bytes`, `path`) or binary column already read.
pub(crate) fn column_images(col: &Column, path: &Path) -> Result<Vec<ImageCell>, TableError> {
    let err = polars_err(path);
    let series = col.as_materialized_series();
    if let Ok(bin) = series.binary() {
        return Ok(bin
            .iter()
            .map(|b| ImageCell {
                bytes: b.map(<[u8]>::to_vec),
                path: None,
            })
            .collect());
    }
    let st = series.struct_().map_err(&err)?;
    let bytes = st.field_by_name("bytes").map_err(&err)?;
    let bytes = bytes.binary().map_err(&err)?;
    let paths = st.field_by_name("path").ok();
    let paths: Vec<Option<String>> = match paths.as_ref().map(|p| p.str()) {
        Some(Ok(p)) => p.iter().map(|v| v.map(str::to_string)).collect(),
        _ => vec![None; st.len()],
    };
    let outer = series.is_not_null();
    Ok(bytes
        .iter()
        .zip(paths)
        .zip(outer.iter())
        .map(|((b, p), present)| {
            if present == Some(false) {
                ImageCell::default()
            } else {
                ImageCell {
                    bytes: b.map(<[u8]>::to_vec),
                    path: p,
                }
            }
        })
        .collect())
}
