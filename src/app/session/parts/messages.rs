//! What the session tells the user: notes about the model and the data, the last error, a
//! short notice after an edit, and the log of all of them.

use std::time::Instant;

use super::log::SessionLog;

/// Notes, errors and notices of one session.
#[derive(Default)]
pub struct Messages {
    /// Notes about the model or mapping (assumptions, unmapped labels) and the data.
    pub notes: Vec<String>,
    /// Last error of a background job or an action, with the path.
    pub error: Option<String>,
    /// A short notice about the last edit or undo, and when it was given.
    pub toast: Option<(String, Instant)>,
    /// Every warning and error shown in this session (View > Log, `labelscope.log`).
    pub log: SessionLog,
}

impl Messages {
    /// Shows `text` briefly at the bottom of the window.
    pub fn notify(&mut self, text: String) {
        self.toast = Some((text, Instant::now()));
    }

    /// Copies new notes and the error into the log.
    pub fn collect(&mut self) {
        self.log.collect(&self.notes, self.error.as_ref());
    }
}
