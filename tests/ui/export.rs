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
