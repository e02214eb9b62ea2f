//! The typed-path prompt: for systems without a file dialog (no xdg-desktop-portal), and File >
//! Open a path…. Enter or Open submits; the path must exist.

use egui::Key;

use super::super::commands::AppCommand;
use super::super::file_pick::PathPrompt;

/// Draws the prompt.
pub fn path_prompt_ui(ctx: &egui::Context, p: &mut PathPrompt, out: &mut Vec<AppCommand>) {
    let mut open = true;
    egui::Window::new(p.what.title())
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            if p.no_dialog {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "No file dialog is available on this system (it needs xdg-desktop-portal): type or paste the path.",
                );
            }
            let l = ui.label("Path");
            let r = ui
                .add(egui::TextEdit::singleline(&mut p.text).desired_width(420.0))
                .labelled_by(l.id);
            if p.text.is_empty() && !r.has_focus() {
                r.request_focus();
            }
            let path = std::path::PathBuf::from(p.text.trim());
            let exists = !p.text.trim().is_empty() && path.exists();
            if !p.text.trim().is_empty() && !exists {
                ui.colored_label(ui.visuals().error_fg_color, "No such file or folder.");
            }
            let enter =
                (r.lost_focus() || r.has_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
            ui.horizontal(|ui| {
                if (ui.add_enabled(exists, egui::Button::new("Open")).clicked() || enter)
                    && exists
                {
                    out.push(p.what.command(path.clone()));
                    out.push(AppCommand::ClosePathPrompt);
                }
                if ui.button("Cancel").clicked() {
                    out.push(AppCommand::ClosePathPrompt);
                }
            });
        });
    if !open || ctx.input(|i| i.key_pressed(Key::Escape)) {
        out.push(AppCommand::ClosePathPrompt);
    }
}
