//! A second prediction set in the window: metrics side by side, the "sets disagree" filter.

use std::time::Duration;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::AppCommand;
use labelscope::app::gallery_view::Filter;
use labelscope::eval::Predicted;

#[test]
fn a_comparison_set_shows_beside_the_first_and_filters_disagreements() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    // A "model" that answers Bag for everything.
    let file = dir.path().join("all_bag.csv");
    let mut csv = String::from("path,pred\n");
    for s in &h.state().session.as_ref().unwrap().dataset.samples {
        csv += &format!("{},Bag\n", s.id.0);
    }
    std::fs::write(&file, csv).unwrap();
    h.state_mut().apply(AppCommand::ImportComparison(file));
    h.run_steps(3);
    let (expected, bag) = {
        let s = h.state().session.as_ref().unwrap();
        let bag = s.dataset.class_id("Bag").unwrap();
        let preds = s.preds.as_ref().unwrap();
        let n = (0..s.dataset.samples.len())
            .filter(|&i| preds.prediction(i).unwrap().predicted != Predicted::Class(bag))
            .count();
        assert!((s.compare.metrics.as_ref().unwrap().accuracy - 0.1).abs() < 1e-9);
        assert_eq!(s.compare.counts.unwrap().disagree, n);
        (n, bag)
    };
    h.get_by_label("Comparison");
    assert!(
        h.query_by_label_contains("Not the same samples").is_none(),
        "both sets cover every sample"
    );
    // The detail view says the file gave no confidence instead of a made-up 0.0%.
    h.state_mut().apply(AppCommand::SelectPosition(0));
    h.state_mut().apply(AppCommand::OpenDetail);
    h.run_steps(3);
    h.get_by_label("all_bag.csv: Bag (no confidence)");
    h.state_mut().apply(AppCommand::CloseDetail);
    h.run_steps(2);
    h.state_mut().apply(AppCommand::SetFilter(Filter {
        disagree: true,
        ..Default::default()
    }));
    h.run_steps(2);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.order.len(), expected);
    let preds = s.preds.as_ref().unwrap();
    assert!(
        s.order
            .iter()
            .all(|&i| preds.prediction(i).unwrap().predicted != Predicted::Class(bag))
    );
}

#[test]
fn sets_scored_on_different_samples_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    // A comparison file with rows for the first half of the samples only.
    let file = dir.path().join("half.csv");
    let mut csv = String::from("path,pred\n");
    let samples = &h.state().session.as_ref().unwrap().dataset.samples;
    let half = samples.len() / 2;
    for s in &samples[..half] {
        csv += &format!("{},Bag\n", s.id.0);
    }
    std::fs::write(&file, csv).unwrap();
    h.state_mut().apply(AppCommand::ImportComparison(file));
    h.run_steps(3);
    let n = h.state().session.as_ref().unwrap().dataset.samples.len();
    h.get_by_label(&format!("{half} samples"));
    h.get_by_label_contains(&format!(
        "Not the same samples: the first set is scored on {n}, the second on {half}"
    ));
}
