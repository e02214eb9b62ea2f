//! The embeddings of one dataset as a matrix: one L2-normalised row per sample that has an
//! embedding, so that a dot product is the cosine similarity.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use ndarray::{Array2, ArrayView2, CowArray, Ix2};

use super::ann::{AnnError, AnnIndex, AnnOptions, Rows};
use super::matrix::{DiskWriter, Matrix, Spill};
use crate::embedding_store::Embedding;
use crate::jobs::JobControl;
use crate::model::SampleOutcome;

/// A set's HNSW graph, built once by whoever first needs it and shared by every clone of the
/// set (a set's rows never change after it is made; [`EmbeddingSet::subset`] starts empty).
#[derive(Clone, Default)]
pub struct IndexSlot(Arc<OnceLock<Arc<AnnIndex>>>);

impl std::fmt::Debug for IndexSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.get() {
            Some(ix) => write!(f, "IndexSlot({} rows)", ix.len()),
            None => f.write_str("IndexSlot(empty)"),
        }
    }
}

/// The embeddings of a dataset's samples.
#[derive(Clone, Debug, Default)]
pub struct EmbeddingSet {
    /// Values per row.
    pub dim: usize,
    /// Per dataset sample, its row, or `None` when it has no embedding.
    pub rows: Vec<Option<u32>>,
    /// The sample of each row.
    pub samples: Vec<u32>,
    /// The rows, each L2-normalised (a zero vector stays zero): in memory, or on disk past
    /// the [`Spill`] the set was built with.
    matrix: Matrix,
    /// Samples without an embedding and why (failed to decode, cancelled, odd size).
    pub missing: Vec<(usize, String)>,
    /// The HNSW graph over the rows, once built ([`EmbeddingSet::graph`]).
    pub index: IndexSlot,
}

/// The L2 norm of a row, summed in f32 in order (what [`normalised`] and the rows on disk
/// divide by).
fn norm_of(row: &[f32]) -> f32 {
    row.iter().map(|v| v * v).sum::<f32>().sqrt()
}

fn normalised(values: impl Iterator<Item = f32>, dim: usize) -> Vec<f32> {
    let mut row: Vec<f32> = values.collect();
    debug_assert_eq!(row.len(), dim);
    let norm = norm_of(&row);
    if norm > 0.0 {
        row.iter_mut().for_each(|v| *v /= norm);
    }
    row
}

/// How a sample's embedding enters a set.
enum Entry<'a> {
    Row(&'a Embedding),
    Missing(String),
}

impl EmbeddingSet {
    /// Builds the set from per-sample embeddings (`Err` = why a sample has none). The
    /// dimension is that of the most common length; a row of another length is listed as
    /// missing, as is one with a value that is not finite.
    pub fn from_embeddings(per_sample: &[Result<&Embedding, String>]) -> Self {
        Self::from_embeddings_in(per_sample, None)
    }

    /// [`EmbeddingSet::from_embeddings`], the rows on disk when `spill` applies to them (if
    /// the file cannot be made, they stay in memory).
    pub fn from_embeddings_in(
        per_sample: &[Result<&Embedding, String>],
        spill: Option<&Spill>,
    ) -> Self {
        Self::from_embeddings_impl(per_sample, spill)
    }

    /// The set of plain vectors, one per sample (unit tests, benchmarks).
    pub fn from_rows(rows: &[Vec<f32>]) -> Self {
        Self::from_rows_in(rows, None)
    }

    /// [`EmbeddingSet::from_rows`] with a [`Spill`] (tests and benchmarks of rows on disk).
    pub fn from_rows_in(rows: &[Vec<f32>], spill: Option<&Spill>) -> Self {
        let e: Vec<Embedding> = rows
            .iter()
            .map(|r| crate::embedding_store::to_embedding(r))
            .collect();
        let refs: Vec<Result<&Embedding, String>> = e.iter().map(Ok).collect();
        Self::from_embeddings_impl(&refs, spill)
    }

    fn from_embeddings_impl(
        per_sample: &[Result<&Embedding, String>],
        spill: Option<&Spill>,
    ) -> Self {
        let mut lengths = std::collections::HashMap::<usize, usize>::new();
        for e in per_sample.iter().flatten() {
            *lengths.entry(e.len()).or_default() += 1;
        }
        let dim = lengths
            .into_iter()
            .max_by_key(|&(len, n)| (n, len))
            .map_or(0, |(len, _)| len);
        let mut set = Self {
            dim,
            rows: vec![None; per_sample.len()],
            ..Self::default()
        };
        let entries: Vec<Entry> = per_sample
            .iter()
            .map(|e| match e {
                Ok(e) if e.len() != dim || dim == 0 => Entry::Missing(format!(
                    "its embedding has {} values, the others {dim}",
                    e.len()
                )),
                Ok(e) if e.iter().any(|v| !v.is_finite()) => {
                    Entry::Missing("its embedding holds a value that is not finite".into())
                }
                Ok(e) => Entry::Row(e),
                Err(why) => Entry::Missing(why.clone()),
            })
            .collect();
        for (i, e) in entries.iter().enumerate() {
            match e {
                Entry::Row(_) => {
                    set.rows[i] = Some(set.samples.len() as u32);
                    set.samples.push(i as u32);
                }
                Entry::Missing(why) => set.missing.push((i, why.clone())),
            }
        }
        let rows = entries.iter().filter_map(|e| match e {
            Entry::Row(e) => Some(*e),
            Entry::Missing(_) => None,
        });
        set.matrix = match spill.filter(|s| s.applies(set.samples.len(), dim)) {
            Some(spill) => match Self::write_rows(&spill.dir, dim, rows.clone()) {
                Ok(m) => m,
                Err(_) => Self::memory_rows(dim, rows),
            },
            None => Self::memory_rows(dim, rows),
        };
        set
    }

    fn memory_rows<'a>(dim: usize, rows: impl Iterator<Item = &'a Embedding>) -> Matrix {
        let mut data = Vec::new();
        for e in rows {
            data.extend(normalised(e.iter().map(|v| v.to_f32()), dim));
        }
        Matrix::Memory(data)
    }

    fn write_rows<'a>(
        dir: &std::path::Path,
        dim: usize,
        rows: impl Iterator<Item = &'a Embedding>,
    ) -> std::io::Result<Matrix> {
        let mut w = DiskWriter::new(dir, dim)?;
        let mut values = Vec::with_capacity(dim);
        for e in rows {
            values.clear();
            values.extend(e.iter().map(|v| v.to_f32()));
            w.push(e, norm_of(&values))?;
        }
        Ok(Matrix::Disk(Arc::new(w.finish()?)))
    }

    /// Builds the set from a prediction run's outcomes (kept with embeddings).
    pub fn from_outcomes(outcomes: &[Option<SampleOutcome>]) -> Self {
        Self::from_outcomes_in(outcomes, None)
    }

    /// [`EmbeddingSet::from_outcomes`], the rows on disk when `spill` applies to them.
    pub fn from_outcomes_in(outcomes: &[Option<SampleOutcome>], spill: Option<&Spill>) -> Self {
        let per_sample: Vec<Result<&Embedding, String>> = outcomes
            .iter()
            .map(|o| match o {
                Some(SampleOutcome::Predicted(p)) => p
                    .embedding
                    .as_ref()
                    .ok_or_else(|| "the model gave no embedding".to_string()),
                Some(SampleOutcome::Failed(e) | SampleOutcome::WrongModel(e)) => Err(e.clone()),
                None => Err("not computed (the run was cancelled)".into()),
            })
            .collect();
        Self::from_embeddings_in(&per_sample, spill)
    }

    /// The rows of `samples` (dataset indices, ascending; those without an embedding are
    /// skipped) as a set of their own; other samples have no row. A set on disk gives a
    /// subset on disk (in memory if its file cannot be made).
    pub fn subset(&self, samples: &[usize]) -> Self {
        let mut out = Self {
            dim: self.dim,
            rows: vec![None; self.rows.len()],
            ..Self::default()
        };
        let mut picked = Vec::new();
        for &s in samples {
            if let Some(r) = self.rows.get(s).copied().flatten() {
                out.rows[s] = Some(out.samples.len() as u32);
                out.samples.push(s as u32);
                picked.push(r as usize);
            }
        }
        out.matrix = match &self.matrix {
            Matrix::Disk(d) => match d.select(&picked) {
                Ok(sub) => Matrix::Disk(Arc::new(sub)),
                Err(_) => Matrix::Memory(self.select_rows(&picked).into_raw_vec_and_offset().0),
            },
            Matrix::Memory(data) => {
                let mut sub = Vec::with_capacity(picked.len() * self.dim);
                for &r in &picked {
                    sub.extend_from_slice(&data[r * self.dim..(r + 1) * self.dim]);
                }
                Matrix::Memory(sub)
            }
        };
        out
    }

    /// The rows as the neighbour graph reads them.
    pub fn as_rows(&self) -> Rows<'_> {
        Rows {
            dim: self.dim,
            matrix: &self.matrix,
            samples: &self.samples,
        }
    }

    /// Whether the rows are on disk (see [`Spill`]).
    pub fn on_disk(&self) -> bool {
        self.matrix.on_disk()
    }

    /// The first read of the rows from disk that failed, if any: a result computed from the
    /// set since then is wrong and must not be shown as an answer.
    pub fn read_error(&self) -> Option<&str> {
        self.matrix.read_error()
    }

    /// Loses every row on disk after the first `rows` (tests of a failed read).
    #[cfg(test)]
    pub(crate) fn lose_rows_after(&self, rows: usize) {
        if let super::matrix::Matrix::Disk(d) = &self.matrix {
            d.lose_rows_after(rows);
        }
    }

    /// Rows `lo..hi`, row-major: borrowed when in memory, read when on disk.
    pub fn block(&self, lo: usize, hi: usize) -> Cow<'_, [f32]> {
        self.matrix.block(self.dim, lo, hi)
    }

    /// Every row as a matrix (rows x dim): a view when in memory, read whole when on disk
    /// (for the steps that only run on sets small enough to hold).
    pub fn matrix(&self) -> CowArray<'_, f32, Ix2> {
        match self.block(0, self.len()) {
            Cow::Borrowed(data) => ArrayView2::from_shape((self.len(), self.dim), data)
                .expect("rows x dim values")
                .into(),
            Cow::Owned(data) => Array2::from_shape_vec((self.len(), self.dim), data)
                .expect("rows x dim values")
                .into(),
        }
    }

    /// Rows `rows` (in that order) as a matrix.
    pub fn select_rows(&self, rows: &[usize]) -> Array2<f32> {
        let mut out = Array2::<f32>::zeros((rows.len(), self.dim));
        for (mut o, &r) in out.rows_mut().into_iter().zip(rows) {
            o.assign(&ndarray::ArrayView1::from(&*self.row(r)));
        }
        out
    }

    /// The set's HNSW graph: the one built before (by this set or a clone of it), else built
    /// now with the default settings (`job` shows progress and can cancel).
    pub fn graph(&self, job: Option<&JobControl>) -> Result<Arc<AnnIndex>, AnnError> {
        if let Some(ix) = self.index.0.get() {
            return Ok(ix.clone());
        }
        let mut built = AnnIndex::build(self.as_rows(), AnnOptions::default(), job)?;
        if let Matrix::Disk(d) = &self.matrix {
            // The rows are out of core, so is their graph.
            built = built.out_of_core(d.dir());
        }
        let built = Arc::new(built);
        Ok(self.index.0.get_or_init(|| built).clone())
    }

    /// The graph if it was built.
    pub fn built_graph(&self) -> Option<&Arc<AnnIndex>> {
        self.index.0.get()
    }

    /// Builds the graph when one exact query would be slow
    /// ([`super::budget::exact_query_is_fast_in`] is false), so that later queries ([`super::knn::nearest`]) use it: for a background
    /// job, once the set is made. Errors are a note on `job`; exact search stays.
    pub fn prepare_queries(&self, job: &JobControl) {
        if super::budget::exact_query_is_fast_in(self.len(), self.dim, self.on_disk()) {
            return;
        }
        if let Err(e) = self.graph(Some(job))
            && !matches!(e, AnnError::Cancelled)
        {
            job.note(format!("{e}; finding similar images searches exactly"));
        }
    }

    /// Number of samples with an embedding.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no sample has an embedding.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Row `r` (normalised).
    pub fn row(&self, r: usize) -> Cow<'_, [f32]> {
        self.as_rows().row(r)
    }

    /// The normalised embedding of dataset sample `sample`, if it has one.
    pub fn of_sample(&self, sample: usize) -> Option<Cow<'_, [f32]>> {
        let r = (*self.rows.get(sample)?)? as usize;
        Some(self.row(r))
    }

    /// The normalised mean of the embeddings of `samples` (those that have one): a query for
    /// "similar to these". `None` when none has an embedding.
    pub fn centroid(&self, samples: &[usize]) -> Option<Vec<f32>> {
        let mut sum = vec![0f32; self.dim];
        let mut n = 0;
        for &s in samples {
            if let Some(row) = self.of_sample(s) {
                sum.iter_mut().zip(row.iter()).for_each(|(a, b)| *a += b);
                n += 1;
            }
        }
        (n > 0).then(|| normalised(sum.into_iter(), self.dim))
    }
}
