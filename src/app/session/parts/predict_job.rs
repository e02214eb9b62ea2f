//! The prediction job of a session: a model or VLM run on a background thread, streaming each
//! sample's entry to the window, with what it replaced kept to put back if it fails.

use std::sync::Arc;

use crate::app::jobs::{Finished, JobKind, Jobs, PredictDone};
use crate::eval::{Entry, PredictionSet};
use crate::jobs::{JobControl, JobError};
use crate::model::LoadedModel;

/// What the window keeps of a running prediction job besides the job itself (which the
/// registry holds as [`JobKind::Predict`]): the entries streaming in and what to put back.
pub struct PredictStream {
    /// Every sample's entry as it arrives (model and VLM runs alike).
    pub(crate) results: crossbeam_channel::Receiver<(usize, Entry)>,
    /// What the run replaced, put back if it fails.
    pub(crate) previous: Option<Previous>,
    /// The run's own set, filled behind the previous results (shown until then) and taken in
    /// their place when the first answer arrives.
    pub(crate) fresh: Option<crate::eval::PredictionSet>,
    /// Entries that arrived while the shown set was shared (an order computing on its own
    /// thread reads it): writing one then would copy the whole set, a million entries, every
    /// frame. They wait here until the set is the window's own again.
    pub(crate) held: Vec<(usize, Entry)>,
}

/// How many streamed entries wait for the window before the run waits for it.
const STREAM_CAPACITY: usize = 65_536;

/// The run's end of the stream: sends each sample's entry to the window, and wakes the window
/// when the channel is full. The window drains only when it draws a frame; without the wake a
/// run answering from its cache (a million entries in a second or two) waited for the window's
/// idle repaint, every 100 ms, for each channel's worth: 12 s at a million.
pub struct EntrySender {
    tx: crossbeam_channel::Sender<(usize, Entry)>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl EntrySender {
    /// Sends sample `i`'s entry, waiting while the window is behind. An entry for a window that
    /// closed the stream (the run was replaced) is dropped.
    pub fn send(&self, i: usize, entry: Entry) {
        match self.tx.try_send((i, entry)) {
            Ok(()) => {}
            Err(crossbeam_channel::TrySendError::Full(item)) => {
                (self.wake)();
                let _ = self.tx.send(item);
            }
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => {}
        }
    }
}

impl PredictStream {
    /// Starts `run` as the registry's prediction job: it streams each sample's entry through
    /// the sender it is given and returns the outcome; `previous` is put back if it fails.
    pub(crate) fn start(
        jobs: &mut Jobs,
        previous: Option<Previous>,
        run: impl FnOnce(&EntrySender, &JobControl) -> Result<PredictDone, JobError> + Send + 'static,
    ) -> Result<Self, String> {
        let (tx, results) = crossbeam_channel::bounded(STREAM_CAPACITY);
        let sender = EntrySender {
            tx,
            wake: jobs.wake(),
        };
        jobs.start(JobKind::Predict, move |job| {
            Finished::Predict(run(&sender, job))
        })?;
        Ok(Self {
            results,
            previous,
            fresh: None,
            held: Vec::new(),
        })
    }

    /// Writes `entry` into `set` unless another thread shares it; then it is held (see
    /// [`PredictStream::held`]). Returns whether it was written.
    pub(crate) fn write(&mut self, set: &mut Arc<PredictionSet>, i: usize, entry: Entry) -> bool {
        match Arc::get_mut(set) {
            Some(set) => {
                set.entries[i] = entry;
                true
            }
            None => {
                self.held.push((i, entry));
                false
            }
        }
    }

    /// Writes the held entries into `set`: when it is the window's own, or, with `copy` (the
    /// run's end), into a copy if it is still shared. Returns whether any was written.
    pub(crate) fn write_held(&mut self, set: &mut Arc<PredictionSet>, copy: bool) -> bool {
        if self.held.is_empty() {
            return false;
        }
        let set = match Arc::get_mut(set) {
            Some(set) => set,
            None if copy => Arc::make_mut(set),
            None => return false,
        };
        for (i, entry) in self.held.drain(..) {
            set.entries[i] = entry;
        }
        true
    }
}

/// The predictions (and where they came from) that a run replaced.
pub(crate) struct Previous {
    pub(crate) preds: Option<Arc<PredictionSet>>,
    pub(crate) model: Option<Arc<LoadedModel>>,
    pub(crate) vlm: Option<crate::vlm::VlmConfig>,
    pub(crate) backend: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> PredictStream {
        let (_, results) = crossbeam_channel::bounded(1);
        PredictStream {
            results,
            previous: None,
            fresh: None,
            held: Vec::new(),
        }
    }

    fn failed(k: usize) -> Entry {
        Entry::Failed(format!("{k}.png"))
    }

    #[test]
    fn a_full_stream_wakes_the_window_and_waits_for_it() {
        let (tx, results) = crossbeam_channel::bounded(1);
        let (woke, woken) = crossbeam_channel::bounded(4);
        let wake = Arc::new(move || {
            let _ = woke.send(());
        });
        let sender = EntrySender { tx, wake };
        sender.send(0, failed(0));
        assert!(woken.is_empty(), "room left: the window is not woken");
        let run = std::thread::Builder::new()
            .name("run".into())
            .spawn(move || {
                sender.send(1, failed(1));
                sender
            })
            .unwrap();
        // The run, blocked on a full channel, has woken the window, which drains.
        woken
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the window is woken");
        assert_eq!(results.recv().unwrap(), (0, failed(0)));
        let sender = run.join().unwrap();
        assert_eq!(results.recv().unwrap(), (1, failed(1)));
        // A window that closed the stream: the entry is dropped, the run goes on.
        drop(results);
        sender.send(2, failed(2));
    }

    #[test]
    fn an_entry_for_a_shared_set_waits_instead_of_copying_the_set() {
        let mut set = Arc::new(PredictionSet::empty("m", "s", 4));
        let mut s = stream();
        assert!(
            s.write(&mut set, 0, failed(0)),
            "the set is the window's own"
        );
        let reader = set.clone(); // an order computing on its own thread
        assert!(!s.write(&mut set, 1, failed(1)));
        assert!(!s.write_held(&mut set, false), "still shared");
        assert!(Arc::ptr_eq(&set, &reader), "no copy was made");
        assert_eq!(reader.entries[1], Entry::Missing);
        drop(reader);
        assert!(s.write_held(&mut set, false));
        assert_eq!(set.entries[..2], [failed(0), failed(1)]);
        assert!(s.held.is_empty());
    }

    #[test]
    fn at_the_run_s_end_held_entries_are_written_even_into_a_copy() {
        let mut set = Arc::new(PredictionSet::empty("m", "s", 3));
        let mut s = stream();
        let reader = set.clone();
        assert!(!s.write(&mut set, 2, failed(2)));
        assert!(s.write_held(&mut set, true));
        assert_eq!(set.entries[2], failed(2));
        assert_eq!(
            reader.entries[2],
            Entry::Missing,
            "the reader's set is untouched"
        );
    }
}
