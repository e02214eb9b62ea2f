//! Opening a dataset off the UI thread: the window keeps drawing, with how long the scan has
//! taken and a way to stop waiting, while the dataset is listed (a million files take seconds);
//! the commands given meanwhile that act on the dataset (its model, predictions, embedder,
//! VLM, comparisons, device logs) wait for it and are applied once it is open.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::LabelscopeApp;
use super::commands::AppCommand;
use super::session::Session;
use crate::dataset::OpenOptions;

/// How long the first frame after an open waits for it, so a small dataset appears at once
/// instead of after a frame of "Opening…".
pub(super) const FIRST_WAIT: Duration = Duration::from_millis(150);

/// A dataset being opened on its own thread.
pub(super) struct Opening {
    /// What is being opened.
    pub path: PathBuf,
    started: Instant,
    rx: Receiver<Result<Session, String>>,
    waited: bool,
    /// Commands that act on the dataset being opened, applied once it is open (dropped if it
    /// does not open).
    pub then: Vec<AppCommand>,
    /// A model already loaded to run on the dataset once it is open (from the cache, when it
    /// ran before), as when a labelling batch's end opens the dataset again.
    pub then_model: Option<Arc<crate::model::LoadedModel>>,
    /// A notice to show once it is open.
    pub then_notice: Option<String>,
}

impl Opening {
    /// Starts opening `path`; `wake` repaints the window when it is done.
    pub fn start(path: PathBuf, opts: OpenOptions, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let target = path.clone();
        let spawned = std::thread::Builder::new()
            .name("open dataset".into())
            .spawn({
                let tx = tx.clone();
                move || {
                    // When the window stopped waiting, the session is dropped here (and its
                    // edit lock with it).
                    // The user waits for this: its parallel work runs at the window's
                    // priority, not on the background jobs' lowered pool.
                    let opened = crate::jobs::priority::with_a_pool_of_its_own("open", || {
                        Session::open(&target, &opts)
                    });
                    let _ = tx.send(opened);
                    wake();
                }
            });
        if let Err(e) = spawned {
            let _ = tx.send(Err(format!("could not start opening the dataset: {e}")));
        }
        Self {
            path,
            started: Instant::now(),
            rx,
            waited: false,
            then: Vec::new(),
            then_model: None,
            then_notice: None,
        }
    }

    /// The opened session, or why it did not open, once ready. The first call waits up to
    /// [`FIRST_WAIT`]; later calls do not wait.
    pub fn poll(&mut self) -> Option<Result<Session, String>> {
        let wait = if self.waited {
            Duration::ZERO
        } else {
            FIRST_WAIT
        };
        self.waited = true;
        match self.rx.recv_timeout(wait) {
            Ok(r) => Some(r),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Err(format!(
                "{}: the scan stopped without an answer",
                self.path.display()
            ))),
        }
    }

    /// Time since the open started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Whether `cmd` acts on the dataset being opened, and so waits for it.
pub(super) fn waits_for_dataset(cmd: &AppCommand) -> bool {
    matches!(
        cmd,
        AppCommand::OpenModel(_)
            | AppCommand::OpenEmbedder(_)
            | AppCommand::ImportPredictions(_)
            | AppCommand::ImportComparison(_)
            | AppCommand::AddCompareModel(_)
            | AppCommand::RunVlm { .. }
            | AppCommand::OpenLogs(_)
    )
}

impl LabelscopeApp {
    /// Starts opening `path` on its own thread ([`Opening`]); the open dataset's jobs stop.
    pub(super) fn open_dataset(&mut self, path: PathBuf, opts: &OpenOptions) {
        if let Some(s) = &mut self.session {
            s.jobs.cancel_all();
        }
        let wake = self.wake.clone().unwrap_or_else(|| Arc::new(|| {}));
        self.open_error = None;
        self.opening = Some(Opening::start(path, opts.clone(), wake));
    }

    /// Whether a dataset is being opened (the window shows it and waits for nothing).
    pub fn is_opening(&self) -> bool {
        self.opening.is_some()
    }

    /// Installs the opened dataset once its thread is done, or shows why it did not open.
    pub(super) fn finish_open(&mut self, ctx: &egui::Context) {
        let Some(result) = self.opening.as_mut().and_then(Opening::poll) else {
            if self.opening.is_some() {
                ctx.request_repaint_after(Duration::from_millis(250));
            }
            return;
        };
        let Some(done) = self.opening.take() else {
            return;
        };
        match result {
            Ok(s) => {
                self.install_session(s);
                if let Some(s) = &mut self.session {
                    s.start_scan(self.backend);
                    if let Some(model) = done.then_model {
                        s.predictions.model = Some(model);
                        s.start_prediction(self.backend, true);
                    }
                    if let Some(notice) = done.then_notice {
                        s.messages.notify(notice);
                    }
                }
                let abs = std::fs::canonicalize(&done.path).unwrap_or(done.path);
                self.prefs.recent.retain(|p| *p != abs);
                self.prefs.recent.insert(0, abs);
                self.prefs.recent.truncate(8);
                self.commands.extend(done.then);
            }
            Err(e) => self.open_error = Some(e),
        }
    }
}
