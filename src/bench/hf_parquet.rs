//! The Hugging Face Parquet benchmark: a generated Hub-style dataset (`data/train-*.parquet`,
//! photo-like JPEGs embedded, 10,000 rows per shard) is opened warm, browsed as the gallery
//! would (previews of the first and of scattered rows), and predicted over against the same
//! images as loose files.

use std::path::Path;
use std::time::Instant;

use crate::dataset::image_io::{decode_preview, read_image_bytes};
use crate::dataset::{Dataset, OpenOptions, open_dataset};
use crate::export::hf_parquet::huggingface_metadata;
use crate::jobs::JobControl;
use crate::model::{BackendKind, LoadedModel, PredictOptions, predict_dataset, resolve_backend};
use crate::table::hf::{ShardRow, write_image_shard};

/// Rows per generated shard.
const SHARD_ROWS: usize = 10_000;

/// Figures of the Parquet benchmark.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HfParquetBench {
    /// Rows in the dataset.
    pub samples: usize,
    /// Shards.
    pub shards: usize,
    /// Bytes of the Parquet files.
    pub bytes: u64,
    /// Writing the shards (context).
    pub generate_secs: f64,
    /// Opening it a second time (files in the page cache).
    pub open_warm_secs: f64,
    /// Resident memory after opening, MiB.
    pub rss_after_open_mib: Option<f64>,
    /// Previews of 300 first and 300 scattered rows, per row.
    pub preview_ms_per_row: f64,
    /// Resident memory after browsing, MiB.
    pub rss_after_browse_mib: Option<f64>,
    /// Rows predicted in the comparison.
    pub predict_samples: usize,
    /// Backend of the comparison.
    pub backend: String,
    /// `predict` over those rows from the Parquet files.
    pub predict_parquet_secs: f64,
    /// `predict` over the same images as loose JPEG files.
    pub predict_files_secs: f64,
}

impl HfParquetBench {
    /// Prints the figures as a small table.
    pub fn print(&self) {
        println!(
            "\nhf-parquet: {} rows in {} shards ({:.2} GB)",
            self.samples,
            self.shards,
            self.bytes as f64 / 1e9
        );
        println!(
            "  generate (context)          {:>8.1} s",
            self.generate_secs
        );
        println!(
            "  open, again (warm)          {:>8.2} s",
            self.open_warm_secs
        );
        if let Some(r) = self.rss_after_open_mib {
            println!("  RSS after open              {r:>8.0} MiB");
        }
        println!(
            "  preview per row             {:>8.2} ms",
            self.preview_ms_per_row
        );
        if let Some(r) = self.rss_after_browse_mib {
            println!("  RSS after browsing          {r:>8.0} MiB");
        }
        println!(
            "  predict {} rows ({}): Parquet {:.2} s, loose files {:.2} s ({:+.1}%)",
            self.predict_samples,
            self.backend,
            self.predict_parquet_secs,
            self.predict_files_secs,
            (self.predict_parquet_secs / self.predict_files_secs - 1.0) * 100.0
        );
    }
}

/// Writes `samples` rows cycling through `photos`' images into `dir/data`, 10,000 per shard.
fn write_shards(dir: &Path, photos: &Dataset, samples: usize) -> anyhow::Result<(usize, u64)> {
    let images: Vec<(Vec<u8>, String, i64)> = photos
        .samples
        .iter()
        .map(|s| {
            let bytes = read_image_bytes(&s.path)?;
            let name = s
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok((bytes, name, i64::from(s.label.0)))
        })
        .collect::<anyhow::Result<_>>()?;
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let metadata = huggingface_metadata(&photos.classes, Default::default());
    let shards = samples.div_ceil(SHARD_ROWS);
    let mut bytes = 0;
    for k in 0..shards {
        let rows: Vec<ShardRow> = (k * SHARD_ROWS..((k + 1) * SHARD_ROWS).min(samples))
            .map(|i| {
                let (b, name, label) = &images[i % images.len()];
                ShardRow {
                    bytes: b,
                    path: name,
                    label: *label,
                    soft_labels: None,
                    weight: None,
                }
            })
            .collect();
        let file = data.join(format!("train-{k:05}-of-{shards:05}.parquet"));
        bytes += write_image_shard(&file, &rows, Default::default(), &metadata, 100)?;
    }
    Ok((shards, bytes))
}

/// Photo-like JPEG size of the generated rows (about 50 kB each, so 100,000 rows are ~5 GB).
const PHOTO_SIZE: (u32, u32) = (740, 555);

/// Runs the benchmark in `dir` over `samples` rows made from 500 photo-like JPEGs (generated
/// in `scratch`); predicts `predict_samples` rows with `model`. Shards already in `dir/data`
/// are reused (and `dir` is left in place), so the same data can be opened in the window.
pub fn bench_hf_parquet(
    dir: &Path,
    scratch: &Path,
    samples: usize,
    predict_samples: usize,
    model: &LoadedModel,
    backend: BackendKind,
    threads: usize,
) -> anyhow::Result<HfParquetBench> {
    let t = Instant::now();
    let existing = crate::dataset::hf_tables::table_files(&dir.join("data"));
    let (shards, bytes) = if existing.is_empty() {
        let photos = super::generate_photo_set(&scratch.join("photos-hf"), 500, PHOTO_SIZE)?;
        write_shards(dir, &photos, samples)?
    } else {
        let bytes = existing
            .iter()
            .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
            .sum();
        (existing.len(), bytes)
    };
    let generate_secs = t.elapsed().as_secs_f64();
    open_dataset(dir, &OpenOptions::default())?;
    let t = Instant::now();
    let ds = open_dataset(dir, &OpenOptions::default())?;
    let open_warm_secs = t.elapsed().as_secs_f64();
    let rss_after_open_mib = super::rss_mib();
    let n = ds.samples.len();
    let browse: Vec<usize> = (0..300.min(n))
        .chain((0..300).map(|k| (k * 7919 * 13) % n.max(1)))
        .collect();
    let t = Instant::now();
    for &i in &browse {
        decode_preview(&ds.samples[i].path, 256)?;
    }
    let preview_ms_per_row = t.elapsed().as_secs_f64() * 1e3 / browse.len() as f64;
    let rss_after_browse_mib = super::rss_mib();

    // The same first rows as loose files, then predict over both.
    let m = predict_samples.min(n);
    let mut parquet = ds.clone();
    parquet.samples.truncate(m);
    let loose_dir = scratch.join("hf-loose");
    for s in &parquet.samples {
        let class = crate::dataset::names::safe_file_name(parquet.class_name(s.label));
        let folder = loose_dir.join(class);
        std::fs::create_dir_all(&folder)?;
        let name = s.id.0.replace(['/', '.'], "_");
        std::fs::write(
            folder.join(format!("{name}.jpg")),
            read_image_bytes(&s.path)?,
        )?;
    }
    let loose = open_dataset(&loose_dir, &OpenOptions::default())?;
    let resolved = resolve_backend(backend, model)?;
    let opts = PredictOptions {
        threads,
        use_cache: false,
        embeddings: false,
    };
    let run = |d: &Dataset| -> anyhow::Result<f64> {
        let t = Instant::now();
        predict_dataset(
            d,
            model,
            &resolved,
            &opts,
            None,
            &JobControl::default(),
            None,
        )?;
        Ok(t.elapsed().as_secs_f64())
    };
    // Each twice, alternating; the faster run of each counts (both warm).
    let (mut p, mut f) = (f64::MAX, f64::MAX);
    for _ in 0..2 {
        p = p.min(run(&parquet)?);
        f = f.min(run(&loose)?);
    }
    Ok(HfParquetBench {
        samples: n,
        shards,
        bytes,
        generate_secs,
        open_warm_secs,
        rss_after_open_mib,
        preview_ms_per_row,
        rss_after_browse_mib,
        predict_samples: m,
        backend: resolved.factory.describe(),
        predict_parquet_secs: p,
        predict_files_secs: f,
    })
}
