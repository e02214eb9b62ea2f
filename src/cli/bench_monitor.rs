//! `labelscope bench --suite monitor`: the drift tests' false alarms and power by simulation,
//! and the accuracy estimate without labels against the truth on corrupted copies of the bundled
//! sample. Each prints a table and returns its figures for the JSON file.

use anyhow::{Result, anyhow};

use crate::model::BackendKind;

/// The class-mix drift test's false alarms and power (simulated, 1,000 trials per setting).
pub fn class_mix_suite() -> Result<serde_json::Value> {
    let rows = crate::bench::monitor::bench_class_mix(
        1212,
        &[150, 1212, 5000],
        &[0.0, 0.02, 0.05, 0.10],
        0.05,
        1000,
    );
    println!(
        "
class-mix drift test at level 0.05: reference 1,212 predictions, 1,000 trials"
    );
    println!("  window  shift  homogeneity (used)  goodness of fit (not used)");
    for r in &rows {
        println!(
            "  {:>6}  {:>4.0}%  {:>18.1}%  {:>25.1}%",
            r.window_n,
            r.shift * 100.0,
            r.homogeneity * 100.0,
            r.goodness_of_fit * 100.0
        );
    }
    Ok(serde_json::to_value(rows)?)
}

/// The accuracy estimate without labels against the true accuracy on corrupted copies of the
/// bundled sample (the bundled Fashion CNN).
pub fn accuracy_estimate_suite(
    backend: BackendKind,
    scratch: &std::path::Path,
) -> Result<serde_json::Value> {
    let sample = crate::bench::repo_path("sample_data/fashion")
        .ok_or_else(|| anyhow!("sample_data/fashion not found"))?;
    let model = crate::bench::repo_path("assets/models/fashion_cnn.onnx")
        .ok_or_else(|| anyhow!("assets/models/fashion_cnn.onnx not found"))?;
    let model = crate::model::load_model(&model)?;
    let rows = crate::bench::accuracy_estimate::bench_accuracy_estimate(
        &sample, &model, backend, scratch,
    )?;
    let (calibrated, temperature) = calibrated_on_pool_test(&model, backend)?;
    let calibrated_rows = crate::bench::accuracy_estimate::bench_accuracy_estimate(
        &sample,
        &calibrated,
        backend,
        scratch,
    )?;
    let _ = std::fs::remove_dir_all(scratch);
    let confidences = crate::bench::accuracy_estimate::clean_confidences(&sample, &model, backend)?;
    let false_alarms: Vec<(usize, f64)> = [150, 300, 600]
        .iter()
        .map(|&w| {
            let rate = crate::bench::accuracy_estimate::confidence_false_alarms(
                &confidences,
                w,
                0.05,
                1000,
            );
            (w, rate)
        })
        .collect();
    println!(
        "\nconfidence test (two-sample KS, exact) with no shift: the sample split at random 1,000 times"
    );
    for (w, rate) in &false_alarms {
        println!("  window {w:>4}: false alarms {:.1}%", rate * 100.0);
    }
    for (title, rows) in [
        ("Fashion CNN".to_string(), &rows),
        (
            format!("Fashion CNN calibrated on sample_data/pool_test (T = {temperature:.3})"),
            &calibrated_rows,
        ),
    ] {
        println!("\naccuracy without labels on corrupted copies of the bundled sample, {title}");
        println!(
            "  corruption  severity  accuracy  ATC top prob. (error)  ATC neg. entropy (error)  average conf. (error)"
        );
        for r in rows {
            println!(
                "  {:<10}  {:>8}  {:>7.1}%  {:>11.1}% ({:>+5.1})  {:>14.1}% ({:>+5.1})  {:>11.1}% ({:>+5.1})",
                r.corruption,
                r.severity,
                r.accuracy * 100.0,
                r.estimated * 100.0,
                (r.estimated - r.accuracy) * 100.0,
                r.estimated_ne * 100.0,
                (r.estimated_ne - r.accuracy) * 100.0,
                r.average_confidence * 100.0,
                (r.average_confidence - r.accuracy) * 100.0
            );
        }
    }
    Ok(serde_json::json!({
        "estimates": rows,
        "calibrated": {"temperature": temperature, "estimates": calibrated_rows},
        "confidence_false_alarms": false_alarms,
    }))
}

/// The model with a temperature fitted on the 200 held-out labelled images of
/// `sample_data/pool_test` (none of them in the sample), and that temperature.
fn calibrated_on_pool_test(
    model: &crate::model::LoadedModel,
    backend: BackendKind,
) -> Result<(crate::model::LoadedModel, f64)> {
    let held_out = crate::bench::repo_path("sample_data/pool_test")
        .ok_or_else(|| anyhow!("sample_data/pool_test not found"))?;
    let ws = crate::workspace::Workspace::open(&held_out, &Default::default())?;
    let b = crate::model::resolve_backend(backend, model)?;
    let opts = crate::model::PredictOptions {
        use_cache: false,
        ..Default::default()
    };
    let run = ws.run_model(model, &b, &opts, &crate::jobs::JobControl::default(), None)?;
    let truth = ws.original_labels();
    let outcome = ws.calibrate(&run.set, &truth, None, 1.0)?;
    let mut calibrated = model.clone();
    calibrated.spec.output.temperature = Some(outcome.calibration.temperature);
    Ok((calibrated, outcome.calibration.temperature))
}

/// The embedding drift test: false alarms and power over 100 trials each (a reference of 4,000
/// embedding-shaped 1,280-d vectors against a window of 2,000), then the time of a 100,000-row
/// reference against a 20,000-row window.
pub fn embedding_drift_suite(trials: usize) -> Result<serde_json::Value> {
    use crate::bench::embedding_drift::{Shaped, rejection_rate, scale};
    let shaped = Shaped::new(1280, 0xE4B);
    println!(
        "\nembedding drift at 0.05 (MMD on PCA-32 and novel rows by reconstruction error, both fitted on half the reference; Bonferroni): 1,280-d vectors, {trials} trials"
    );
    println!(
        "  reference  window  setting                         rejected  (MMD / novel)  mean AUC"
    );
    let mut rows = Vec::new();
    for setting in [(0.0, 0), (0.02, 64), (0.05, 64), (0.02, 256)] {
        let r = rejection_rate(&shaped, 4_000, 2_000, setting, trials, 0.05);
        println!(
            "  {:>9}  {:>6}  {:<30}  {:>7.1}%  ({:>4.1}% / {:>4.1}%)  {:>8.3}",
            r.reference_n,
            r.window_n,
            r.setting,
            r.rejected * 100.0,
            r.mmd_rejected * 100.0,
            r.novel_rejected * 100.0,
            r.mean_auc
        );
        rows.push(r);
    }
    let s = scale(&shaped, 100_000, 20_000);
    println!(
        "  scale: reference {} x {} fitted in {:.2} s; window {} tested in {:.2} s (KS {:.3} s), p = {:.3}",
        s.reference_n, s.dim, s.fit_secs, s.window_n, s.test_secs, s.ks_secs, s.p_value
    );
    Ok(serde_json::json!({ "rates": rows, "scale": s }))
}

/// Choosing what to label, by simulation on the bundled sample's embeddings (the Fashion CNN's).
/// `model` replaces the Fashion CNN as the source of embeddings (an ImageNet model sees the
/// Fashion classes as a new task).
pub fn select_suite(
    backend: BackendKind,
    model: Option<&std::path::Path>,
) -> Result<serde_json::Value> {
    let sample = crate::bench::repo_path("sample_data/fashion")
        .ok_or_else(|| anyhow!("sample_data/fashion not found"))?;
    let model = match model {
        Some(m) => m.to_path_buf(),
        None => crate::bench::repo_path("assets/models/fashion_cnn.onnx")
            .ok_or_else(|| anyhow!("assets/models/fashion_cnn.onnx not found"))?,
    };
    let model = crate::model::load_model(&model)?;
    let ds = crate::dataset::open_dataset(&sample, &crate::dataset::OpenOptions::default())?;
    let labels: Vec<usize> = ds.samples.iter().map(|s| s.label.index()).collect();
    let classes = ds.classes.len();
    let ws = crate::workspace::Workspace::new(ds);
    let b = crate::model::resolve_backend(backend, &model)?;
    let set = crate::bench::fresh_embeddings(&ws, &model, &b)?;
    let x = set.matrix().into_owned();
    let y: Vec<usize> = set.samples.iter().map(|&s| labels[s as usize]).collect();
    let (rounds, budget, seeds) = (6, 20, 5);
    let rows = crate::bench::select::bench_select(&x, &y, classes, rounds, budget, seeds);
    println!(
        "\nchoosing what to label: {} Fashion images ({}-d embeddings of {}), 30% held out; 2 labels per class, then {rounds} rounds of {budget}; linear head; mean test accuracy of {seeds} seeds",
        set.len(),
        set.dim,
        model.spec.name
    );
    if let Some(first) = rows.first() {
        let header: String = first.labels.iter().map(|n| format!(" {n:>6}")).collect();
        println!("  {:<16}{header}  (labels)", "strategy");
    }
    for r in &rows {
        let cells: String = r
            .accuracy
            .iter()
            .map(|a| format!(" {:>5.1}%", a * 100.0))
            .collect();
        println!("  {:<16}{cells}", r.strategy);
    }
    Ok(serde_json::to_value(rows)?)
}
