//! Gallery thumbnails: the gallery's loader (decode + SIMD resize in the decoded format) against
//! a full decode + the `image` crate's own resizers, one thread each, on the same files; plus
//! the decode alone, which bounds every loader.

use std::path::PathBuf;
use std::time::Instant;

use crate::dataset::image_io::decode_image;
use crate::dataset::thumbnail::thumbnail;

/// Figures of one thumbnail benchmark.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ThumbBench {
    /// Images.
    pub images: usize,
    /// Size of the source images (of the first one).
    pub source_size: (u32, u32),
    /// Longest thumbnail side.
    pub max_side: u32,
    /// Full decode + `DynamicImage::resize` (triangle filter) + RGBA, thumbnails per second.
    pub baseline_resize_per_sec: f64,
    /// Full decode + `DynamicImage::thumbnail` (the crate's fast path) + RGBA, per second.
    pub baseline_thumbnail_per_sec: f64,
    /// The gallery's loader, thumbnails per second.
    pub gallery_per_sec: f64,
    /// gallery / baseline_resize.
    pub speedup: f64,
    /// The decode alone, images per second (the ceiling of any loader that decodes fully).
    pub decode_only_per_sec: f64,
}

fn per_sec(paths: &[PathBuf], f: impl Fn(&PathBuf) -> anyhow::Result<u32>) -> anyhow::Result<f64> {
    let t = Instant::now();
    for p in paths {
        f(p)?;
    }
    Ok(paths.len() as f64 / t.elapsed().as_secs_f64())
}

/// Times the loaders over `paths` (each path once per loader, one thread).
pub fn bench_thumbnails(paths: &[PathBuf], max_side: u32) -> anyhow::Result<ThumbBench> {
    let first = paths.first().ok_or_else(|| anyhow::anyhow!("no images"))?;
    let source_size = image::image_dimensions(first).map_err(anyhow::Error::msg)?;
    let decode = |p: &PathBuf| decode_image(p);
    let resize = per_sec(paths, |p| {
        let img = decode(p)?.resize(max_side, max_side, image::imageops::FilterType::Triangle);
        Ok(img.to_rgba8().width())
    })?;
    let thumb = per_sec(paths, |p| {
        Ok(decode(p)?.thumbnail(max_side, max_side).to_rgba8().width())
    })?;
    let gallery = per_sec(paths, |p| {
        Ok(thumbnail(p, max_side).map_err(anyhow::Error::msg)?.width())
    })?;
    let decode_only = per_sec(paths, |p| Ok(decode(p)?.width()))?;
    Ok(ThumbBench {
        images: paths.len(),
        source_size,
        max_side,
        baseline_resize_per_sec: resize,
        baseline_thumbnail_per_sec: thumb,
        gallery_per_sec: gallery,
        speedup: gallery / resize,
        decode_only_per_sec: decode_only,
    })
}
