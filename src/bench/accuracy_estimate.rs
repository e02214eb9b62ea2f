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
use crate::monitor::stats::{above, atc_threshold};
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
    /// The ATC estimate with the top probability as the score (no labels used).
    pub estimated: f64,
    /// The ATC estimate with the negative entropy of the probabilities as the score.
    pub estimated_ne: f64,
    /// The average confidence (the mean top probability): the estimate a calibrated model's
    /// confidences make on their own.
    pub average_confidence: f64,
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

/// One run's per-sample facts: right or wrong, the top probability, the negative entropy.
struct Scored {
    right: Vec<bool>,
    confidence: Vec<f32>,
    neg_entropy: Vec<f32>,
}

impl Scored {
    fn accuracy(&self) -> f64 {
        self.right.iter().filter(|&&r| r).count() as f64 / self.right.len().max(1) as f64
    }
}

fn score(ws: &Workspace, model: &LoadedModel, backend: BackendKind) -> anyhow::Result<Scored> {
    let b = resolve_backend(backend, model)?;
    let opts = PredictOptions {
        use_cache: false,
        ..PredictOptions::default()
    };
    let run = ws.run_model(model, &b, &opts, &JobControl::default(), None)?;
    let mut out = Scored {
        right: Vec::new(),
        confidence: Vec::new(),
        neg_entropy: Vec::new(),
    };
    for (e, s) in run.set.entries.iter().zip(&ws.dataset.samples) {
        if let Entry::Predicted(p) = e
            && let (Some(c), Some(probs)) = (p.confidence, &p.probs)
        {
            out.right.push(p.predicted == Predicted::Class(s.label));
            out.confidence.push(c);
            out.neg_entropy
                .push(crate::monitor::stats::negative_entropy(probs));
        }
    }
    Ok(out)
}

/// How often the confidence test (two-sample KS, exact p-value) rejects at
/// `alpha` when nothing changed: the clean sample's confidences split at random, `trials` times,
/// into a reference half and a window of `window` from the other half.
pub fn confidence_false_alarms(
    confidences: &[f32],
    window: usize,
    alpha: f64,
    trials: usize,
) -> f64 {
    let mut state = 0x5EED_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut rejected = 0;
    let mut v = confidences.to_vec();
    for _ in 0..trials {
        // Fisher-Yates shuffle.
        for i in (1..v.len()).rev() {
            v.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        let (reference, rest) = v.split_at(v.len() / 2);
        let w = &rest[..window.min(rest.len())];
        if crate::monitor::ks::ks_2samp(reference, w).is_some_and(|r| r.p_value < alpha) {
            rejected += 1;
        }
    }
    rejected as f64 / trials as f64
}

/// The clean sample's confidences (for [`confidence_false_alarms`]).
pub fn clean_confidences(
    sample: &Path,
    model: &LoadedModel,
    backend: BackendKind,
) -> anyhow::Result<Vec<f32>> {
    let ds = open_dataset(sample, &OpenOptions::default())?;
    Ok(score(&Workspace::new(ds), model, backend)?.confidence)
}

/// The estimate beside the accuracy for the clean sample and 3 corruptions x 3 severities,
/// with both scores: the top probability and the negative entropy (ATC-NE).
pub fn bench_accuracy_estimate(
    sample: &Path,
    model: &LoadedModel,
    backend: BackendKind,
    scratch: &Path,
) -> anyhow::Result<Vec<EstimateRow>> {
    let ds = open_dataset(sample, &OpenOptions::default())?;
    let clean = score(&Workspace::new(ds.clone()), model, backend)?;
    let acc = clean.accuracy();
    let t_conf = atc_threshold(&clean.confidence, acc)
        .ok_or_else(|| anyhow::anyhow!("the reference has no confidences"))?;
    let t_ne = atc_threshold(&clean.neg_entropy, acc)
        .ok_or_else(|| anyhow::anyhow!("the reference has no probabilities"))?;
    let row = |name: &str, severity: u8, s: &Scored| EstimateRow {
        corruption: name.to_string(),
        severity,
        accuracy: s.accuracy(),
        estimated: above(&s.confidence, t_conf) as f64 / s.confidence.len().max(1) as f64,
        estimated_ne: above(&s.neg_entropy, t_ne) as f64 / s.neg_entropy.len().max(1) as f64,
        average_confidence: s.confidence.iter().map(|&c| f64::from(c)).sum::<f64>()
            / s.confidence.len().max(1) as f64,
    };
    let mut rows = vec![row("clean", 0, &clean)];
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
            let shifted = score(
                &Workspace::open(&dir, &OpenOptions::default())?,
                model,
                backend,
            )?;
            rows.push(row(name, k as u8 + 1, &shifted));
        }
    }
    Ok(rows)
}
