//! The session's warnings and errors, kept for View > Log and appended to `labelscope.log` in
//! the dataset's state folder, so a user can send them with a bug report. They are collected
//! from what the window shows (the error line, the notes), so every path that reports to the
//! user is logged without knowing about the log.

use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// The log file's name in the state folder.
pub const LOG_FILE: &str = "labelscope.log";

/// How serious an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// A note or warning (an assumption, a skipped file).
    Warning,
    /// Something failed.
    Error,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// UTC time, "2026-12-01 20:52:46".
    pub time: String,
    /// Warning or error.
    pub level: Level,
    /// What happened (with the file, as reported).
    pub text: String,
}

/// The log of one open dataset.
#[derive(Debug, Default)]
pub struct SessionLog {
    /// Every entry, oldest first.
    pub entries: Vec<LogEntry>,
    /// The log file, when the state folder could be written.
    pub file: Option<PathBuf>,
    /// Why the file could not be written, once.
    pub file_error: Option<String>,
    seen_notes: usize,
    seen_error: Option<String>,
}

impl SessionLog {
    /// A log writing to `file` (none: kept in memory only).
    pub fn new(file: Option<PathBuf>) -> Self {
        Self {
            file,
            ..Default::default()
        }
    }

    /// Records what is new in `notes` (append-only between calls, or replaced) and `error`.
    pub fn collect(&mut self, notes: &[String], error: Option<&String>) {
        if notes.len() < self.seen_notes {
            self.seen_notes = 0;
        }
        for n in &notes[self.seen_notes..] {
            self.record(Level::Warning, n);
        }
        self.seen_notes = notes.len();
        if error != self.seen_error.as_ref() {
            if let Some(e) = error {
                self.record(Level::Error, e);
            }
            self.seen_error = error.cloned();
        }
    }

    /// Adds an entry and appends it to the file.
    pub fn record(&mut self, level: Level, text: &str) {
        let entry = LogEntry {
            time: utc_now(),
            level,
            text: text.to_string(),
        };
        if let Some(path) = &self.file
            && self.file_error.is_none()
        {
            let line = format!(
                "{} {} {}\n",
                entry.time,
                level.word(),
                text.replace('\n', " / ")
            );
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(line.as_bytes()));
            if let Err(e) = written {
                self.file_error = Some(format!("cannot write {}: {e}", path.display()));
            }
        }
        self.entries.push(entry);
    }

    /// Every entry as text, for Copy.
    pub fn text(&self) -> String {
        self.entries
            .iter()
            .map(|e| format!("{} {} {}", e.time, e.level.word(), e.text))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The time now in UTC as "YYYY-MM-DD hh:mm:ss".
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_string(secs)
}

/// Unix seconds as "YYYY-MM-DD hh:mm:ss" UTC (civil-from-days, proleptic Gregorian).
pub fn utc_string(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_strings_are_right() {
        assert_eq!(utc_string(0), "1970-01-01 00:00:00");
        // `date -u -d @1796158366`
        assert_eq!(utc_string(1_796_158_366), "2026-12-01 20:52:46");
        assert_eq!(utc_string(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn new_notes_and_errors_are_logged_once_and_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("labelscope.log");
        let mut log = SessionLog::new(Some(file.clone()));
        let mut notes = vec!["assumed RGB".to_string()];
        log.collect(&notes, None);
        log.collect(&notes, None);
        notes.push("skipped a.png: truncated".into());
        let err = "cannot read b.png".to_string();
        log.collect(&notes, Some(&err));
        log.collect(&notes, Some(&err));
        assert_eq!(log.entries.len(), 3);
        assert_eq!(log.entries[2].level, Level::Error);
        let written = std::fs::read_to_string(&file).unwrap();
        assert_eq!(written.lines().count(), 3);
        assert!(
            written
                .lines()
                .nth(1)
                .unwrap()
                .ends_with("warning skipped a.png: truncated")
        );
        // Notes replaced by fewer ones start over.
        log.collect(&["fresh".to_string()], None);
        assert_eq!(log.entries.last().unwrap().text, "fresh");
    }
}
