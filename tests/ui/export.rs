//! The export dialog, headless through egui_kittest: opened from the File menu, preview counts,
//! the export running in the background and landing on disk with the edits applied.

use std::time::Duration;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use egui_kittest::kittest::Queryable;

#[test]
fn export_dialog_previews_and_writes_the_cleaned_splits() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut h = app_on_fashion_subset(&data);
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    // Exclude the first sample (X, reason), then open the dialog from the File menu.
    h.key_press(egui::Key::Home);
    h.run_steps(2);
    h.key_press(egui::Key::X);
    h.run_steps(2);
    h.get_by_label_contains("duplicate").click();
    h.run_steps(2);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Export cleaned splits…").click();
    h.run_steps(3);
    assert!(h.state().export.is_some());
    // The preview: 59 samples, 10% of each class of 6 (round(0.6) = 1) in val.
    h.get_by_label("Total");
    let out = dir.path().join("out");
    h.state_mut().export.as_mut().unwrap().out = out.display().to_string();
    h.run_steps(1);
    {
        let d = h.state().export.as_ref().unwrap();
        let plan = &d.preview.as_ref().unwrap().2;
        assert_eq!(plan.rows.len(), 59);
        assert_eq!(plan.excluded.len(), 1);
        assert_eq!(plan.split_len(labelscope::export::Split::Val), 10);
    }
    h.get_by_label("Export").click();
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.export.as_ref().is_some_and(|d| d.result.is_some())
    });
    let d = h.state().export.as_ref().unwrap();
    let msg = d.result.clone().unwrap().unwrap();
    assert!(msg.contains("train 49, val 10"), "{msg}");
    h.get_by_label_contains("Exported to");
    let manifest = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    assert_eq!(manifest.lines().count(), 60, "header + 59 rows");
    assert!(out.join("report.md").is_file());
}

/// With the model's predictions, "Soft labels" offers a distillation temperature and the export
/// writes the model's probabilities as a teacher's at that temperature, as `export
/// --soft-labels` does.
#[test]
fn soft_labels_in_the_dialog_are_the_models_at_the_chosen_temperature() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut h = app_on_fashion_subset(&data);
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Export cleaned splits…").click();
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("as teacher, temperature")
            .is_none(),
        "no temperature before soft labels are asked for"
    );
    h.get_by_label("Soft labels (prob_<label>) in manifests")
        .click();
    h.run_steps(2);
    h.get_by_label_contains("as teacher, temperature");
    let out = dir.path().join("out");
    {
        let d = h.state_mut().export.as_mut().unwrap();
        d.out = out.display().to_string();
        d.temperature = 2.0;
    }
    h.run_steps(1);
    h.get_by_label("Export").click();
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.export.as_ref().is_some_and(|d| d.result.is_some())
    });
    let msg = h.state().export.as_ref().unwrap().result.clone().unwrap();
    assert!(msg.is_ok(), "{msg:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["soft_labels"]["distillation_temperature"], 2.0);
    assert!(
        report["soft_labels"]["model"]
            .as_str()
            .unwrap()
            .contains("Fashion"),
        "{report}"
    );
    // At T = 2 no probability is above what the model said at T = 1, for its top class.
    let m = labelscope::table::read_table(&out.join("manifest.csv")).unwrap();
    let conf = m.column("confidence").unwrap();
    let probs: Vec<&[Option<String>]> = m
        .names
        .iter()
        .filter(|n| n.starts_with("prob_"))
        .map(|n| m.column(n).unwrap())
        .collect();
    assert_eq!(probs.len(), 10);
    for row in 0..conf.len() {
        let p: Vec<f64> = probs
            .iter()
            .map(|c| c[row].as_deref().unwrap().parse().unwrap())
            .collect();
        let top = p.iter().cloned().fold(0.0, f64::max);
        let c: f64 = conf[row].as_deref().unwrap().parse().unwrap();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-4);
        assert!(top <= c + 1e-6, "row {row}: {top} at T=2 vs {c}");
        assert!(c > 0.999 || top < c, "row {row}: softened");
    }
}
