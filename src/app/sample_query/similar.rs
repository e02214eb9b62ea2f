//! "Show similar" in the gallery: the anchors, then their nearest neighbours by embedding,
//! nearest first, and each sample's distance to what is looked for.

use super::{Filter, ViewInputs, passes};

/// "Show similar": the samples nearest to the anchors' mean embedding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimilarTo {
    /// The samples the query is made of (shown first).
    pub anchors: Vec<usize>,
    /// How many neighbours to consider (other filters then apply to them).
    pub limit: usize,
}

/// How many neighbours "Show similar" considers by default.
pub const SIMILAR_LIMIT: usize = 200;

/// The anchors, then their nearest neighbours nearest first, that pass the rest of `filter`;
/// nothing without embeddings.
pub(super) fn similar_order(v: ViewInputs<'_>, filter: &Filter, similar: &SimilarTo) -> Vec<usize> {
    let Some(set) = v.embeddings else {
        return Vec::new();
    };
    let Some(query) = set.centroid(&similar.anchors) else {
        return Vec::new();
    };
    let near = crate::embed::nearest(set, &query, similar.limit, &similar.anchors);
    similar
        .anchors
        .iter()
        .copied()
        .chain(near.iter().map(|n| n.sample))
        .filter(|&i| passes(v, filter, i))
        .collect()
}

/// The cosine distance of sample `i` to what "Show similar" looks for (the anchors' mean
/// embedding), when it has an embedding.
pub fn similar_distance(
    set: &crate::embed::EmbeddingSet,
    similar: &SimilarTo,
    i: usize,
) -> Option<f32> {
    let query = set.centroid(&similar.anchors)?;
    let row = set.of_sample(i)?;
    Some(1.0 - crate::embed::knn::dot(&query, &row))
}
