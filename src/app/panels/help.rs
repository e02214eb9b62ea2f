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

/// Exclusion reasons offered by the `X` prompt.
pub const EXCLUDE_REASONS: &[&str] = &[
    "watermark/text",
    "not a valid sample",
    "ambiguous",
    "duplicate",
    "corrupt",
];

/// The prompt asking why a sample is excluded (the answer is remembered for the session).
pub fn exclude_reason_ui(ctx: &egui::Context, out: &mut Vec<AppCommand>) {
    let mut open = true;
    egui::Window::new("Exclude: why?")
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .show(ctx, |ui| {
            ui.label("The reason is remembered: X excludes with it until you pick another here.");
            for (k, reason) in EXCLUDE_REASONS.iter().enumerate() {
                if ui.button(format!("{}  {reason}", k + 1)).clicked() {
                    out.push(AppCommand::Exclude((*reason).to_string()));
                }
            }
            let key = |k: usize| {
                [
                    egui::Key::Num1,
                    egui::Key::Num2,
                    egui::Key::Num3,
                    egui::Key::Num4,
                    egui::Key::Num5,
                ][k]
            };
            for (k, reason) in EXCLUDE_REASONS.iter().enumerate() {
                if ctx.input(|i| i.key_pressed(key(k))) {
                    out.push(AppCommand::Exclude((*reason).to_string()));
                }
            }
        });
    if !open || ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
        out.push(AppCommand::CancelPrompt);
    }
}
