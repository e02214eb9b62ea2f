//! Every included sample's nearest neighbours, computed once and shared by the embedding checks
//! (outliers, near duplicates) and the label-quality neighbour vote. Excluded samples take no
//! part; a relabel does not change the neighbourhood, only what the neighbours vote.

use super::knn::{Neighbour, all_nearest};
use super::set::EmbeddingSet;
use crate::dataset::ClassId;

/// The neighbours of the included samples.
#[derive(Clone, Debug, Default)]
pub struct Neighbourhood {
    /// The included samples' embeddings. Past the exact search's budget the neighbours come
    /// from an HNSW graph over them ([`all_nearest`]); they used to come from 64 principal
    /// components, which kept only 92% of the true 10 nearest (`bench --suite ann`).
    pub active: EmbeddingSet,
    /// Per row of `active`, its `k` nearest other rows, nearest first.
    pub neighbours: Vec<Vec<Neighbour>>,
    /// Neighbours asked for (clamped to the number of rows - 1).
    pub k: usize,
}

impl Neighbourhood {
    /// The `k` nearest neighbours of every sample of `set` that has a label in `truth`
    /// (`None` = excluded).
    pub fn build(set: &EmbeddingSet, truth: &[Option<ClassId>], k: usize) -> Self {
        Self::build_in(set, truth, k, None).unwrap_or_default()
    }

    /// [`Neighbourhood::build`] as a stage of `job` (progress; `None` when cancelled).
    pub fn build_in(
        set: &EmbeddingSet,
        truth: &[Option<ClassId>],
        k: usize,
        job: Option<&crate::jobs::JobControl>,
    ) -> Option<Self> {
        let members: Vec<usize> = included(set, truth).collect();
        // Every row included: the set itself, which shares its graph with every clone.
        let active = if members.len() == set.len() {
            set.clone()
        } else {
            set.subset(&members)
        };
        if active.len() < 2 {
            return Some(Self {
                active,
                ..Self::default()
            });
        }
        let k = k.clamp(1, active.len() - 1);
        let neighbours = all_nearest(&active, k, job)?;
        Some(Self {
            active,
            neighbours,
            k,
        })
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
