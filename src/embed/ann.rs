//! Approximate nearest neighbours, for sets where exact search stops paying: an HNSW graph from
//! the `usearch` crate (built without its optional SIMD library), over the set's normalised rows
//! by cosine distance. Candidates come from the graph; their distances are then recomputed
//! from the set's own rows, so every distance reported is exact and only membership is
//! approximate. `bench --suite ann` measures the recall against exact search.

use std::borrow::Cow;

use rayon::prelude::*;
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use super::distance::{Neighbour, dot};
use super::matrix::Matrix;
use crate::jobs::JobControl;

/// The rows a graph is built over and searched against: normalised rows (in memory or on
/// disk) and the dataset sample of each row (an [`super::EmbeddingSet`]'s, by `as_rows`).
#[derive(Clone, Copy, Debug)]
pub struct Rows<'a> {
    /// Values per row.
    pub dim: usize,
    /// `len` rows.
    pub matrix: &'a Matrix,
    /// The sample of each row.
    pub samples: &'a [u32],
}

impl<'a> Rows<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> Cow<'a, [f32]> {
        self.matrix.block(self.dim, r, r + 1)
    }
}

/// How the graph stores its vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Storage {
    /// 32-bit floats (4 bytes a value).
    F32,
    /// Half floats (2 bytes a value).
    F16,
    /// 8-bit integers, each normalised value times 127 (1 byte a value).
    I8,
}

/// Settings of the graph.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct AnnOptions {
    /// Links per node (HNSW's M).
    pub connectivity: usize,
    /// Candidates kept while inserting (efConstruction).
    pub expansion_add: usize,
    /// Candidates kept while searching (ef); at least the number of neighbours asked for.
    pub expansion_search: usize,
    /// Vector storage.
    pub storage: Storage,
    /// Extra candidates fetched per query and re-ranked by exact distance.
    pub rerank_extra: usize,
}

impl Default for AnnOptions {
    /// The settings `bench --suite ann` chose (see docs/performance.md).
    fn default() -> Self {
        Self {
            connectivity: 16,
            expansion_add: 128,
            expansion_search: 96,
            storage: Storage::I8,
            rerank_extra: 40,
        }
    }
}

/// Why an index could not be built or searched.
#[derive(Debug, thiserror::Error)]
pub enum AnnError {
    /// The index library refused (out of memory, a bad setting).
    #[error("the neighbour index failed: {0}")]
    Index(String),
    /// The job was cancelled.
    #[error("cancelled")]
    Cancelled,
}

fn index_error(e: impl std::fmt::Display) -> AnnError {
    AnnError::Index(e.to_string())
}

/// An HNSW graph over [`Rows`] (key = row).
pub struct AnnIndex {
    index: Index,
    options: AnnOptions,
    rows: usize,
    /// Whether the graph is served from a file.
    viewed: bool,
    /// The file, where it cannot be unlinked while mapped (dropped after `index`).
    file: Option<tempfile::TempPath>,
}

/// An empty index of `dim` values with `options`.
fn new_index(dim: usize, options: &AnnOptions) -> Result<Index, AnnError> {
    Index::new(&IndexOptions {
        dimensions: dim,
        metric: MetricKind::Cos,
        quantization: match options.storage {
            Storage::F32 => ScalarKind::F32,
            Storage::F16 => ScalarKind::F16,
            Storage::I8 => ScalarKind::I8,
        },
        connectivity: options.connectivity,
        expansion_add: options.expansion_add,
        expansion_search: options.expansion_search,
        multi: false,
    })
    .map_err(index_error)
}

impl std::fmt::Debug for AnnIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnnIndex")
            .field("rows", &self.rows)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Threads the index may serve at once: the worker pool plus the caller's own thread (the
/// window's UI thread searches while a job may run).
fn index_threads() -> usize {
    rayon::current_num_threads() + 2
}

impl AnnIndex {
    /// Builds the graph over every row of `set`, rows added in parallel; `job` reports
    /// progress in blocks of rows and can cancel.
    pub fn build(
        set: Rows<'_>,
        options: AnnOptions,
        job: Option<&JobControl>,
    ) -> Result<Self, AnnError> {
        let index = new_index(set.dim, &options)?;
        index
            .reserve_capacity_and_threads(set.len(), index_threads())
            .map_err(index_error)?;
        const BLOCK: usize = 4096;
        if let Some(job) = job {
            job.begin_stage("neighbour index", set.len().div_ceil(BLOCK));
        }
        for lo in (0..set.len()).step_by(BLOCK) {
            if job.is_some_and(JobControl::is_cancelled) {
                return Err(AnnError::Cancelled);
            }
            let hi = (lo + BLOCK).min(set.len());
            (lo..hi)
                .into_par_iter()
                .try_for_each(|r| index.add(r as u64, &set.row(r)))
                .map_err(index_error)?;
            if let Some(job) = job {
                job.add_done(false);
            }
        }
        Ok(Self {
            index,
            options,
            rows: set.len(),
            viewed: false,
            file: None,
        })
    }

    /// Moves the graph out of memory: saved to a file in `dir` and served from there by the
    /// library's memory map (pages the system can drop and read again); on Unix the file is
    /// unlinked at once, so nothing is left behind even after a crash. On failure the graph
    /// stays in memory.
    pub fn out_of_core(mut self, dir: &std::path::Path) -> Self {
        let viewed = || -> Result<(Index, Option<tempfile::TempPath>), AnnError> {
            std::fs::create_dir_all(dir).map_err(index_error)?;
            let file = tempfile::Builder::new()
                .prefix(".graph-")
                .tempfile_in(dir)
                .map_err(index_error)?
                .into_temp_path();
            let path = file
                .to_str()
                .ok_or_else(|| AnnError::Index("a path that is not UTF-8".into()))?;
            self.index.save(path).map_err(index_error)?;
            let viewed = new_index(self.index.dimensions(), &self.options)?;
            viewed.view(path).map_err(index_error)?;
            viewed
                .reserve_capacity_and_threads(self.rows, index_threads())
                .map_err(index_error)?;
            if cfg!(unix) {
                file.close().map_err(index_error)?;
                return Ok((viewed, None));
            }
            Ok((viewed, Some(file)))
        };
        if let Ok((index, file)) = viewed() {
            self.index = index;
            self.file = file;
            self.viewed = true;
        }
        self
    }

    /// Whether the graph is served from a file ([`AnnIndex::out_of_core`]).
    pub fn is_out_of_core(&self) -> bool {
        self.viewed
    }

    /// Rows in the graph.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Changes the candidates kept while searching (ef) and those re-ranked by exact distance
    /// beyond the k asked for, e.g. to trade speed for recall.
    pub fn set_search(&mut self, ef: usize, rerank_extra: usize) {
        self.index.change_expansion_search(ef);
        self.options.expansion_search = ef;
        self.options.rerank_extra = rerank_extra;
    }

    /// Bytes the library holds for the graph and its vectors.
    pub fn memory_bytes(&self) -> usize {
        self.index.memory_usage()
    }

    /// The rows nearest to `query` (normalised, the set's dimension), as (row, exact cosine
    /// distance), nearest first, skipping rows for which `skip` is true. `set` must be the
    /// set the graph was built from.
    pub fn search_rows(
        &self,
        set: Rows<'_>,
        query: &[f32],
        k: usize,
        skip: impl Fn(usize) -> bool,
        skipped_at_most: usize,
    ) -> Result<Vec<(usize, f32)>, AnnError> {
        if k == 0 || self.rows == 0 || query.len() != set.dim {
            return Ok(Vec::new());
        }
        let want = (k + skipped_at_most + self.options.rerank_extra).min(self.rows);
        let found = self.index.search(query, want).map_err(index_error)?;
        let mut out: Vec<(usize, f32)> = found
            .keys
            .iter()
            .map(|&key| key as usize)
            .filter(|&r| r < set.len() && !skip(r))
            .map(|r| (r, 1.0 - dot(query, &set.row(r))))
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out.truncate(k);
        Ok(out)
    }

    /// The `k` samples of `set` nearest to `query`, nearest first, skipping the samples in
    /// `exclude` (like [`super::knn::nearest`], approximately).
    pub fn nearest(
        &self,
        set: Rows<'_>,
        query: &[f32],
        k: usize,
        exclude: &[usize],
    ) -> Result<Vec<Neighbour>, AnnError> {
        let rows = self.search_rows(
            set,
            query,
            k,
            |r| exclude.contains(&(set.samples[r] as usize)),
            exclude.len(),
        )?;
        Ok(rows
            .into_iter()
            .map(|(r, distance)| Neighbour {
                sample: set.samples[r] as usize,
                distance,
            })
            .collect())
    }

    /// Every row's `k` nearest other samples, in row order (like
    /// [`super::knn::exact_all_nearest`], approximately). Rows are searched in parallel.
    pub fn all_nearest(
        &self,
        set: Rows<'_>,
        k: usize,
        job: Option<&JobControl>,
    ) -> Result<Vec<Vec<Neighbour>>, AnnError> {
        const BLOCK: usize = 4096;
        if let Some(job) = job {
            job.begin_stage("nearest neighbours", set.len().div_ceil(BLOCK));
        }
        let mut out = Vec::with_capacity(set.len());
        for lo in (0..set.len()).step_by(BLOCK) {
            if job.is_some_and(JobControl::is_cancelled) {
                return Err(AnnError::Cancelled);
            }
            let hi = (lo + BLOCK).min(set.len());
            let block: Vec<Vec<Neighbour>> = (lo..hi)
                .into_par_iter()
                .map(|r| {
                    let rows = self.search_rows(set, &set.row(r), k, |c| c == r, 1)?;
                    Ok(rows
                        .into_iter()
                        .map(|(c, distance)| Neighbour {
                            sample: set.samples[c] as usize,
                            distance,
                        })
                        .collect())
                })
                .collect::<Result<_, AnnError>>()?;
            out.extend(block);
            if let Some(job) = job {
                job.add_done(false);
            }
        }
        Ok(out)
    }
}
