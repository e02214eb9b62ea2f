//! Long-running work, shared by the CLI and the window.
//!
//! - [`JobControl`]: a cancel flag, progress counters, notes and a wake-up callback shared
//!   between the thread doing the work and whoever watches it (nothing here knows egui; the
//!   window passes a wake-up closure that requests a repaint).
//! - [`pool`]: named worker threads, each with its own state, pulling items from a counter.
//! - [`per_sample`]: the one per-sample job of labelscope (prediction, text detection, image
//!   facts, VLM answers, ...): answered from a [`crate::stamp_cache::StampCache`] where the
//!   file is unchanged, computed on the pool otherwise, merged and saved. A new per-sample job
//!   is a cache key plus an implementation of [`per_sample::SampleWork`].

mod control;
pub mod per_sample;
pub mod pool;
pub mod priority;

pub use control::{JobControl, Progress, WakeFn};

/// Why a job gave no result: the user cancelled it, or it failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The job was cancelled before it finished.
    #[error("cancelled")]
    Cancelled,
    /// The job failed (the message names what and where).
    #[error("{0}")]
    Failed(String),
}

/// `fails_jobs!(E)` in the module that defines the error `E`: a job that stops with `E`
/// fails with its message ([`JobError::Failed`]). The module names this one, never the other
/// way round, so `jobs` depends on no module that runs jobs.
macro_rules! fails_jobs {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for $crate::jobs::JobError {
            fn from(e: $error) -> Self {
                Self::Failed(e.to_string())
            }
        })*
    };
}
pub(crate) use fails_jobs;
