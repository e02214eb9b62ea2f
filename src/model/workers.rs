//! A pool of named worker threads for one job: each owns one backend instance and pulls the
//! next sample from a shared counter, so decoding one image overlaps inference of another and a
//! slow file never blocks the others. Used by prediction and text detection.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::backend::{Backend, ResolvedBackend};
use crate::jobs::JobControl;

/// Runs `work(backend, sample)` for every sample in `todo` on `threads` workers named
/// `<name>-<k>`, until done or cancelled; returns the results in completion order. A worker
/// that cannot create its backend is an error only when no result was produced at all.
pub fn run_workers<T: Send>(
    todo: &[usize],
    threads: usize,
    name: &str,
    backend: &ResolvedBackend,
    job: &JobControl,
    work: &(dyn Fn(&mut dyn Backend, usize) -> T + Sync),
) -> Result<Vec<(usize, T)>, String> {
    let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(todo.len()));
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, 64).min(todo.len());
    let worker_err: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for w in 0..threads {
            let (next, results, worker_err) = (&next, &results, &worker_err);
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{w}"))
                .spawn_scoped(scope, move || {
                    let mut instance = match backend.factory.create() {
                        Ok(b) => b,
                        Err(e) => {
                            if let Ok(mut slot) = worker_err.lock() {
                                slot.get_or_insert(e);
                            }
                            return;
                        }
                    };
                    let mut local = Vec::new();
                    while !job.is_cancelled() {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = todo.get(k) else { break };
                        local.push((i, work(instance.as_mut(), i)));
                    }
                    if let Ok(mut all) = results.lock() {
                        all.extend(local);
                    }
                });
            if let Err(e) = spawned
                && let Ok(mut slot) = worker_err.lock()
            {
                slot.get_or_insert(format!("cannot start a worker thread: {e}"));
            }
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| "a worker thread panicked".to_string())?;
    if let Some(e) = worker_err.into_inner().ok().flatten()
        && results.is_empty()
    {
        return Err(e);
    }
    Ok(results)
}
