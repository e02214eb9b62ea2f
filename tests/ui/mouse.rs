//! A mouse path for every keyboard action (#20 items 9 and 10): the right-click menu of a
//! gallery cell relabels, the Edit menu undoes by name and the undo reveals the sample it
//! restored, a notice says what an edit did, the detail view has buttons, File > Quit closes.

use std::time::Duration;

use crate::common::ui::{analysis_done, app_on_fashion_subset, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::AppCommand;
use labelscope::app::sample_query::Filter;

#[test]
fn the_right_click_menu_relabels_and_the_edit_menu_undoes_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    // The third cell, not the selection: a right-click selects it and opens its menu.
    let (i, id, old, new, key) = {
        let s = h.state().session.as_ref().unwrap();
        let i = s.view.order[2];
        let old =
            s.ws.dataset
                .class_name(s.ws.dataset.samples[i].label)
                .to_string();
        let k = s.ws.dataset.classes.iter().position(|c| *c != old).unwrap();
        let new = s.ws.dataset.classes[k].clone();
        (
            i,
            s.ws.dataset.samples[i].id.0.clone(),
            old,
            new,
            (k + 1) % 10,
        )
    };
    let stem = std::path::Path::new(&id)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    h.get_by_label_contains(&format!("{id}: true"))
        .click_secondary();
    h.run_steps(3);
    assert_eq!(h.state().session.as_ref().unwrap().view.selected(), Some(i));
    h.get_by_label_contains("Relabel to").click();
    h.run_steps(3);
    h.get_by_label(&format!("{new} {key}")).click();
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert_eq!(s.ws.dataset.class_name(s.curation.truth()[i].unwrap()), new);
    }
    // The notice says what happened and how to take it back.
    h.get_by_label(&format!("Relabeled {stem}: {old} -> {new}. Ctrl+Z undoes"));

    // Filter the sample out of view, then undo through the Edit menu: it names the edit, and
    // the undo brings the sample back into view, selected.
    let other = {
        let s = h.state().session.as_ref().unwrap();
        s.ws.dataset
            .classes
            .iter()
            .position(|c| *c != new)
            .map(|k| labelscope::dataset::ClassId(k as u32))
            .unwrap()
    };
    h.state_mut().apply(AppCommand::SetFilter(Filter {
        true_class: Some(other),
        ..Default::default()
    }));
    h.run_steps(2);
    assert!(!h.state().session.as_ref().unwrap().view.order.contains(&i));
    h.get_by_label("Edit").click();
    h.run_steps(2);
    h.get_by_label(&format!("Undo relabel {stem} to {new} Ctrl+Z"))
        .click();
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.ws.dataset.class_name(s.curation.truth()[i].unwrap()), old);
    assert_eq!(
        s.view.selected(),
        Some(i),
        "the undo shows the sample it restored"
    );
    h.get_by_label(&format!("Undid: relabel {stem} to {new}. Ctrl+Y redoes"));
}

#[test]
fn the_menu_excludes_with_a_reason_and_the_detail_view_has_buttons() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    let i = h.state().session.as_ref().unwrap().view.order[0];
    let id = h.state().session.as_ref().unwrap().ws.dataset.samples[i]
        .id
        .0
        .clone();
    h.get_by_label_contains(&format!("{id}: true"))
        .click_secondary();
    h.run_steps(3);
    h.get_by_label("Exclude").click();
    h.run_steps(3);
    h.get_by_label("As duplicate D").click();
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert_eq!(s.curation.truth()[i], None);
        let e = s.curation.state().get(&id).unwrap();
        assert_eq!(e.excluded.as_deref(), Some("duplicate"));
    }
    // The detail view: the next sample by button, then Tag… opens the tag prompt.
    h.state_mut().apply(AppCommand::SelectPosition(0));
    h.state_mut().apply(AppCommand::OpenDetail);
    h.run_steps(3);
    h.get_by_label("Next").click();
    h.run_steps(2);
    assert_eq!(h.state().session.as_ref().unwrap().view.cursor, Some(1));
    h.get_by_label("Tag…").click();
    h.run_steps(2);
    assert!(matches!(
        h.state().prompt,
        Some(labelscope::app::Prompt::Tag(_))
    ));
}

#[test]
fn file_quit_and_ctrl_q_close_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    h.run_steps(2);
    h.get_by_label("File").click();
    h.run_steps(2);
    // Menu items carry their shortcut in their label.
    h.get_by_label("Quit Ctrl+Q").click();
    h.run_steps(2);
    assert!(h.state().quit_requested);
    let again = dir.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    let mut h = app_on_fashion_subset(&again);
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Q);
    h.run_steps(2);
    assert!(h.state().quit_requested);
}

/// Where the gallery's cells start and how wide they span.
fn gallery_span(h: &egui_kittest::Harness<'_, labelscope::app::LabelscopeApp>) -> (f32, f32) {
    let cells: Vec<egui::Rect> = h
        .query_all_by_label_contains(": true ")
        .map(|n| n.rect())
        .collect();
    let left = cells.iter().map(|r| r.left()).fold(f32::INFINITY, f32::min);
    let right = cells.iter().map(|r| r.right()).fold(0.0, f32::max);
    (left, right - left)
}

#[test]
fn at_1024_px_the_detail_view_leaves_the_gallery_its_room_and_labels_keep_their_controls() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    h.set_size(egui::vec2(1024.0, 700.0));
    h.state_mut().apply(AppCommand::SelectPosition(0));
    h.state_mut().apply(AppCommand::OpenDetail);
    h.run_steps(4);
    // The metrics panel steps aside (the toggle says why) and the gallery keeps 380 px.
    assert!(h.query_by_label("Per class").is_none());
    h.get_by_label("Metrics");
    let (left, width) = gallery_span(&h);
    assert!(width >= 380.0, "the gallery is {width} px wide");
    // Every filter label sits on the row of its control: no control starts a row (its label
    // would then end the row above).
    for label in [
        "True",
        "Predicted",
        "Show",
        "Excluded",
        "Problems",
        "Edits",
        "Sort",
        "Size",
    ] {
        let control = h.get_by_label(label).rect();
        assert!(
            control.left() > left + 20.0,
            "{label}'s control starts a row at {control:?} (the gallery starts at {left})"
        );
    }
    // The Metrics toggle brings the panel back beside a narrower detail view; the gallery
    // keeps its room.
    h.get_by_label("Metrics").click();
    h.run_steps(6);
    h.get_by_label("Per class");
    assert!(
        h.query_by_label("Close").is_some(),
        "the detail view stays open"
    );
    let (_, width) = gallery_span(&h);
    assert!(width >= 370.0, "the gallery is {width} px wide");
    // The toggle, not the panel's heading: the rightmost "Metrics".
    h.query_all_by_label("Metrics")
        .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
        .unwrap()
        .click();
    h.run_steps(4);
    assert!(h.query_by_label("Per class").is_none(), "hidden again");
}

#[test]
fn without_a_file_dialog_a_typed_path_opens_the_model() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::fashion_subset(dir.path(), 2);
    let mut h = crate::common::ui::app_on_folder(dir.path());
    h.run_steps(3);
    h.state_mut().apply(AppCommand::AskPath {
        what: labelscope::app::file_pick::PathFor::Model,
        no_dialog: true,
    });
    h.run_steps(3);
    h.get_by_label_contains("No file dialog is available on this system");
    let field = h.get_by_label("Path");
    field.type_text("/no/such/model.onnx");
    h.run_steps(2);
    h.get_by_label("No such file or folder.");
    // Clear and type the bundled model's path, then Enter.
    h.state_mut().path_prompt.as_mut().unwrap().text.clear();
    h.run_steps(1);
    let model = crate::common::repo().join("assets/models/fashion_cnn.onnx");
    h.get_by_label("Path").type_text(model.to_str().unwrap());
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(h.state().path_prompt.is_none());
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.predictions.model.as_ref().unwrap().onnx_path, model);
}

#[test]
fn view_log_lists_the_session_errors_and_writes_them_to_the_state_folder() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::fashion_subset(dir.path(), 2);
    let mut h = crate::common::ui::app_on_folder(dir.path());
    h.run_steps(3);
    let missing = dir.path().join("no-such-model.onnx");
    h.state_mut().apply(AppCommand::OpenModel(missing.clone()));
    h.run_steps(3);
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label_contains("Log (").click();
    h.run_steps(3);
    // The error line of the top bar, and the log's entry.
    assert_eq!(
        h.query_all_by_label_contains("no-such-model.onnx").count(),
        2
    );
    let file = dir.path().join(".labelscope/labelscope.log");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains(" error ") && l.contains("no-such-model.onnx")),
        "{text}"
    );
    h.get_by_label_contains("Also written to");
}

#[test]
fn clear_filter_keeps_the_selected_sample() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    h.state_mut().apply(AppCommand::SetFilter(Filter {
        true_class: Some(labelscope::dataset::ClassId(4)),
        ..Default::default()
    }));
    h.run_steps(2);
    h.state_mut().apply(AppCommand::SelectPosition(3));
    h.run_steps(2);
    let i = h.state().session.as_ref().unwrap().view.selected().unwrap();
    h.get_by_label("Clear filter").click();
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    assert!(s.view.filter.is_empty());
    assert_eq!(
        s.view.selected(),
        Some(i),
        "the same sample, now among all of them"
    );
}

#[test]
fn a_click_deep_in_the_gallery_selects_without_scrolling_and_the_menu_opens_there() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::fashion_subset(dir.path(), 120);
    let mut h = crate::common::ui::app_on_folder(dir.path());
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.view.order.len() >= 1150)
    });
    // Deep in the list: the 1100th sample brought into view.
    let deep = h.state().session.as_ref().unwrap().view.order[1100];
    h.state_mut().apply(AppCommand::ShowSample(deep));
    h.run_steps(4);
    // The cells drawn now, by their top edge: the second-to-last row is fully in view.
    let cells = |h: &egui_kittest::Harness<'_, labelscope::app::LabelscopeApp>| {
        let s = h.state().session.as_ref().unwrap();
        let mut found: Vec<(f32, usize, String)> = Vec::new();
        for (pos, &i) in s.view.order.iter().enumerate().skip(1000).take(200) {
            let name = format!("{}: true", s.ws.dataset.samples[i].id.0);
            if let Some(node) = h.query_by_label_contains(&name) {
                found.push((node.rect().top(), pos, name));
            }
        }
        found.sort_by(|a, b| a.0.total_cmp(&b.0));
        found
    };
    let found = cells(&h);
    let mut rows: Vec<(f32, f32)> = Vec::new();
    for (top, _, name) in &found {
        if rows.last().is_none_or(|r| r.0 != *top) {
            rows.push((*top, h.get_by_label_contains(name).rect().bottom()));
        }
    }
    // The lowest row fully in the window (900 px, less the status line) and the first whole one.
    let low_row = rows.iter().rev().find(|r| r.1 < 870.0).unwrap().0;
    let high_row = rows.iter().find(|r| r.0 > 40.0).unwrap().0;
    let pick = |row: f32, n: usize| -> Vec<(usize, String)> {
        found
            .iter()
            .filter(|c| c.0 == row)
            .take(n)
            .map(|c| (c.1, c.2.clone()))
            .collect()
    };
    let mut targets = pick(low_row, 2);
    targets.extend(pick(high_row, 1));
    assert_eq!(targets.len(), 3);
    for (k, (pos, name)) in targets.into_iter().enumerate() {
        let before = h.get_by_label_contains(&name).rect();
        let secondary = k == 2;
        if secondary {
            h.get_by_label_contains(&name).click_secondary();
        } else {
            h.get_by_label_contains(&name).click();
        }
        h.run_steps(4);
        assert_eq!(h.state().session.as_ref().unwrap().view.cursor, Some(pos));
        let after = h.get_by_label_contains(&name).rect();
        assert_eq!(before, after, "the clicked cell {pos} moved");
        if secondary {
            h.get_by_label_contains("Relabel to");
            h.key_press(egui::Key::Escape);
            h.run_steps(2);
        }
    }
}
