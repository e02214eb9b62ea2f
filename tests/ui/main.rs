//! The window, headless through egui_kittest, in one test binary (each test binary links eframe,
//! polars and tract; one binary instead of four saves link time and disk).
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod browse;
mod calibration;
mod compare;
mod curation;
mod export;
mod hf_parquet;
mod label_batch;
mod monitor;
mod mouse;
mod order_apart;
mod problems;
mod resolutions;
mod review_queue;
mod similar;
mod table;
mod train;
mod vlm;
