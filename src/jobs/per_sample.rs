//! The per-sample cached job: one result per dataset sample, answered from a
//! [`StampCache`] while the sample's file keeps its size and mtime, computed on a [`run_pool`]
//! of workers otherwise, merged back in dataset order and saved. Prediction, text detection,
//! image facts and VLM answers are each a [`SampleWork`] run through [`run_per_sample`].

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::JobControl;
use super::pool::{PoolError, run_pool};
use crate::dataset::Sample;
use crate::stamp_cache::{FileStamp, StampCache};

/// What a per-sample job computes.
pub trait SampleWork: Sync {
    /// The result for one sample (a failure is a value too, naming the file).
    type Output: Clone + Send + Serialize + DeserializeOwned;
    /// State each worker thread owns (a backend session, an HTTP agent, nothing).
    type Worker;
    /// Why a worker could not build its state (`Infallible` when it cannot fail).
    type StartError: Send;

    /// Builds one worker's state; a worker that cannot start takes no sample.
    fn start_worker(&self) -> Result<Self::Worker, Self::StartError>;

    /// Computes sample `index`'s result.
    fn run(&self, worker: &mut Self::Worker, index: usize) -> Self::Output;

    /// Whether `out` counts as a failure in the job's progress.
    fn failed(&self, out: &Self::Output) -> bool;

    /// Whether a cached `out` may be reused (e.g. not a network error worth retrying).
    fn reusable(&self, _out: &Self::Output) -> bool {
        true
    }

    /// Called with every result as it arrives, cached ones first (to stream into a window).
    fn on_result(&self, _index: usize, _out: &Self::Output) {}
}

/// Where a per-sample job keeps its results between runs: a [`StampCache`], or a composite
/// (predictions with their embeddings).
pub trait ResultCache<T> {
    /// Why the file on disk was discarded, if it was.
    fn notice(&self) -> Option<&str>;
    /// The cached result of sample `id` if its file still has `stamp`.
    fn lookup(&self, id: &str, stamp: Option<FileStamp>) -> Option<T>;
    /// Like [`ResultCache::lookup`], but moves the result out of the cache where it can: a
    /// million cached results (a gigabyte of image facts) are then in memory once, not twice.
    /// [`run_per_sample`] stores what it took back before it saves.
    fn take(&mut self, id: &str, stamp: Option<FileStamp>) -> Option<T> {
        self.lookup(id, stamp)
    }
    /// Records a result.
    fn store(&mut self, id: String, stamp: FileStamp, value: T);
    /// Writes the cache.
    fn save(&self) -> Result<(), crate::stamp_cache::CacheError>;
}

impl<T: Clone + Serialize + DeserializeOwned> ResultCache<T> for StampCache<T> {
    fn notice(&self) -> Option<&str> {
        StampCache::notice(self)
    }
    fn lookup(&self, id: &str, stamp: Option<FileStamp>) -> Option<T> {
        self.get(id, stamp).cloned()
    }
    fn take(&mut self, id: &str, stamp: Option<FileStamp>) -> Option<T> {
        StampCache::take(self, id, stamp)
    }
    fn store(&mut self, id: String, stamp: FileStamp, value: T) {
        self.insert(id, stamp, value);
    }
    fn save(&self) -> Result<(), crate::stamp_cache::CacheError> {
        StampCache::save(self)
    }
}

/// What a per-sample job produced.
#[derive(Debug)]
pub struct SampleResults<T> {
    /// Per sample, in dataset order; `None` where the job was cancelled first.
    pub outcomes: Vec<Option<T>>,
    /// Samples answered from the cache.
    pub num_cached: usize,
    /// Samples computed in this run.
    pub num_computed: usize,
    /// Whether the job was cancelled before every sample had a result.
    pub cancelled: bool,
}

/// Runs `work` over `samples` on `threads` workers named `<name>-<k>`. With a `cache`, unchanged
/// files are answered from it and new results are saved into it (a cache that cannot be read
/// or written is a note on `job`, never a failure). Progress goes to `job`; the caller sets
/// its total and finishes it.
pub fn run_per_sample<W: SampleWork, C: ResultCache<W::Output> + ?Sized>(
    samples: &[Sample],
    work: &W,
    threads: usize,
    name: &str,
    mut cache: Option<&mut C>,
    job: &JobControl,
) -> Result<SampleResults<W::Output>, PoolError<W::StartError>> {
    if let Some(note) = cache.as_deref().and_then(|c| c.notice()) {
        job.note(note);
    }
    let stamps: Vec<Option<FileStamp>> = if cache.is_some() {
        samples.par_iter().map(|s| FileStamp::of(&s.path)).collect()
    } else {
        vec![None; samples.len()]
    };
    let mut outcomes: Vec<Option<W::Output>> = vec![None; samples.len()];
    let mut todo = Vec::new();
    let mut taken = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let hit = cache
            .as_deref_mut()
            .and_then(|c| c.take(&s.id.0, stamps[i]))
            .filter(|o| work.reusable(o));
        match hit {
            Some(hit) => {
                work.on_result(i, &hit);
                job.add_done(work.failed(&hit));
                outcomes[i] = Some(hit);
                taken.push(i);
            }
            None => todo.push(i),
        }
    }
    let num_cached = samples.len() - todo.len();
    job.wake();
    let results = run_pool(
        &todo,
        threads,
        name,
        job,
        &|| work.start_worker(),
        &|worker, i| {
            let out = work.run(worker, i);
            work.on_result(i, &out);
            job.add_done(work.failed(&out));
            job.wake();
            out
        },
    )?;
    let num_computed = results.len();
    for (i, out) in results {
        if let (Some(c), Some(stamp)) = (cache.as_deref_mut(), stamps[i]) {
            c.store(samples[i].id.0.clone(), stamp, out.clone());
        }
        outcomes[i] = Some(out);
    }
    // The cache is written whole: what was taken out of it goes back first.
    if let Some(c) = cache.as_deref_mut()
        && num_computed > 0
    {
        for i in taken {
            if let (Some(stamp), Some(out)) = (stamps[i], &outcomes[i]) {
                c.store(samples[i].id.0.clone(), stamp, out.clone());
            }
        }
    }
    if let Some(c) = cache.as_deref()
        && num_computed > 0
        && let Err(e) = c.save()
    {
        job.note(format!(
            "results not cached, they are computed again next time: {e}"
        ));
    }
    let cancelled = job.is_cancelled() && outcomes.iter().any(Option::is_none);
    Ok(SampleResults {
        outcomes,
        num_cached,
        num_computed,
        cancelled,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::dataset::{ClassId, SampleId};

    /// Doubles the file's length; counts how often it really ran.
    struct Length {
        runs: AtomicUsize,
    }

    impl SampleWork for Length {
        type Output = Result<u64, String>;
        type Worker = ();
        type StartError = std::convert::Infallible;
        fn start_worker(&self) -> Result<(), Self::StartError> {
            Ok(())
        }
        fn run(&self, _: &mut (), _: usize) -> Self::Output {
            self.runs.fetch_add(1, Ordering::Relaxed);
            Ok(2)
        }
        fn failed(&self, out: &Self::Output) -> bool {
            out.is_err()
        }
    }

    #[test]
    fn cached_samples_are_not_computed_again_and_a_changed_file_is() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<Sample> = (0..6)
            .map(|k| {
                let path = dir.path().join(format!("{k}.bin"));
                std::fs::write(&path, [k as u8]).unwrap();
                Sample {
                    id: SampleId(format!("{k}.bin")),
                    path,
                    label: ClassId(0),
                    split: None,
                }
            })
            .collect();
        let cache_path = dir.path().join("state/len.json");
        let work = Length {
            runs: AtomicUsize::new(0),
        };
        let job = JobControl::default();
        let mut cache = StampCache::open(cache_path.clone(), 1, "lengths");
        let first = run_per_sample(&samples, &work, 2, "t", Some(&mut cache), &job).unwrap();
        assert_eq!((first.num_cached, first.num_computed), (0, 6));
        assert_eq!(job.progress().num_done, 6);
        let mut cache = StampCache::open(cache_path.clone(), 1, "lengths");
        let again = run_per_sample(&samples, &work, 2, "t", Some(&mut cache), &job).unwrap();
        assert_eq!((again.num_cached, again.num_computed), (6, 0));
        assert_eq!(work.runs.load(Ordering::Relaxed), 6);
        std::fs::write(&samples[3].path, [1, 2, 3]).unwrap();
        let mut cache = StampCache::open(cache_path.clone(), 1, "lengths");
        let third = run_per_sample(&samples, &work, 2, "t", Some(&mut cache), &job).unwrap();
        assert_eq!((third.num_cached, third.num_computed), (5, 1));
        assert!(third.outcomes.iter().all(|o| o == &Some(Ok(2))));
        // The five taken out of the cache went back before it was saved with the new one.
        let mut cache = StampCache::open(cache_path.clone(), 1, "lengths");
        assert_eq!(cache.len(), 6);
        let fourth = run_per_sample(&samples, &work, 2, "t", Some(&mut cache), &job).unwrap();
        assert_eq!((fourth.num_cached, fourth.num_computed), (6, 0));
        assert_eq!(work.runs.load(Ordering::Relaxed), 7);
        // Nothing computed, nothing saved: the results were moved out, not copied.
        assert_eq!(cache.len(), 0);
    }
}
