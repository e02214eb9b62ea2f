//! The gallery order computed on a thread of its own (past `ORDER_APART_ABOVE` samples; here
//! the threshold is lowered to 0 on the 60-sample subset): the frame that changes the sort or
//! filter does not wait, the old order stays shown until the new one is in, and what comes in
//! is exactly the order computed at once. And a sort change moves nothing below the filter bar.

use crate::common::ui::{analysis_done, app_on_fashion_subset, step_until};

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use labelscope::app::sample_query::{Correctness, Filter, SortKey};
use labelscope::app::{AppCommand, LabelscopeApp};

fn all_done(app: &LabelscopeApp) -> bool {
    analysis_done(app) && app.session.as_ref().is_some_and(|s| !s.jobs.any_running())
}

fn session<'a>(h: &'a Harness<'_, LabelscopeApp>) -> &'a labelscope::app::Session {
    h.state().session.as_ref().unwrap()
}

/// Applies `cmd` with the order computed at once, returning the order and the selection.
fn at_once(h: &mut Harness<'_, LabelscopeApp>, cmd: AppCommand) -> (Vec<usize>, Option<usize>) {
    h.state_mut().session.as_mut().unwrap().view.apart_above = usize::MAX;
    h.state_mut().apply(cmd);
    assert!(!session(h).view.is_ordering());
    (session(h).view.order.clone(), session(h).view.selected())
}

/// Applies `cmd` with the order computed apart: the old order is still shown right after, the
/// new one once the thread is done.
fn apart(h: &mut Harness<'_, LabelscopeApp>, cmd: AppCommand) -> (Vec<usize>, Option<usize>) {
    h.state_mut().session.as_mut().unwrap().view.apart_above = 0;
    let before = session(h).view.order.clone();
    let revision = session(h).view.order_revision;
    h.state_mut().apply(cmd);
    assert!(session(h).view.is_ordering(), "the order is computed apart");
    assert_eq!(session(h).view.order, before, "the old order stays shown");
    assert_eq!(session(h).view.order_revision, revision);
    step_until(h, Duration::from_secs(30), |a| {
        a.session.as_ref().is_some_and(|s| !s.view.is_ordering())
    });
    assert_eq!(session(h).view.order_revision, revision + 1);
    (session(h).view.order.clone(), session(h).view.selected())
}

#[test]
fn an_order_computed_apart_equals_the_order_computed_at_once_and_keeps_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    // Every job done, so nothing else changes the order while it computes.
    step_until(&mut h, Duration::from_secs(120), all_done);
    h.state_mut().apply(AppCommand::SelectPosition(7));
    let selected = session(&h).view.selected().unwrap();
    let wrong = Filter {
        correctness: Correctness::Wrong,
        ..Filter::default()
    };
    // (the sort each step starts from, the step)
    let steps = [
        (SortKey::Label, AppCommand::SetSort(SortKey::LossDesc)),
        (SortKey::Label, AppCommand::SetSort(SortKey::ConfidenceAsc)),
        // A second click on the column's header turns the order round.
        (
            SortKey::ConfidenceAsc,
            AppCommand::SortByColumn(SortKey::ConfidenceAsc),
        ),
        (SortKey::Label, AppCommand::SetSort(SortKey::Prediction)),
        (SortKey::Label, AppCommand::SetSort(SortKey::FileName)),
    ];
    for (from, cmd) in steps {
        let _ = at_once(&mut h, AppCommand::SetSort(from));
        let (want, want_sel) = at_once(&mut h, cmd.clone());
        let _ = at_once(&mut h, AppCommand::SetSort(from));
        let (got, got_sel) = apart(&mut h, cmd.clone());
        assert_eq!(got, want, "{cmd:?}");
        assert_eq!(got_sel, want_sel, "{cmd:?}: the selection is kept");
        assert_eq!(got_sel, Some(selected));
    }
    // A filter the selected sample leaves: the first sample is selected, as at once.
    let correct_sel = {
        let s = session(&h);
        let p = s.predictions.set.as_ref().unwrap();
        p.prediction(selected).unwrap().predicted
            == labelscope::eval::Predicted::Class(s.ws.dataset.samples[selected].label)
    };
    let (want, want_sel) = at_once(&mut h, AppCommand::SetFilter(wrong.clone()));
    h.state_mut()
        .apply(AppCommand::SetFilter(Filter::default()));
    h.state_mut().apply(AppCommand::ShowSample(selected));
    let (got, got_sel) = apart(&mut h, AppCommand::SetFilter(wrong));
    assert_eq!(got, want);
    assert_eq!(got_sel, want_sel);
    if correct_sel {
        assert_eq!(
            got_sel,
            got.first().copied(),
            "the first sample is selected"
        );
    }
}

#[test]
fn an_edit_while_an_order_is_computing_places_the_selection_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    // Every job done, so nothing else changes the order while it computes.
    step_until(&mut h, Duration::from_secs(120), all_done);
    h.state_mut().apply(AppCommand::SelectPosition(3));
    h.state_mut().session.as_mut().unwrap().view.apart_above = 0;
    h.state_mut().apply(AppCommand::SetSort(SortKey::LossDesc));
    assert!(session(&h).view.is_ordering());
    let target = session(&h).view.selected().unwrap();
    // Excluding the selected sample: the order is made now (the one computing is dropped),
    // the excluded sample leaves it and the selection moves on within the new order.
    h.state_mut().apply(AppCommand::Exclude("test".into()));
    let s = session(&h);
    assert!(
        !s.view.is_ordering(),
        "the edit's order replaced the one computing"
    );
    assert!(!s.view.order.contains(&target));
    assert_eq!(s.view.sort, SortKey::LossDesc);
    let cursor = s.view.cursor.unwrap();
    let want = {
        let mut v = s.view.order.clone();
        v.sort_by(|&a, &b| {
            let loss = |i| {
                labelscope::app::sample_query::loss(
                    &s.ws.dataset,
                    s.curation.truth(),
                    s.predictions.set.as_ref().unwrap(),
                    i,
                )
                .unwrap_or(f32::NEG_INFINITY)
            };
            loss(b).total_cmp(&loss(a)).then(a.cmp(&b))
        });
        v
    };
    assert_eq!(s.view.order, want, "sorted by loss, highest first");
    assert!(cursor < s.view.order.len());
    h.run_steps(3);
    assert!(
        !session(&h).view.order.contains(&target),
        "no stale order came in later"
    );
}

/// At 1024x700 the filter bar wraps; a longer sort label ("Confidence (highest first)") used
/// to push the thumbnail size slider onto a row of its own and the gallery down a row. The
/// sort box now has one width for every sort: nothing below it moves.
#[test]
fn changing_the_sort_moves_nothing_below_the_filter_bar() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    h.set_size(egui::vec2(1024.0, 700.0));
    step_until(&mut h, Duration::from_secs(120), all_done);
    let mut places = Vec::new();
    for sort in [
        SortKey::FileName,
        SortKey::ConfidenceDesc,
        SortKey::Label,
        SortKey::LabelIssue,
        SortKey::ConfidenceAsc,
    ] {
        h.state_mut().apply(AppCommand::SetSort(sort));
        h.run_steps(3);
        assert_eq!(session(&h).view.sort, sort);
        let size = h.get_by_label("Size").rect();
        let count = h.get_by_label("60 of 60 samples").rect();
        places.push((sort, size.min, count.min));
    }
    let (_, size, count) = places[0];
    for (sort, s, c) in &places {
        assert_eq!(
            (s, c),
            (&size, &count),
            "{sort:?} moved the bar: {places:?}"
        );
    }
}
