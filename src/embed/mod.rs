//! Embeddings: the model's own view of each image (the input of its classifier layer, read in
//! the same inference as the prediction, see [`crate::model::embedding_value`]), gathered into
//! an [`EmbeddingSet`] for nearest-neighbour search, the map and the embedding-based problems,
//! and written out as Parquet or `.npy`.

pub mod ann;
#[cfg(test)]
mod ann_tests;
pub mod budget;
pub mod distance;
pub mod knn;
pub mod map_cache;
pub mod matrix;
pub mod neighbourhood;
pub mod pca;
pub mod project;
pub mod read;
pub mod set;
#[cfg(test)]
mod set_tests;
pub mod synthetic;
pub mod umap_layout;
pub mod umap_place;
pub mod write;

pub use knn::{Neighbour, nearest};
pub use neighbourhood::Neighbourhood;
pub use set::EmbeddingSet;
