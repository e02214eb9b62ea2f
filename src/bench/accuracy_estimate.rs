//! How close the monitor's accuracy estimate without labels (average thresholded confidence)
//! comes to the true accuracy on shifted images: the bundled Fashion sample is the reference;
//! copies of it with Gaussian noise, blur and lowered contrast at three severities each (as in
//! ImageNet-C) are the "deployed" windows, predicted by the same model; each one's estimate is
//! set beside its accuracy against the sample's labels.

use std::path::Path;

use image::{GrayImage, Luma};
use serde::Serialize;

use crate::dataset::{Dataset, OpenOptions, open_dataset};
use crate::eval::{Entry, Predicted};
use crate::jobs::JobControl;
use crate::model::{BackendKind, LoadedModel, PredictOptions, resolve_backend};
use crate::monitor::Reference;
use crate::monitor::stats::above;
use crate::workspace::Workspace;

/// One corruption at one severity.
#[derive(Clone, Debug, Serialize)]
pub struct EstimateRow {
    /// `clean`, `noise`, `blur` or `contrast`.
    pub corruption: String,
    /// 1 (mild) to 3 (strong); 0 for the clean images.
    pub severity: u8,
    /// Accuracy against the labels.
    pub accuracy: f64,
    /// The ATC estimate (no labels used).
    pub estimated: f64,
}

/// A corruption of a greyscale image.
#[derive(Clone, Copy, Debug)]
enum Corruption {
    Noise(f32),
    Blur(f32),
    Contrast(f32),
}

fn corrupt(img: &GrayImage, c: Corruption, seed: u64) -> GrayImage {
    match c {
        Corruption::Blur(sigma) => image::imageops::blur(img, sigma),
        Corruption::Contrast(k) => {
            let mean = img.pixels().map(|p| f32::from(p[0])).sum::<f32>() / img.len().max(1) as f32;
            let mut out = img.clone();
            for p in out.pixels_mut() {
                p[0] = ((f32::from(p[0]) - mean) * k + mean)
                    .round()
                    .clamp(0.0, 255.0) as u8;
            }
            out
        }
        Corruption::Noise(sd) => {
            let mut state = seed;
            let mut uniform = move || {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
            };
            let mut out = img.clone();
            for p in out.pixels_mut() {
                // Box-Muller.
                let n = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
                let v = f64::from(p[0]) + n * f64::from(sd) * 255.0;
                *p = Luma([v.round().clamp(0.0, 255.0) as u8]);
            }
            out
        }
    }
}

/// Writes a corrupted copy of every image of `ds` under `dir` (same relative paths).
fn write_corrupted(ds: &Dataset, dir: &Path, c: Corruption) -> anyhow::Result<()> {
    for (i, s) in ds.samples.iter().enumerate() {
        let img = crate::dataset::image_io::decode_image(&s.path)?.to_luma8();
        let out = dir.join(&s.id.0);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        corrupt(&img, c, i as u64).save(&out)?;
    }
    Ok(())
}

fn run(ws: &Workspace, model: &LoadedModel, backend: BackendKind) -> anyhow::Result<Reference> {
    let b = resolve_backend(backend, model)?;
    let opts = PredictOptions {
        use_cache: false,
        ..PredictOptions::default()
    };
    let run = ws.run_model(model, &b, &opts, &JobControl::default(), None)?;
    Ok(Reference::new(
        &ws.dataset.classes,
        &run.set,
        &ws.original_labels(),
    ))
}

/// The estimate beside the accuracy for the clean sample and 3 corruptions x 3 severities.
pub fn bench_accuracy_estimate(
    sample: &Path,
    model: &LoadedModel,
    backend: BackendKind,
    scratch: &Path,
) -> anyhow::Result<Vec<EstimateRow>> {
    let ds = open_dataset(sample, &OpenOptions::default())?;
    let clean = Workspace::new(ds.clone());
    let reference = run(&clean, model, backend)?;
    let threshold = reference
        .atc_threshold
        .ok_or_else(|| anyhow::anyhow!("the reference has no confidences"))?;
    let mut rows = vec![estimate(&clean, model, backend, threshold, "clean", 0)?];
    let settings = [
        ("noise", [0.08, 0.16, 0.32].map(Corruption::Noise)),
        ("blur", [0.7, 1.4, 2.8].map(Corruption::Blur)),
        ("contrast", [0.5, 0.3, 0.15].map(Corruption::Contrast)),
    ];
    for (name, levels) in settings {
        for (k, c) in levels.into_iter().enumerate() {
            let dir = scratch.join(format!("{name}-{}", k + 1));
            let _ = std::fs::remove_dir_all(&dir);
            write_corrupted(&ds, &dir, c)?;
            let shifted = Workspace::open(&dir, &OpenOptions::default())?;
            rows.push(estimate(
                &shifted,
                model,
                backend,
                threshold,
                name,
                k as u8 + 1,
            )?);
        }
    }
    Ok(rows)
}

fn estimate(
    ws: &Workspace,
    model: &LoadedModel,
    backend: BackendKind,
    threshold: f32,
    name: &str,
    severity: u8,
) -> anyhow::Result<EstimateRow> {
    let b = resolve_backend(backend, model)?;
    let opts = PredictOptions {
        use_cache: false,
        ..PredictOptions::default()
    };
    let run = ws.run_model(model, &b, &opts, &JobControl::default(), None)?;
    let (mut right, mut n, mut confidences) = (0usize, 0usize, Vec::new());
    for (e, s) in run.set.entries.iter().zip(&ws.dataset.samples) {
        if let Entry::Predicted(p) = e {
            n += 1;
            right += usize::from(p.predicted == Predicted::Class(s.label));
            confidences.extend(p.confidence);
        }
    }
    let n = n.max(1);
    Ok(EstimateRow {
        corruption: name.to_string(),
        severity,
        accuracy: right as f64 / n as f64,
        estimated: above(&confidences, threshold) as f64 / confidences.len().max(1) as f64,
    })
}
