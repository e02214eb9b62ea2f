//! labelscope: a dataset inspector for image classifiers.
//!
//! The core (everything but `app`, behind the default `gui` feature) has no GUI dependency: it opens datasets as they lie on disk
//! ([`dataset`]), runs an ONNX classifier over them with tract or ONNX Runtime ([`model`]),
//! computes metrics ([`eval`]) and reads/writes tables ([`table`]). The CLI ([`cli`]) and the
//! GUI use the same functions.
//!
//! # Threading
//! Long work (prediction) takes a [`jobs::JobControl`]: a cancel flag, atomic progress counters
//! and a wake-up callback. Prediction runs on named worker threads, each owning one backend
//! instance and pulling the next sample from a shared counter, so decoding one image overlaps
//! inference of another. Results stream through a channel as they finish; the caller's thread is
//! never blocked by a single slow file.
//!
//! # Failures
//! Nothing a user's files contain aborts a run: unreadable files, missing manifest rows,
//! duplicate paths, empty class folders and unknown labels go into the dataset's
//! [`dataset::ScanReport`]; an image that fails to decode or infer becomes a per-sample failure
//! naming the file. Only problems that leave nothing to do (no dataset, no model) are errors.
//! Source images are only ever read; labelscope writes to its state folder (`.labelscope/`) and
//! to outputs the user names.

#[macro_use]
mod listed;

#[cfg(feature = "gui")]
pub mod app;
pub mod bench;
pub mod bounded_read;
pub mod cli;
pub mod curation;
pub mod dataset;
pub mod embed;
pub mod embedding_store;
pub mod eval;
pub mod export;
pub mod head;
pub mod inputs;
pub mod jobs;
pub mod label_quality;
pub mod linear;
pub mod model;
pub mod monitor;
pub mod outputs;
pub mod problems;
pub mod rng;
pub mod select;
pub mod stamp_cache;
pub mod state;
pub mod table;
pub mod vlm;
pub mod workspace;
