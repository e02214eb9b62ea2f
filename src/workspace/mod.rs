//! One opened dataset and the verbs both front ends need: its state folder (resolved once, on
//! first need), its edits, model and VLM runs with their caches, and the problem stages. The
//! CLI's commands and the window's session are thin callers of a [`Workspace`]; nothing else
//! opens a prediction cache or asks where the state folder is.
//!
//! A verb that runs long takes a [`JobControl`] (progress, cancel) and, where results can
//! stream, a callback; the caller decides on which thread it runs.

mod calibrate;
mod runs;

use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use calibrate::{CalibrationError, CalibrationOutcome, VALIDATION_SPLITS};
pub use runs::{ModelRun, NoEmbeddings};

use crate::curation::{CurationError, CurationState, Curator};
use crate::dataset::{ClassId, Dataset, OpenError, OpenOptions};
use crate::jobs::{JobControl, JobError};
use crate::problems::{AnalysisInputs, EmbeddingAnalysis, ProblemInputs, ProblemOptions, Problems};
use crate::state::StateDirError;

/// An opened dataset with its state folder and the verbs over it. Cheap to clone: a job takes a
/// clone to its thread.
#[derive(Clone)]
pub struct Workspace {
    /// The dataset as opened (never changes: opening another makes another workspace).
    pub dataset: Arc<Dataset>,
    state: Arc<OnceLock<Result<std::path::PathBuf, StateDirError>>>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("dataset", &self.dataset.source)
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// Opens the dataset at `path`, with the images its edits added from outside.
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<Self, OpenError> {
        crate::curation::open_dataset(path, opts).map(Self::new)
    }

    /// A workspace on a dataset already opened.
    pub fn new(dataset: Dataset) -> Self {
        Self::shared(Arc::new(dataset))
    }

    /// A workspace whose state folder is `dir` (created now), or that keeps none (`None`:
    /// caches off, embeddings in memory), instead of one beside the dataset's files.
    pub fn with_state_dir(dataset: Dataset, dir: Option<std::path::PathBuf>) -> Self {
        let state = match dir {
            Some(dir) => std::fs::create_dir_all(&dir)
                .map(|()| dir.clone())
                .map_err(|source| StateDirError::Create { path: dir, source }),
            None => Err(StateDirError::Off),
        };
        Self {
            dataset: Arc::new(dataset),
            state: Arc::new(OnceLock::from(state)),
        }
    }

    /// A workspace on a shared dataset.
    pub fn shared(dataset: Arc<Dataset>) -> Self {
        Self {
            dataset,
            state: Arc::new(OnceLock::new()),
        }
    }

    /// The state folder (caches, the edit journal, the session log), created on first need:
    /// `.labelscope/` in the dataset's folder when it is writable, else the user's data folder.
    pub fn state(&self) -> Result<&Path, &StateDirError> {
        self.state
            .get_or_init(|| crate::state::state_dir(&self.dataset.root))
            .as_ref()
            .map(std::path::PathBuf::as_path)
    }

    /// The state folder, or `None` when there can be none (caches are then skipped).
    pub fn state_dir(&self) -> Option<&Path> {
        self.state().ok()
    }

    /// The current edits, read without the lock and without creating anything (read-only
    /// commands); warnings name torn journal lines and edits that no longer apply.
    pub fn read_edits(&self) -> Result<(CurationState, Vec<String>), CurationError> {
        crate::curation::read_edits(&self.dataset)
    }

    /// The edits as the journal has them without taking the lock (a window on a dataset
    /// another labelscope is editing).
    pub fn read_edits_unlocked(&self) -> Result<(CurationState, Vec<String>), CurationError> {
        Curator::read_only(&self.dataset, self.state_dir_or_io()?)
    }

    /// Opens the edit journal for writing (taking the lock) and replays it.
    pub fn curator(&self) -> Result<(Curator, Vec<String>), CurationError> {
        Curator::open(&self.dataset, self.state_dir_or_io()?)
    }

    fn state_dir_or_io(&self) -> Result<&Path, CurationError> {
        self.state().map_err(|e| CurationError::Io {
            what: "no state folder",
            source: std::io::Error::other(e.to_string()),
            path: self.dataset.root.clone(),
        })
    }

    /// Every problem of the kinds `opts` asks for (the CLI's `issues`), caches in the state
    /// folder.
    pub fn find_problems(
        &self,
        inputs: ProblemInputs,
        opts: &ProblemOptions,
        control: &JobControl,
    ) -> Result<Problems, JobError> {
        crate::problems::find_problems(&self.dataset, inputs, opts, self.state_dir(), control)
    }

    /// Gathers the image facts of this dataset's samples (one shard's, for `issues --shard`)
    /// into `part`, for a run over every part to read as if cached (`ProblemOptions::facts_parts`).
    pub fn write_facts_part(
        &self,
        part: &Path,
        control: &JobControl,
    ) -> Result<usize, crate::stamp_cache::CacheError> {
        control.begin_stage("reading images", self.dataset.samples.len());
        crate::problems::write_facts_part(&self.dataset, self.state_dir(), part, control)
    }

    /// The image checks of `opts.kinds` (the window runs them when a dataset opens).
    pub fn image_checks(
        &self,
        opts: &ProblemOptions,
        control: &JobControl,
    ) -> Result<Problems, JobError> {
        crate::problems::image_checks(&self.dataset, opts, self.state_dir(), control)
    }

    /// The embedding stage: neighbours, outliers, near copies and label quality.
    pub fn analyse_embeddings(
        &self,
        inputs: AnalysisInputs,
        opts: &ProblemOptions,
        control: &JobControl,
    ) -> Result<EmbeddingAnalysis, JobError> {
        crate::problems::analyse_embeddings(&self.dataset, inputs, opts, control)
    }

    /// Checks the images, groups duplicates, plans the split and writes the export (see
    /// [`crate::export::run_export`]); the state folder is made only once the target passes.
    pub fn export(
        &self,
        edits: &CurationState,
        preds: Option<&crate::eval::PredictionSet>,
        plan: &crate::export::PlanOptions,
        opts: &crate::export::ExportOptions,
        near_distance: Option<u32>,
        control: &JobControl,
    ) -> Result<(crate::export::ExportPlan, crate::export::ExportSummary), crate::export::ExportError>
    {
        crate::export::run_export(
            &self.dataset,
            || self.state_dir(),
            edits,
            preds,
            plan,
            opts,
            near_distance,
            control,
        )
    }

    /// Label quality from the model's probabilities alone (no embeddings yet).
    pub fn label_issues(
        &self,
        truth: &[Option<ClassId>],
        preds: &crate::eval::PredictionSet,
        opts: &ProblemOptions,
        control: &JobControl,
    ) -> Result<crate::label_quality::LabelQuality, JobError> {
        crate::problems::label_issues(&self.dataset, truth, preds, opts, control)
    }

    /// Each sample's label as the dataset gives it (no edits).
    pub fn original_labels(&self) -> Vec<Option<ClassId>> {
        self.dataset.samples.iter().map(|s| Some(s.label)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_folder_is_made_once_and_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        for c in ["a", "b"] {
            let p = dir.path().join(c).join("x.png");
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            image::RgbImage::from_pixel(4, 4, image::Rgb([1, 2, 3]))
                .save(&p)
                .unwrap();
        }
        let ws = Workspace::open(dir.path(), &OpenOptions::default()).unwrap();
        let local = dir.path().join(crate::state::STATE_DIR_NAME);
        assert!(!local.exists(), "opening writes nothing");
        assert!(ws.read_edits().unwrap().0.samples().is_empty());
        assert!(!local.exists(), "reading edits writes nothing");
        let first = ws.state_dir().unwrap().to_path_buf();
        assert_eq!(first, local);
        let clone = ws.clone();
        assert_eq!(
            clone.state_dir(),
            Some(first.as_path()),
            "resolved once, shared"
        );
    }
}
