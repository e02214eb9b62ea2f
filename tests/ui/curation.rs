//! Curation in the window, headless through egui_kittest: digit relabel, `X` exclude with a
//! reason, Ctrl+Z; multi-select with Ctrl/Shift-click and Ctrl+A, bulk edits with confirmation,
//! tags and the label quick-pick.

use std::time::Duration;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::Prompt;

#[test]
fn digit_relabels_x_excludes_and_ctrl_z_restores() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    // Select the first sample and relabel it to the class it was predicted as (or class 2).
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    let (i, target, acc_before) = {
        let s = h.state().session.as_ref().unwrap();
        let i = s.view.selected().unwrap();
        let target = match s
            .predictions
            .set
            .as_ref()
            .unwrap()
            .prediction(i)
            .unwrap()
            .predicted
        {
            labelscope::eval::Predicted::Class(c) if c != s.ws.dataset.samples[i].label => c.0,
            _ => (s.ws.dataset.samples[i].label.0 + 1) % 10,
        };
        (i, target, s.predictions.metrics.as_ref().unwrap().accuracy)
    };
    let digit = [
        egui::Key::Num1,
        egui::Key::Num2,
        egui::Key::Num3,
        egui::Key::Num4,
        egui::Key::Num5,
        egui::Key::Num6,
        egui::Key::Num7,
        egui::Key::Num8,
        egui::Key::Num9,
        egui::Key::Num0,
    ][target as usize];
    h.key_press(digit);
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert_eq!(
            s.curation.truth()[i].map(|c| c.0),
            Some(target),
            "the label changed"
        );
        assert_eq!(s.view.cursor, Some(1), "auto-advance to the next sample");
        assert!(
            s.predictions.metrics_before.is_some(),
            "before/after comparison appears"
        );
        assert_ne!(
            s.predictions.metrics.as_ref().unwrap().accuracy,
            acc_before,
            "metrics follow the edit"
        );
    }
    // Exclude the sample now selected: X asks the reason once.
    let j = h.state().session.as_ref().unwrap().view.selected().unwrap();
    h.key_press(egui::Key::X);
    h.run_steps(2);
    assert_eq!(h.state().prompt, Some(labelscope::app::Prompt::Exclude));
    h.get_by_label_contains("watermark/text").click();
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert_eq!(s.curation.truth()[j], None, "excluded");
        assert!(
            !s.view.order.contains(&j),
            "hidden under the default filter"
        );
        assert_eq!(s.predictions.metrics.as_ref().unwrap().num_samples, 59);
    }
    crate::common::ui::tap_ctrl_z(&mut h);
    let s = h.state().session.as_ref().unwrap();
    assert!(s.curation.truth()[j].is_some(), "Ctrl+Z restores it");
    assert!(s.view.order.contains(&j));
    // Every decision is in the journal: a fresh replay sees the relabel.
    let (state, _) =
        labelscope::curation::Journal::read_state(&dir.path().join(".labelscope")).unwrap();
    assert_eq!(
        state.samples().len(),
        1,
        "the relabel is kept; the undone exclusion leaves no entry"
    );
    assert!(
        state
            .get(&s.ws.dataset.samples[i].id.0)
            .is_some_and(|e| e.label.is_some())
    );
}

#[test]
fn ctrl_and_shift_click_mark_samples_and_bulk_edits_ask_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    let ids: Vec<String> = {
        let s = h.state().session.as_ref().unwrap();
        s.view.order[..4]
            .iter()
            .map(|&i| s.ws.dataset.samples[i].id.0.clone())
            .collect()
    };
    // Click the first cell, Shift-click the third: three marked. Ctrl-click the second: two.
    h.get_by_label_contains(&format!("{}:", ids[0])).click();
    h.run_steps(2);
    h.get_by_label_contains(&format!("{}:", ids[2]))
        .click_modifiers(egui::Modifiers::SHIFT);
    h.run_steps(2);
    assert_eq!(h.state().session.as_ref().unwrap().view.marked.len(), 3);
    h.get_by_label_contains(&format!("{}:", ids[1]))
        .click_modifiers(egui::Modifiers::COMMAND);
    h.run_steps(2);
    let marked: Vec<usize> = {
        let s = h.state().session.as_ref().unwrap();
        s.view.marked.iter().copied().collect()
    };
    assert_eq!(marked.len(), 2);
    // `T`, type a tag, Enter: both marked samples carry it, the marks are cleared.
    h.key_press(egui::Key::T);
    h.run_steps(2);
    assert!(matches!(h.state().prompt, Some(Prompt::Tag(_))));
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Tag")
        .type_text("blurry");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert!(s.view.marked.is_empty());
        let tagged: Vec<usize> = (0..s.ws.dataset.samples.len())
            .filter(|&i| {
                s.curation
                    .state()
                    .get(&s.ws.dataset.samples[i].id.0)
                    .is_some_and(|e| e.tags.contains("blurry"))
            })
            .collect();
        assert_eq!(tagged, marked);
    }
    // Ctrl+A marks the whole filter (60 > 50): `I` asks for confirmation, Esc cancels.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(2);
    assert_eq!(h.state().session.as_ref().unwrap().view.marked.len(), 60);
    h.key_press(egui::Key::X);
    h.run_steps(2);
    h.get_by_label_contains("ambiguous").click();
    h.run_steps(2);
    assert_eq!(
        h.state().prompt,
        Some(Prompt::Confirm(
            labelscope::curation::Action::Exclude {
                reason: "ambiguous".into()
            },
            60
        ))
    );
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.state().prompt.is_none());
    assert_eq!(
        h.state().session.as_ref().unwrap().view.order.len(),
        60,
        "nothing excluded"
    );
    // Again, confirmed with Enter: one edit excludes all 60; one Ctrl+Z brings them back.
    h.key_press(egui::Key::X);
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert!(s.view.order.is_empty(), "all excluded and hidden");
        assert!(s.curation.truth().iter().all(Option::is_none));
    }
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(3);
    assert_eq!(h.state().session.as_ref().unwrap().view.order.len(), 60);
}

#[test]
fn quick_pick_relabels_by_typed_name_and_filters_find_the_edit() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    h.key_press(egui::Key::Home);
    h.run_steps(2);
    let i = h.state().session.as_ref().unwrap().view.selected().unwrap();
    h.key_press(egui::Key::L);
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Label")
        .type_text("sneak");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    let sneaker = s.ws.dataset.class_id("Sneaker").unwrap();
    assert_eq!(s.curation.truth()[i], Some(sneaker));
    // The "Relabeled" edit filter shows exactly that sample.
    let f = labelscope::app::sample_query::Filter {
        edits: labelscope::app::sample_query::EditFilter::Relabeled,
        ..Default::default()
    };
    h.state_mut()
        .apply(labelscope::app::AppCommand::SetFilter(f));
    h.run_steps(2);
    assert_eq!(h.state().session.as_ref().unwrap().view.order, vec![i]);
    // The detail view lists the edit in the sample's history.
    h.key_press(egui::Key::Home);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    h.get_by_label_contains("1. relabel to Sneaker");
}

#[test]
fn a_dataset_another_labelscope_is_editing_opens_read_only_with_its_edits_and_a_banner() {
    use labelscope::app::AppCommand;
    use labelscope::curation::Action;
    let dir = tempfile::tempdir().unwrap();
    crate::common::cat_dog(dir.path(), 4);
    // Another labelscope relabelled the first sample and still has the dataset open: its lock
    // names a live process (pid 1) on no particular host.
    let ws = labelscope::workspace::Workspace::open(dir.path(), &Default::default()).unwrap();
    let ds = &*ws.dataset;
    let first = ds.samples[0].label;
    let other = ds
        .classes
        .iter()
        .position(|c| *c != ds.classes[first.index()])
        .unwrap();
    {
        let (mut curator, _) = ws.curator().unwrap();
        let label = Some(ds.classes[other].clone());
        curator.edit(ds, &[0], Action::Relabel { label }).unwrap();
    }
    let lock = dir
        .path()
        .join(".labelscope")
        .join(labelscope::curation::LOCK_FILE);
    std::fs::write(&lock, "1 - -\n").unwrap();
    let mut h = crate::common::ui::app_on_folder(dir.path());
    h.run_steps(4);
    {
        let s = h.state().session.as_ref().unwrap();
        assert!(
            s.curation.read_only().is_some(),
            "read-only at once, not on the first edit"
        );
        assert!(s.curation.curator().is_none());
        assert_eq!(
            s.curation.truth()[0].map(|c| c.index()),
            Some(other),
            "the other window's edits are shown"
        );
    }
    h.get_by_label_contains("Read-only: another labelscope (pid 1");
    // Once the other window has closed (its lock is gone), "Try again" opens for editing.
    std::fs::remove_file(&lock).unwrap();
    h.state_mut()
        .apply(AppCommand::RetryEditing { take_over: false });
    h.run_steps(2);
    let s = h.state().session.as_ref().unwrap();
    assert!(s.curation.read_only().is_none() && s.curation.curator().is_some());
    assert_eq!(s.curation.truth()[0].map(|c| c.index()), Some(other));
}
