//! Nearest neighbours by cosine distance (1 - cosine similarity) over an [`EmbeddingSet`]:
//! exact brute force, the rows split between threads. One query is a pass over the matrix;
//! every row's neighbours ([`exact_all_nearest`]) are blocks of matrix products. Past
//! [`EXACT_BUDGET`] multiply-adds, [`all_nearest`] asks an HNSW graph instead
//! ([`super::ann`]).

use ndarray::s;
use rayon::prelude::*;

pub use super::budget::{EXACT_BUDGET, QUERY_BUDGET, exact_is_affordable, exact_query_is_fast};
pub use super::distance::{Neighbour, dot};
use super::set::EmbeddingSet;

/// Keeps the `k` smallest distances seen.
#[derive(Clone, Debug)]
struct TopK {
    k: usize,
    items: Vec<Neighbour>,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    fn worst(&self) -> f32 {
        if self.items.len() < self.k {
            f32::INFINITY
        } else {
            self.items.last().map_or(f32::INFINITY, |n| n.distance)
        }
    }

    fn push(&mut self, n: Neighbour) {
        if self.k == 0 || n.distance >= self.worst() {
            return;
        }
        let at = self
            .items
            .partition_point(|m| (m.distance, m.sample) <= (n.distance, n.sample));
        self.items.insert(at, n);
        self.items.truncate(self.k);
    }

    fn merge(mut self, other: Self) -> Self {
        for n in other.items {
            self.push(n);
        }
        self
    }
}

const CHUNK_ROWS: usize = 2048;

/// The `k` samples nearest to `query` (a normalised vector of the set's dimension), nearest
/// first (ties by sample index), skipping the samples in `exclude`. Exact, unless the set is
/// past [`QUERY_BUDGET`] (a fifth of it on disk) and its graph was built ([`EmbeddingSet::prepare_queries`]).
pub fn nearest(set: &EmbeddingSet, query: &[f32], k: usize, exclude: &[usize]) -> Vec<Neighbour> {
    if set.dim == 0 || query.len() != set.dim {
        return Vec::new();
    }
    if !super::budget::exact_query_is_fast_in(set.len(), set.dim, set.on_disk())
        && let Some(ix) = set.built_graph()
        && let Ok(found) = ix.nearest(set.as_rows(), query, k, exclude)
    {
        return found;
    }
    exact_nearest(set, query, k, exclude)
}

/// [`nearest`] by brute force, always.
pub fn exact_nearest(
    set: &EmbeddingSet,
    query: &[f32],
    k: usize,
    exclude: &[usize],
) -> Vec<Neighbour> {
    if set.dim == 0 || query.len() != set.dim {
        return Vec::new();
    }
    (0..set.len().div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|c| {
            let chunk = set.block(c * CHUNK_ROWS, ((c + 1) * CHUNK_ROWS).min(set.len()));
            let mut top = TopK::new(k);
            for (j, row) in chunk.chunks_exact(set.dim).enumerate() {
                let sample = set.samples[c * CHUNK_ROWS + j] as usize;
                let distance = 1.0 - dot(query, row);
                if distance < top.worst() && !exclude.contains(&sample) {
                    top.push(Neighbour { sample, distance });
                }
            }
            top
        })
        .reduce(|| TopK::new(k), TopK::merge)
        .items
}

/// The `k` nearest other samples of every row of the set, in row order: exact while
/// [`exact_is_affordable`], else from an HNSW graph ([`super::ann::AnnIndex`], distances
/// exact, membership approximate; `bench --suite ann` measures its recall). Cancelling `job`
/// returns `None`.
pub fn all_nearest(
    set: &EmbeddingSet,
    k: usize,
    job: Option<&crate::jobs::JobControl>,
) -> Option<Vec<Vec<Neighbour>>> {
    if exact_is_affordable(set.len(), set.dim) {
        return Some(exact_all_nearest(set, k));
    }
    let found = set
        .graph(job)
        .and_then(|index| index.all_nearest(set.as_rows(), k, job));
    match found {
        Ok(n) => Some(n),
        Err(super::ann::AnnError::Cancelled) => None,
        Err(e) => {
            if let Some(job) = job {
                job.note(format!("{e}; searching exactly instead"));
            }
            Some(exact_all_nearest(set, k))
        }
    }
}

/// The `k` nearest other samples of every row of the set, in row order (row `r` is sample
/// `set.samples[r]`). Computed in blocks of rows against the whole matrix.
pub fn exact_all_nearest(set: &EmbeddingSet, k: usize) -> Vec<Vec<Neighbour>> {
    let n = set.len();
    if n == 0 || set.dim == 0 {
        return Vec::new();
    }
    let matrix = set.matrix();
    let block = 256;
    (0..n.div_ceil(block))
        .into_par_iter()
        .flat_map_iter(|b| {
            let lo = b * block;
            let hi = (lo + block).min(n);
            let sims = matrix.slice(s![lo..hi, ..]).dot(&matrix.t());
            (lo..hi)
                .map(|r| {
                    let mut top = TopK::new(k);
                    for (c, &sim) in sims.row(r - lo).iter().enumerate() {
                        if c != r {
                            top.push(Neighbour {
                                sample: set.samples[c] as usize,
                                distance: 1.0 - sim,
                            });
                        }
                    }
                    top.items
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding_store::to_embedding;

    fn set(rows: &[[f32; 3]]) -> EmbeddingSet {
        let e: Vec<_> = rows.iter().map(|r| to_embedding(r)).collect();
        let refs: Vec<Result<_, String>> = e.iter().map(Ok).collect();
        EmbeddingSet::from_embeddings(&refs)
    }

    #[test]
    fn the_nearest_come_first_and_excluded_samples_are_skipped() {
        let s = set(&[
            [1.0, 0.0, 0.0],
            [0.9, 0.1, 0.0],
            [0.0, 1.0, 0.0],
            [-1.0, 0.0, 0.0],
            [0.7, 0.7, 0.0],
        ]);
        let q = s.of_sample(0).unwrap().to_vec();
        let got = nearest(&s, &q, 3, &[0]);
        let order: Vec<_> = got.iter().map(|n| n.sample).collect();
        assert_eq!(order, [1, 4, 2]);
        assert!(got[0].distance > 0.0 && got[0].distance < 0.01);
        assert!((got[2].distance - 1.0).abs() < 1e-3);
        let all = nearest(&s, &q, 10, &[]);
        assert_eq!(all.len(), 5);
        assert!((all[4].distance - 2.0).abs() < 1e-3, "{all:?}");
    }

    #[test]
    fn all_nearest_agrees_with_one_query_at_a_time() {
        let rows: Vec<[f32; 3]> = (0..600)
            .map(|i| {
                let t = i as f32 * 0.37;
                [t.sin(), t.cos(), (t * 0.5).sin()]
            })
            .collect();
        let s = set(&rows);
        let all = exact_all_nearest(&s, 4);
        for r in [0, 17, 300, 599] {
            let q = s.row(r).to_vec();
            let one = nearest(&s, &q, 4, &[s.samples[r] as usize]);
            let a: Vec<_> = all[r].iter().map(|n| n.sample).collect();
            let b: Vec<_> = one.iter().map(|n| n.sample).collect();
            assert_eq!(a, b, "row {r}");
        }
    }
}
