//! One holder for work the window runs off the UI thread: a named thread, a [`JobControl`]
//! (progress, stage, cancel, wake-up) and the result, collected without blocking.

use std::sync::Arc;

use crate::jobs::JobControl;

/// Work running on its own thread, producing one `T`.
pub struct BackgroundJob<T> {
    /// Progress, stage and cancel.
    pub control: JobControl,
    done: crossbeam_channel::Receiver<T>,
}

impl<T: Send + 'static> BackgroundJob<T> {
    /// Runs `work` on a thread named `name`; `wake` asks for a repaint when it reports.
    pub fn spawn(
        name: &str,
        wake: Arc<dyn Fn() + Send + Sync>,
        work: impl FnOnce(&JobControl) -> T + Send + 'static,
    ) -> std::io::Result<Self> {
        let control = JobControl::new(Some(wake));
        let (tx, done) = crossbeam_channel::bounded(1);
        let job = control.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _ = tx.send(work(&job));
                job.finish();
            })?;
        Ok(Self { control, done })
    }

    /// The result, once the work is done (then never again).
    pub fn poll(&self) -> Option<T> {
        self.done.try_recv().ok()
    }
}
