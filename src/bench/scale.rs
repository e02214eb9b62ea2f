//! Scale: a generated Fashion-like dataset of N (100,000 or 1,000,000) small images in class
//! folders: time to open it cold and warm, to predict it once with the bundled CNN (reading each
//! image's 128-value embedding in the same inference), to reload those predictions from the
//! cache (zero inferences) and to compute the metrics; then each analysis the window and the CLI
//! run on it (the image checks, the review queue from probabilities, the embedding analysis with
//! its neighbour index, training a head, an export with hard links, opening the export's
//! Parquet manifest), each with its time and the RSS after it, and the peak RSS.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::GrayImage;
use rayon::prelude::*;

use super::{peak_rss_mib, repo_path};
use crate::dataset::{OpenOptions, open_dataset};
use crate::eval::{PredictionSet, compute_metrics};
use crate::jobs::JobControl;
use crate::model::{BackendKind, PredictOptions, load_model, resolve_backend};

/// Figures of the scale benchmark.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScaleBench {
    /// Samples in the generated dataset.
    pub samples: usize,
    /// Seconds to write the dataset (not a labelscope figure; for context).
    pub generate_secs: f64,
    /// First open (scan); no labelscope state exists yet, and the OS page cache was dropped
    /// first when `page_cache_dropped` (needs root; otherwise the files are still cached from
    /// writing them).
    pub open_cold_secs: f64,
    /// Whether the page cache could be dropped before the cold open.
    pub page_cache_dropped: bool,
    /// Second open of the same folder.
    pub open_warm_secs: f64,
    /// Backend of the prediction run.
    pub backend: String,
    /// First prediction run over every sample (decode + infer), seconds.
    pub predict_secs: f64,
    /// Images per second of that run.
    pub predict_per_sec: f64,
    /// Re-running with the prediction cache: seconds (stat every file, look up every answer).
    pub reload_cached_secs: f64,
    /// Inferences during the cached reload (must be 0).
    pub reload_inferences: usize,
    /// Accuracy, per-class metrics, confusion and calibration over all samples, seconds.
    pub metrics_secs: f64,
    /// Each analysis after the metrics, in order.
    pub analyses: Vec<StageFigure>,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: Option<f64>,
}

/// One analysis of the scale benchmark.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StageFigure {
    /// What ran.
    pub name: String,
    /// Seconds.
    pub secs: f64,
    /// Resident memory after it, MiB.
    pub rss_after_mib: Option<f64>,
    /// What it found or wrote, in words.
    pub detail: String,
}

/// Runs `f` as the stage `name`, adding its figure to `stages`.
fn stage<T>(
    stages: &mut Vec<StageFigure>,
    name: &str,
    f: impl FnOnce() -> anyhow::Result<(T, String)>,
) -> anyhow::Result<T> {
    eprintln!("scale: {name}");
    let t = Instant::now();
    let (value, detail) = f()?;
    stages.push(StageFigure {
        name: name.to_string(),
        secs: t.elapsed().as_secs_f64(),
        rss_after_mib: super::rss_mib(),
        detail,
    });
    Ok(value)
}

/// Writes `n` small grayscale PNGs (56x56) into `dir/<class>/NNNNNN.png`, shifted and flipped
/// variants of the bundled Fashion sample (with its `classes.json`), in parallel.
pub fn generate_fashion_set(dir: &Path, n: usize) -> anyhow::Result<()> {
    let src = repo_path("sample_data/fashion")
        .ok_or_else(|| anyhow::anyhow!("sample_data/fashion not found"))?;
    let ds = open_dataset(&src, &OpenOptions::default()).map_err(anyhow::Error::msg)?;
    let mut sources: Vec<(String, GrayImage)> = Vec::with_capacity(ds.samples.len());
    for s in &ds.samples {
        let folder = s
            .path
            .parent()
            .and_then(Path::file_name)
            .ok_or_else(|| anyhow::anyhow!("no class folder: {}", s.path.display()))?
            .to_string_lossy()
            .into_owned();
        let img = crate::dataset::image_io::decode_image(&s.path).map_err(anyhow::Error::msg)?;
        let small = image::imageops::resize(&img.to_luma8(), 56, 56, image::imageops::Triangle);
        sources.push((folder, small));
    }
    if sources.is_empty() {
        return Err(anyhow::anyhow!("the Fashion sample is empty"));
    }
    std::fs::create_dir_all(dir).map_err(anyhow::Error::msg)?;
    std::fs::copy(src.join("classes.json"), dir.join("classes.json"))
        .map_err(|e| anyhow::anyhow!("classes.json: {e}"))?;
    for (folder, _) in &sources {
        std::fs::create_dir_all(dir.join(folder)).map_err(anyhow::Error::msg)?;
    }
    (0..n).into_par_iter().try_for_each(|k| {
        let (folder, img) = &sources[k % sources.len()];
        let round = k / sources.len();
        let dx = (round % 7) as i64 - 3;
        let mut out = GrayImage::new(56, 56);
        for (x, y, p) in out.enumerate_pixels_mut() {
            let sx = i64::from(x) - dx;
            if (0..56).contains(&sx) {
                *p = *img.get_pixel(sx as u32, y);
            }
        }
        if (round / 7) % 2 == 1 {
            image::imageops::flip_horizontal_in_place(&mut out);
        }
        out.save(dir.join(folder).join(format!("{k:06}.png")))
            .map_err(|e| anyhow::anyhow!("writing sample {k}: {e}"))
    })
}

/// Measures `n` samples in `dir`: generated there unless it already holds them (a kept
/// dataset from an earlier run: its `.labelscope` state and `export` folder, both the bench's
/// own, are removed first so the first prediction run is a first run).
pub fn bench_scale(
    dir: &Path,
    n: usize,
    threads: usize,
    backend: BackendKind,
) -> anyhow::Result<ScaleBench> {
    let data = dir.join("data");
    let t = Instant::now();
    let kept = open_dataset(&data, &OpenOptions::default())
        .is_ok_and(|ds| ds.samples.len() == n && ds.classes.len() == 10);
    if kept {
        for old in [data.join(".labelscope"), dir.join("export")] {
            if old.exists() {
                std::fs::remove_dir_all(&old)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", old.display()))?;
            }
        }
    } else {
        generate_fashion_set(&data, n)?;
    }
    let generate_secs = t.elapsed().as_secs_f64();
    let open = || open_dataset(&data, &OpenOptions::default());
    let page_cache_dropped = drop_page_cache();
    let t = Instant::now();
    let ds = open()?;
    let open_cold_secs = t.elapsed().as_secs_f64();
    drop(ds);
    let t = Instant::now();
    let ds = open()?;
    let open_warm_secs = t.elapsed().as_secs_f64();

    let model_path: PathBuf = repo_path("assets/models/fashion_cnn.onnx")
        .ok_or_else(|| anyhow::anyhow!("assets/models/fashion_cnn.onnx not found"))?;
    let model = load_model(&model_path).map_err(anyhow::Error::msg)?;
    let backend = resolve_backend(backend, &model).map_err(anyhow::Error::msg)?;
    let ws = crate::workspace::Workspace::new(ds);
    ws.state().map_err(|e| anyhow::anyhow!("{e}"))?;
    let ds = &*ws.dataset;
    let opts = PredictOptions {
        threads,
        use_cache: true,
        embeddings: true,
    };
    let job = JobControl::default();
    let run = || ws.run_model(&model, &backend, &opts, &job, None);
    let t = Instant::now();
    let first = run()?;
    let predict_secs = t.elapsed().as_secs_f64();
    let num_inferred = first.report.num_inferred;
    let backend_name = first.report.backend.clone();
    drop(first);
    let t = Instant::now();
    let again = run()?;
    let reload_cached_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let set = PredictionSet::from_report(
        "bench",
        &again.report,
        ds.classes.len(),
        &model.model_labels,
    );
    let truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
    let metrics = compute_metrics(&ds.classes, &truth, &set);
    let metrics_secs = t.elapsed().as_secs_f64();
    if metrics.num_evaluated + metrics.num_failed != ds.samples.len() {
        return Err(anyhow::anyhow!(
            "{} of {} samples evaluated",
            metrics.num_evaluated,
            ds.samples.len()
        ));
    }
    let analyses = analyses(dir, &ws, &again, &truth)?;
    Ok(ScaleBench {
        samples: ds.samples.len(),
        generate_secs,
        open_cold_secs,
        page_cache_dropped,
        open_warm_secs,
        backend: backend_name,
        predict_secs,
        predict_per_sec: num_inferred as f64 / predict_secs,
        reload_cached_secs,
        reload_inferences: again.report.num_inferred,
        metrics_secs,
        analyses,
        peak_rss_mib: peak_rss_mib(),
    })
}

/// The analyses after a prediction run that kept the embeddings: each one the window and the
/// CLI run, through the same workspace verbs.
fn analyses(
    dir: &Path,
    ws: &crate::workspace::Workspace,
    run: &crate::workspace::ModelRun,
    truth: &[Option<crate::dataset::ClassId>],
) -> anyhow::Result<Vec<StageFigure>> {
    use crate::problems::{AnalysisInputs, FindingKind, ProblemOptions};
    let job = JobControl::default();
    let mut stages = Vec::new();
    let kinds = |k: &[FindingKind]| ProblemOptions {
        kinds: k.to_vec(),
        ..ProblemOptions::default()
    };
    let set = stage(&mut stages, "embedding set (normalise every row)", || {
        let set = run.embeddings().map_err(|e| anyhow::anyhow!("{e}"))?;
        let what = format!("{} x {}", set.len(), set.dim);
        Ok((set, what))
    })?;
    let image_opts = kinds(&[
        FindingKind::Duplicate,
        FindingKind::Unreadable,
        FindingKind::Odd,
    ]);
    let checks = stage(
        &mut stages,
        "image checks (exact and pixel copies, unreadable, odd)",
        || {
            let p = ws.image_checks(&image_opts, &job)?;
            let what = format!(
                "{} findings, {} duplicate groups",
                p.findings.len(),
                p.groups.len()
            );
            Ok((p, what))
        },
    )?;
    let label_opts = kinds(&[FindingKind::Label]);
    stage(&mut stages, "review queue from probabilities", || {
        let q = ws.label_issues(truth, &run.set, &label_opts, &job)?;
        let flagged = q.queue.iter().filter(|e| e.flagged).count();
        Ok(((), format!("{flagged} flagged")))
    })?;
    let embedding_opts = kinds(&[
        FindingKind::Label,
        FindingKind::Outlier,
        FindingKind::NearDuplicate,
    ]);
    stage(
        &mut stages,
        "embedding analysis (neighbour index, outliers, near copies, label quality)",
        || {
            let inputs = AnalysisInputs {
                truth,
                preds: Some(&run.set),
                set: &set,
                signatures: checks.signatures.as_deref(),
                hood: None,
                warm: None,
            };
            let a = ws.analyse_embeddings(inputs, &embedding_opts, &job)?;
            let flagged = a
                .quality
                .as_ref()
                .map_or(0, |q| q.queue.iter().filter(|e| e.flagged).count());
            let what = format!(
                "{} outlier and near-copy findings, {flagged} label issues",
                a.findings.len()
            );
            Ok(((), what))
        },
    )?;
    for (labelled, name) in [
        (
            0,
            "select 50 to label (auto, nothing labelled: typical images of 50 clusters)",
        ),
        (
            1_000,
            "select 50 to label (auto, 1,000 labelled: uncertain and diverse, class quotas)",
        ),
    ] {
        stage(&mut stages, name, || {
            let picks = select_from(&set, &run.set, &ws.dataset.classes, labelled)?;
            Ok(((), format!("{} picked", picks)))
        })?;
    }
    drop(set);
    let edits = crate::curation::CurationState::default();
    stage(&mut stages, "train a head (90/10 split)", || {
        let req = crate::head::run::TrainRequest {
            head: crate::head::HeadOptions::default(),
            plan: crate::export::PlanOptions::default(),
            compare_original_labels: false,
        };
        let out = ws.train_head(run, &edits, &req, &job, |_, _| {})?;
        let what = format!(
            "{} train / {} validation rows",
            out.split.train.len(),
            out.split.val.len()
        );
        Ok(((), what))
    })?;
    let target = dir.join("export");
    stage(
        &mut stages,
        "export (hard links; ImageFolder, CSV and Parquet manifests)",
        || {
            let opts = crate::export::ExportOptions {
                link: crate::export::LinkMode::Hardlink,
                ..crate::export::ExportOptions::new(target.clone())
            };
            let plan = crate::export::PlanOptions::default();
            let (_, summary) = ws
                .export(&edits, Some(&run.set), &plan, &opts, None, &job)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(((), format!("{} files written", summary.files)))
        },
    )?;
    let manifest = target.join("manifest.parquet");
    let _ = open_dataset(&manifest, &OpenOptions::default());
    stage(
        &mut stages,
        "open the export's Parquet manifest again (warm)",
        || {
            let ds = open_dataset(&manifest, &OpenOptions::default())?;
            Ok(((), format!("{} rows", ds.samples.len())))
        },
    )?;
    Ok(stages)
}

/// `select` over the whole set as the pool with its predictions, `labelled` evenly spaced rows
/// of it taken as labelled (with their predicted class); how many were picked.
fn select_from(
    set: &crate::embed::EmbeddingSet,
    preds: &PredictionSet,
    classes: &[String],
    labelled: usize,
) -> anyhow::Result<usize> {
    use crate::select::{SelectInputs, Strategy, select};
    let pool = set.matrix().into_owned();
    let probs = crate::select::probabilities(set, preds, classes.len())
        .ok_or_else(|| anyhow::anyhow!("a sample has no probabilities"))?;
    let step = (set.len() / labelled.max(1)).max(1);
    let rows: Vec<usize> = (0..set.len()).step_by(step).take(labelled).collect();
    let seen = pool.select(ndarray::Axis(0), &rows);
    let seen_classes: Vec<usize> = rows
        .iter()
        .map(|&r| {
            let p = probs.row(r);
            (0..classes.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0)
        })
        .collect();
    let inputs = SelectInputs {
        pool: pool.view(),
        probs: Some(probs.view()),
        labelled: seen.view(),
        labelled_classes: &seen_classes,
        classes,
    };
    let picks = select(&inputs, 50, Strategy::Auto, 0).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(picks.len())
}

/// Flushes and drops the Linux page cache (root only); whether it worked.
fn drop_page_cache() -> bool {
    let synced = std::process::Command::new("sync")
        .status()
        .is_ok_and(|s| s.success());
    synced && std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_set_opens_with_the_fashion_labels_and_every_sample() {
        let dir = tempfile::tempdir().unwrap();
        generate_fashion_set(dir.path(), 30).unwrap();
        let ds = open_dataset(dir.path(), &OpenOptions::default()).unwrap();
        assert_eq!(ds.samples.len(), 30);
        assert_eq!(ds.classes.len(), 10);
        assert!(ds.classes.iter().any(|c| c == "T-shirt/top"));
        let img = crate::dataset::image_io::decode_image(&ds.samples[0].path).unwrap();
        assert_eq!((img.width(), img.height()), (56, 56));
        // Variants of one source differ (shifted), so they are not byte-identical copies.
        let a = std::fs::read(&ds.samples[0].path).unwrap();
        assert!(
            ds.samples[1..]
                .iter()
                .all(|s| std::fs::read(&s.path).unwrap() != a)
        );
    }
}
