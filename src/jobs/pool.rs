//! A pool of named worker threads for one job: each builds its own state (a backend session, a
//! text detector, nothing) and pulls the next item from a shared counter, so decoding one image
//! overlaps inference of another and a slow file never blocks the others.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::JobControl;

/// Why a pool produced nothing.
#[derive(Debug, thiserror::Error)]
pub enum PoolError<E> {
    /// No worker could build its state: the first worker's reason.
    #[error("{0}")]
    Start(E),
    /// The operating system would not start a thread.
    #[error("cannot start a worker thread: {0}")]
    Spawn(std::io::Error),
    /// A worker thread panicked, so its results are lost.
    #[error("a worker thread panicked")]
    Panicked,
}

/// Runs `work(state, item)` for every item of `items` on `threads` workers named
/// `<name>-<k>`, each with the state `init` builds for it, until done or cancelled; returns
/// the results in completion order. A worker whose `init` fails produces nothing; that is an
/// error only when no worker produced anything.
pub fn run_pool<S, T: Send, E: Send>(
    items: &[usize],
    threads: usize,
    name: &str,
    job: &JobControl,
    init: &(dyn Fn() -> Result<S, E> + Sync),
    work: &(dyn Fn(&mut S, usize) -> T + Sync),
) -> Result<Vec<(usize, T)>, PoolError<E>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(items.len()));
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, 64).min(items.len());
    let worker_err: Mutex<Option<PoolError<E>>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for w in 0..threads {
            let (next, results, worker_err) = (&next, &results, &worker_err);
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{w}"))
                .spawn_scoped(scope, move || {
                    let mut state = match init() {
                        Ok(s) => s,
                        Err(e) => {
                            if let Ok(mut slot) = worker_err.lock() {
                                slot.get_or_insert(PoolError::Start(e));
                            }
                            return;
                        }
                    };
                    let mut local = Vec::new();
                    while !job.is_cancelled() {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = items.get(k) else { break };
                        local.push((i, work(&mut state, i)));
                    }
                    if let Ok(mut all) = results.lock() {
                        all.extend(local);
                    }
                });
            if let Err(e) = spawned
                && let Ok(mut slot) = worker_err.lock()
            {
                slot.get_or_insert(PoolError::Spawn(e));
            }
        }
    });
    let results = results.into_inner().map_err(|_| PoolError::Panicked)?;
    if let Some(e) = worker_err.into_inner().ok().flatten()
        && results.is_empty()
    {
        return Err(e);
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_with_per_worker_state_and_a_failed_init_is_an_error_only_alone() {
        let items: Vec<usize> = (0..50).collect();
        let job = JobControl::default();
        let out = run_pool::<_, _, String>(&items, 3, "t", &job, &|| Ok(0usize), &|seen, i| {
            *seen += 1;
            i * 2
        })
        .unwrap();
        let mut got: Vec<usize> = out.iter().map(|(_, v)| v / 2).collect();
        got.sort_unstable();
        assert_eq!(got, items);
        let err = run_pool::<(), (), String>(
            &items,
            2,
            "t",
            &job,
            &|| Err("no backend".into()),
            &|_, _| (),
        );
        assert!(matches!(err, Err(PoolError::Start(e)) if e == "no backend"));
        job.cancel();
        let none = run_pool::<_, _, String>(&items, 2, "t", &job, &|| Ok(()), &|_, i| i).unwrap();
        assert!(none.is_empty(), "a cancelled job takes no item");
    }
}
