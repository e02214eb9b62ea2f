//! Background work yields to the window. On a machine with few cores the window's jobs (the
//! image checks, the neighbour graph, the linear probe) would otherwise take every core from
//! the thread that draws the frames: gallery paging at a million samples missed 16 ms while
//! the neighbour graph was built beside it.

/// How far a background thread's `nice` value is raised: the Linux scheduler then gives a
/// thread at the default value about nine times its share when both want a core.
pub const BACKGROUND_NICE: i32 = 10;

/// Lowers the scheduling priority of the calling thread (and of the threads it starts later,
/// which inherit it) by [`BACKGROUND_NICE`]. On Linux the nice value is a thread's own; on
/// other systems it is the whole process's, so nothing is changed there. A refusal is ignored:
/// the work then runs at the priority it had.
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::nice(BACKGROUND_NICE);
    }
}

/// Starts rayon's shared pool with its threads lowered (see [`lower_this_thread`]), unless it
/// already runs: its threads would otherwise take the priority of whichever thread used it
/// first. For the window, whose background work runs on that pool.
pub fn lower_the_shared_pool() {
    let _ = rayon::ThreadPoolBuilder::new()
        .thread_name(|k| format!("rayon-{k}"))
        .start_handler(|_| lower_this_thread())
        .build_global();
}

/// Runs `work` with a rayon pool of its own, its threads at the calling thread's priority, for
/// work the user waits on (opening a dataset) that would otherwise queue on the lowered shared
/// pool (see [`lower_the_shared_pool`]) behind the background jobs, or starve beside other
/// programs. Runs `work` on the shared pool when no pool can be started.
pub fn with_a_pool_of_its_own<T: Send>(name: &str, work: impl FnOnce() -> T + Send) -> T {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let name = name.to_string();
    match rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |k| format!("{name}-{k}"))
        .build()
    {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use super::*;

    /// The calling thread's nice value.
    fn this_thread_nice() -> i32 {
        rustix::process::getpriority_process(None).unwrap()
    }

    /// What `f` returns on a thread of its own.
    fn on_a_thread<T: Send + 'static>(f: fn() -> T) -> T {
        std::thread::Builder::new()
            .name("started".into())
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn only_the_calling_thread_and_the_threads_it_starts_are_lowered() {
        let main = this_thread_nice();
        let (own, child) = on_a_thread(|| {
            let before = this_thread_nice();
            lower_this_thread();
            let own = this_thread_nice() - before;
            let child = on_a_thread(this_thread_nice) - before;
            (own, child)
        });
        let expected = BACKGROUND_NICE.min(19 - main);
        assert_eq!(own, expected, "the background thread is lowered");
        assert_eq!(child, expected, "a thread it starts inherits it");
        assert_eq!(this_thread_nice(), main, "the other threads keep theirs");
    }

    #[test]
    fn work_in_a_pool_of_its_own_runs_at_the_caller_s_priority() {
        use rayon::prelude::*;
        let main = this_thread_nice();
        let seen: Vec<i32> = with_a_pool_of_its_own("own", || {
            (0..64)
                .into_par_iter()
                .map(|_| this_thread_nice())
                .collect()
        });
        assert!(seen.iter().all(|&n| n == main), "{seen:?}");
    }
}
