//! The command-line flags that say how to open a dataset, shared by every command.

use std::path::PathBuf;

use clap::Args;

use crate::dataset::{Layout, OpenOptions};

/// How to open the dataset.
#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// Dataset folder, a CSV/Parquet manifest, or Hugging Face Parquet/Arrow files.
    pub dataset: PathBuf,
    /// Force a layout instead of detecting it.
    #[arg(long, value_enum)]
    pub layout: Option<Layout>,
    /// Take labels from file names with this regex (one capture group), e.g. `^([a-z]+)\.`.
    #[arg(long, value_name = "REGEX")]
    pub label_from_filename: Option<String>,
    /// The image column of Hugging Face Parquet/Arrow files (default: image, img, ...).
    #[arg(long, value_name = "NAME")]
    pub image_column: Option<String>,
    /// The label column of Hugging Face Parquet/Arrow files (default: label, labels,
    /// fine_label, ...).
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
}

impl DatasetArgs {
    /// Open options from the flags.
    pub fn open_options(&self) -> OpenOptions {
        OpenOptions {
            layout: self.layout,
            label_from_filename: self.label_from_filename.clone(),
            columns: crate::dataset::hf_tables::TableColumns {
                image: self.image_column.clone(),
                label: self.label_column.clone(),
            },
        }
    }
}
