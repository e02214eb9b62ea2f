//! Other prediction sets in the window: a file or a model run in the background, metrics side
//! by side with size, latency and memory, every pair's McNemar verdict, the "models disagree"
//! filter.

use std::time::Duration;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::AppCommand;
use labelscope::app::sample_query::Filter;
use labelscope::eval::Predicted;

#[test]
fn a_comparison_set_shows_beside_the_first_and_filters_disagreements() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    // A "model" that answers Bag for everything.
    let file = dir.path().join("all_bag.csv");
    let mut csv = String::from("path,pred\n");
    for s in &h.state().session.as_ref().unwrap().ws.dataset.samples {
        csv += &format!("{},Bag\n", s.id.0);
    }
    std::fs::write(&file, csv).unwrap();
    h.state_mut().apply(AppCommand::ImportComparison(file));
    h.run_steps(3);
    let (expected, bag) = {
        let s = h.state().session.as_ref().unwrap();
        let bag = s.ws.dataset.class_id("Bag").unwrap();
        let preds = s.predictions.set.as_ref().unwrap();
        let n = (0..s.ws.dataset.samples.len())
            .filter(|&i| preds.prediction(i).unwrap().predicted != Predicted::Class(bag))
            .count();
        let m = s.compare.info[0].metrics.as_ref().unwrap();
        assert!((m.accuracy - 0.1).abs() < 1e-9);
        assert_eq!(s.compare.pairs[0].comparison.disagree, n);
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
    assert_eq!(s.view.order.len(), expected);
    let preds = s.predictions.set.as_ref().unwrap();
    assert!(
        s.view
            .order
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
    let samples = &h.state().session.as_ref().unwrap().ws.dataset.samples;
    let half = samples.len() / 2;
    for s in &samples[..half] {
        csv += &format!("{},Bag\n", s.id.0);
    }
    std::fs::write(&file, csv).unwrap();
    h.state_mut().apply(AppCommand::ImportComparison(file));
    h.run_steps(3);
    let n = h.state().session.as_ref().unwrap().ws.dataset.samples.len();
    h.get_by_label(&format!("{half} samples"));
    h.get_by_label_contains(&format!(
        "Not the same samples: [1] is scored on {n}, [2] on {half}"
    ));
}

#[test]
fn a_model_added_to_compare_runs_in_the_background_and_shows_its_cost() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    let int8 = crate::common::repo().join("assets/models/fashion_cnn_int8w.json");
    h.state_mut().apply(AppCommand::AddCompareModel(int8));
    assert!(
        h.state()
            .session
            .as_ref()
            .unwrap()
            .jobs
            .is_running(labelscope::app::JobKind::Compare)
    );
    step_until(&mut h, Duration::from_secs(120), |app| {
        app.session.as_ref().is_some_and(|s| {
            !s.jobs.is_running(labelscope::app::JobKind::Compare) && !s.compare.pairs.is_empty()
        })
    });
    {
        let s = h.state().session.as_ref().unwrap();
        let c = &s.compare;
        assert_eq!(c.sets.len(), 1);
        assert!(c.names[1].contains("int8 weights"), "{:?}", c.names);
        let n = s.ws.dataset.samples.len();
        assert_eq!(c.sets[0].entries.len(), n);
        // fp32 and int8 weights answer (almost) alike; the 2x2 table covers every sample.
        let p = &c.pairs[0];
        assert!(p.agreement().unwrap() > 0.9);
        let t = &p.significance;
        assert_eq!(
            (t.both_right + t.only_first_right + t.only_second_right + t.both_wrong) as usize,
            n
        );
        let size =
            std::fs::metadata(crate::common::repo().join("assets/models/fashion_cnn_int8w.onnx"))
                .unwrap()
                .len();
        assert_eq!(c.info[0].footprint.as_ref().unwrap().file_bytes, size);
        assert!(c.info[0].metrics.as_ref().unwrap().latency_ms.p50 > 0.0);
    }
    h.get_by_label("Comparison");
    h.get_by_label("[2]");
    h.get_by_label("427 kB");
    h.get_by_label_contains("[1] vs [2]: agree on");
    h.get_by_label("Models disagree");
    h.state_mut().apply(AppCommand::RemoveComparison(0));
    h.run_steps(3);
    assert!(h.state().session.as_ref().unwrap().compare.sets.is_empty());
    assert!(h.query_by_label("Comparison").is_none());
}
