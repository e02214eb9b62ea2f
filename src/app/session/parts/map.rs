//! The maps of the current embedding set (PCA, UMAP); the job making one is the registry's
//! `JobKind::Map`.

use crate::embed::project::Map;
use std::sync::Arc;

/// The maps of the current embedding set.
#[derive(Default)]
pub struct MapState {
    /// The PCA map, once made.
    pub pca: Option<Arc<Map>>,
    /// The UMAP map, once made.
    pub umap: Option<Arc<Map>>,
    /// Why the last map could not be made (or "cancelled").
    pub error: Option<String>,
    /// The set the maps belong to (its id, `EmbeddingState::set_id`).
    pub(crate) set: u64,
}

impl MapState {
    /// The best map there is: UMAP when made, else PCA.
    pub fn best(&self) -> Option<&Arc<Map>> {
        self.umap.as_ref().or(self.pca.as_ref())
    }
}
