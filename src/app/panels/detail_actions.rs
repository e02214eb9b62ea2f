//! The detail view's buttons: the mouse path for the keys that move, relabel, exclude or
//! include, tag and show similar samples.

use super::super::commands::AppCommand;
use super::super::session::Session;

/// Buttons for what the keys do: move, relabel, exclude or include, tag, similar.
pub fn actions_ui(ui: &mut egui::Ui, s: &Session, i: usize, out: &mut Vec<AppCommand>) {
    ui.horizontal_wrapped(|ui| {
        let pos = s.view.cursor.unwrap_or(0);
        if ui
            .add_enabled(pos > 0, egui::Button::new("Previous"))
            .on_hover_text("Previous sample (←)")
            .clicked()
        {
            out.push(AppCommand::SelectPosition(pos - 1));
        }
        if ui
            .add_enabled(pos + 1 < s.view.order.len(), egui::Button::new("Next"))
            .on_hover_text("Next sample (→)")
            .clicked()
        {
            out.push(AppCommand::SelectPosition(pos + 1));
        }
        ui.add_enabled_ui(s.curation.curator().is_some(), |ui| {
            if ui.button("Relabel…").on_hover_text("Type part of a label (L), or press its number").clicked() {
                out.push(AppCommand::AskRelabel);
            }
            if s.curation.truth().get(i).is_some_and(Option::is_none) {
                if ui.button("Include").on_hover_text("Take it back in (I)").clicked() {
                    out.push(AppCommand::Include);
                }
            } else if ui
                .button("Exclude…")
                .on_hover_text("Leave it out of metrics and exports, with a reason (X; W watermark/text, D duplicate)")
                .clicked()
            {
                out.push(AppCommand::AskExclude);
            }
            if ui.button("Tag…").on_hover_text("Add a tag (T)").clicked() {
                out.push(AppCommand::AskTag);
            }
        });
        if ui.button("Similar").on_hover_text("Show the most similar samples in the gallery (S)").clicked() {
            out.push(AppCommand::ShowSimilar);
        }
    });
}
