//! The right-click menu of a sample (a gallery cell, the detail image): every keyboard action
//! with a mouse path, each naming its key.

use super::super::commands::AppCommand;
use super::super::session::Session;
use crate::dataset::ClassId;

/// The key that relabels to class `k` ("1".."9", "0"), when there is one.
pub fn digit_key(k: usize) -> Option<String> {
    (k < 10).then(|| ((k + 1) % 10).to_string())
}

/// The menu's items for sample `i` at gallery position `pos` (edits apply to the marked samples
/// when there are any, else to this one, which the right-click selected).
pub fn sample_menu_ui(
    ui: &mut egui::Ui,
    s: &Session,
    i: usize,
    pos: Option<usize>,
    out: &mut Vec<AppCommand>,
) {
    let Some(smp) = s.ws.dataset.samples.get(i) else {
        return;
    };
    let item = |ui: &mut egui::Ui, text: &str, key: &str| {
        ui.add(egui::Button::new(text).shortcut_text(key)).clicked()
    };
    ui.weak(if s.view.marked.is_empty() {
        crate::curation::short_id(&smp.id.0)
    } else {
        format!("{} marked samples", s.view.marked.len())
    });
    ui.add_enabled_ui(s.curation.curator().is_some(), |ui| {
        ui.menu_button("Relabel to", |ui| {
            for (k, name) in s.ws.dataset.classes.iter().enumerate() {
                if item(ui, name, &digit_key(k).unwrap_or_default()) {
                    out.push(AppCommand::Relabel(ClassId(k as u32)));
                    ui.close();
                }
            }
            ui.separator();
            if item(ui, "Type a label…", "L") {
                out.push(AppCommand::AskRelabel);
                ui.close();
            }
        });
        if let Some(c) = s.offered_suggestion(i)
            && item(
                ui,
                &format!("Accept suggestion: {}", s.ws.dataset.class_name(c)),
                "A",
            )
        {
            out.push(AppCommand::AcceptSuggestion);
        }
        ui.menu_button("Exclude", |ui| {
            for (text, reason, key) in [
                ("As watermark/text", "watermark/text", "W"),
                ("As duplicate", "duplicate", "D"),
            ] {
                if item(ui, text, key) {
                    out.push(AppCommand::ExcludeAs(reason.into()));
                    ui.close();
                }
            }
            if item(ui, "With a reason…", "X") {
                out.push(AppCommand::AskExclude);
                ui.close();
            }
        });
        if s.curation.truth().get(i).is_some_and(Option::is_none) && item(ui, "Include again", "I")
        {
            out.push(AppCommand::Include);
        }
        if item(ui, "Tag…", "T") {
            out.push(AppCommand::AskTag);
        }
    });
    ui.separator();
    if let Some(pos) = pos {
        let marked = s.view.marked.contains(&i);
        if item(ui, if marked { "Unmark" } else { "Mark" }, "Space") {
            out.push(AppCommand::ToggleMark(pos));
        }
        if item(ui, "Open in the detail view", "Enter") {
            out.push(AppCommand::OpenDetail);
        }
    }
    if item(ui, "Show similar", "S") {
        out.push(AppCommand::ShowSimilar);
    }
    ui.separator();
    if ui.button("Copy path").clicked() {
        ui.ctx().copy_text(smp.path.display().to_string());
    }
    if ui.button("Open containing folder").clicked() {
        out.push(AppCommand::OpenFolder(smp.path.clone()));
    }
}

/// What a click on sample `i` at gallery position `pos` does, in the gallery and the table
/// alike: select (Ctrl marks, Shift marks a range), a double-click opens the detail view, a
/// right-click selects it (unless it is among the marked ones the menu acts on) and opens the
/// sample's menu.
pub fn sample_clicks(
    resp: &egui::Response,
    s: &Session,
    i: usize,
    pos: usize,
    out: &mut Vec<AppCommand>,
) {
    if resp.clicked() {
        let m = resp.ctx.input(|x| x.modifiers);
        out.push(if m.shift {
            AppCommand::MarkRange(pos)
        } else if m.command {
            AppCommand::ToggleMark(pos)
        } else {
            AppCommand::SelectPosition(pos)
        });
    }
    if resp.double_clicked() {
        out.push(AppCommand::OpenDetail);
    }
    if resp.secondary_clicked() && s.view.cursor != Some(pos) && !s.view.marked.contains(&i) {
        out.push(AppCommand::SelectPosition(pos));
    }
    resp.context_menu(|ui| sample_menu_ui(ui, s, i, Some(pos), out));
}
