//! Images stored inside table files (Hugging Face Parquet shards, Arrow streams).
//!
//! Such a sample's path is `<table file>/<row>`: a path "inside" the file. Opening the dataset
//! registers each table here; every reader of image bytes ([`read_image_bytes`], and through it
//! decoding, hashing and exporting) then gets the row's bytes from its row group, read on demand
//! and kept in a small cache shared by all threads, so the gallery, the detail view and
//! inference read only the row groups they need. A row without bytes but with a `path` is read
//! from that file (relative to the table's folder, then the dataset root).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, RwLock};

use super::decode_error::DecodeError;
use crate::table::columns::ImageCell;
use crate::table::hf::ImageTable;

/// Bytes of decoded row groups kept in memory (least recently used go first).
const CACHE_BUDGET: usize = 256 << 20;

/// A registered table of images.
#[derive(Debug)]
pub struct Container {
    table: ImageTable,
    image_column: String,
    /// First row of each row group, and the total at the end.
    starts: Vec<usize>,
    /// Folders a relative `path` is looked up in.
    base_dirs: Vec<PathBuf>,
}

impl Container {
    /// A container for `table`'s `image_column`; relative paths resolve against `base_dirs`.
    pub fn new(table: ImageTable, image_column: &str, base_dirs: Vec<PathBuf>) -> Self {
        let mut starts = vec![0];
        for n in table.row_groups() {
            starts.push(starts.last().copied().unwrap_or(0) + n);
        }
        Self {
            table,
            image_column: image_column.to_string(),
            starts,
            base_dirs,
        }
    }

    fn group_of(&self, row: usize) -> Option<(usize, usize)> {
        let g = self.starts.partition_point(|&s| s <= row).checked_sub(1)?;
        (g + 1 < self.starts.len()).then(|| (g, row - self.starts[g]))
    }
}

type Group = Arc<OnceLock<Result<Arc<Vec<ImageCell>>, RowError>>>;

/// Why a table row's image could not be read.
#[derive(Clone, Debug, thiserror::Error)]
pub enum RowError {
    /// A thread panicked holding the image cache.
    #[error("the image cache is poisoned")]
    Poisoned,
    /// The row group could not be read (the table's own words; kept for every row of it).
    #[error("{0}")]
    Table(String),
    /// The row is past the table's end.
    #[error("row {0} is past the end of the table")]
    PastEnd(usize),
    /// The row group is shorter than its metadata says.
    #[error("row {0} is missing from its row group")]
    Missing(usize),
    /// The row has neither bytes nor a path.
    #[error("row {0} has no image (neither bytes nor a path)")]
    NoImage(usize),
    /// The file the row's path names could not be read.
    #[error("cannot read {} ({reason})", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error's words.
        reason: String,
    },
    /// The row's path names no file.
    #[error("row {row} has no bytes and its path {} was not found", path.display())]
    NotFound {
        /// The row.
        row: usize,
        /// The path it names.
        path: PathBuf,
    },
}

#[derive(Default)]
struct Cache {
    groups: HashMap<(PathBuf, usize), (Group, usize)>,
    order: VecDeque<(PathBuf, usize)>,
    bytes: usize,
}

static CONTAINERS: LazyLock<RwLock<HashMap<PathBuf, Arc<Container>>>> =
    LazyLock::new(Default::default);
static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Default::default);

/// The path of row `row` of the table at `file`.
pub fn row_path(file: &Path, row: usize) -> PathBuf {
    file.join(format!("{row:06}"))
}

/// Registers `container` under its file's path (replacing an earlier one and its cached rows).
pub fn register(container: Container) {
    let path = container.table.path().to_path_buf();
    if let Ok(mut cache) = CACHE.lock() {
        cache.order.retain(|(p, _)| p != &path);
        let stale: Vec<_> = cache
            .groups
            .keys()
            .filter(|(p, _)| p == &path)
            .cloned()
            .collect();
        for k in stale {
            if let Some((_, n)) = cache.groups.remove(&k) {
                cache.bytes -= n;
            }
        }
    }
    if let Ok(mut map) = CONTAINERS.write() {
        map.insert(path, Arc::new(container));
    }
}

/// The registered table and row `path` names, if it is a row path.
pub fn lookup(path: &Path) -> Option<(Arc<Container>, usize)> {
    let name = path.file_name()?.to_str()?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let row: usize = name.parse().ok()?;
    let map = CONTAINERS.read().ok()?;
    map.get(path.parent()?).map(|c| (c.clone(), row))
}

/// Whether `path` is a row of a registered table.
pub fn is_embedded(path: &Path) -> bool {
    lookup(path).is_some()
}

/// The table file holding `path` when it is a row path, else `path` itself.
pub fn storage_file(path: &Path) -> &Path {
    match lookup(path) {
        Some(_) => path.parent().unwrap_or(path),
        None => path,
    }
}

fn load_group(c: &Container, group: usize) -> Result<Arc<Vec<ImageCell>>, RowError> {
    let key = (c.table.path().to_path_buf(), group);
    let slot: Group = {
        let mut cache = CACHE.lock().map_err(|_| RowError::Poisoned)?;
        if let Some((slot, _)) = cache.groups.get(&key) {
            let slot = slot.clone();
            if let Some(i) = cache.order.iter().position(|k| k == &key) {
                cache.order.remove(i);
            }
            cache.order.push_back(key.clone());
            slot
        } else {
            let slot: Group = Arc::default();
            cache.groups.insert(key.clone(), (slot.clone(), 0));
            cache.order.push_back(key.clone());
            slot
        }
    };
    let loaded = slot
        .get_or_init(|| {
            c.table
                .read_group(&c.image_column, group)
                .map(Arc::new)
                .map_err(|e| RowError::Table(e.to_string()))
        })
        .clone();
    let size = loaded.as_ref().map_or(0, |cells| {
        cells
            .iter()
            .map(|c| c.bytes.as_ref().map_or(0, Vec::len) + 64)
            .sum()
    });
    if let Ok(mut cache) = CACHE.lock() {
        let mut grew = 0;
        if let Some(entry) = cache.groups.get_mut(&key)
            && entry.1 == 0
        {
            entry.1 = size;
            grew = size;
        }
        cache.bytes += grew;
        while cache.bytes > CACHE_BUDGET && cache.order.len() > 1 {
            let Some(old) = cache.order.pop_front() else {
                break;
            };
            if let Some((_, n)) = cache.groups.remove(&old) {
                cache.bytes -= n;
            }
        }
    }
    loaded
}

/// The bytes of the image at `path` when it is a row of a registered table (`None` otherwise):
/// the embedded bytes, or the file its `path` field names when they are null.
pub fn read_image_bytes(path: &Path) -> Option<Result<Vec<u8>, DecodeError>> {
    let (c, row) = lookup(path)?;
    Some(read_row(&c, row).map_err(|e| DecodeError {
        reason: e.to_string(),
        path: path.to_path_buf(),
    }))
}

/// `f` applied to row `row`'s cell, read from its (cached) row group without copying it.
fn with_cell<T>(c: &Container, row: usize, f: impl FnOnce(&ImageCell) -> T) -> Result<T, RowError> {
    let (group, offset) = c.group_of(row).ok_or(RowError::PastEnd(row))?;
    let cells = load_group(c, group)?;
    cells.get(offset).map(f).ok_or(RowError::Missing(row))
}

/// The size of the embedded image at row path `path` (`None` when it is not a row path, or
/// the row has no bytes of its own).
pub fn embedded_len(path: &Path) -> Option<u64> {
    let (c, row) = lookup(path)?;
    with_cell(&c, row, |cell| cell.bytes.as_ref().map(|b| b.len() as u64))
        .ok()
        .flatten()
}

/// A file name for the image at row path `path` (`None` when it is not one): the file name of
/// its `path` field when that names an image, else `<table stem>-<row>.<format's extension>`.
pub fn file_name(path: &Path) -> Option<String> {
    let (c, row) = lookup(path)?;
    let (stored, ext) = with_cell(&c, row, |cell| {
        let stored = cell
            .path
            .as_deref()
            .and_then(|p| Path::new(p).file_name())
            .filter(|n| super::is_image_path(Path::new(n)))
            .map(|n| n.to_string_lossy().into_owned());
        let ext = cell
            .bytes
            .as_deref()
            .and_then(|b| image::guess_format(b).ok())
            .and_then(|f| f.extensions_str().first().copied());
        (stored, ext)
    })
    .unwrap_or((None, None));
    if let Some(name) = stored {
        return Some(name);
    }
    let ext = ext.unwrap_or("img");
    let stem = c
        .table
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(format!("{stem}-{row:06}.{ext}"))
}

fn read_row(c: &Container, row: usize) -> Result<Vec<u8>, RowError> {
    let (bytes, path) = with_cell(c, row, |cell| match &cell.bytes {
        Some(b) => (Some(b.clone()), None),
        None => (None, cell.path.clone()),
    })?;
    if let Some(bytes) = bytes {
        return Ok(bytes);
    }
    let Some(rel) = path.as_deref().filter(|p| !p.is_empty()) else {
        return Err(RowError::NoImage(row));
    };
    let rel = Path::new(rel);
    let candidates: Vec<PathBuf> = if rel.is_absolute() {
        vec![rel.to_path_buf()]
    } else {
        c.base_dirs.iter().map(|d| d.join(rel)).collect()
    };
    for p in &candidates {
        if p.is_file() {
            return std::fs::read(p).map_err(|e| RowError::Read {
                path: p.clone(),
                reason: e.to_string(),
            });
        }
    }
    Err(RowError::NotFound {
        row,
        path: rel.to_path_buf(),
    })
}
