//! The command line, run as a user runs it: the built `labelscope` binary on real files, one
//! test binary (each integration-test binary links the whole crate; one link instead of eight).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod add;
mod calibrate;
mod commands;
mod data_safety;
mod edit_identity;
mod export;
mod inputs_protected;
mod journal_crash;
mod monitor_embedded;
mod refusals;
mod resolutions;
mod select;
mod shards;
mod vlm_scoring;
