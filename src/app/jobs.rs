//! Every piece of work the window runs off the UI thread, in one registry keyed by [`JobKind`]:
//! one place starts a job ([`Jobs::start`]), one drain collects what finished
//! ([`Jobs::finished`], called once per frame), one match applies it (`LabelscopeApp::finish`),
//! one command cancels it ([`crate::app::AppCommand::Cancel`]) and one widget shows its
//! progress. Adding a job is a [`JobKind`] variant, a [`Finished`] variant and the function that
//! applies it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::background::BackgroundJob;
use crate::jobs::{JobControl, JobError};

/// A kind of background work; at most one of each runs at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// The main model or VLM run (results stream into the gallery).
    Predict,
    /// The image checks (unreadable, odd, duplicates, text) when a dataset opens.
    Scan,
    /// The embedding analysis: neighbours, outliers, near copies, the review queue.
    Analysis,
    /// A separate embedding model's run.
    Embedder,
    /// The map (PCA, then UMAP).
    Map,
    /// A model run to compare with the main one.
    Compare,
    /// Training a head.
    Train,
    /// Writing an export.
    Export,
    /// Decoding the detail view's image.
    Detail,
    /// Reading device logs and judging them window by window.
    Monitor,
    /// The labelling batch's hints: the model's top labels, the nearest labelled samples.
    Hints,
    /// Decoding the labelling batch's shown image.
    BatchImage,
    /// Fitting a temperature to the main predictions.
    Calibrate,
}

impl JobKind {
    /// What the job does, for progress lines and notices.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Predict => "the model run",
            Self::Scan => "the image checks",
            Self::Analysis => "the embedding analysis",
            Self::Embedder => "the embedding model",
            Self::Map => "making the map",
            Self::Compare => "adding to the comparison",
            Self::Train => "training",
            Self::Export => "the export",
            Self::Detail => "loading the image",
            Self::Monitor => "reading the device logs",
            Self::Hints => "reading the batch's images",
            Self::BatchImage => "loading the image",
            Self::Calibrate => "calibrating",
        }
    }

    /// Whether the job loads what is on screen (the detail view's or the labelling batch's
    /// image): it keeps the window's priority, since the layout waits for it; every other
    /// job runs below the frames (see `jobs::priority`).
    pub fn loads_what_is_shown(self) -> bool {
        matches!(self, Self::Detail | Self::BatchImage)
    }
}

/// What a finished job hands back: one variant per kind. The payloads are core types or
/// defined here, so this module names no other module of the window (whose jobs all name it).
pub enum Finished {
    /// The main run ended (its results streamed in already).
    Predict(Result<PredictDone, JobError>),
    /// The image checks.
    Scan(Result<crate::problems::Problems, JobError>),
    /// The embedding analysis.
    Analysis(Result<crate::problems::EmbeddingAnalysis, JobError>),
    /// The separate embedding model's set, or why there is none.
    Embedder(Gathered),
    /// A map of the embedding set with this id.
    Map(u64, Result<crate::embed::project::Map, JobError>),
    /// Models (or one model at lowered resolutions) added to the comparison.
    Compare(Result<Vec<CompareDone>, JobError>),
    /// A trained head.
    Train(Result<TrainDone, JobError>),
    /// The export's summary, or why it failed.
    Export(Result<String, String>),
    /// The detail view's image of sample `.0`.
    Detail(usize, Result<DetailImage, String>),
    /// Device logs, window by window.
    Monitor(Result<MonitorDone, String>),
    /// The hints of the labelling batch of these images.
    Hints(
        Vec<std::path::PathBuf>,
        Result<Vec<crate::select::labelling::Hints>, String>,
    ),
    /// The labelling batch's image of this file.
    BatchImage(std::path::PathBuf, Result<egui::ColorImage, String>),
    /// A temperature fitted to the main predictions.
    Calibrate(Result<crate::workspace::CalibrationOutcome, String>),
}

/// Device logs judged against the dataset, window by window.
#[derive(Clone, Debug)]
pub struct MonitorDone {
    /// What the logs were compared with.
    pub reference: crate::monitor::Reference,
    /// Every window, in time order.
    pub windows: Vec<crate::monitor::WindowReport>,
    /// The rows skipped (each names its file and line).
    pub skipped: Vec<String>,
    /// Rows read.
    pub rows: usize,
    /// The log files.
    pub files: Vec<std::path::PathBuf>,
    /// Per window, the dataset samples its rows' images are (sorted; empty when the log keeps
    /// no paths or they are not this dataset's images).
    pub samples: Vec<Vec<usize>>,
    /// Per window, how novel each of `samples` is (distance to the reference in the embedding
    /// test's projection; higher is further); empty without the embedding test.
    pub novelty: Vec<Vec<f32>>,
    /// Per window, each of `samples`' lowest logged confidence.
    pub confidence: Vec<Vec<Option<f32>>>,
    /// Per window, the logged image files that are not samples of the dataset (each once, with
    /// what the log says of it), to label and add by reference.
    pub outside: Vec<Vec<crate::select::labelling::Selected>>,
    /// Why there is no embedding test, when there is none.
    pub embedding_note: Option<String>,
}

/// A run's embeddings as one set, or why there are none.
pub type Gathered = Result<crate::embed::EmbeddingSet, crate::workspace::NoEmbeddings>;

/// How the main prediction job ended.
pub enum PredictDone {
    /// An ONNX model ran (its results streamed in): the report, a backend hint and the
    /// embeddings read in the same pass (gathered on the job's thread).
    Model(crate::model::PredictReport, String, Gathered),
    /// A VLM endpoint answered: the complete set and the endpoint's description.
    Set(crate::eval::PredictionSet, String),
}

/// A model run to compare with the main one.
pub struct CompareDone {
    /// Its predictions.
    pub set: crate::eval::PredictionSet,
    /// The runtime that ran it.
    pub source: String,
    /// Its file size and session memory.
    pub footprint: Option<crate::model::footprint::Footprint>,
    /// Worker threads of the run.
    pub threads: usize,
    /// The main model's size and memory, measured in the same job the first time.
    pub main_footprint: Option<crate::model::footprint::Footprint>,
}

/// A finished training and what it needs to be written.
pub struct TrainDone {
    /// The table, the heads and the split.
    pub outcome: crate::head::run::TrainOutcome,
    /// The model it was trained on.
    pub model: Arc<crate::model::LoadedModel>,
    /// The embedding value the head reads.
    pub value: String,
    /// The request.
    pub req: crate::head::run::TrainRequest,
}

/// The detail view's image, decoded off the UI thread: the file's pixels, what the model
/// sees, and a line about the file.
pub struct DetailImage {
    /// The pixels as decoded.
    pub full: egui::ColorImage,
    /// The model's input after resize, crop and colour conversion.
    pub seen: Option<egui::ColorImage>,
    /// Size, colour mode and EXIF orientation.
    pub info: String,
}

/// A job that finished, with what it said on the way.
pub struct Done {
    /// Its kind.
    pub kind: JobKind,
    /// What it handed back.
    pub result: Finished,
    /// Whether it was asked to stop.
    pub cancelled: bool,
    /// Notes it left (skipped caches, ...).
    pub notes: Vec<String>,
}

/// The running jobs.
pub struct Jobs {
    running: BTreeMap<JobKind, BackgroundJob<Finished>>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl Default for Jobs {
    fn default() -> Self {
        Self::new(Arc::new(|| {}))
    }
}

impl Jobs {
    /// A registry whose jobs call `wake` (a repaint request) when they report.
    pub fn new(wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self {
            running: BTreeMap::new(),
            wake,
        }
    }

    /// Runs `work` on a thread of its own as the job of `kind`, cancelling one of that kind
    /// still running (its result is dropped). The error says why the thread did not start.
    pub fn start(
        &mut self,
        kind: JobKind,
        work: impl FnOnce(&JobControl) -> Finished + Send + 'static,
    ) -> Result<(), String> {
        self.cancel(kind);
        let name = format!("{kind:?}-job").to_lowercase();
        // The frames come first: the job (and the threads it starts) yield to the UI thread,
        // unless it loads what is shown.
        let lower = !kind.loads_what_is_shown();
        let work = move |job: &JobControl| {
            if lower {
                crate::jobs::priority::lower_this_thread();
            }
            work(job)
        };
        match BackgroundJob::spawn(&name, self.wake.clone(), work) {
            Ok(job) => {
                self.running.insert(kind, job);
                Ok(())
            }
            Err(e) => Err(format!("cannot start {}: {e}", kind.describe())),
        }
    }

    /// What the jobs call to ask for a repaint (for work the window runs apart that is not a
    /// job of its own).
    pub fn wake(&self) -> Arc<dyn Fn() + Send + Sync> {
        self.wake.clone()
    }

    /// Asks the job of `kind` to stop; its result still arrives (marked cancelled).
    pub fn cancel(&self, kind: JobKind) {
        if let Some(job) = self.running.get(&kind) {
            job.control.cancel();
        }
    }

    /// Asks every job to stop and forgets them (a new dataset opens: nothing of the old one
    /// may land on it).
    pub fn cancel_all(&mut self) {
        for job in self.running.values() {
            job.control.cancel();
        }
        self.running.clear();
    }

    /// Whether a job of `kind` runs.
    pub fn is_running(&self, kind: JobKind) -> bool {
        self.running.contains_key(&kind)
    }

    /// Whether any job runs.
    pub fn any_running(&self) -> bool {
        !self.running.is_empty()
    }

    /// The progress and cancel flag of the job of `kind`, while it runs.
    pub fn control(&self, kind: JobKind) -> Option<&JobControl> {
        self.running.get(&kind).map(|j| &j.control)
    }

    /// The jobs that finished since the last call, except those `hold` keeps back (the main
    /// run while its streamed results are not all shown).
    pub fn finished(&mut self, hold: impl Fn(JobKind) -> bool) -> Vec<Done> {
        let mut out = Vec::new();
        let kinds: Vec<JobKind> = self.running.keys().copied().collect();
        for kind in kinds {
            if hold(kind) {
                continue;
            }
            let Some(result) = self.running.get(&kind).and_then(BackgroundJob::poll) else {
                continue;
            };
            if let Some(job) = self.running.remove(&kind) {
                out.push(Done {
                    kind,
                    result,
                    cancelled: job.control.is_cancelled(),
                    notes: job.control.take_notes(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(jobs: &mut Jobs) -> Vec<Done> {
        for _ in 0..500 {
            let done = jobs.finished(|_| false);
            if !done.is_empty() {
                return done;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("no job finished");
    }

    #[test]
    fn a_job_finishes_once_and_a_cancelled_one_says_so() {
        let mut jobs = Jobs::default();
        jobs.start(JobKind::Export, |_| Finished::Export(Ok("done".into())))
            .unwrap();
        assert!(jobs.is_running(JobKind::Export));
        let done = wait(&mut jobs);
        assert_eq!(done.len(), 1);
        assert!(matches!(&done[0].result, Finished::Export(Ok(s)) if s == "done"));
        assert!(!done[0].cancelled);
        assert!(!jobs.is_running(JobKind::Export));
        assert!(jobs.finished(|_| false).is_empty(), "collected once");

        let (tx, rx) = crossbeam_channel::bounded::<()>(1);
        jobs.start(JobKind::Export, move |job| {
            let _ = rx.recv();
            Finished::Export(if job.is_cancelled() {
                Err("stopped".into())
            } else {
                Ok("ran".into())
            })
        })
        .unwrap();
        jobs.cancel(JobKind::Export);
        tx.send(()).unwrap();
        let done = wait(&mut jobs);
        assert!(done[0].cancelled);
        assert!(matches!(&done[0].result, Finished::Export(Err(_))));
    }

    #[test]
    fn a_held_job_waits_and_cancel_all_forgets_everything() {
        let mut jobs = Jobs::default();
        jobs.start(JobKind::Predict, |_| Finished::Export(Ok(String::new())))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(jobs.finished(|k| k == JobKind::Predict).is_empty());
        assert!(jobs.is_running(JobKind::Predict));
        jobs.cancel_all();
        assert!(!jobs.any_running());
    }
}
