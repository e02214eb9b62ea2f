//! The control block of one job: a cancel flag, progress counters, notes and a wake-up callback
//! shared between the thread doing the work and whoever watches it (the CLI's progress line or
//! the window).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

/// Callback run by a worker after it has published a result, so a watcher can redraw.
pub type WakeFn = Arc<dyn Fn() + Send + Sync>;

/// Shared control block of one job: cancel flag, progress counters and a wake-up callback.
///
/// Cheap to clone (an `Arc` inside); clones observe the same job.
#[derive(Clone)]
pub struct JobControl {
    inner: Arc<Inner>,
}

struct Inner {
    cancelled: AtomicBool,
    num_total: AtomicUsize,
    num_done: AtomicUsize,
    num_failed: AtomicUsize,
    started: Instant,
    finished_at_ms: AtomicU64,
    stage: std::sync::Mutex<String>,
    notes: std::sync::Mutex<Vec<String>>,
    wake: Option<WakeFn>,
}

impl Default for JobControl {
    fn default() -> Self {
        Self::new(None)
    }
}

impl std::fmt::Debug for JobControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobControl")
            .field("progress", &self.progress())
            .finish()
    }
}

/// A snapshot of a job's counters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Items the job will process.
    pub num_total: usize,
    /// Items processed so far (successes and failures).
    pub num_done: usize,
    /// Items that failed so far.
    pub num_failed: usize,
    /// Seconds since the job started.
    pub elapsed_secs: f64,
}

impl Progress {
    /// Items per second so far.
    pub fn items_per_sec(&self) -> f64 {
        if self.elapsed_secs > 0.0 {
            self.num_done as f64 / self.elapsed_secs
        } else {
            0.0
        }
    }

    /// Estimated seconds left at the current rate, if any progress was made.
    pub fn eta_secs(&self) -> Option<f64> {
        let rate = self.items_per_sec();
        (rate > 0.0).then(|| self.num_total.saturating_sub(self.num_done) as f64 / rate)
    }

    /// Fraction done in 0..=1.
    pub fn fraction(&self) -> f32 {
        if self.num_total == 0 {
            1.0
        } else {
            self.num_done as f32 / self.num_total as f32
        }
    }
}

impl JobControl {
    /// A new control block; `wake` is called after each published result.
    pub fn new(wake: Option<WakeFn>) -> Self {
        Self {
            inner: Arc::new(Inner {
                cancelled: AtomicBool::new(false),
                num_total: AtomicUsize::new(0),
                num_done: AtomicUsize::new(0),
                num_failed: AtomicUsize::new(0),
                started: Instant::now(),
                finished_at_ms: AtomicU64::new(0),
                stage: std::sync::Mutex::new(String::new()),
                notes: std::sync::Mutex::new(Vec::new()),
                wake,
            }),
        }
    }

    /// Records a notice for whoever watches the job (the CLI prints it, the window shows it):
    /// the core never prints.
    pub fn note(&self, message: impl Into<String>) {
        if let Ok(mut n) = self.inner.notes.lock() {
            n.push(message.into());
        }
        self.wake();
    }

    /// Takes the notices recorded so far.
    pub fn take_notes(&self) -> Vec<String> {
        self.inner
            .notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    /// Asks the job to stop as soon as it can.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// Sets the number of items the job will process.
    pub fn set_total(&self, num_total: usize) {
        self.inner.num_total.store(num_total, Ordering::Relaxed);
    }

    /// Starts a named stage of a multi-stage job: counters restart at zero of `num_total`.
    pub fn begin_stage(&self, name: &str, num_total: usize) {
        if let Ok(mut s) = self.inner.stage.lock() {
            *s = name.to_string();
        }
        self.inner.num_done.store(0, Ordering::Relaxed);
        self.inner.num_failed.store(0, Ordering::Relaxed);
        self.set_total(num_total);
        self.wake();
    }

    /// The current stage's name (empty for single-stage jobs).
    pub fn stage(&self) -> String {
        self.inner
            .stage
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Records one processed item.
    pub fn add_done(&self, failed: bool) {
        if failed {
            self.inner.num_failed.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.num_done.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the job as finished (freezes the elapsed time).
    pub fn finish(&self) {
        let ms = self.inner.started.elapsed().as_millis().max(1) as u64;
        self.inner.finished_at_ms.store(ms, Ordering::Relaxed);
        self.wake();
    }

    /// Whether [`JobControl::finish`] was called.
    pub fn is_finished(&self) -> bool {
        self.inner.finished_at_ms.load(Ordering::Relaxed) > 0
    }

    /// Calls the wake-up callback, if any.
    pub fn wake(&self) {
        if let Some(wake) = &self.inner.wake {
            wake();
        }
    }

    /// Current counters.
    pub fn progress(&self) -> Progress {
        let finished_ms = self.inner.finished_at_ms.load(Ordering::Relaxed);
        let elapsed_secs = if finished_ms > 0 {
            finished_ms as f64 / 1000.0
        } else {
            self.inner.started.elapsed().as_secs_f64()
        };
        Progress {
            num_total: self.inner.num_total.load(Ordering::Relaxed),
            num_done: self.inner.num_done.load(Ordering::Relaxed),
            num_failed: self.inner.num_failed.load(Ordering::Relaxed),
            elapsed_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_cancel_are_shared_between_clones() {
        let job = JobControl::default();
        let watcher = job.clone();
        job.set_total(4);
        job.add_done(false);
        job.add_done(true);
        let p = watcher.progress();
        assert_eq!((p.num_total, p.num_done, p.num_failed), (4, 2, 1));
        assert!((p.fraction() - 0.5).abs() < 1e-6);
        assert!(!job.is_cancelled());
        watcher.cancel();
        assert!(job.is_cancelled());
    }

    #[test]
    fn wake_is_called_on_cancel_and_finish() {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let job = JobControl::new(Some(Arc::new(move || {
            c.fetch_add(1, Ordering::SeqCst);
        })));
        job.cancel();
        job.finish();
        assert_eq!(count.load(Ordering::SeqCst), 2);
        assert!(job.is_finished());
    }
}
