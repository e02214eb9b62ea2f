//! The images a device log names, embedded with the monitored model for the embedding drift
//! test: each distinct path once, read where it lies, nothing cached and nothing written.

use std::collections::HashMap;
use std::path::PathBuf;

use ndarray::Array2;

use super::LogRow;
use crate::dataset::Dataset;
use crate::embed::EmbeddingSet;
use crate::jobs::JobControl;
use crate::model::{LoadedModel, PredictError, PredictOptions, ResolvedBackend, predict_dataset};

/// The log's images as an unlabelled dataset (each distinct path once, in first-seen order;
/// paths that are not files are left out) and, per log row, its sample.
pub fn log_images(rows: &[LogRow], classes: &[String]) -> (Dataset, Vec<Option<usize>>) {
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    let mut paths = Vec::new();
    let of_row = rows
        .iter()
        .map(|r| {
            let path = r.path.as_ref()?;
            if let Some(&i) = index.get(path) {
                return Some(i);
            }
            if !path.is_file() && !crate::dataset::embedded::is_embedded(path) {
                return None;
            }
            let i = paths.len();
            paths.push(path.clone());
            index.insert(path.clone(), i);
            Some(i)
        })
        .collect();
    (Dataset::unlabelled(paths, classes), of_row)
}

/// The embeddings of a log's images, and which row is which.
#[derive(Clone, Debug)]
pub struct LogEmbeddings {
    /// One row per image that gave an embedding.
    pub set: EmbeddingSet,
    /// Per log row, its image's sample in `set` (`None`: no path, not a file, or failed).
    pub of_row: Vec<Option<usize>>,
    /// Distinct images read.
    pub images: usize,
    /// Images that failed, with why.
    pub failed: Vec<String>,
}

impl LogEmbeddings {
    /// The embeddings of `rows` (indices into the log's rows) that have one, as a matrix.
    pub fn matrix(&self, rows: &[usize]) -> Array2<f32> {
        let picked: Vec<std::borrow::Cow<[f32]>> = rows
            .iter()
            .filter_map(|&r| self.set.of_sample(self.of_row.get(r).copied().flatten()?))
            .collect();
        let mut m = Array2::zeros((picked.len(), self.set.dim));
        for (mut out, row) in m.rows_mut().into_iter().zip(picked) {
            out.iter_mut().zip(row.iter()).for_each(|(o, v)| *o = *v);
        }
        m
    }
}

/// Runs `model` over the images `rows` name, keeping only the embeddings (no cache: nothing is
/// written beside the log or the images).
pub fn embed_log_images(
    rows: &[LogRow],
    classes: &[String],
    model: &LoadedModel,
    backend: &ResolvedBackend,
    job: &JobControl,
) -> Result<LogEmbeddings, PredictError> {
    let (ds, of_row) = log_images(rows, classes);
    let opts = PredictOptions {
        use_cache: false,
        embeddings: true,
        ..PredictOptions::default()
    };
    let report = predict_dataset(&ds, model, backend, &opts, None, job, None)?;
    let set = EmbeddingSet::from_outcomes(&report.outcomes);
    let failed = set
        .missing
        .iter()
        .map(|(i, why)| format!("{}: {why}", ds.samples[*i].path.display()))
        .collect();
    Ok(LogEmbeddings {
        set,
        of_row,
        images: ds.samples.len(),
        failed,
    })
}

/// The embedding side of monitoring, ready for every window.
#[derive(Clone, Debug)]
pub struct EmbeddingSide {
    /// The reference's fitted test.
    pub reference: super::EmbeddingReference,
    /// The log's images' embeddings.
    pub log: LogEmbeddings,
}

impl EmbeddingSide {
    /// The borrowed form [`super::monitor`] takes.
    pub fn view(&self) -> super::Embeddings<'_> {
        super::Embeddings {
            reference: &self.reference,
            log: &self.log,
        }
    }
}

/// Why a monitor run has no embedding test.
#[derive(Debug, thiserror::Error)]
pub enum NoEmbeddingTest {
    /// The reference has too few embeddings.
    #[error("the reference has {0} embeddings; the embedding test needs at least 20")]
    FewReference(usize),
    /// The model could not be run on the log's images.
    #[error("embedding the log's images: {0}")]
    Run(#[from] PredictError),
}

/// Fits the embedding test on the reference's embeddings `reference` and embeds the images
/// `rows` name with `model` (the model whose embeddings `reference` holds).
pub fn embedding_side(
    reference: &EmbeddingSet,
    rows: &[LogRow],
    classes: &[String],
    model: &LoadedModel,
    backend: &ResolvedBackend,
    job: &JobControl,
) -> Result<EmbeddingSide, NoEmbeddingTest> {
    let matrix = reference.matrix();
    let fitted = super::EmbeddingReference::fit(matrix.view(), &super::DriftOptions::default())
        .ok_or(NoEmbeddingTest::FewReference(reference.len()))?;
    let log = embed_log_images(rows, classes, model, backend, job)?;
    Ok(EmbeddingSide {
        reference: fitted,
        log,
    })
}
