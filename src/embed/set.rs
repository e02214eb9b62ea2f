//! The embeddings of one dataset as a matrix: one L2-normalised row per sample that has an
//! embedding, so that a dot product is the cosine similarity.

use std::sync::{Arc, OnceLock};

use super::ann::{AnnError, AnnIndex, AnnOptions, Rows};
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
    /// Per dataset sample, its row in `data`, or `None` when it has no embedding.
    pub rows: Vec<Option<u32>>,
    /// The sample of each row.
    pub samples: Vec<u32>,
    /// Row-major, each row L2-normalised (a zero vector stays zero).
    pub data: Vec<f32>,
    /// Samples without an embedding and why (failed to decode, cancelled, odd size).
    pub missing: Vec<(usize, String)>,
    /// The HNSW graph over the rows, once built ([`EmbeddingSet::graph`]).
    pub index: IndexSlot,
}

fn normalised(values: impl Iterator<Item = f32>, dim: usize) -> Vec<f32> {
    let mut row: Vec<f32> = values.collect();
    debug_assert_eq!(row.len(), dim);
    let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        row.iter_mut().for_each(|v| *v /= norm);
    }
    row
}

impl EmbeddingSet {
    /// Builds the set from per-sample embeddings (`Err` = why a sample has none). The
    /// dimension is that of the most common length; a row of another length is listed as
    /// missing, as is one with a value that is not finite.
    pub fn from_embeddings(per_sample: &[Result<&Embedding, String>]) -> Self {
        Self::from_embeddings_impl(per_sample)
    }

    /// The set of plain vectors, one per sample (unit tests, benchmarks).
    pub fn from_rows(rows: &[Vec<f32>]) -> Self {
        let e: Vec<Embedding> = rows
            .iter()
            .map(|r| crate::embedding_store::to_embedding(r))
            .collect();
        let refs: Vec<Result<&Embedding, String>> = e.iter().map(Ok).collect();
        Self::from_embeddings_impl(&refs)
    }

    fn from_embeddings_impl(per_sample: &[Result<&Embedding, String>]) -> Self {
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
        for (i, e) in per_sample.iter().enumerate() {
            match e {
                Ok(e) if e.len() != dim || dim == 0 => set.missing.push((
                    i,
                    format!("its embedding has {} values, the others {dim}", e.len()),
                )),
                Ok(e) if e.iter().any(|v| !v.is_finite()) => set
                    .missing
                    .push((i, "its embedding holds a value that is not finite".into())),
                Ok(e) => {
                    set.rows[i] = Some(set.samples.len() as u32);
                    set.samples.push(i as u32);
                    set.data
                        .extend(normalised(e.iter().map(|v| v.to_f32()), dim));
                }
                Err(why) => set.missing.push((i, why.clone())),
            }
        }
        set
    }

    /// Builds the set from a prediction run's outcomes (kept with embeddings).
    pub fn from_outcomes(outcomes: &[Option<SampleOutcome>]) -> Self {
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
        Self::from_embeddings(&per_sample)
    }

    /// The rows of `samples` (dataset indices, ascending; those without an embedding are
    /// skipped) as a set of their own; other samples have no row.
    pub fn subset(&self, samples: &[usize]) -> Self {
        let mut out = Self {
            dim: self.dim,
            rows: vec![None; self.rows.len()],
            ..Self::default()
        };
        for &s in samples {
            if let Some(row) = self.of_sample(s) {
                out.rows[s] = Some(out.samples.len() as u32);
                out.samples.push(s as u32);
                out.data.extend_from_slice(row);
            }
        }
        out
    }

    /// The rows as the neighbour graph reads them.
    pub fn as_rows(&self) -> Rows<'_> {
        Rows {
            dim: self.dim,
            data: &self.data,
            samples: &self.samples,
        }
    }

    /// The set's HNSW graph: the one built before (by this set or a clone of it), else built
    /// now with the default settings (`job` shows progress and can cancel).
    pub fn graph(&self, job: Option<&JobControl>) -> Result<Arc<AnnIndex>, AnnError> {
        if let Some(ix) = self.index.0.get() {
            return Ok(ix.clone());
        }
        let built = Arc::new(AnnIndex::build(self.as_rows(), AnnOptions::default(), job)?);
        Ok(self.index.0.get_or_init(|| built).clone())
    }

    /// The graph if it was built.
    pub fn built_graph(&self) -> Option<&Arc<AnnIndex>> {
        self.index.0.get()
    }

    /// Builds the graph when one exact query would be slow ([`super::budget::exact_query_is_fast`]
    /// is false), so that later queries ([`super::knn::nearest`]) use it: for a background
    /// job, once the set is made. Errors are a note on `job`; exact search stays.
    pub fn prepare_queries(&self, job: &JobControl) {
        if super::budget::exact_query_is_fast(self.len(), self.dim) {
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
    pub fn row(&self, r: usize) -> &[f32] {
        self.as_rows().row(r)
    }

    /// The normalised embedding of dataset sample `sample`, if it has one.
    pub fn of_sample(&self, sample: usize) -> Option<&[f32]> {
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
                sum.iter_mut().zip(row).for_each(|(a, b)| *a += b);
                n += 1;
            }
        }
        (n > 0).then(|| normalised(sum.into_iter(), self.dim))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding_store::to_embedding;

    #[test]
    fn rows_are_normalised_and_odd_rows_are_missing() {
        let a = to_embedding(&[3.0, 4.0]);
        let b = to_embedding(&[0.0, 2.0]);
        let odd = to_embedding(&[1.0, 1.0, 1.0]);
        let nan = to_embedding(&[f32::NAN, 1.0]);
        let set = EmbeddingSet::from_embeddings(&[
            Ok(&a),
            Err("unreadable".into()),
            Ok(&odd),
            Ok(&b),
            Ok(&nan),
        ]);
        assert_eq!(set.dim, 2);
        assert_eq!(set.rows, [Some(0), None, None, Some(1), None]);
        assert_eq!(set.of_sample(0).unwrap(), [0.6, 0.8]);
        assert_eq!(set.of_sample(3).unwrap(), [0.0, 1.0]);
        let why: Vec<_> = set.missing.iter().map(|(i, _)| *i).collect();
        assert_eq!(why, [1, 2, 4]);
        assert!(set.missing[1].1.contains("3 values, the others 2"));
        let c = set.centroid(&[0, 1, 3]).unwrap();
        let expected = [0.6 / 1.8f32.hypot(0.6), 1.8 / 1.8f32.hypot(0.6)];
        assert!((c[0] - expected[0]).abs() < 1e-6 && (c[1] - expected[1]).abs() < 1e-6);
    }
}
