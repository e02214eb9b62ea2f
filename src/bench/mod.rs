//! Benchmarks as code (printed as a table and written as JSON by `labelscope bench`, never timed
//! tests): end-to-end `predict` against the pure-inference bound on the same threads, on a
//! photo-like set generated on demand from the bundled photos; gallery thumbnails
//! ([`thumbs`]); a generated 100k-sample dataset ([`scale`]).

pub mod accuracy_estimate;
pub mod ann;
pub mod compare;
pub mod embedding_drift;
pub mod embeddings;
pub mod hf_parquet;
pub mod label_quality;

pub mod monitor;
pub mod near_copies;
pub mod pixel_copies;
pub mod scale;
pub mod select;
pub mod stored_forms;
pub mod thumbs;

use crate::model::footprint::proc_status_kib;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::dataset::{Dataset, OpenOptions, open_dataset};
use crate::jobs::JobControl;
use crate::model::preprocess::preprocess;
use crate::model::{LoadedModel, PredictOptions, ResolvedBackend, predict_dataset};

/// Where the bundled data lives: the working folder or the source tree.
pub fn repo_path(rel: &str) -> Option<PathBuf> {
    [
        PathBuf::from("."),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    ]
    .into_iter()
    .map(|b| b.join(rel))
    .find(|p| p.exists())
}

/// Writes `n` JPEGs of `size` (e.g. 500x375) into `dir/<photo>/NNNNN.jpg`, made from the
/// bundled photos by random crops, flips and rescaling (deterministic), and opens them as a
/// dataset.
pub fn generate_photo_set(dir: &Path, n: usize, size: (u32, u32)) -> anyhow::Result<Dataset> {
    let photos = repo_path("sample_data/photos")
        .ok_or_else(|| anyhow::anyhow!("sample_data/photos not found"))?;
    let mut sources = Vec::new();
    for name in ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"] {
        let img = image::open(photos.join(name)).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        sources.push((name.split('.').next().unwrap_or(name).to_string(), img));
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for k in 0..n {
        let (class, img) = &sources[k % sources.len()];
        let (w, h) = (img.width(), img.height());
        let cw = w / 2 + (rand() % u64::from(w / 2)) as u32;
        let ch = h / 2 + (rand() % u64::from(h / 2)) as u32;
        let x = (rand() % u64::from(w - cw + 1)) as u32;
        let y = (rand() % u64::from(h - ch + 1)) as u32;
        let mut out = img.crop_imm(x, y, cw, ch).resize_exact(
            size.0,
            size.1,
            image::imageops::FilterType::Triangle,
        );
        if rand() % 2 == 0 {
            out = out.fliph();
        }
        let folder = dir.join(class);
        std::fs::create_dir_all(&folder).map_err(anyhow::Error::msg)?;
        out.to_rgb8()
            .save(folder.join(format!("{k:05}.jpg")))
            .map_err(anyhow::Error::msg)?;
    }
    Ok(open_dataset(dir, &OpenOptions::default())?)
}

/// The embeddings of `model` over every sample of `ws`, computed afresh (no prediction cache:
/// the benchmarks time or compare runs).
pub fn fresh_embeddings(
    ws: &crate::workspace::Workspace,
    model: &LoadedModel,
    backend: &ResolvedBackend,
) -> anyhow::Result<crate::embed::EmbeddingSet> {
    let opts = PredictOptions {
        use_cache: false,
        embeddings: true,
        ..PredictOptions::default()
    };
    let run = ws.run_model(model, backend, &opts, &JobControl::default(), None)?;
    Ok(run.embeddings()?)
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    proc_status_kib("VmHWM:").map(|k| k as f64 / 1024.0)
}

/// Current resident memory of this process (Linux `VmRSS`), in MiB.
pub fn rss_mib() -> Option<f64> {
    proc_status_kib("VmRSS:").map(|k| k as f64 / 1024.0)
}

/// Figures of one predict benchmark.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PredictBench {
    /// Images.
    pub images: usize,
    /// Worker threads.
    pub threads: usize,
    /// Backend description.
    pub backend: String,
    /// `predict` end to end (decode, preprocess, infer), images per second.
    pub end_to_end_ips: f64,
    /// Inference alone on pre-decoded tensors, same threads, images per second.
    pub inference_only_ips: f64,
    /// Decode + preprocess alone on one thread, images per second.
    pub decode_one_thread_ips: f64,
    /// end_to_end / inference_only.
    pub ratio: f64,
    /// Where one image's time goes, on one thread (milliseconds per image).
    pub stages: PredictStages,
}

/// Milliseconds per image of each stage of `predict`, each timed alone on one thread over the
/// whole set, and the one-off costs of a run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PredictStages {
    /// Reading the file's bytes.
    pub read_ms: f64,
    /// Decoding them to pixels (JPEG, PNG, ...).
    pub decode_ms: f64,
    /// Resize, crop and colour conversion (the exact Pillow / torchvision / OpenCV ports).
    pub resize_ms: f64,
    /// Normalising into the input tensor.
    pub tensor_ms: f64,
    /// One inference on the backend with its own threads.
    pub inference_ms: f64,
    /// Mapping the output to the dataset's labels and keeping the result.
    pub finish_ms: f64,
    /// Creating one backend instance (the model's session), once per worker.
    pub session_ms: f64,
}

/// Measures `predict` end to end against inference alone on the same threads; also returns the
/// model's top class per sample (`None` where it failed).
pub fn bench_predict(
    ds: &Dataset,
    model: &LoadedModel,
    backend: &ResolvedBackend,
    threads: usize,
) -> anyhow::Result<(PredictBench, Vec<Option<u32>>)> {
    let n = ds.samples.len();
    // Warm-up: one inference per worker is not counted.
    let opts = PredictOptions {
        threads,
        use_cache: false,
        embeddings: false,
    };
    let t = Instant::now();
    let report = predict_dataset(
        ds,
        model,
        backend,
        &opts,
        None,
        &JobControl::default(),
        None,
    )?;
    let end_to_end = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut tensors = Vec::with_capacity(n);
    for s in &ds.samples {
        let img = crate::dataset::image_io::decode_image(&s.path).map_err(anyhow::Error::msg)?;
        tensors.push(preprocess(&img, &model.spec.input)?);
    }
    let decode = n as f64 / t.elapsed().as_secs_f64();
    let stages = predict_stages(ds, model, backend)?;
    let todo: Vec<usize> = (0..n).collect();
    let t = Instant::now();
    let ok = crate::jobs::pool::run_pool(
        &todo,
        threads,
        "bench",
        &JobControl::default(),
        &|| backend.factory.create(),
        &|b: &mut Box<dyn crate::model::backend::Backend>, i| b.run(&tensors[i], 1).is_ok(),
    )?;
    let inference = n as f64 / t.elapsed().as_secs_f64();
    if ok.iter().any(|(_, ok)| !ok) {
        return Err(anyhow::anyhow!("inference failed on a pre-decoded tensor"));
    }
    let top1 = report
        .outcomes
        .iter()
        .map(|o| match o {
            Some(crate::model::SampleOutcome::Predicted(p)) => p.top_model.first().map(|t| t.0),
            _ => None,
        })
        .collect();
    let bench = PredictBench {
        images: n,
        threads,
        backend: report.backend,
        end_to_end_ips: end_to_end,
        inference_only_ips: inference,
        decode_one_thread_ips: decode,
        ratio: end_to_end / inference,
        stages,
    };
    Ok((bench, top1))
}

/// Times each stage of `predict` alone on one thread over `ds` (see [`PredictStages`]).
fn predict_stages(
    ds: &Dataset,
    model: &LoadedModel,
    backend: &ResolvedBackend,
) -> anyhow::Result<PredictStages> {
    use crate::model::preprocess::{append_tensor, prepare_pixels};
    let n = ds.samples.len().max(1) as f64;
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0 / n;
    let t = Instant::now();
    let mut instance = backend.factory.create()?;
    let session_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let bytes: Vec<Vec<u8>> = ds
        .samples
        .iter()
        .map(|s| crate::dataset::image_io::read_image_bytes(&s.path).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    let read_ms = ms(t);
    let t = Instant::now();
    let images: Vec<image::DynamicImage> = bytes
        .iter()
        .zip(&ds.samples)
        .map(|(b, s)| {
            crate::dataset::image_io::decode_bytes(b, &s.path)
                .map(|d| d.image)
                .map_err(anyhow::Error::msg)
        })
        .collect::<anyhow::Result<_>>()?;
    let decode_ms = ms(t);
    drop(bytes);
    let input = &model.spec.input;
    let t = Instant::now();
    let prepared = images
        .iter()
        .map(|img| prepare_pixels(img, input))
        .collect::<Result<Vec<_>, _>>()?;
    let resize_ms = ms(t);
    drop(images);
    let t = Instant::now();
    let tensors: Vec<Vec<f32>> = prepared
        .iter()
        .map(|p| {
            let mut v = Vec::new();
            append_tensor(p, input, &mut v);
            v
        })
        .collect();
    let tensor_ms = ms(t);
    drop(prepared);
    // The first inference warms the session up and is not counted.
    if let Some(first) = tensors.first() {
        instance.run(first, 1)?;
    }
    let t = Instant::now();
    let mut raw = Vec::with_capacity(tensors.len());
    for x in &tensors {
        raw.push(instance.run(x, 1)?);
    }
    let inference_ms = ms(t);
    let mapping = crate::model::mapping::LabelMapping::new(
        &model.model_labels,
        model.spec.label_map.as_ref(),
        &ds.classes,
    )?;
    let t = Instant::now();
    for rows in &raw {
        if let Some(r) = rows.first() {
            let _ = crate::model::predict::finish_prediction(
                &r.logits,
                model.spec.output.kind,
                &mapping,
                0.0,
            );
        }
    }
    let finish_ms = ms(t);
    Ok(PredictStages {
        read_ms,
        decode_ms,
        resize_ms,
        tensor_ms,
        inference_ms,
        finish_ms,
        session_ms,
    })
}
