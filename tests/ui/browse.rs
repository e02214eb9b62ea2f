//! The window, headless, through egui_kittest: a real dataset and model, predictions streamed
//! from the background job, a confusion-matrix click filtering the gallery, keyboard review.

use crate::common::ui::{analysis_done, app_on_fashion_subset, predictions_done, step_until};

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable, by};
use labelscope::app::LabelscopeApp;

#[test]
fn confusion_cell_click_filters_the_gallery_to_exactly_those_samples() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    let (label, count) = {
        let s = h.state().session.as_ref().unwrap();
        let m = s.predictions.metrics.as_ref().unwrap();
        assert_eq!(m.num_evaluated, 60);
        // The diagonal cell of the first class with any samples.
        let r = (0..m.confusion.labels.len())
            .find(|&r| m.confusion.matrix[r][r] > 0)
            .unwrap();
        let count = m.confusion.matrix[r][r];
        (
            format!(
                "true {}, predicted {}: {count}",
                m.confusion.labels[r], m.confusion.labels[r]
            ),
            count as usize,
        )
    };
    h.get_by_label(&label).click();
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(
        s.view.order.len(),
        count,
        "gallery shows exactly the cell's samples"
    );
    assert!(s.view.order.iter().all(|&i| {
        s.predictions
            .set
            .as_ref()
            .unwrap()
            .prediction(i)
            .unwrap()
            .predicted
            == labelscope::eval::Predicted::Class(s.ws.dataset.samples[i].label)
    }));
    h.get_by_label(&format!("{count} of 60 samples"));
}

#[test]
fn keyboard_moves_the_selection_and_opens_the_detail_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    // The embedding analysis too: the Sort dropdown is clicked below.
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().session.as_ref().unwrap().view.cursor, Some(0));
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().session.as_ref().unwrap().view.cursor, Some(1));
    h.key_press(egui::Key::End);
    h.run_steps(2);
    assert_eq!(h.state().session.as_ref().unwrap().view.cursor, Some(59));
    h.key_press(egui::Key::Home);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(h.state().detail_open);
    let (label, predicted) = {
        let s = h.state().session.as_ref().unwrap();
        let i = s.view.selected().unwrap();
        let p = s.predictions.set.as_ref().unwrap().prediction(i).unwrap();
        let name = match p.predicted {
            labelscope::eval::Predicted::Class(c) => s.ws.dataset.class_name(c).to_string(),
            other => format!("{other:?}").to_lowercase(),
        };
        (
            s.ws.dataset
                .class_name(s.ws.dataset.samples[i].label)
                .to_string(),
            name,
        )
    };
    h.get_by_label(&format!("Label: {label}"));
    h.get_by_label_contains(&format!("Predicted: {predicted} ("));
    // One Esc, one thing: with a dropdown open, Esc closes the dropdown only.
    h.get(by().role(Role::ComboBox).label("Sort")).click();
    h.run_steps(2);
    assert!(
        egui::Popup::is_any_open(&h.ctx),
        "the Sort dropdown is open"
    );
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!egui::Popup::is_any_open(&h.ctx), "Esc closed the dropdown");
    assert!(h.state().detail_open, "and only the dropdown");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().detail_open);
    // N jumps to the first misclassified sample, if there is one.
    h.key_press(egui::Key::N);
    h.run_steps(2);
    let s = h.state().session.as_ref().unwrap();
    if let Some(pos) = s.view.cursor.filter(|&p| p > 0) {
        let i = s.view.order[pos];
        let p = s.predictions.set.as_ref().unwrap().prediction(i).unwrap();
        assert_ne!(
            p.predicted,
            labelscope::eval::Predicted::Class(s.ws.dataset.samples[i].label)
        );
    }
}

/// A synthetic 100,000-sample dataset with predictions, in memory (no files needed).
fn synthetic_session(n: usize) -> labelscope::app::Session {
    use labelscope::dataset::{ClassId, Dataset, Layout, Sample, SampleId, ScanReport};
    use labelscope::eval::{Entry, PredictionSet, predictions_from_probs};
    let classes: Vec<String> = (0..10).map(|c| format!("class{c}")).collect();
    let samples = (0..n)
        .map(|i| Sample {
            id: SampleId(format!("s/{i:06}.png")),
            path: format!("/nonexistent/{i:06}.png").into(),
            label: ClassId((i % 10) as u32),
            split: None,
        })
        .collect();
    let ds = Dataset {
        root: "/nonexistent".into(),
        source: "/nonexistent".into(),
        layout: Layout::ImageFolder,
        classes,
        samples,
        report: ScanReport::default(),
    };
    let entries = (0..n)
        .map(|i| {
            let mut probs = vec![0.02f32; 10];
            probs[(i * 7 + i / 10) % 10] = 0.82;
            Entry::Predicted(predictions_from_probs(&probs, 10, Some(1.0)))
        })
        .collect();
    let mut s = labelscope::app::Session::from_dataset(ds);
    s.predictions.set = Some(std::sync::Arc::new(PredictionSet {
        name: "synthetic".into(),
        source: "test".into(),
        entries,
        elapsed_secs: None,
        num_cached: 0,
        num_inferred: 0,
    }));
    s.changed();
    s.refresh();
    s
}

#[test]
fn a_frame_on_100k_samples_lays_out_only_the_visible_cells() {
    let session = synthetic_session(100_000);
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| LabelscopeApp::with_session(&cc.egui_ctx, session));
    h.run_steps(4);
    let cells = h.query_all_by_label_contains(": true class").count();
    assert!(cells > 0, "the gallery shows some cells");
    assert!(
        cells < 200,
        "{cells} gallery cells laid out for 100,000 samples"
    );
    h.get_by_label("100000 of 100000 samples");
    // The metrics panel shows the accuracy the core computed.
    let acc = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .predictions
        .metrics
        .as_ref()
        .unwrap()
        .accuracy;
    // (Accuracy and balanced accuracy coincide on this balanced synthetic set.)
    assert!(
        h.query_all_by_label(&format!("{:.2}%", acc * 100.0))
            .count()
            >= 1
    );
}

/// `labelscope open FOLDER --model M` on a folder that is no dataset shows why the folder did
/// not open (the layouts looked for), not "open a dataset before choosing a model".
#[test]
fn a_folder_that_is_no_dataset_says_why_even_with_a_model() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not images").unwrap();
    let args = labelscope::app::StartupArgs {
        dataset: Some(dir.path().to_path_buf()),
        model: Some(crate::common::repo().join("assets/models/fashion_cnn.onnx")),
        backend: Some(labelscope::model::BackendKind::Tract),
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size([1024.0, 700.0])
        .build_eframe(move |cc| LabelscopeApp::new(&cc.egui_ctx, None, args));
    h.run_steps(3);
    let err = h.state().open_error.clone().unwrap_or_default();
    assert!(
        err.contains("could not recognise a dataset layout"),
        "{err}"
    );
}

/// The zoom level the detail view shows ("Zoom 37%" -> 37).
fn zoom_level(h: &Harness<'_, LabelscopeApp>) -> f32 {
    let node = h.get_by_label_contains("Zoom ");
    let label = node
        .accesskit_node()
        .label()
        .filter(|l| l.starts_with("Zoom"))
        .or_else(|| node.value())
        .unwrap_or_default();
    label
        .trim_start_matches("Zoom ")
        .trim_end_matches('%')
        .parse()
        .unwrap()
}

/// Five wheel notches at `at` (`dy` lines each: positive is up), with `modifiers`.
fn wheel(h: &mut Harness<'_, LabelscopeApp>, at: egui::Pos2, dy: f32, modifiers: egui::Modifiers) {
    h.event(egui::Event::PointerMoved(at));
    for _ in 0..5 {
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, dy),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers,
        });
        h.run_steps(2);
    }
    h.run_steps(10);
}

#[test]
fn ctrl_wheel_zooms_the_detail_image_the_wheel_scrolls_its_panel_and_f_fits() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    // At 1024x700 the detail panel holds more than fits: the wheel is the panel's.
    h.set_size(egui::vec2(1024.0, 700.0));
    h.key_press(egui::Key::Home);
    h.key_press(egui::Key::Enter);
    h.run_steps(8);
    // The full image is decoded on another thread: wait for its view on a slow machine.
    for _ in 0..1000 {
        if h.query_by_label_contains("Zoom ").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        h.run_steps(1);
    }
    let fitted = zoom_level(&h);
    // A point inside the image view, below the zoom controls.
    let row = h.get_by_label_contains("Zoom ").rect();
    let inside = egui::pos2(row.center().x + 40.0, row.bottom() + 120.0);
    wheel(&mut h, inside, -1.0, egui::Modifiers::NONE);
    assert_eq!(zoom_level(&h), fitted, "the plain wheel does not zoom");
    let moved = h.get_by_label_contains("Zoom ").rect();
    assert!(
        moved.top() < row.top(),
        "it scrolled the panel: {row:?} -> {moved:?}"
    );
    let inside = egui::pos2(moved.center().x + 40.0, moved.bottom() + 120.0);
    wheel(&mut h, inside, 1.0, egui::Modifiers::CTRL);
    let zoomed = zoom_level(&h);
    assert!(
        zoomed > fitted * 1.5,
        "five Ctrl+wheel notches zoom in: {fitted}% -> {zoomed}%"
    );
    h.key_press(egui::Key::F);
    h.run_steps(3);
    assert_eq!(zoom_level(&h), fitted, "F fits the image again");
}

#[test]
fn another_dataset_opens_at_the_top_of_its_gallery() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    crate::common::fashion_subset(b.path(), 30);
    let mut h = crate::common::ui::app_on_folder({
        crate::common::fashion_subset(a.path(), 30);
        a.path()
    });
    step_until(&mut h, Duration::from_secs(60), |app| app.session.is_some());
    let first = |h: &Harness<'_, LabelscopeApp>| {
        let s = h.state().session.as_ref().unwrap();
        format!("{}: true", s.ws.dataset.samples[s.view.order[0]].id)
    };
    let top = first(&h);
    assert!(h.query_by_label_contains(&top).is_some());
    h.key_press(egui::Key::End);
    h.run_steps(3);
    assert!(
        h.query_by_label_contains(&top).is_none(),
        "End scrolled the gallery down"
    );
    h.state_mut()
        .apply(labelscope::app::AppCommand::OpenDataset(
            b.path().to_path_buf(),
        ));
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.ws.dataset.root == b.path())
    });
    let top = first(&h);
    assert!(
        h.query_by_label_contains(&top).is_some(),
        "the new dataset's first sample is shown"
    );
}

/// Opening a dataset runs off the UI thread: while a long manifest is read the open dataset
/// stays drawn and usable, with an "Opening" notice and a Stop button; stopping keeps the open
/// dataset; an open that fails (every listed file missing) says why and keeps it too.
#[test]
fn a_slow_open_keeps_the_window_drawing_and_can_be_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small");
    crate::common::cat_dog(&small, 4);
    let mut h = crate::common::ui::app_on_folder(&small);
    step_until(&mut h, Duration::from_secs(30), |app| app.session.is_some());
    // 400,000 rows whose files do not exist: seconds of work, and then no sample at all.
    let manifest = dir.path().join("big.csv");
    let mut rows = String::from("path,label\n");
    for k in 0..400_000 {
        rows += &format!("gone/{k}.png,cat\n");
    }
    std::fs::write(&manifest, rows).unwrap();

    h.state_mut()
        .apply(labelscope::app::AppCommand::OpenDataset(manifest.clone()));
    h.run_steps(2);
    assert!(h.state().is_opening(), "the manifest is still being read");
    h.get_by_label_contains(&format!("Opening {}", manifest.display()));
    assert_eq!(
        h.state().session.as_ref().unwrap().ws.dataset.root,
        small,
        "the open dataset stays while the other one opens"
    );
    h.get_by_label("Stop").click();
    h.run_steps(2);
    assert!(!h.state().is_opening());
    assert!(h.query_by_label_contains("Opening ").is_none());

    h.state_mut()
        .apply(labelscope::app::AppCommand::OpenDataset(manifest));
    step_until(&mut h, Duration::from_secs(120), |app| !app.is_opening());
    let err = h.state().open_error.clone().unwrap_or_default();
    assert!(err.contains("no labelled images found"), "{err}");
    assert_eq!(h.state().session.as_ref().unwrap().ws.dataset.root, small);
}
