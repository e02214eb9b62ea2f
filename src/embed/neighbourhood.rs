//! Every included sample's nearest neighbours, computed once and shared by the embedding checks
//! (outliers, near duplicates) and the label-quality neighbour vote. Excluded samples take no
//! part; a relabel does not change the neighbourhood, only what the neighbours vote.

use super::knn::{Neighbour, all_nearest};
use super::set::EmbeddingSet;
use crate::dataset::ClassId;
use crate::embedding_store::{Embedding, to_embedding};

/// Above this many multiply-adds the all-pairs search runs on 64 principal components.
const EXACT_BUDGET: f64 = 4e11;

/// The neighbours of the included samples.
#[derive(Clone, Debug, Default)]
pub struct Neighbourhood {
    /// The included samples' embeddings (reduced to 64 principal components when all pairs of
    /// the full vectors would be too many multiply-adds).
    pub active: EmbeddingSet,
    /// Per row of `active`, its `k` nearest other rows, nearest first.
    pub neighbours: Vec<Vec<Neighbour>>,
    /// Neighbours asked for (clamped to the number of rows - 1).
    pub k: usize,
}

/// `set` itself when all pairs are affordable, else its rows projected on their 64 leading
/// principal components and normalised again (cosine distances change little; 100,000 x 1,280
/// would otherwise take hours).
fn reduced(set: EmbeddingSet) -> EmbeddingSet {
    let n = set.len() as f64;
    if n * n * set.dim as f64 <= EXACT_BUDGET || set.dim <= 64 {
        return set;
    }
    let x = ndarray::ArrayView2::from_shape((set.len(), set.dim), &set.data)
        .expect("rows x dim values");
    let (scores, _) = super::pca::pca(x, 64);
    let rows: Vec<Embedding> = scores
        .rows()
        .into_iter()
        .map(|r| to_embedding(r.as_slice().unwrap_or(&[])))
        .collect();
    let mut per_sample: Vec<Result<&Embedding, String>> = vec![Err(String::new()); set.rows.len()];
    for (r, &s) in set.samples.iter().enumerate() {
        per_sample[s as usize] = Ok(&rows[r]);
    }
    EmbeddingSet::from_embeddings(&per_sample)
}

impl Neighbourhood {
    /// The `k` nearest neighbours of every sample of `set` that has a label in `truth`
    /// (`None` = excluded).
    pub fn build(set: &EmbeddingSet, truth: &[Option<ClassId>], k: usize) -> Self {
        let members: Vec<usize> = included(set, truth).collect();
        let active = reduced(set.subset(&members));
        if active.len() < 2 {
            return Self {
                active,
                ..Self::default()
            };
        }
        let k = k.clamp(1, active.len() - 1);
        let neighbours = all_nearest(&active, k);
        Self {
            active,
            neighbours,
            k,
        }
    }

    /// Whether it was built from `set` for exactly the included samples of `truth` (a relabel
    /// keeps it; an exclusion or a new embedding set does not).
    pub fn fits(&self, set: &EmbeddingSet, truth: &[Option<ClassId>]) -> bool {
        self.active.dim > 0
            && self
                .active
                .samples
                .iter()
                .map(|&s| s as usize)
                .eq(included(set, truth))
    }
}

/// The samples of `set` with a label in `truth`.
fn included<'a>(
    set: &'a EmbeddingSet,
    truth: &'a [Option<ClassId>],
) -> impl Iterator<Item = usize> + 'a {
    set.samples
        .iter()
        .map(|&s| s as usize)
        .filter(|&s| truth.get(s).copied().flatten().is_some())
}
