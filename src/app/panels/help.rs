//! The `?` overlay listing keyboard shortcuts.

use super::super::commands::AppCommand;
use super::super::keys::SHORTCUTS;

/// Draws the help window.
pub fn help_ui(ctx: &egui::Context, out: &mut Vec<AppCommand>) {
    let mut open = true;
    egui::Window::new("Keyboard shortcuts")
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                for (key, what) in SHORTCUTS {
                    ui.strong(*key);
                    ui.label(*what);
                    ui.end_row();
                }
            });
            ui.weak("Click a confusion-matrix cell or a class row to filter the gallery.");
        });
    if !open {
        out.push(AppCommand::ToggleHelp);
    }
}
