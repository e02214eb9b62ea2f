//! The core library through its public API, and its agreement with the Python references
//! (Pillow, torchvision, OpenCV, scikit-learn, cleanlab, scipy, `datasets`), in one test binary
//! (each integration-test binary links the whole crate).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod calibrate;
mod compare_models;
mod dataset_layouts;
mod embeddings;
mod head;
mod hf_soft_labels;
mod hf_tables;
mod intervals;
mod journal;
mod label_quality;
mod models;
mod monitor;
mod preprocess_reference;
mod problems;
