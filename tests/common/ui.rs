//! Helpers for the window tests: the app on a Fashion subset with the bundled model, stepping.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use labelscope::app::{LabelscopeApp, StartupArgs};
use labelscope::model::BackendKind;

/// The app on 6 images per class of the Fashion sample (copied into `dir`), running the
/// bundled CNN with tract.
pub fn app_on_fashion_subset(dir: &std::path::Path) -> Harness<'static, LabelscopeApp> {
    super::fashion_subset(dir, 6);
    app_with(StartupArgs {
        dataset: Some(dir.to_path_buf()),
        model: Some(super::repo().join("assets/models/fashion_cnn.onnx")),
        backend: Some(BackendKind::Tract),
        ..Default::default()
    })
}

/// The app on the dataset in `dir`, no model.
pub fn app_on_folder(dir: &std::path::Path) -> Harness<'static, LabelscopeApp> {
    app_with(StartupArgs {
        dataset: Some(dir.to_path_buf()),
        ..Default::default()
    })
}

/// The app started with `args` in a 1400x900 window.
pub fn app_with(args: StartupArgs) -> Harness<'static, LabelscopeApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| LabelscopeApp::new(&cc.egui_ctx, None, args))
}

/// Steps the harness until `done` holds, failing after `timeout`.
pub fn step_until(
    h: &mut Harness<'_, LabelscopeApp>,
    timeout: Duration,
    done: impl Fn(&LabelscopeApp) -> bool,
) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < timeout,
            "condition not reached within {timeout:?}"
        );
        h.step();
        std::thread::yield_now();
    }
    h.run_steps(3);
}

/// Predictions, embeddings and the embedding analysis (the review queue from all three
/// sources) finished.
pub fn analysis_done(app: &LabelscopeApp) -> bool {
    predictions_done(app)
        && app.session.as_ref().is_some_and(|s| {
            s.embeddings.set.is_some()
                && !s.jobs.is_running(labelscope::app::JobKind::Analysis)
                && s.problems
                    .quality
                    .as_ref()
                    .is_some_and(|q| q.sources.len() == 3)
        })
}

/// Predictions finished and their metrics computed.
pub fn predictions_done(app: &LabelscopeApp) -> bool {
    app.session.as_ref().is_some_and(|s| {
        !s.jobs.is_running(labelscope::app::JobKind::Predict) && s.predictions.metrics.is_some()
    })
}

/// A quick Ctrl+Z tap: the key event carries Ctrl, but Ctrl is already up when the frame ends.
pub fn tap_ctrl_z(h: &mut Harness<'_, LabelscopeApp>) {
    h.event(egui::Event::Key {
        key: egui::Key::Z,
        pressed: true,
        modifiers: egui::Modifiers::COMMAND,
        repeat: false,
        physical_key: None,
    });
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    h.run_steps(3);
}
