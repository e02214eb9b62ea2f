//! The owned parts of a [`super::Session`]. None of them knows the session: each holds one
//! concern's state and the methods that need nothing else; the session's own methods
//! (`session/*.rs`) coordinate them.

pub mod batch;
pub mod calibration;
pub mod compare;
pub mod edits;
pub mod embeddings;
pub mod log;
pub mod map;
pub mod messages;
pub mod predict_job;
pub mod predictions;
pub mod problems;
pub mod view;
