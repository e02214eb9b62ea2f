//! The edit journal: JSON lines with a version header, appended, flushed and fsync'd per record
//! before the edit is reported as done; replayed on open. A torn or garbage line (power loss) is
//! reported and skipped, never fatal; a torn tail is cut off so new records start on a clean
//! line. A lock file keeps two instances from writing the same journal.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::edit::Edit;
pub use super::error::CurationError;
use super::history::CurationState;
use super::lock::Lock;

/// Journal file name inside the state folder.
pub const JOURNAL_FILE: &str = "edits.journal.jsonl";
/// Lock file name inside the state folder.
pub const LOCK_FILE: &str = "edits.lock";
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Record {
    Header {
        labelscope_journal: u32,
        created_ms: u64,
    },
    Edit {
        seq: u64,
        ts_ms: u64,
        edit: Edit,
    },
    Undo {
        seq: u64,
        ts_ms: u64,
    },
    Redo {
        seq: u64,
        ts_ms: u64,
    },
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The journal and lock file names of one dataset inside its state folder. Folder layouts use
/// the plain names; a manifest gets its own pair (`edits.<manifest>.journal.jsonl`), so two
/// manifests in one folder never share edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalFiles {
    /// The journal file name.
    pub journal: String,
    /// The lock file name.
    pub lock: String,
}

impl Default for JournalFiles {
    fn default() -> Self {
        Self {
            journal: JOURNAL_FILE.into(),
            lock: LOCK_FILE.into(),
        }
    }
}

impl JournalFiles {
    /// The files of a dataset named by `key` (a manifest's file name), or the plain ones.
    pub fn keyed(key: Option<&str>) -> Self {
        match key {
            None => Self::default(),
            Some(k) => {
                let k = crate::dataset::names::safe_file_name(k);
                Self {
                    journal: format!("edits.{k}.journal.jsonl"),
                    lock: format!("edits.{k}.lock"),
                }
            }
        }
    }
}

/// An open journal (holding the dataset's edit lock).
pub struct Journal {
    file: File,
    path: PathBuf,
    seq: u64,
    _lock: Lock,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("seq", &self.seq)
            .finish()
    }
}

impl Journal {
    /// Opens (or creates) the journal in `state_dir`, replays it, and returns the state and
    /// warnings about skipped lines.
    pub fn open(state_dir: &Path) -> Result<(Self, CurationState, Vec<String>), CurationError> {
        Self::open_files(state_dir, &JournalFiles::default())
    }

    /// [`Journal::open`] for the journal named by `files`.
    pub fn open_files(
        state_dir: &Path,
        files: &JournalFiles,
    ) -> Result<(Self, CurationState, Vec<String>), CurationError> {
        let path = state_dir.join(&files.journal);
        let lock = Lock::acquire(&state_dir.join(&files.lock))?;
        let io = |what: &'static str| {
            let path = path.clone();
            move |source| CurationError::Io { what, source, path }
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io("cannot open journal"))?;
        let (state, seq, good_len, warnings) = replay(&mut file, &path)?;
        let len = file.metadata().map_err(io("cannot read journal"))?.len();
        if good_len < len {
            // A torn tail: cut it so the next record starts on a clean line.
            file.set_len(good_len)
                .map_err(io("cannot truncate torn journal tail"))?;
            file.sync_all().map_err(io("cannot sync journal"))?;
        }
        let mut journal = Self {
            file,
            path,
            seq,
            _lock: lock,
        };
        if good_len == 0 {
            journal.append(&Record::Header {
                labelscope_journal: VERSION,
                created_ms: now_ms(),
            })?;
        }
        Ok((journal, state, warnings))
    }

    /// Replays the journal in `state_dir` without locking or writing (for read-only commands
    /// that may run while the window has the dataset open).
    pub fn read_state(state_dir: &Path) -> Result<(CurationState, Vec<String>), CurationError> {
        Self::read_state_files(state_dir, &JournalFiles::default())
    }

    /// [`Journal::read_state`] for the journal named by `files`.
    pub fn read_state_files(
        state_dir: &Path,
        files: &JournalFiles,
    ) -> Result<(CurationState, Vec<String>), CurationError> {
        let path = state_dir.join(&files.journal);
        match File::open(&path) {
            Ok(mut file) => {
                replay(&mut file, &path).map(|(state, _, _, warnings)| (state, warnings))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok((CurationState::default(), Vec::new()))
            }
            Err(source) => Err(CurationError::Io {
                what: "cannot open journal",
                source,
                path,
            }),
        }
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&mut self, record: &Record) -> Result<(), CurationError> {
        let mut line = serde_json::to_vec(record).unwrap_or_default();
        line.push(b'\n');
        let path = self.path.clone();
        self.file
            .write_all(&line)
            .map_err(|source| CurationError::Io {
                what: "cannot write journal",
                source,
                path: path.clone(),
            })?;
        self.file.sync_data().map_err(|source| CurationError::Io {
            what: "cannot sync journal",
            source,
            path,
        })
    }

    /// Durably records a new edit (call before applying it to the in-memory state).
    pub fn record_edit(&mut self, edit: &Edit) -> Result<(), CurationError> {
        self.seq += 1;
        self.append(&Record::Edit {
            seq: self.seq,
            ts_ms: now_ms(),
            edit: edit.clone(),
        })
    }

    /// Durably records an undo.
    pub fn record_undo(&mut self) -> Result<(), CurationError> {
        self.seq += 1;
        self.append(&Record::Undo {
            seq: self.seq,
            ts_ms: now_ms(),
        })
    }

    /// Durably records a redo.
    pub fn record_redo(&mut self) -> Result<(), CurationError> {
        self.seq += 1;
        self.append(&Record::Redo {
            seq: self.seq,
            ts_ms: now_ms(),
        })
    }
}

/// Replays every readable record. Returns the state, the last sequence number, the byte length
/// of the readable prefix (ending in a newline), and warnings for skipped lines.
fn replay(
    file: &mut File,
    path: &Path,
) -> Result<(CurationState, u64, u64, Vec<String>), CurationError> {
    let io = |source| CurationError::Io {
        what: "cannot read journal",
        source,
        path: path.to_path_buf(),
    };
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut reader = BufReader::new(&*file);
    let mut state = CurationState::default();
    let (mut seq, mut offset, mut good_len) = (0u64, 0u64, 0u64);
    let mut warnings = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        offset += n as u64;
        let complete = buf.ends_with(b"\n");
        match serde_json::from_slice::<Record>(&buf) {
            Ok(record) if complete => {
                good_len = offset;
                match record {
                    Record::Header {
                        labelscope_journal, ..
                    } if labelscope_journal > VERSION => {
                        return Err(CurationError::NewerVersion {
                            version: labelscope_journal,
                            understood: VERSION,
                            path: path.to_path_buf(),
                        });
                    }
                    Record::Header { .. } => {}
                    Record::Edit { seq: s, edit, .. } => {
                        seq = s;
                        state.apply(edit);
                    }
                    Record::Undo { seq: s, .. } => {
                        seq = s;
                        state.undo();
                    }
                    Record::Redo { seq: s, .. } => {
                        seq = s;
                        state.redo();
                    }
                }
            }
            _ if !complete => {
                warnings.push(format!(
                    "skipped a torn last line {line_no} ({n} bytes, e.g. after a power loss): {}",
                    path.display()
                ));
            }
            _ => {
                good_len = offset;
                warnings.push(format!(
                    "skipped unreadable line {line_no}: {}",
                    path.display()
                ));
            }
        }
    }
    Ok((state, seq, good_len, warnings))
}
