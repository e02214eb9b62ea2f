//! The window's panels. Each takes plain data and pushes commands.

pub mod charts;
pub mod compare;
pub mod confusion;
pub mod detail;
pub mod detail_actions;
pub mod detail_findings;
pub mod export;
pub mod filter_bar;
pub mod gallery;
pub mod help;
pub mod job_progress;
pub mod log;
pub mod map;
pub mod metrics;
pub mod path_prompt;
pub mod prompts;
pub mod review_queue;
pub mod sample_menu;
pub mod sample_table;
pub mod similar_strip;
pub mod toast;
pub mod top_bar;
pub mod train;
pub mod view_switch;
pub mod vlm;
pub mod zoom_view;
