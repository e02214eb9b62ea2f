//! Metrics > Calibration: fit a temperature in the background, show both reliability diagrams,
//! use the calibrated confidences (labels unchanged), save a calibrated copy of the spec and
//! refuse to write over the model.

use std::time::Duration;

use egui_kittest::kittest::Queryable;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use labelscope::app::{AppCommand, JobKind};
use labelscope::eval::Entry;

fn labels(app: &labelscope::app::LabelscopeApp) -> Vec<String> {
    let s = app.session.as_ref().unwrap();
    s.predictions
        .set
        .as_ref()
        .unwrap()
        .entries
        .iter()
        .map(|e| match e {
            Entry::Predicted(p) => format!("{:?}", p.predicted),
            _ => "-".into(),
        })
        .collect()
}

#[test]
fn calibrate_shows_both_diagrams_uses_and_saves_the_temperature() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    h.get_by_label("Calibrate (fit a temperature)");
    h.state_mut().apply(AppCommand::Calibrate);
    step_until(&mut h, Duration::from_secs(60), |app| {
        let s = app.session.as_ref().unwrap();
        !s.jobs.is_running(JobKind::Calibrate) && s.predictions.calibration.outcome.is_some()
    });
    let (t, ece_after) = {
        let s = h.state().session.as_ref().unwrap();
        let o = s.predictions.calibration.outcome.as_ref().unwrap();
        let o = o.as_ref().expect("the fit failed");
        assert_eq!(o.split, None, "the subset has no split");
        assert!(o.in_sample);
        assert!(o.calibration.after.nll < o.calibration.before.nll);
        (o.calibration.temperature, o.calibration.after.ece)
    };
    h.get_by_label_contains("Before (ECE");
    h.get_by_label_contains("After (ECE");
    h.get_by_label_contains(&format!("T = {t:.3}"));

    let before = labels(h.state());
    h.state_mut().apply(AppCommand::UseCalibration(true));
    h.run_steps(3);
    assert_eq!(labels(h.state()), before, "a temperature changed a label");
    {
        let s = h.state().session.as_ref().unwrap();
        let m = s.predictions.metrics.as_ref().unwrap();
        assert!((m.ece - ece_after).abs() < 1e-6, "{} vs {ece_after}", m.ece);
        let model = s.predictions.model.as_ref().unwrap();
        assert_eq!(model.spec.output.temperature, Some(t));
    }
    h.get_by_label("Use the model's own");
    // The detail view says the confidence is calibrated.
    h.state_mut().apply(AppCommand::SelectPosition(0));
    h.state_mut().apply(AppCommand::OpenDetail);
    h.run_steps(3);
    h.get_by_label_contains(&format!("Confidence calibrated: temperature {t:.3}"));

    let out = tempfile::tempdir().unwrap();
    let spec = out.path().join("calibrated.json");
    h.state_mut()
        .apply(AppCommand::SaveCalibratedSpec(spec.clone()));
    h.run_steps(2);
    let model = labelscope::model::load_model(&spec).unwrap();
    assert_eq!(model.spec.output.temperature, Some(t));
    // Over the model itself: refused, and the model is untouched.
    let onnx = crate::common::repo().join("assets/models/fashion_cnn.onnx");
    let bytes = std::fs::read(&onnx).unwrap();
    h.state_mut()
        .apply(AppCommand::SaveCalibratedSpec(onnx.clone()));
    h.run_steps(2);
    let s = h.state().session.as_ref().unwrap();
    let saved = s.predictions.calibration.saved.as_ref().unwrap();
    assert!(
        saved.as_ref().is_err_and(|e| e.contains("refusing")),
        "{saved:?}"
    );
    assert_eq!(std::fs::read(&onnx).unwrap(), bytes);

    h.state_mut().apply(AppCommand::UseCalibration(false));
    h.run_steps(2);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(
        s.predictions
            .model
            .as_ref()
            .unwrap()
            .spec
            .output
            .temperature,
        None
    );
}
