//! The edit lock: a file created exclusively next to the journal, recording who holds it (pid,
//! process start time, host) so a stale lock (its process gone, or the pid recycled by an
//! unrelated process) is taken over and a live one refuses a second writer.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::CurationError;

/// A held lock; removed on drop.
pub(super) struct Lock {
    path: PathBuf,
}

/// Who holds a lock: the process id, its start time (clock ticks since boot, Linux) and the
/// host, so a recycled pid of an unrelated process or a lock from another machine is told apart.
#[derive(Debug, PartialEq)]
struct Holder {
    pid: u32,
    start: Option<u64>,
    host: Option<String>,
}

impl Holder {
    fn me() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            start: process_start(pid),
            host: hostname(),
        }
    }

    fn line(&self) -> String {
        format!(
            "{} {} {}",
            self.pid,
            self.start.map_or("-".into(), |s| s.to_string()),
            self.host.as_deref().unwrap_or("-")
        )
    }

    /// Parses a lock file: `pid [start host]` (older labelscopes wrote the pid alone).
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split_whitespace();
        let pid = parts.next()?.parse().ok()?;
        let start = parts.next().and_then(|s| s.parse().ok());
        let host = parts.next().filter(|h| *h != "-").map(str::to_string);
        Some(Self { pid, start, host })
    }

    /// Whether the holder is still running: same host (when known), pid alive, and the same
    /// process (its start time matches, when recorded).
    fn alive(&self) -> bool {
        if let (Some(h), Some(mine)) = (&self.host, hostname())
            && *h != mine
        {
            // Another machine (a shared folder): it cannot be checked from here.
            return true;
        }
        if !process_alive(self.pid) {
            return false;
        }
        match (self.start, process_start(self.pid)) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        }
    }
}

impl Lock {
    /// Takes the lock at `path`, or says who holds it.
    pub(super) fn acquire(path: &Path) -> Result<Self, CurationError> {
        let me = Holder::me();
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", me.line());
                    let _ = f.sync_all();
                    return Ok(Self {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(path)
                        .ok()
                        .and_then(|s| Holder::parse(&s));
                    if let Some(h) = holder
                        && h.pid != me.pid
                        && h.alive()
                    {
                        return Err(CurationError::Locked {
                            pid: h.pid,
                            host: h.host,
                            since: std::fs::metadata(path).and_then(|m| m.modified()).ok(),
                            path: path.to_path_buf(),
                        });
                    }
                    // Stale lock from a process that is gone: take it over.
                    let _ = std::fs::remove_file(path);
                }
                Err(source) => {
                    return Err(CurationError::Io {
                        what: "cannot create lock file",
                        source,
                        path: path.to_path_buf(),
                    });
                }
            }
        }
        Err(CurationError::Locked {
            pid: 0,
            host: None,
            since: None,
            path: path.to_path_buf(),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// The start time of process `pid` in clock ticks since boot (`/proc/<pid>/stat` field 22).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// This machine's host name (to tell a lock from another machine apart).
pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace))
}
