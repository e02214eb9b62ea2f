//! Why the edit journal could not be opened or written; each error names the file.

use std::path::PathBuf;

/// Errors opening or writing the journal; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum CurationError {
    /// I/O failure.
    #[error("{what} ({source}): {path}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
        /// The file.
        path: PathBuf,
    },
    /// Another process holds the lock.
    #[error(
        "the dataset is open for editing in another labelscope (pid {pid}{}); close it, or delete the lock file if that process is gone: {path}",
        host.as_deref().map(|h| format!(" on {h}")).unwrap_or_default()
    )]
    Locked {
        /// The other process.
        pid: u32,
        /// Its host, when the lock says (a lock from another machine cannot be checked).
        host: Option<String>,
        /// When the lock was taken (the lock file's modification time).
        since: Option<std::time::SystemTime>,
        /// The lock file.
        path: PathBuf,
    },
    /// The journal was written by a newer labelscope.
    #[error(
        "journal version {version} is newer than this labelscope understands ({understood}): {path}"
    )]
    NewerVersion {
        /// The version found.
        version: u32,
        /// The newest version this labelscope reads.
        understood: u32,
        /// The journal.
        path: PathBuf,
    },
}
