//! The table view of samples (#20 item 12): `G` shows the gallery's samples as rows with the
//! same filter and selection; a header click sorts by its column and a second click turns it
//! round; a row's right-click menu edits like a gallery cell's.

use std::time::Duration;

use crate::common::ui::{analysis_done, app_on_fashion_subset, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::AppCommand;
use labelscope::app::sample_query::{Filter, SortKey};
use labelscope::dataset::ClassId;

#[test]
fn the_table_sorts_by_any_column_filters_and_edits_like_the_gallery() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    h.key_press(egui::Key::G);
    h.run_steps(3);
    assert_eq!(h.state().central, labelscope::app::CentralView::Table);
    for header in ["File", "Label", "Prediction", "Loss", "Suspicion", "Edits"] {
        assert!(h.query_all_by_label(header).count() >= 1, "{header}");
    }

    // Sort by confidence, highest first, then the other way round.
    h.get_by_label("Confidence").click();
    h.run_steps(3);
    let confidences = |h: &egui_kittest::Harness<'_, labelscope::app::LabelscopeApp>| {
        let s = h.state().session.as_ref().unwrap();
        let p = s.predictions.set.as_ref().unwrap();
        s.view
            .order
            .iter()
            .map(|&i| p.prediction(i).unwrap().confidence.unwrap())
            .collect::<Vec<f32>>()
    };
    let c = confidences(&h);
    assert_eq!(
        h.state().session.as_ref().unwrap().view.sort,
        SortKey::ConfidenceDesc
    );
    assert!(c.windows(2).all(|w| w[0] >= w[1]), "highest first");
    h.get_by_label("Confidence").click();
    h.run_steps(3);
    let c = confidences(&h);
    assert!(h.state().session.as_ref().unwrap().view.sort_reversed);
    assert!(
        c.windows(2).all(|w| w[0] <= w[1]),
        "lowest first after the second click"
    );

    // Sort by label; the True filter applies to the rows as to the gallery.
    h.get_by_label("Label").click();
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        let labels: Vec<u32> = s
            .view
            .order
            .iter()
            .map(|&i| s.curation.truth()[i].unwrap().0)
            .collect();
        assert!(labels.windows(2).all(|w| w[0] <= w[1]), "{labels:?}");
    }
    h.state_mut().apply(AppCommand::SetFilter(Filter {
        true_class: Some(ClassId(3)),
        ..Default::default()
    }));
    h.run_steps(3);
    let (first, id, n) = {
        let s = h.state().session.as_ref().unwrap();
        let i = s.view.order[0];
        (i, s.ws.dataset.samples[i].id.0.clone(), s.view.order.len())
    };
    assert_eq!(n, 6);
    // The rows are the filter's: a row of another class is not drawn.
    let other = {
        let s = h.state().session.as_ref().unwrap();
        let j = (0..s.ws.dataset.samples.len())
            .find(|&j| s.curation.truth()[j] != Some(ClassId(3)))
            .unwrap();
        s.ws.dataset.samples[j].id.0.clone()
    };
    assert!(h.query_by_label(&other).is_none());

    // A row's right-click menu excludes it.
    h.get_by_label(&id).click_secondary();
    h.run_steps(3);
    h.get_by_label("Exclude").click();
    h.run_steps(3);
    h.get_by_label("As watermark/text W").click();
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.curation.truth()[first], None);
    assert_eq!(s.view.order.len(), 5, "the excluded row leaves the filter");
}
