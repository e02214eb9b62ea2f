//! The label-quality review queue in the window: "Most suspicious first" sorts by it, Q opens
//! its samples in order (Shift+Q back), the detail view says why, A accepts the suggestion and
//! the queue is ranked again.

use std::time::Duration;

use egui_kittest::kittest::Queryable;

use crate::common::ui::{analysis_done, app_on_fashion_subset, step_until};
use labelscope::app::AppCommand;
use labelscope::app::sample_query::SortKey;

#[test]
fn q_walks_the_queue_the_detail_view_says_why_and_a_relabel_reranks() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    h.state_mut()
        .apply(AppCommand::SetSort(SortKey::LabelIssue));
    h.run_steps(2);
    let (first, second, total) = {
        let s = h.state().session.as_ref().unwrap();
        let q = s.problems.quality.as_ref().unwrap();
        assert_eq!(q.queue.len(), s.ws.dataset.samples.len());
        // The gallery's order is the queue's.
        let ranked: Vec<usize> = q.queue.iter().map(|e| e.sample).collect();
        assert_eq!(s.view.order[..10], ranked[..10]);
        (q.queue[0].clone(), q.queue[1].clone(), q.queue.len())
    };
    h.key_press(egui::Key::Q);
    h.run_steps(3);
    assert!(h.state().detail_open);
    assert_eq!(
        h.state().session.as_ref().unwrap().view.selected(),
        Some(first.sample)
    );
    h.get_by_label(&format!("Review queue #1 of {total}"));
    assert!(
        h.query_all_by_label_contains("nearest neighbours are")
            .count()
            >= 1
    );
    h.key_press(egui::Key::Q);
    h.run_steps(3);
    assert_eq!(
        h.state().session.as_ref().unwrap().view.selected(),
        Some(second.sample)
    );
    h.get_by_label(&format!("Review queue #2 of {total}"));
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Q);
    h.run_steps(3);
    assert_eq!(
        h.state().session.as_ref().unwrap().view.selected(),
        Some(first.sample)
    );

    // Accept the suggestion: the label changes and the queue is ranked again without it on top.
    h.key_press(egui::Key::A);
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert_eq!(s.curation.truth()[first.sample], Some(first.suggested));
    }
    step_until(&mut h, Duration::from_secs(120), |app| {
        analysis_done(app)
            && app.session.as_ref().is_some_and(|s| {
                s.problems
                    .quality
                    .as_ref()
                    .and_then(|q| q.entry(first.sample))
                    .is_some_and(|e| e.label == first.suggested)
            })
    });
    let s = h.state().session.as_ref().unwrap();
    let e = s
        .problems
        .quality
        .as_ref()
        .unwrap()
        .entry(first.sample)
        .unwrap();
    assert!(e.score > first.score, "{e:?} after {first:?}");
    assert!(e.rank > 1, "{e:?}");
}

#[test]
fn undo_brings_back_every_queue_rank() {
    let dir = tempfile::tempdir().unwrap();
    // Large enough that a warm-started probe lands a little elsewhere than a cold one.
    crate::common::fashion_subset(dir.path(), 120);
    let mut h = crate::common::ui::app_with(labelscope::app::StartupArgs {
        dataset: Some(dir.path().to_path_buf()),
        model: Some(crate::common::repo().join("assets/models/fashion_cnn.onnx")),
        backend: Some(labelscope::model::BackendKind::Tract),
        ..Default::default()
    });
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    let ranks = |h: &egui_kittest::Harness<'_, labelscope::app::LabelscopeApp>| {
        let s = h.state().session.as_ref().unwrap();
        let q = s.problems.quality.as_ref().unwrap();
        (0..s.ws.dataset.samples.len())
            .map(|i| q.entry(i).map(|e| e.rank))
            .collect::<Vec<_>>()
    };
    let before = ranks(&h);
    // Relabel a mid-queue sample, let the queue be ranked again, then undo.
    let (i, other) = {
        let s = h.state().session.as_ref().unwrap();
        let q = s.problems.quality.as_ref().unwrap();
        let e = q.queue[q.queue.len() / 2].clone();
        let other = (e.label.0 + 1) % s.ws.dataset.classes.len() as u32;
        (e.sample, labelscope::dataset::ClassId(other))
    };
    h.state_mut().apply(AppCommand::ShowSample(i));
    h.state_mut().apply(AppCommand::Relabel(other));
    let ranked_as = |want: bool| {
        move |app: &labelscope::app::LabelscopeApp| {
            analysis_done(app)
                && app.session.as_ref().is_some_and(|s| {
                    s.problems
                        .quality
                        .as_ref()
                        .and_then(|q| q.entry(i))
                        .is_some_and(|e| (e.label == other) == want)
                })
        }
    };
    step_until(&mut h, Duration::from_secs(120), ranked_as(true));
    assert!(ranks(&h) != before, "the relabel moved the queue");
    h.state_mut().apply(AppCommand::Undo);
    step_until(&mut h, Duration::from_secs(120), ranked_as(false));
    let after = ranks(&h);
    let moved = after.iter().zip(&before).filter(|(a, b)| a != b).count();
    assert_eq!(moved, 0, "undo restores every rank ({moved} samples moved)");
}

/// The count row never wraps; with samples marked it has little room left. The ranking's bar
/// takes what remains: the whole text where it fits, the text cut with "…" where it does not,
/// a spinner where not even a short bar fits; its Cancel button stays inside the window in
/// every case (at 1024 px they ran past the right edge before).
#[test]
fn the_ranking_progress_fits_its_row_at_every_width() {
    use labelscope::app::JobKind;
    use labelscope::app::jobs::Finished;
    use labelscope::jobs::JobError;

    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), |a| {
        analysis_done(a) && a.session.as_ref().is_some_and(|s| !s.jobs.any_running())
    });
    h.state_mut().apply(AppCommand::MarkAll);
    // A ranking as long as a million samples' makes it: "neighbour index: 123456/1000000".
    let jobs = &mut h.state_mut().session.as_mut().unwrap().jobs;
    jobs.start(JobKind::Analysis, |c| {
        c.begin_stage("neighbour index", 1_000_000);
        for _ in 0..123_456 {
            c.add_done(false);
        }
        while !c.is_cancelled() {
            std::thread::sleep(Duration::from_millis(5));
        }
        Finished::Analysis(Err(JobError::Cancelled))
    })
    .unwrap();
    step_until(&mut h, Duration::from_secs(10), |a| {
        a.session.as_ref().is_some_and(|s| {
            s.jobs
                .control(JobKind::Analysis)
                .is_some_and(|c| c.progress().num_done == 123_456)
        })
    });
    let whole = "Ranking labels: neighbour index: 123456/1000000";
    for width in [1400.0, 1100.0, 1024.0] {
        h.set_size(egui::vec2(width, 700.0));
        h.run_steps(3);
        let cancel = h.get_by_label("Cancel").rect();
        assert!(
            cancel.max.x <= width,
            "{width}: Cancel past the edge: {cancel:?}"
        );
        // The bar (or the spinner) says the whole text to a screen reader and on hover.
        let bar = h.get_by_label(whole).rect();
        assert!(
            bar.max.x <= cancel.min.x,
            "{width}: {bar:?} overlaps {cancel:?}"
        );
        let ok = match width {
            1400.0 => bar.width() > 300.0,                  // the whole text
            1100.0 => (60.0..300.0).contains(&bar.width()), // cut with "…"
            _ => bar.width() < 30.0,                        // a spinner
        };
        assert!(ok, "{width}: {bar:?}");
    }
    h.get_by_label("Cancel").click();
    step_until(&mut h, Duration::from_secs(10), |a| {
        a.session
            .as_ref()
            .is_some_and(|s| !s.jobs.is_running(JobKind::Analysis))
    });
}
