//! Metrics > Resolution trade-off: the model at lowered resolutions joins the comparison, each
//! image decoded once, beside the main predictions.

use std::time::Duration;

use egui_kittest::kittest::Queryable;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use labelscope::app::{AppCommand, JobKind};

#[test]
fn lowered_resolutions_join_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    h.get_by_label("Resolution trade-off");
    h.state_mut()
        .apply(AppCommand::CompareResolutions(vec![7, 112]));
    step_until(&mut h, Duration::from_secs(120), |app| {
        let s = app.session.as_ref().unwrap();
        !s.jobs.is_running(JobKind::Compare) && s.compare.sets.len() == 2
    });
    let s = h.state().session.as_ref().unwrap();
    assert!(
        s.compare.sets[0].name.ends_with("@ 7 px"),
        "{}",
        s.compare.sets[0].name
    );
    // 112 px is the sample's own size: the same answers as the main run.
    let main = s.predictions.set.as_ref().unwrap();
    let full = &s.compare.sets[1];
    for i in 0..main.entries.len() {
        let (a, b) = (main.prediction(i).unwrap(), full.prediction(i).unwrap());
        assert_eq!(
            (a.predicted, &a.probs),
            (b.predicted, &b.probs),
            "sample {i}"
        );
    }
    h.get_by_label_contains("@ 7 px");
}
