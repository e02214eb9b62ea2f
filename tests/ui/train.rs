//! The "Train a head" dialog: trains in the background with a live loss curve, shows the
//! before/after table and writes a model labelscope opens.

use std::time::Duration;

use egui_kittest::kittest::Queryable;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use labelscope::app::AppCommand;

#[test]
fn the_dialog_trains_compares_and_writes_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    h.state_mut().apply(AppCommand::OpenTrain);
    h.run_steps(2);
    h.get_by_label("Train").click();
    h.run_steps(1);
    step_until(&mut h, Duration::from_secs(120), |app| {
        app.train
            .as_ref()
            .is_some_and(|d| d.done.is_some() || d.message.is_some())
    });
    {
        let d = h.state().train.as_ref().unwrap();
        assert!(d.message.is_none(), "{:?}", d.message);
        let done = d.done.as_ref().unwrap();
        let names: Vec<&str> = done.outcome.rows.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "original model",
                "head, original labels",
                "head, cleaned labels"
            ]
        );
        let curve = d.curve.lock().unwrap();
        assert!(curve[0].len() > 3 && curve[1].len() > 3);
    }
    h.get_by_label("head, cleaned labels");
    // Plain words for C, a legend telling the curves apart, the confusion matrices in reach.
    h.get_by_label("Regularisation (C)");
    h.get_by_label("current labels, validation");
    h.get_by_label("original labels, train");
    h.get_by_label_contains("Confusion matrices");
    // Beside the dataset, never inside it (a folder in the dataset is refused).
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path().join("written-head");
    h.state_mut().train.as_mut().unwrap().out = out.display().to_string();
    h.run_steps(4);
    h.get_by_label("Write model").click();
    h.run_steps(2);
    let d = h.state().train.as_ref().unwrap();
    assert!(matches!(d.message, Some(Ok(_))), "{:?}", d.message);
    for f in ["head.onnx", "head.json", "report.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let model = labelscope::model::load_model(&out.join("head.json")).unwrap();
    assert_eq!(model.model_labels.len(), 10);
}
