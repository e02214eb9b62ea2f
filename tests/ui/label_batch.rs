//! The labelling batch in the window: a selection CSV's pool images one at a time, labelled
//! with number keys, N (negative), S (skip) and Ctrl+Z; each label adds the image to the
//! dataset by reference, and Done opens the dataset again with them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::session::Decision;
use labelscope::app::{AppCommand, CentralView, JobKind};

fn image_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter(|e| labelscope::dataset::is_image_path(e.path()))
        .map(|e| e.path().to_path_buf())
        .collect();
    out.sort();
    out
}

/// The key that gives class `k` (1..9, then 0).
fn digit(k: usize) -> egui::Key {
    use egui::Key::*;
    [Num1, Num2, Num3, Num4, Num5, Num6, Num7, Num8, Num9, Num0][k]
}

fn press(h: &mut egui_kittest::Harness<'_, labelscope::app::LabelscopeApp>, key: egui::Key) {
    h.key_press(key);
    h.run_steps(2);
}

#[test]
fn a_selection_is_labelled_one_image_at_a_time_and_joins_the_dataset_by_reference() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fashion");
    std::fs::create_dir_all(&data).unwrap();
    let mut h = app_on_fashion_subset(&data);
    // The pool: four other images of the sample, flat, and the CSV `select` would write.
    let pool = dir.path().join("pool");
    std::fs::create_dir_all(&pool).unwrap();
    let sample = crate::common::repo().join("sample_data/fashion");
    let mut rows = String::from("path,rank,score,reason\n");
    for (k, class) in ["Bag", "Sneaker", "Coat", "Trouser"].iter().enumerate() {
        let src = image_files(&sample.join(class))[20].clone();
        let name = format!("{class}_pool.png");
        std::fs::copy(&src, pool.join(&name)).unwrap();
        rows += &format!("pool/{name},{},0.5,uncertain\n", k + 1);
    }
    let csv = dir.path().join("to_label.csv");
    std::fs::write(&csv, rows).unwrap();
    let data_before = image_files(&data);
    step_until(&mut h, Duration::from_secs(120), |app| {
        predictions_done(app)
            && app
                .session
                .as_ref()
                .is_some_and(|s| s.embeddings.set.is_some())
    });

    h.state_mut().apply(AppCommand::OpenSelection(csv));
    assert_eq!(h.state().central, CentralView::Label);
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.session.as_ref().is_some_and(|s| {
            !s.jobs.is_running(JobKind::Hints)
                && s.batch.as_ref().is_some_and(|b| b.hints[0].is_some())
        })
    });
    let classes = {
        let s = h.state().session.as_ref().unwrap();
        let b = s.batch.as_ref().unwrap();
        assert_eq!(b.items.len(), 4);
        assert!(b.items.iter().all(|i| i.sample.is_none()), "pool images");
        let hints = b.hints[0].as_ref().unwrap();
        assert_eq!(hints.top.len(), 3, "the model's top 3");
        assert_eq!(hints.neighbours.len(), 4, "the nearest labelled samples");
        s.ws.dataset.classes.clone()
    };
    h.get_by_label_contains("Labelling to_label.csv");
    h.get_by_label_contains("Nearest labelled samples");

    // Key k labels with class k; N: a negative; S: skip; Ctrl+Z takes the last back.
    let bag = classes.iter().position(|c| c == "Bag").unwrap();
    press(&mut h, digit(bag));
    press(&mut h, egui::Key::N);
    press(&mut h, egui::Key::S);
    let trouser = classes.iter().position(|c| c == "Trouser").unwrap();
    press(&mut h, digit(trouser));
    {
        let b = h.state().session.as_ref().unwrap().batch.as_ref().unwrap();
        assert_eq!(
            b.decided,
            vec![
                Some(Decision::Label("Bag".into())),
                Some(Decision::Negative),
                Some(Decision::Skip),
                Some(Decision::Label("Trouser".into())),
            ]
        );
        assert_eq!(
            (b.added, b.is_done()),
            (2, true),
            "labels, not the negative"
        );
    }
    crate::common::ui::tap_ctrl_z(&mut h);
    {
        let s = h.state().session.as_ref().unwrap();
        let b = s.batch.as_ref().unwrap();
        assert_eq!((b.cursor, b.added), (3, 1), "the Trouser label taken back");
        assert_eq!(b.decided[3], None);
        let added: Vec<(&String, Option<&String>)> = s
            .curation
            .state()
            .samples()
            .iter()
            .filter(|(_, e)| e.added)
            .map(|(id, e)| (id, e.label.as_ref()))
            .collect();
        assert_eq!(added.len(), 2, "{added:?}");
    }
    // Label it Coat by clicking the button instead.
    h.get_by_label_contains(&format!(
        "{}  Coat",
        (classes.iter().position(|c| c == "Coat").unwrap() + 1) % 10
    ))
    .click();
    h.run_steps(2);

    // Done: the dataset opens again with the two labelled pool images as samples; the pool
    // and the dataset folder are as they were.
    let n_before = h.state().session.as_ref().unwrap().ws.dataset.samples.len();
    h.get_by_label_contains("Done: open the dataset with the 2 added")
        .click();
    h.run_steps(2);
    assert_eq!(h.state().central, CentralView::Gallery);
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    let s = h.state().session.as_ref().unwrap();
    assert!(s.batch.is_none());
    assert_eq!(
        s.ws.dataset.samples.len(),
        n_before + 2,
        "Bag and Coat, not the negative"
    );
    assert_eq!(s.ws.dataset.report.added, 2);
    let preds = s.predictions.set.as_ref().unwrap();
    for (i, sample) in s.ws.dataset.samples.iter().enumerate() {
        if sample
            .path
            .starts_with(std::fs::canonicalize(&pool).unwrap())
        {
            assert!(preds.prediction(i).is_some(), "{:?} predicted", sample.path);
        }
    }
    assert_eq!(
        image_files(&data),
        data_before,
        "nothing copied into the dataset"
    );
    assert_eq!(image_files(&pool).len(), 4);
}

/// Marked samples of the dataset open as a batch too: a number key relabels the shown one
/// (journaled), Ctrl+Z restores it.
#[test]
fn marked_samples_are_labelled_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    h.state_mut().apply(AppCommand::ToggleMark(0));
    h.state_mut().apply(AppCommand::ToggleMark(1));
    h.state_mut().apply(AppCommand::LabelMarked);
    h.run_steps(2);
    assert_eq!(h.state().central, CentralView::Label);
    let (first, second, classes) = {
        let s = h.state().session.as_ref().unwrap();
        let b = s.batch.as_ref().unwrap();
        assert_eq!(b.source, "2 marked samples");
        let items: Vec<usize> = b.items.iter().map(|i| i.sample.unwrap()).collect();
        (items[0], items[1], s.ws.dataset.classes.clone())
    };
    let label_of = |h: &egui_kittest::Harness<'_, labelscope::app::LabelscopeApp>, i: usize| {
        let s = h.state().session.as_ref().unwrap();
        s.curation.truth()[i].map(|c| s.ws.dataset.class_name(c).to_string())
    };
    let before = label_of(&h, first);
    // Give the first the last class (key 0), unless it has it: then the first class (key 1).
    let (key, want) = if before.as_deref() == classes.last().map(String::as_str) {
        (egui::Key::Num1, classes[0].clone())
    } else {
        (egui::Key::Num0, classes[classes.len() - 1].clone())
    };
    press(&mut h, key);
    assert_eq!(label_of(&h, first), Some(want));
    {
        let b = h.state().session.as_ref().unwrap().batch.as_ref().unwrap();
        assert_eq!(
            (b.cursor, b.added),
            (1, 0),
            "a sample is relabeled, not added"
        );
        assert_eq!(b.items[1].sample, Some(second));
    }
    crate::common::ui::tap_ctrl_z(&mut h);
    assert_eq!(label_of(&h, first), before, "Ctrl+Z restores the label");
    assert_eq!(
        h.state()
            .session
            .as_ref()
            .unwrap()
            .batch
            .as_ref()
            .unwrap()
            .cursor,
        0
    );
}
