//! Where labelscope keeps its per-dataset state (prediction cache, later the edit journal):
//! `.labelscope/` inside the dataset folder when it is writable, else the user's data folder.
//! Source images are never touched; only this folder is written.

use std::path::{Path, PathBuf};

/// Name of the state folder created next to the dataset's files.
pub const STATE_DIR_NAME: &str = ".labelscope";

/// Why no state folder could be had.
#[derive(Debug, thiserror::Error)]
pub enum StateDirError {
    /// The dataset folder is read-only and the system names no user data folder.
    #[error(
        "no writable state folder: the dataset folder is read-only and there is no user data folder"
    )]
    NoUserDataFolder,
    /// The command keeps no state for this dataset (`select --no-cache` on its pool).
    #[error("no state is kept for it")]
    Off,
    /// The folder in the user's data folder could not be created.
    #[error("cannot create state folder {path}: {source}")]
    Create {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The state folder for the dataset rooted at `root`, created if needed.
pub fn state_dir(root: &Path) -> Result<PathBuf, StateDirError> {
    let local = root.join(STATE_DIR_NAME);
    if std::fs::create_dir_all(&local).is_ok() && is_writable(&local) {
        return Ok(local);
    }
    let dir = user_state_dir(root).ok_or(StateDirError::NoUserDataFolder)?;
    std::fs::create_dir_all(&dir).map_err(|source| StateDirError::Create {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// The state folder of the dataset rooted at `root` when one exists, without creating any (for
/// commands that only read).
pub fn existing_state_dir(root: &Path) -> Option<PathBuf> {
    let local = root.join(STATE_DIR_NAME);
    if local.is_dir() {
        return Some(local);
    }
    user_state_dir(root).filter(|d| d.is_dir())
}

/// Where the state of a read-only dataset rooted at `root` lives: a folder in the user's data
/// folder keyed by the dataset's absolute path (not created here).
pub fn user_state_dir(root: &Path) -> Option<PathBuf> {
    keyed_data_dir("datasets", root)
}

/// Where `select` keeps the caches of a pool it reads where it lies (nothing is written
/// beside the pool): a folder in the user's data folder keyed by the pool's absolute path.
pub fn pool_state_dir(pool: &Path) -> Option<PathBuf> {
    keyed_data_dir("pools", pool)
}

/// `<user data folder>/labelscope/<kind>/<key>`, the key the first 16 hex digits of the BLAKE3
/// of `path` made absolute.
fn keyed_data_dir(kind: &str, path: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let key = blake3::hash(abs.to_string_lossy().as_bytes()).to_hex();
    Some(
        dirs::data_dir()?
            .join("labelscope")
            .join(kind)
            .join(&key[..16]),
    )
}

fn is_writable(dir: &Path) -> bool {
    let probe = dir.join(".write-test");
    let ok = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

/// Writes `bytes` to `path` atomically: a temporary sibling, fsync, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_parts(path, &[bytes])
}

/// Writes `parts` one after the other to `path` atomically (as [`write_atomic`]), without
/// first joining them in memory (a cache's header and its gigabyte body).
pub fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::io::Write;
    write_atomic_with(path, |f| {
        parts.iter().try_for_each(|part| f.write_all(part))
    })
}

/// Writes `path` atomically (as [`write_atomic`]) with what `write` puts in the temporary
/// sibling: a body streamed as it is encoded, never held whole in memory.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        write(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        // Nothing is left behind: a folder at `path` (or a full disk) fails the write only.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
