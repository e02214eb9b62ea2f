//! Problems in the window, headless through egui_kittest: the image checks run on open, the
//! label-issue sort puts flagged samples first, `A` accepts a suggestion, `W` excludes as
//! watermark/text.

use std::time::Duration;

use egui_kittest::kittest::{Queryable, by};

use crate::common;
use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use labelscope::app::AppCommand;
use labelscope::app::sample_query::{Filter, SortKey};
use labelscope::problems::FindingKind;

#[test]
fn label_issue_sort_accept_and_exclude_as_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), |app| {
        predictions_done(app)
            && app
                .session
                .as_ref()
                .is_some_and(|s| !s.jobs.is_running(labelscope::app::JobKind::Scan))
    });
    h.state_mut()
        .apply(AppCommand::SetSort(SortKey::LabelIssue));
    h.run_steps(2);
    let (first, suggested) = {
        let s = h.state().session.as_ref().unwrap();
        assert!(s.problems.index.counts[FindingKind::Label as usize] > 0);
        let first = s.view.order[0];
        assert!(
            s.problems.index.has(first, FindingKind::Label),
            "flagged first"
        );
        (first, s.problems.index.suggested[first].unwrap())
    };
    h.key_press(egui::Key::Home);
    h.run_steps(2);
    h.key_press(egui::Key::A);
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert_eq!(
            s.curation.truth()[first],
            Some(suggested),
            "A relabels to the suggestion"
        );
    }
    // W on the selected sample excludes it as watermark/text.
    let j = h.state().session.as_ref().unwrap().view.selected().unwrap();
    h.key_press(egui::Key::W);
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.curation.truth()[j], None);
    let reason = s
        .curation
        .state()
        .get(&s.ws.dataset.samples[j].id.0)
        .unwrap()
        .excluded
        .clone();
    assert_eq!(reason.as_deref(), Some("watermark/text"));
    // The text filter shows only samples the detector flagged.
    h.state_mut().apply(AppCommand::SetFilter(Filter {
        problem: Some(FindingKind::Text),
        ..Default::default()
    }));
    h.run_steps(2);
    let s = h.state().session.as_ref().unwrap();
    assert!(
        s.view
            .order
            .iter()
            .all(|&i| s.problems.index.has(i, FindingKind::Text))
    );
}

#[test]
fn problem_counts_are_what_the_filter_shows_and_name_excluded_samples_apart() {
    let dir = tempfile::tempdir().unwrap();
    common::cat_dog(dir.path(), 8);
    // Two greyscale images in an RGB dataset (under a quarter of it): odd colour mode.
    for k in 0..2 {
        image::GrayImage::from_fn(32, 32, |x, y| image::Luma([(x * 7 + y * 3 + k) as u8]))
            .save(dir.path().join(format!("cat/grey{k}.png")))
            .unwrap();
    }
    let mut h = crate::common::ui::app_on_folder(dir.path());
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.session.as_ref().is_some_and(|s| {
            !s.jobs.is_running(labelscope::app::JobKind::Scan) && s.problems.images.is_some()
        })
    });
    let kind = FindingKind::Odd;
    h.state_mut().apply(AppCommand::SetFilter(Filter {
        problem: Some(kind),
        ..Default::default()
    }));
    h.run_steps(2);
    let n = h.state().session.as_ref().unwrap().view.order.len();
    assert!(n >= 2, "the greyscale images are odd");
    let text = format!("odd images ({n})");
    h.get(by().value(&text));
    h.state_mut().apply(AppCommand::SelectPosition(0));
    h.state_mut().apply(AppCommand::ExcludeAs("odd".into()));
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.view.order.len(), n - 1, "the excluded one is hidden");
    let text = format!("odd images ({}, +1 excluded)", n - 1);
    h.get(by().value(&text));
}

#[test]
fn the_image_checks_have_a_progress_bar_with_cancel() {
    let dir = tempfile::tempdir().unwrap();
    common::fashion_subset(dir.path(), 30);
    let mut h = crate::common::ui::app_on_folder(dir.path());
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.jobs.is_running(labelscope::app::JobKind::Scan))
    });
    h.get_by_label("Cancel").click();
    step_until(&mut h, Duration::from_secs(120), |app| {
        app.session
            .as_ref()
            .is_some_and(|s| !s.jobs.is_running(labelscope::app::JobKind::Scan))
    });
    let s = h.state().session.as_ref().unwrap();
    assert!(
        s.problems.images.is_none(),
        "a stopped check reports nothing"
    );
    assert_eq!(s.messages.error, None);
    assert!(h.query_by_label("Cancel").is_none());
}
