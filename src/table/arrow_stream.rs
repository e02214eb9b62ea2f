//! Arrow IPC stream files as `datasets` writes them (`save_to_disk` folders and its cache):
//! the messages are indexed once by reading their headers only, so one record batch can later be
//! read without the rest of the file.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::TableError;
use super::columns::{
    ColumnInfo, ImageCell, LabelValues, column_images, column_labels, column_text, columns_of,
};

/// Where one record batch lies in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BatchSpan {
    start: u64,
    end: u64,
}

/// An indexed Arrow IPC stream file.
#[derive(Clone, Debug)]
pub struct ArrowStream {
    path: PathBuf,
    /// End of the schema message (the stream's prefix every batch read starts with).
    schema_end: u64,
    batches: Vec<BatchSpan>,
    /// Top-level columns.
    pub columns: Vec<ColumnInfo>,
    /// Rows in each record batch, in file order.
    pub row_groups: Vec<usize>,
    /// The `huggingface` key of the schema metadata (JSON), when present.
    pub huggingface: Option<String>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> TableError + '_ {
    move |source| TableError::Io {
        source,
        path: path.to_path_buf(),
    }
}

fn bad(path: &Path, message: impl Into<String>) -> TableError {
    TableError::Polars {
        message: message.into(),
        path: path.to_path_buf(),
    }
}

/// A field of a flatbuffer table: its position in `buf`, or `None` when absent (default).
fn field_pos(buf: &[u8], table: usize, id: usize) -> Option<usize> {
    let rd32 = |p: usize| {
        buf.get(p..p + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let rd16 = |p: usize| {
        buf.get(p..p + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let vtable = (table as i64 - i64::from(rd32(table)?)) as usize;
    let vlen = rd16(vtable)?;
    let slot = 4 + 2 * id;
    if slot + 2 > vlen {
        return None;
    }
    match rd16(vtable + slot)? {
        0 => None,
        off => Some(table + off),
    }
}

fn read_i64(buf: &[u8], pos: Option<usize>) -> i64 {
    pos.and_then(|p| buf.get(p..p + 8))
        .map_or(0, |b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

/// `(header type, body length, rows)` of an IPC `Message` flatbuffer (rows for record batches).
fn parse_message(buf: &[u8]) -> Option<(u8, u64, usize)> {
    let root = u32::from_le_bytes(buf.get(0..4)?.try_into().ok()?) as usize;
    let kind = *buf.get(field_pos(buf, root, 1)?)?;
    let body = read_i64(buf, field_pos(buf, root, 3));
    let mut rows = 0;
    if kind == 3 {
        let hp = field_pos(buf, root, 2)?;
        let header = hp + u32::from_le_bytes(buf.get(hp..hp + 4)?.try_into().ok()?) as usize;
        rows = read_i64(buf, field_pos(buf, header, 0)) as usize;
    }
    Some((kind, u64::try_from(body).ok()?, rows))
}

impl ArrowStream {
    /// Indexes the messages of `path` (reading their headers, skipping the bodies) and reads
    /// its schema.
    pub fn open(path: &Path) -> Result<Self, TableError> {
        let err = io_err(path);
        let mut file = File::open(path).map_err(&err)?;
        let len = file.metadata().map_err(&err)?.len();
        let (mut pos, mut schema_end) = (0u64, None);
        let (mut batches, mut row_groups) = (Vec::new(), Vec::new());
        while pos + 8 <= len {
            let mut word = [0u8; 4];
            file.read_exact(&mut word).map_err(&err)?;
            let mut prefix = 4;
            if word == [0xFF; 4] {
                file.read_exact(&mut word).map_err(&err)?;
                prefix = 8;
            }
            let meta_len = u32::from_le_bytes(word) as u64;
            if meta_len == 0 {
                break;
            }
            if pos + prefix + meta_len > len {
                return Err(bad(path, format!("truncated Arrow stream (at byte {pos})")));
            }
            let mut meta = vec![0u8; meta_len as usize];
            file.read_exact(&mut meta)
                .map_err(|_| bad(path, format!("truncated Arrow stream (at byte {pos})")))?;
            let (kind, body, rows) = parse_message(&meta)
                .ok_or_else(|| bad(path, format!("unreadable Arrow message at byte {pos}")))?;
            let end = pos + prefix + meta_len + body;
            if end > len {
                return Err(bad(path, format!("truncated Arrow stream (at byte {pos})")));
            }
            match kind {
                1 => schema_end = Some(end),
                2 => {
                    return Err(bad(
                        path,
                        "dictionary-encoded Arrow columns are not supported",
                    ));
                }
                3 => {
                    batches.push(BatchSpan { start: pos, end });
                    row_groups.push(rows);
                }
                _ => {}
            }
            pos = end;
            file.seek(SeekFrom::Start(pos)).map_err(&err)?;
        }
        let schema_end = schema_end.ok_or_else(|| bad(path, "no Arrow schema message"))?;
        let mut reader = IpcStreamReader::new(File::open(path).map_err(&err)?);
        let columns = columns_of(
            &reader
                .arrow_schema()
                .map_err(|e| bad(path, e.to_string()))?,
        );
        let huggingface = reader
            .custom_metadata()
            .ok()
            .flatten()
            .and_then(|m| m.get("huggingface").map(|v| v.to_string()));
        Ok(Self {
            path: path.to_path_buf(),
            schema_end,
            batches,
            columns,
            row_groups,
            huggingface,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_all(&self, column: &str) -> Result<Column, TableError> {
        let file = File::open(&self.path).map_err(io_err(&self.path))?;
        let df = IpcStreamReader::new(file)
            .with_columns(Some(vec![column.to_string()]))
            .finish()
            .map_err(|e| bad(&self.path, e.to_string()))?;
        df.column(column)
            .cloned()
            .map_err(|e| bad(&self.path, e.to_string()))
    }

    /// Every value of an integer or text column, as labels.
    pub fn read_labels(&self, column: &str) -> Result<LabelValues, TableError> {
        column_labels(&self.read_all(column)?, &self.path)
    }

    /// Every value of a column as text, for ids.
    pub fn read_text(&self, column: &str) -> Result<Vec<Option<String>>, TableError> {
        column_text(&self.read_all(column)?, &self.path)
    }

    /// The images of record batch `group`: the schema message and that batch only are read.
    pub fn read_group(&self, column: &str, group: usize) -> Result<Vec<ImageCell>, TableError> {
        let span = self
            .batches
            .get(group)
            .ok_or_else(|| bad(&self.path, format!("no record batch {group}")))?;
        let err = io_err(&self.path);
        let mut file = File::open(&self.path).map_err(&err)?;
        let mut buf = vec![0u8; self.schema_end as usize];
        file.read_exact(&mut buf).map_err(&err)?;
        file.seek(SeekFrom::Start(span.start)).map_err(&err)?;
        let from = buf.len();
        buf.resize(from + (span.end - span.start) as usize, 0);
        file.read_exact(&mut buf[from..]).map_err(&err)?;
        buf.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);
        let df = IpcStreamReader::new(Cursor::new(buf))
            .with_columns(Some(vec![column.to_string()]))
            .finish()
            .map_err(|e| bad(&self.path, e.to_string()))?;
        let col = df
            .column(column)
            .map_err(|e| bad(&self.path, e.to_string()))?;
        column_images(col, &self.path)
    }
}
